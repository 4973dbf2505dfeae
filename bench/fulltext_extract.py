"""Full-text extraction: per-paper outcomes and rates for LaTeX e-prints (pylatexenc vs pandoc) and unarXive.

    python bench/fulltext_extract.py [EPRINT_DIR] [UNARXIVE_JSONL] [--repeat N] [--no-pandoc]

Defaults are the shared samples (``../shared/data/fulltext`` beside the repository). One process,
one core. For each e-print:

* **pylatexenc** (what uptake uses): :func:`uptake.sources.eprint.extract_eprint` end to end
  (decompress, main file, inputs, macros, conversion, bibliography).
* **pandoc**: the same preparation (main file, inputs, comments, verbatim, macros), then
  ``pandoc -f latex -t json`` on the prepared LaTeX (one subprocess per paper, 60 s timeout);
  sections = ``Header`` blocks, paragraphs = ``Para`` blocks, characters = text of ``Str``/
  ``Space`` (math counted as ``[formula]``), citations = ``Cite`` elements.

Prints Markdown tables (outcomes, comparison, rates) to stdout.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import resource
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from uptake.sources import latex as L
from uptake.sources.eprint import (
    extract_eprint,
    gunzip_bounded,
    paper_id_from_name,
    sniff,
)
from uptake.sources.unarxive import read_unarxive

SHARED = ROOT.parent / "shared" / "data" / "fulltext"


def eprint_files(data: bytes, pid: str) -> dict[str, bytes]:
    if data[:2] == b"\x1f\x8b":
        data = gunzip_bounded(data, 200_000_000)
    if sniff(data) == "tar":
        out = {}
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            for m in tar:
                if m.isfile() and m.name.lower().endswith((".tex", ".bbl", ".bib", ".ltx")):
                    f = tar.extractfile(m)
                    if f is not None:
                        out[m.name] = f.read()
        return out
    return {pid.replace("/", "_") + ".tex": data}


def prepared_latex(files: dict[str, bytes]) -> str | None:
    """The main file with inputs, comments, verbatim and simple macros resolved, as uptake prepares it."""
    limits = L.Limits()
    deadline = L.Deadline(limits.max_seconds)
    texts = {p: L.strip_comments(L.decode(d)) for p, d in files.items() if p.lower().endswith((".tex", ".ltx"))}
    main, _ = L.find_main(texts, {p for p in files if p.endswith(".bbl")})
    if main is None:
        return None
    full = L._Resolve(texts, limits, deadline).run(main)
    full = L.strip_verbatim(full)
    full, macros = L.collect_macros(full)
    full, _ = L.expand_macros(full, macros, limits, deadline)
    return full


def walk_pandoc(node: Any, acc: dict[str, int]) -> None:
    if isinstance(node, dict):
        t = node.get("t")
        if t == "Header":
            acc["sections"] += 1
        elif t == "Para":
            acc["paragraphs"] += 1
        elif t == "Str":
            acc["chars"] += len(node["c"])
            return
        elif t == "Space":
            acc["chars"] += 1
            return
        elif t == "Math":
            acc["chars"] += len("[formula]")
            return
        elif t == "Cite":
            acc["cites"] += 1
        for v in node.values():
            walk_pandoc(v, acc)
    elif isinstance(node, list):
        for v in node:
            walk_pandoc(v, acc)


def run_pandoc(latex: str) -> tuple[dict[str, int] | None, str]:
    try:
        out = subprocess.run(["pandoc", "-f", "latex", "-t", "json"], input=latex.encode(), capture_output=True,
                             timeout=60, check=False)
    except subprocess.TimeoutExpired:
        return None, "timeout (60 s)"
    if out.returncode != 0:
        lines = [x.strip() for x in out.stderr.decode(errors="replace").splitlines() if x.strip() and x.strip() != "^"]
        return None, " ".join(lines[:2])[:140].replace("|", "/")
    acc = {"sections": 0, "paragraphs": 0, "chars": 0, "cites": 0}
    walk_pandoc(json.loads(out.stdout)["blocks"], acc)
    return acc, ""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("eprints", nargs="?", default=str(SHARED / "arxiv-src"))
    ap.add_argument("unarxive", nargs="?", default=str(SHARED / "unarxive-sample" / "arXiv_src_2212_086.jsonl.gz"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-pandoc", action="store_true")
    args = ap.parse_args()

    paths = sorted(p for p in Path(args.eprints).iterdir() if paper_id_from_name(p.name))
    blobs = [(paper_id_from_name(p.name) or p.name, p.read_bytes()) for p in paths]

    # pylatexenc, end to end; best of N runs for the rate
    results = {}
    best = cpu_best = float("inf")
    for _ in range(args.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        for pid, data in blobs:
            results[pid] = extract_eprint(data, pid)
        best = min(best, time.perf_counter() - t0)
        cpu_best = min(cpu_best, time.process_time() - c0)
    print("## Per-paper outcomes (pylatexenc path)\n")
    print("| id | status | sections | paragraphs | bib entries | text chars | cited keys | reason |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    for pid, ft in results.items():
        cites = len({c for p in ft.body() for c in p.cites})
        print(f"| {pid} | {ft.status} | {len(ft.sections())} | {len(ft.body())} | {len(ft.bibliography)} | "
              f"{ft.text_chars():,} | {cites} | {'; '.join(ft.problems) or '–'} |")
    n = len(blobs)
    print(f"\npylatexenc end to end: {n} e-prints in {cpu_best:.2f} s CPU = **{n / cpu_best:.2f} e-prints/s per core** "
          f"({best:.2f} s wall; best of {args.repeat})\n")

    if not args.no_pandoc and shutil.which("pandoc"):
        prepared = {pid: prepared_latex(eprint_files(data, pid)) for pid, data in blobs}
        c0 = time.process_time()
        for _ in range(args.repeat):
            for pid, data in blobs:
                prepared_latex(eprint_files(data, pid))
        prep_s = (time.process_time() - c0) / args.repeat
        rows = {}
        ch0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        for pid, latex in prepared.items():
            rows[pid] = run_pandoc(latex) if latex is not None else (None, "no main file")
        wall = time.perf_counter() - t0
        ch1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        pandoc_s = (ch1.ru_utime - ch0.ru_utime) + (ch1.ru_stime - ch0.ru_stime)
        print("## pylatexenc vs pandoc on the same prepared LaTeX\n")
        print("| id | sections (pylatexenc / pandoc) | paragraphs | text chars | citations | pandoc failure |")
        print("|---|---|---|---|---|---|")
        fails = 0
        for pid, (acc, err) in rows.items():
            ft = results[pid]
            ncite = sum(len(p.cites) for p in ft.body())
            if acc is None:
                fails += 1
                print(f"| {pid} | {len(ft.sections())} / – | {len(ft.body())} / – | {ft.text_chars():,} / – | {ncite} / – | {err} |")
            else:
                print(f"| {pid} | {len(ft.sections())} / {acc['sections']} | {len(ft.body())} / {acc['paragraphs']} | "
                      f"{ft.text_chars():,} / {acc['chars']:,} | {ncite} / {acc['cites']} | – |")
        total = prep_s + pandoc_s
        print(f"\npandoc: {fails} of {n} failed; CPU: preparation {prep_s:.2f} s + pandoc {pandoc_s:.2f} s = "
              f"**{n / total:.2f} e-prints/s per core** ({wall:.2f} s wall for the pandoc runs)\n")

    # unarXive
    path = Path(args.unarxive)
    if path.exists():
        best = float("inf")
        count = 0
        for _ in range(args.repeat):
            t0 = time.process_time()
            count = sum(1 for _ in read_unarxive(path))
            best = min(best, time.process_time() - t0)
        with gzip.open(path) as f:
            size = len(f.read())
        print(f"unarXive: {count} papers ({size / 1e6:.1f} MB JSON) in {best:.2f} s = **{count / best:.0f} papers/s** "
              f"per core ({size / 1e6 / best:.1f} MB/s of JSON, CPU time, reading + building records, best of {args.repeat})")


if __name__ == "__main__":
    main()
