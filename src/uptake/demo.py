"""``uptake demo``: a small synthetic corpus in its own store, and the GRPO figure from it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError
from .ingest import upsert
from .store import Store
from .synthetic import PlantedTerm, SyntheticCorpus

DEMO_PLANTED: tuple[PlantedTerm, ...] = (
    PlantedTerm("GRPO", ("GRPO",), "logistic", K=0.16, r=0.3, t0="2025-07", onset="2024-02",
                categories=("cs",), companion="group relative policy optimization", companion_rate=0.4),
    PlantedTerm("DPO", ("DPO",), "logistic", K=0.08, r=0.22, t0="2024-03", onset="2023-05",
                categories=("cs",), companion="direct preference optimization", companion_rate=0.5),
    PlantedTerm("PPO", ("PPO",), "constant", K=0.05, onset="2017-07", categories=("cs",),
                companion="proximal policy optimization", companion_rate=0.3),
    PlantedTerm("LoRA", ("LoRA", "LORA"), "logistic", K=0.06, r=0.2, t0="2023-09", onset="2021-06",
                categories=("cs",), form_weights=(0.9, 0.1), companion="low-rank adaptation"),
    PlantedTerm("LoRa", ("LoRa",), "constant", K=0.15, onset="2016-01", categories=("eess.SP", "cs.NI")),
)


@dataclass(frozen=True)
class DemoResult:
    db: Path
    papers: int
    png: Path
    csv: Path


def default_demo_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("uptake", appauthor=False)) / "demo.duckdb"


def build_demo_store(path: Path, *, papers: int = 6000, seed: int = 7) -> int:
    """(Re)build the demo store at ``path``. Refuses to touch a store that is not a demo store."""
    if path.exists():
        with Store.open(path, write=True) as store:
            if store.get_meta("synthetic") != "demo":
                raise UsageError(
                    f"{path} is not an uptake demo store; the demo never writes into a real corpus. "
                    f"Choose another --db for the demo"
                )
        path.unlink()
        wal = path.with_name(path.name + ".wal")
        if wal.exists():
            wal.unlink()
    corpus = SyntheticCorpus(n_papers=papers, start="2022-01", end="2026-06", end_day=14, seed=seed,
                             planted=DEMO_PLANTED, vocabulary_size=20_000, sentence_pool=5_000)
    with Store.open(path, write=True) as store:
        store.begin()
        store.set_meta("synthetic", "demo")
        batch = []
        for paper in corpus.papers():
            batch.append(paper)
            if len(batch) >= 2000:
                upsert(store, batch)
                batch = []
        upsert(store, batch)
        store.commit()
    return papers


def run_demo(*, db: str | Path | None = None, out_dir: str | Path = ".", papers: int = 6000) -> DemoResult:
    """Build the demo store and write ``grpo.png`` and ``grpo.csv`` into ``out_dir``."""
    from .corpus import Corpus
    from .outputs.plot import plot_trend, save_figure

    if papers < 500:
        raise UsageError("--papers must be at least 500 for a readable demo")
    path = Path(db).expanduser() if db else default_demo_path()
    build_demo_store(path, papers=papers)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    trend = Corpus(path).trend("GRPO, PPO, DPO", start="2023-01", category="cs", by="quarter")
    png = out / "grpo.png"
    csv = out / "grpo.csv"
    ax = plot_trend(trend, title="SYNTHETIC demo corpus: papers mentioning GRPO, PPO and DPO (share of cs papers)")
    save_figure(ax, png)
    csv.write_text(trend.to_csv(), encoding="utf-8")
    # The CSV keeps uptake's contract (its header is the first line, for any tool that reads trend CSVs), so
    # what it is made of is said next to it, in a sidecar that travels with it, and by the command's output.
    (out / SIDECAR).write_text(
        "grpo.csv and grpo.png come from a SYNTHETIC corpus made up by `uptake demo`:\n"
        f"{papers:,} invented papers with planted GRPO, PPO and DPO adoption curves. They say nothing about\n"
        "real arXiv. The CSV columns are uptake's trend CSV (period,series,count,total,share,complete).\n"
        "For real numbers: uptake import <arXiv metadata> then uptake trend 'GRPO, PPO, DPO' --format csv\n",
        encoding="utf-8",
    )
    return DemoResult(db=path, papers=papers, png=png, csv=csv)


#: Written next to grpo.csv: says the numbers are synthetic without breaking the CSV's header-first contract.
SIDECAR = "grpo.README.txt"
