"""docs/fulltext-roles.png: where the real sample papers mention GRPO, PPO, DPO and LoRA, and how many use them.

    python bench/fulltext_figure.py [--db STORE] [--shared DIR] [-o docs/fulltext-roles.png]

Without ``--db``, the real samples (``../shared/data/fulltext``: 49 unArXive papers, 17 arXiv e-prints)
are imported into a temporary store first, as ``uptake fulltext import`` / ``extract`` do. Every number is
an answer of the full-text index (``Corpus.papers(..., text="full")``): the left panel counts papers where
``TERM in:ROLE`` matches, the right one papers where ``TERM`` matches anywhere (mentions) and where
``TERM in:use`` matches (uses).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from uptake import Corpus
from uptake.cli import main as cli_main
from uptake.outputs.plot import PALETTE, _use_agg

TERMS = ("GRPO", "PPO", "DPO", "LoRA")
ROLES = ("abstract", "introduction", "related", "method", "experiments", "discussion", "appendix", "captions",
         "references", "other")


def counts(db: str) -> tuple[dict[tuple[str, str], int], dict[str, tuple[int, int]], int]:
    corpus = Corpus(db)
    cells = {(t, r): corpus.papers(f"{t} in:{r}", text="full", limit=0).total for t in TERMS for r in ROLES}
    bars = {t: (corpus.papers(t, text="full", limit=0).total, corpus.papers(f"{t} in:use", text="full", limit=0).total)
            for t in TERMS}
    n = sum(corpus.fulltext_status().totals().values())
    return cells, bars, n


def draw(cells: dict[tuple[str, str], int], bars: dict[str, tuple[int, int]], n: int, out: Path) -> Path:
    _use_agg()
    import matplotlib.pyplot as plt
    import numpy as np

    grid = np.array([[cells[(t, r)] for t in TERMS] for r in ROLES])
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 5.2), dpi=100, gridspec_kw={"width_ratios": [1.25, 1]})
    fig.subplots_adjust(left=0.11, right=0.98, top=0.86, bottom=0.17, wspace=0.35)
    im = ax.imshow(grid, cmap="Blues", vmin=0, vmax=max(1, int(grid.max())), aspect="auto")
    ax.set_xticks(range(len(TERMS)), TERMS)
    ax.set_yticks(range(len(ROLES)), ROLES)
    ax.tick_params(length=0)
    for i in range(len(ROLES)):
        for j in range(len(TERMS)):
            v = int(grid[i, j])
            ax.text(j, i, str(v) if v else "·", ha="center", va="center", fontsize=10,
                    color="white" if v > grid.max() * 0.6 else "#333333")
    ax.set_title("Papers where TERM in:ROLE matches", fontsize=11, loc="left")
    cbar = fig.colorbar(im, ax=ax, fraction=0.04, pad=0.02, ticks=range(int(grid.max()) + 1))
    cbar.set_label("papers")
    x = np.arange(len(TERMS))
    ment = [bars[t][0] for t in TERMS]
    use = [bars[t][1] for t in TERMS]
    bx.bar(x - 0.2, ment, width=0.4, color=PALETTE[0], label="mentions (anywhere)")
    bx.bar(x + 0.2, use, width=0.4, color=PALETTE[1], label="uses (TERM in:use)")
    for xi, (m, u) in enumerate(zip(ment, use, strict=True)):
        bx.text(xi - 0.2, m + 0.05, str(m), ha="center", va="bottom", fontsize=9)
        bx.text(xi + 0.2, u + 0.05, str(u), ha="center", va="bottom", fontsize=9)
    bx.set_xticks(x, TERMS)
    bx.set_ylim(0, max(ment) + 1.2)
    bx.yaxis.get_major_locator().set_params(integer=True)
    bx.set_ylabel("papers")
    bx.spines[["top", "right"]].set_visible(False)
    bx.legend(frameon=False, fontsize=9, loc="upper left")
    bx.set_title("Mention vs use", fontsize=11, loc="left")
    fig.suptitle(f"Where the real sample papers mention GRPO, PPO, DPO and LoRA ({n} full texts)", fontsize=12,
                 x=0.02, ha="left")
    fig.text(0.02, 0.03, "Real samples: 49 unArXive 2022 papers (none mentions the terms) and 17 arXiv e-prints "
             "(9 ML papers of 2024–2026).\nSection roles from uptake.sections; table bodies are not extracted. "
             "Drawn by bench/fulltext_figure.py.", fontsize=8, color="#555555", va="bottom")
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", help="a store that already holds the samples' full texts")
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data" / "fulltext")
    ap.add_argument("-o", "--out", type=Path, default=ROOT / "docs" / "fulltext-roles.png")
    args = ap.parse_args()
    if args.db:
        print(draw(*counts(args.db), args.out))
        return
    with tempfile.TemporaryDirectory(prefix="uptake-ftfig-") as tmp:
        db = str(Path(tmp) / "f.duckdb")
        files = sorted(str(p) for p in (args.shared / "unarxive-sample").glob("*.jsonl.gz"))
        assert cli_main(["fulltext", "import", *files, "--db", db, "-q"]) == 0
        assert cli_main(["fulltext", "extract", str(args.shared / "arxiv-src"), "--db", db, "-q"]) == 0
        print(draw(*counts(db), args.out))


if __name__ == "__main__":
    main()
