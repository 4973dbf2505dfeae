"""Full-text benchmark: import rate, index build time and size, query latency and peak RSS, on synthetic
arXiv-like full texts (:class:`uptake.synthetic.SyntheticFullTexts`), plus the real samples' import rates.

    python bench/fulltext_index.py --papers 5000 20000 [--workdir DIR] [--import-papers 300] [--no-real]
    python bench/fulltext_index.py --papers 2000 20000 --compare OLD/src [--rounds 2]   # old code vs this one

Each phase runs in its own process, so its peak RSS (``resource.getrusage``) is its own:

* ``generate``: the synthetic papers as unArXive JSON Lines (not timed as uptake work).
* ``import``: the first ``--import-papers`` of them through ``Corpus.import_fulltexts`` (what ``uptake
  fulltext import`` runs: parse, roles, store, index) into a fresh store: papers/s, wall and CPU.
* ``build``: all papers parsed by the same reader (``fulltext_from_json``) and written to the store's tables
  in bulk (DuckDB from column lists: the store's own row-by-row insert is too slow for this size, see
  docs/benchmarks.md), then the full-text index built from the store by ``uptake.index.fulltext.rebuild``:
  build seconds, index bytes against the raw text bytes.
* ``index``: only the index build, from the store a ``build`` left (``--compare`` alternates it between two
  versions of the code, each followed by its ``query``).
* ``query``: a new process opens the corpus and times ``trend(..., text="full")`` for one term, one
  ``in:method`` term and ten series (one warm-up, then the median of ``--repeat``), and checks every count
  against the generator's truth.
* ``real``: ``uptake fulltext extract`` of the 17 real e-prints and ``uptake fulltext import`` of the 49
  unArXive papers into fresh stores (CPU seconds of the process and wall).

Prints one JSON object per phase and a Markdown table at the end.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, os.environ.get("UPTAKE_BENCH_SRC") or str(ROOT / "src"))  # --compare: the old code's src/

SINGLE = "GRPO"
METHOD = "GRPO in:method"
TEN = ("GRPO, PPO, DPO, LoRA, GRPO in:method, PPO in:use, DPO in:experiments, LoRA in:appendix, "
       "GRPO in:references, DPO in:related")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def phase_generate(n: int, work: Path) -> dict[str, Any]:
    from uptake.synthetic import SyntheticFullTexts, write_fulltexts_jsonl

    texts = SyntheticFullTexts(n_papers=n)
    path = work / f"ft-{n}.jsonl.gz"
    t0 = time.perf_counter()
    write_fulltexts_jsonl(texts, str(path))
    truth = {f"{t}|{r}": v for (t, r), v in texts.truth.items()}
    (work / f"ft-{n}.truth.json").write_text(json.dumps({"truth": truth, "text_bytes": texts.text_bytes}))
    return {"phase": "generate", "papers": n, "seconds": time.perf_counter() - t0, "text_bytes": texts.text_bytes,
            "jsonl_gz_bytes": path.stat().st_size}


def phase_import(n: int, work: Path, m: int) -> dict[str, Any]:
    from uptake import Corpus

    src = work / f"ft-{n}.jsonl.gz"
    part = work / f"ft-{n}-first{m}.jsonl.gz"
    with gzip.open(src, "rb") as f, gzip.open(part, "wb", compresslevel=1) as g:
        for i, line in enumerate(f):
            if i >= m:
                break
            g.write(line)
    db = work / f"imp-{n}-{m}.duckdb"
    t0, c0 = time.perf_counter(), _cpu()
    summary = Corpus(str(db)).import_fulltexts([part])
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    return {"phase": "import", "papers": summary.inserted, "wall": wall, "cpu": cpu,
            "papers_per_s_wall": summary.inserted / wall, "papers_per_cpu_s": summary.inserted / cpu,
            "rss_mb": _rss_mb()}


def _bulk_insert(store: Any, texts: list[Any], start_fdoc: int) -> None:
    from uptake.fulltext import content_hash, month_for

    ft_cols: dict[str, list[Any]] = {k: [] for k in ("fdoc", "id", "month", "published", "cat_str", "title",
                                                        "source_kind", "extractor", "status", "problems", "source",
                                                        "content_hash", "n_paragraphs", "n_chars")}
    par: dict[str, list[Any]] = {k: [] for k in ("fdoc", "seq", "role", "section", "text", "cites")}
    bib: dict[str, list[Any]] = {k: [] for k in ("fdoc", "key", "text")}
    for i, ft in enumerate(texts):
        fdoc = start_fdoc + i
        for k, v in (("fdoc", fdoc), ("id", ft.id), ("month", month_for(ft)), ("published", ft.published),
                     ("cat_str", " " + " ".join(ft.categories) + " "), ("title", ft.title),
                     ("source_kind", ft.source_kind), ("extractor", ft.extractor), ("status", ft.status),
                     ("problems", list(ft.problems)), ("source", ft.source), ("content_hash", content_hash(ft)),
                     ("n_paragraphs", len(ft.paragraphs)), ("n_chars", ft.text_chars())):
            ft_cols[k].append(v)
        for j, p in enumerate(ft.paragraphs):
            for k, v in (("fdoc", fdoc), ("seq", j), ("role", p.role), ("section", p.section), ("text", p.text),
                         ("cites", list(p.cites))):
                par[k].append(v)
        for b in ft.bibliography:
            for k, v in (("fdoc", fdoc), ("key", b.key), ("text", b.text)):
                bib[k].append(v)
    import pyarrow as pa

    con = store._con
    for table, cols in (("fulltexts", ft_cols), ("paragraphs", par), ("bib_entries", bib)):
        arrow = pa.table(cols)  # noqa: F841 (read by DuckDB by name)
        con.execute(f"INSERT INTO {table} SELECT * FROM arrow")


def phase_build(n: int, work: Path, *, index: bool = True) -> dict[str, Any]:
    from uptake.index.fulltext import rebuild
    from uptake.sources.unarxive import read_unarxive
    from uptake.store import Store

    db = work / f"ft-{n}.duckdb"
    t0 = time.perf_counter()
    batch: list[Any] = []
    fdoc = 1
    with Store.open(db, write=True) as store:
        for _, item in read_unarxive(work / f"ft-{n}.jsonl.gz"):
            batch.append(item)
            if len(batch) >= 1000:
                store.begin()
                _bulk_insert(store, batch, fdoc)
                store.commit()
                fdoc += len(batch)
                batch = []
        if batch:
            store.begin()
            _bulk_insert(store, batch, fdoc)
            store.commit()
        stored = time.perf_counter() - t0
        rss_store = _rss_mb()
        if not index:  # the index is built by a later ``index`` phase (on a quiet machine)
            return {"phase": "build", "papers": fdoc - 1 + len(batch), "parse_and_store_s": stored,
                    "store_bytes": db.stat().st_size, "rss_store_mb": rss_store}
        t1, c1 = time.perf_counter(), _cpu()
        info = rebuild(store)
        build, build_cpu = time.perf_counter() - t1, _cpu() - c1
    meta = json.loads((work / f"ft-{n}.truth.json").read_text())
    return {"phase": "build", "papers": info.papers, "parse_and_store_s": stored, "build_s": build,
            "build_cpu_s": build_cpu, "index_bytes": info.size_bytes, "text_bytes": meta["text_bytes"],
            "ratio": info.size_bytes / meta["text_bytes"], "store_bytes": db.stat().st_size, "rss_mb": _rss_mb(),
            "rss_store_mb": rss_store, "threads": os.cpu_count()}


def phase_index(n: int, work: Path) -> dict[str, Any]:
    """Only the index build, from the store a ``build`` phase left (the code on PYTHONPATH builds it)."""
    from uptake.index.fulltext import FORMAT, rebuild
    from uptake.store import Store

    db = work / f"ft-{n}.duckdb"
    load0 = os.getloadavg()[0]
    with Store.open(db, write=True) as store:
        t1, c1 = time.perf_counter(), _cpu()
        info = rebuild(store)
        build, build_cpu = time.perf_counter() - t1, _cpu() - c1
    meta = json.loads((work / f"ft-{n}.truth.json").read_text())
    return {"phase": "index", "papers": info.papers, "format": FORMAT, "build_s": build, "build_cpu_s": build_cpu,
            "index_bytes": info.size_bytes, "ratio": info.size_bytes / meta["text_bytes"], "rss_mb": _rss_mb(),
            "load": [round(load0, 1), round(os.getloadavg()[0], 1)]}


def phase_query(n: int, work: Path, repeat: int) -> dict[str, Any]:
    from uptake import Corpus

    corpus = Corpus(str(work / f"ft-{n}.duckdb"))
    truth = json.loads((work / f"ft-{n}.truth.json").read_text())["truth"]
    out: dict[str, Any] = {"phase": "query", "papers": n}
    for name, q in (("single", SINGLE), ("in_method", METHOD), ("ten", TEN)):
        corpus.trend(q, text="full", measure="count")  # warm-up: opens the index, fills caches
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            t = corpus.trend(q, text="full", measure="count")
            times.append(time.perf_counter() - t0)
        out[f"{name}_ms"] = statistics.median(times) * 1000
        out[f"{name}_ms_min"] = min(times) * 1000
        for s in t.series:  # every count equals what the generator planted
            term, _, role = s.label.partition(" in:")
            want = truth[f"{term}|{role or 'any'}"]
            got = sum(p.count for p in s.points)
            if got != want:
                out.setdefault("mismatch", []).append(f"{s.label}: {got} != {want}")
    out["rss_mb"] = _rss_mb()
    out["load"] = round(os.getloadavg()[0], 1)
    return out


def phase_real(shared: Path, work: Path) -> dict[str, Any]:
    from uptake import Corpus

    out: dict[str, Any] = {"phase": "real"}
    for kind, paths, n in (("eprints", [shared / "arxiv-src"], 17),
                           ("structured", sorted((shared / "unarxive-sample").glob("*.jsonl.gz")), 49)):
        db = work / f"real-{kind}.duckdb"
        for old in (db, Path(str(db) + ".wal"), Path(str(db) + ".fulltext")):
            if old.is_dir():
                import shutil

                shutil.rmtree(old)
            elif old.exists():
                old.unlink()
        t0, c0 = time.perf_counter(), _cpu()
        s = Corpus(str(db)).import_fulltexts(paths, kind=kind)
        wall, cpu = time.perf_counter() - t0, _cpu() - c0
        assert s.inserted == n, s.as_dict()
        out[kind] = {"papers": n, "wall": wall, "cpu": cpu, "papers_per_cpu_s": n / cpu}
    out["rss_mb"] = _rss_mb()
    return out


def run_phase(*args: str, src: Path = ROOT / "src", label: str = "") -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(src), "UPTAKE_BENCH_SRC": str(src)}
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, __file__, "--phase", *args], capture_output=True, text=True, env=env,
                       check=False)
    if p.returncode != 0:
        sys.stderr.write(p.stderr)
        raise SystemExit(f"phase {args} failed")
    res = json.loads(p.stdout.strip().splitlines()[-1])
    if label:
        res["code"] = label
    print(json.dumps(res), flush=True)
    print(f"  [{args[0]} {args[1] if len(args) > 1 else ''}: {time.perf_counter() - t0:.0f} s]", file=sys.stderr,
          flush=True)
    return res


def table(rows: dict[int, dict[str, dict[str, Any]]]) -> str:
    ns = sorted(rows)
    head = "| | " + " | ".join(f"{n:,} papers" for n in ns) + " | target (issue 12) |"
    lines = [head, "|---|" + "---:|" * len(ns) + "---|"]

    def row(name: str, fmt: Any, target: str) -> None:
        lines.append(f"| {name} | " + " | ".join(fmt(rows[n]) for n in ns) + f" | {target} |")

    row("raw text (abstract + body + bibliography)", lambda r: f"{r['build']['text_bytes'] / 1e6:,.0f} MB", "")
    row("import, whole path (`fulltext import`), papers/s wall · per CPU-s",
        lambda r: f"{r['import']['papers_per_s_wall']:.1f} · {r['import']['papers_per_cpu_s']:.1f}", "")
    row("index build (from the store), wall", lambda r: f"{r['build']['build_s']:,.0f} s", "≤ 10 min at 200k, 2 cores")
    row("index size / raw text", lambda r: f"{r['build']['index_bytes'] / 1e6:,.0f} MB / {r['build']['ratio']:.2f}",
        "≤ 0.8 ×")
    row(f"single term (`{SINGLE}`), median", lambda r: f"{r['query']['single_ms']:.0f} ms", "≤ 50 ms")
    row(f"`{METHOD}`, median", lambda r: f"{r['query']['in_method_ms']:.0f} ms", "≤ 80 ms")
    row("ten series, median", lambda r: f"{r['query']['ten_ms']:.0f} ms", "≤ 300 ms")
    row("peak RSS: query process", lambda r: f"{r['query']['rss_mb']:,.0f} MB", "≤ 1.5 GB")
    row("peak RSS: build process", lambda r: f"{r['build']['rss_mb']:,.0f} MB", "")
    row("counts equal the planted truth", lambda r: "yes" if "mismatch" not in r["query"] else "NO", "")
    return "\n".join(lines)


def compare(old_src: Path, ns: list[int], rounds: int, repeat: int, wd: list[str]) -> None:
    """Index builds and queries of two versions of the code on the same stores, alternated (old, new, old,
    new, ...), so both see the same load; then one Markdown table."""
    rows: list[tuple[int, str, dict[str, Any], dict[str, Any]]] = []
    for n in ns:
        for _ in range(rounds):
            for label, src in (("old", old_src), ("new", ROOT / "src")):
                built = run_phase("index", str(n), *wd, src=src, label=label)
                asked = run_phase("query", str(n), str(repeat), *wd, src=src, label=label)
                rows.append((n, label, built, asked))
    print("| papers | code (format) | build CPU-s · wall s | load (1-min, start→end) | index MB · ratio "
          "| one term / `in:method` / ten series, median ms | counts = truth |")
    print("|---:|---|---:|---|---:|---:|---|")
    for n, label, b, q in rows:
        print(f"| {n:,} | {label} ({b['format']}) | {b['build_cpu_s']:.1f} · {b['build_s']:.0f} "
              f"| {b['load'][0]}→{b['load'][1]} | {b['index_bytes'] / 1e6:,.1f} · {b['ratio']:.2f} "
              f"| {q['single_ms']:.0f} / {q['in_method_ms']:.0f} / {q['ten_ms']:.0f} "
              f"| {'yes' if 'mismatch' not in q else 'NO'} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--papers", type=int, nargs="+", default=[5000, 20000])
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/uptake-ftbench"))
    ap.add_argument("--import-papers", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data" / "fulltext")
    ap.add_argument("--no-real", action="store_true")
    ap.add_argument("--compare", type=Path, metavar="OLD_SRC",
                    help="only index builds and queries, alternated between the src/ directory OLD_SRC and this "
                         "checkout's, on the stores an earlier run left in --workdir (built first when missing)")
    ap.add_argument("--rounds", type=int, default=1, help="with --compare: old/new pairs per size")
    ap.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:
        name, *rest = args.phase
        work = args.workdir
        if name == "real":
            res = phase_real(Path(rest[0]), work)
        else:
            n = int(rest[0])
            res = {"generate": lambda: phase_generate(n, work), "import": lambda: phase_import(n, work, int(rest[1])),
                   "build": lambda: phase_build(n, work, index=rest[1:] != ["store-only"]), "index": lambda: phase_index(n, work),
                   "query": lambda: phase_query(n, work, int(rest[1]))}[name]()
        print(json.dumps(res))
        return
    args.workdir.mkdir(parents=True, exist_ok=True)
    wd = ["--workdir", str(args.workdir)]
    if args.compare:
        for n in args.papers:
            if not (args.workdir / f"ft-{n}.duckdb").exists():
                run_phase("generate", str(n), *wd)
                run_phase("build", str(n), *wd)
        compare(args.compare, args.papers, args.rounds, args.repeat, wd)
        return
    rows: dict[int, dict[str, dict[str, Any]]] = {}
    if not args.no_real and args.shared.is_dir():
        run_phase("real", str(args.shared), *wd)
    for n in args.papers:
        for f in args.workdir.glob(f"*-{n}*"):
            if f.is_dir():
                import shutil

                shutil.rmtree(f)
            else:
                f.unlink()
        r = rows.setdefault(n, {})
        r["generate"] = run_phase("generate", str(n), *wd)
        r["import"] = run_phase("import", str(n), str(min(n, args.import_papers)), *wd)
        r["build"] = run_phase("build", str(n), *wd)
        r["query"] = run_phase("query", str(n), str(args.repeat), *wd)
    print(table(rows))


if __name__ == "__main__":
    main()
