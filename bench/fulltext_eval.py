"""Full-text roles and *uses* against hand labels: precision and recall with Wilson 95 % intervals.

    python bench/fulltext_eval.py [--shared DIR] [--no-unarxive] [--json]

Imports the real samples (``../shared/data/fulltext`` beside the repository: the unArXive JSONL with
``uptake fulltext import``, the arXiv e-prints with ``uptake fulltext extract``) and the hand-written
synthetic e-prints of ``tests/data/fulltext_synthetic`` (gzipped into the temporary folder as arXiv serves
single-file sources) into a temporary store, then asks the system, per term and role, which papers
``TERM in:ROLE`` matches (``Corpus.papers(..., text="full")``, the same path as ``uptake papers
--text full``), and compares with ``tests/data/fulltext_labels.json``.

* **Role detection**: one item per (paper, term, role) over the labelled papers, the four terms and the
  ten roles; positive in the labels when the role is listed, positive for the system when ``TERM in:ROLE``
  matches the paper. Precision and recall per role and micro-averaged.
* **Uses**: one item per (labelled paper, term); positive in the labels when ``uses`` is ``yes`` or
  ``partial`` (also reported with ``yes`` only), positive for the system when ``TERM in:use`` matches.
* **Classes** (system side): *uses* (``in:use`` matches); *discusses* (matches in introduction, related or
  discussion, not uses); *cites only* (matches only in references, or in method/experiments/appendix/captions
  sentences that cite another work); *mentions* (matches somewhere else only: abstract, other).

Every disagreement is listed with the explanation in :data:`EXPLAINED` (written by hand after reading the
paper); one without an explanation is printed as UNEXPLAINED. The Markdown printed between the
``fulltext-eval`` markers is what ``docs/fulltext.md`` holds; ``tests/test_fulltext_eval.py`` recomputes it.
The 49 unArXive papers mention none of the four terms (checked with grep over their JSON); they are imported
as negatives (any match there would be a false positive) unless ``--no-unarxive``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from uptake import Corpus
from uptake.cli import main as cli_main

TERMS = ("GRPO", "PPO", "DPO", "LoRA")
ROLES = ("abstract", "introduction", "related", "method", "experiments", "discussion", "appendix", "captions",
         "references", "other")
LABELS = ROOT / "tests" / "data" / "fulltext_labels.json"
SYNTHETIC = ROOT / "tests" / "data" / "fulltext_synthetic"
DEFAULT_SHARED = ROOT.parent / "shared" / "data" / "fulltext"
BEGIN, END = "<!-- fulltext-eval:begin -->", "<!-- fulltext-eval:end -->"

#: Why the system and the labels disagree, per (paper, term, role or "use"): (kind, explanation).
EXPLAINED: dict[tuple[str, str, str], tuple[str, str]] = {
    ("2402.04249", "DPO", "use"): (
        "use rule: someone else's model described without a citation",
        ("Appendix model list: \"The Zephyr 7B model was fine-tuned from the base Mistral 7B model using SFT and DPO.\" "
        "The sentence is in an appendix and cites nothing, so `DPO in:use` matches; the authors evaluate Zephyr, they "
        "do not train with DPO (label no). The rule cannot tell whose training a sentence describes.")),
    ("2501.90002", "DPO", "use"): (
        "use rule: negation",
        ("\"We do not use DPO or any reference model anywhere in this work.\" A method sentence without a citation; "
        "the rule does not read negation (the label is no).")),
    ("2501.90005", "LoRA", "use"): (
        "homonym (case-insensitive matching)",
        ("LoRa is a radio: \"Each node sends one LoRa packet per period ...\" Matching folds case, so LoRa is LoRA. "
        "With `--case-sensitive` the query `LoRA` does not match this paper at all.")),
    ("2501.90006", "PPO", "use"): (
        "use rule: the sentence that states the use also cites the method",
        ("\"We optimise the policy with PPO [cite:ppo] for 2000 steps ...\" is the only sentence saying PPO is used, "
        "and it cites PPO's paper, so it is left out of `use`. Authors often cite a method where they say they use "
        "it; the real PKU-SafeRLHF paper does too (\"we use the PPO algorithm [cite]\") and is found only through "
        "another, uncited sentence.")),
}


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score 95 % interval of the proportion k/n ((0, 1) when n is 0)."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, centre - half), min(1.0, centre + half)


def load_labels() -> dict[str, Any]:
    return json.loads(LABELS.read_text(encoding="utf-8"))["papers"]


def build_store(workdir: Path, shared: Path, *, unarxive: bool = True) -> str:
    """A store with the samples' full texts, through the CLI's whole import path."""
    db = str(workdir / "eval.duckdb")
    synth = workdir / "synthetic"
    synth.mkdir()
    for tex in sorted(SYNTHETIC.glob("*.tex")):  # as arXiv serves a single-file source: ID.gz
        (synth / f"{tex.stem}.gz").write_bytes(gzip.compress(tex.read_bytes(), mtime=0))
    if unarxive:
        files = sorted(str(p) for p in (shared / "unarxive-sample").glob("*.jsonl.gz"))
        if cli_main(["fulltext", "import", *files, "--db", db, "-q"]) != 0:
            raise SystemExit("uptake fulltext import failed")
    if cli_main(["fulltext", "extract", str(shared / "arxiv-src"), str(synth), "--db", db, "-q"]) != 0:
        raise SystemExit("uptake fulltext extract failed")
    return db


def system_answers(db: str) -> tuple[dict[tuple[str, str], set[str]], dict[tuple[str, str, str], dict[str, str]]]:
    """{(term, role or 'use' or 'any'): matching ids}, and the matched sentence of each (paper, term, role)."""
    corpus = Corpus(db)
    found: dict[tuple[str, str], set[str]] = {}
    where: dict[tuple[str, str, str], dict[str, str]] = {}
    for term in TERMS:
        for role in (*ROLES, "use", "any"):
            q = term if role == "any" else f"{term} in:{role}"
            rows = corpus.papers(q, text="full", limit=100_000).papers
            found[(term, role)] = {r.id for r in rows}
            for r in rows:
                if r.match is not None:
                    where[(r.id, term, role)] = r.match
    return found, where


def system_class(roles: set[str], uses: bool) -> str:
    if uses:
        return "uses"
    if not roles:
        return "absent"
    if roles & {"introduction", "related", "discussion"}:
        return "discusses"
    if roles <= {"references", "method", "experiments", "appendix", "captions"}:
        return "cites only"
    return "mentions"


def evaluate(db: str) -> dict[str, Any]:
    labels = load_labels()
    found, where = system_answers(db)
    role_counts = {r: [0, 0, 0] for r in ROLES}  # tp, fp, fn
    errors: list[dict[str, str]] = []
    uses = {"yes+partial": [0, 0, 0], "yes": [0, 0, 0], "real": [0, 0, 0]}
    pairs = []
    for pid, paper in sorted(labels.items()):
        for term in TERMS:
            lab = paper["terms"].get(term)
            gold_roles = set(lab["roles"]) if lab else set()
            sys_roles = {r for r in ROLES if pid in found[(term, r)]}
            for role in ROLES:
                g, s = role in gold_roles, role in sys_roles
                if g and s:
                    role_counts[role][0] += 1
                elif s:
                    role_counts[role][1] += 1
                elif g:
                    role_counts[role][2] += 1
                if g != s:
                    errors.append(_error(pid, term, role, "FP" if s else "FN", where))
            sys_use = pid in found[(term, "use")]
            gold_use = lab["uses"] if lab else "absent"
            for key, pos in (("yes+partial", {"yes", "partial"}), ("yes", {"yes"}), ("real", {"yes", "partial"})):
                if key == "real" and paper.get("synthetic"):
                    continue
                g = gold_use in pos
                if g or sys_use:
                    uses[key][0 if g and sys_use else 1 if sys_use else 2] += 1
            if (gold_use in ("yes", "partial")) != sys_use:
                errors.append(_error(pid, term, "use", "FP" if sys_use else "FN", where))
            if lab or sys_roles:
                pairs.append({"paper": pid, "term": term, "label_uses": gold_use,
                              "label_roles": sorted(gold_roles, key=ROLES.index),
                              "system_roles": sorted(sys_roles, key=ROLES.index),
                              "system_class": system_class(sys_roles, sys_use),
                              "synthetic": bool(paper.get("synthetic"))})
    others = set().union(*(found[(t, "any")] for t in TERMS)) - set(labels)
    return {"roles": role_counts, "uses": uses, "errors": errors, "pairs": pairs,
            "unlabelled_matches": sorted(others),
            "papers": {"labelled": len(labels),
                       "mentioning": sum(1 for p in labels.values() if p["terms"]),
                       "synthetic_mentioning": sum(1 for p in labels.values() if p["terms"] and p.get("synthetic"))}}


def _error(pid: str, term: str, role: str, kind: str, where: dict[tuple[str, str, str], dict[str, str]]) -> dict[str, str]:
    cat, why = EXPLAINED.get((pid, term, role), ("UNEXPLAINED", ""))
    m = where.get((pid, term, role))
    return {"paper": pid, "term": term, "role": role, "kind": kind, "cause": cat, "why": why,
            "sentence": (m or {}).get("sentence", "")}


def _pr(tp: int, fp: int, fn: int) -> str:
    def one(k: int, n: int) -> str:
        if n == 0:
            return "–"
        lo, hi = wilson(k, n)
        return f"{k}/{n} = {k / n:.2f} [{lo:.2f}, {hi:.2f}]"
    return f"{one(tp, tp + fp)} | {one(tp, tp + fn)}"


def markdown(res: dict[str, Any]) -> str:
    p = res["papers"]
    out = [(f"Labelled papers: {p['labelled']} ({p['mentioning']} mention at least one term, "
            f"{p['synthetic_mentioning']} of them synthetic). Items: (paper, term, role) for roles, "
            f"(paper, term) for *uses*. Intervals: Wilson 95 %."), "",
           "| role | precision | recall |", "|---|---|---|"]
    tot = [0, 0, 0]
    for role in ROLES:
        c = res["roles"][role]
        tot = [a + b for a, b in zip(tot, c, strict=True)]
        out.append(f"| {role} | {_pr(*c)} |")
    out.append(f"| **all roles (micro)** | {_pr(*tot)} |")
    out += ["", "| *uses* (`TERM in:use`) | precision | recall |", "|---|---|---|"]
    for key, name in (("yes+partial", "label yes or partial"), ("yes", "label yes only"),
                      ("real", "real papers only, label yes or partial")):
        out.append(f"| {name} | {_pr(*res['uses'][key])} |")
    out += ["", "| paper | term | label: uses | label: roles | system: roles | system: class |",
            "|---|---|---|---|---|---|"]
    for row in res["pairs"]:
        star = " (synthetic)" if row["synthetic"] else ""
        out.append(f"| {row['paper']}{star} | {row['term']} | {row['label_uses']} | "
                   f"{', '.join(row['label_roles']) or '–'} | {', '.join(row['system_roles']) or '–'} | "
                   f"{row['system_class']} |")
    out += ["", f"Disagreements ({len(res['errors'])}):", ""]
    for e in res["errors"]:
        what = "use" if e["role"] == "use" else f"in:{e['role']}"
        line = f"- **{e['paper']} {e['term']} {what}: {e['kind']}** — *{e['cause']}*."
        if e["why"]:
            line += f" {e['why']}"
        out.append(line)
    if res["unlabelled_matches"]:
        out += ["", f"Matches in papers without labels: {', '.join(res['unlabelled_matches'])}."]
    return "\n".join(out)


def run(shared: Path = DEFAULT_SHARED, *, unarxive: bool = True) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="uptake-fteval-") as tmp:
        t0 = time.perf_counter()
        db = build_store(Path(tmp), shared, unarxive=unarxive)
        res = evaluate(db)
        res["seconds"] = time.perf_counter() - t0
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the samples folder (default: %(default)s)")
    ap.add_argument("--no-unarxive", action="store_true", help="skip the 49 unArXive papers (no term in them)")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    args = ap.parse_args()
    res = run(args.shared, unarxive=not args.no_unarxive)
    if args.json:
        print(json.dumps(res, indent=1))
        return
    print(BEGIN)
    print(markdown(res))
    print(END)
    for e in res["errors"]:
        print(f"{e['paper']} {e['term']} {e['role']} {e['kind']} {e['cause']}: {e['sentence'][:300]}", file=sys.stderr)
    print(f"{res['seconds']:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
