"""Peak memory of one first import at full size (issue 15: a 2.8 M import within 2 GB).

    python -m bench.import_rss generate --papers 2800000 --out DIR/kaggle-2.8M.jsonl.gz
    python -m bench.import_rss measure DIR/kaggle-2.8M.jsonl.gz --db DIR/store.duckdb [--nice 19] [--src OLD/src]
    python -m bench.import_rss read-json DIR/kaggle-2.8M.jsonl.gz --db DIR/read_json.duckdb [--nice 19]

``generate`` writes the synthetic corpus (:mod:`uptake.synthetic`, seed 0) in the shape of the Kaggle
``arxiv-metadata-oai-snapshot`` file (string categories and authors, ``versions`` with RFC 2822 dates,
``update_date``), so the import runs the Kaggle path a user's first import runs.

``measure`` runs ``uptake import FILE --db DB`` (store, artifact flags and term index) in a child process
under ``/usr/bin/time -v`` into an empty store and prints wall time, CPU time and peak RSS, with the load
average before and after. While it runs, the child's ``VmHWM`` (peak RSS so far) is written to ``DB.rss``
every 10 seconds, so a run stopped early still says how high it went. It also reports the store's size with
its free blocks (DuckDB never shrinks a file) and the term index's size. ``--src`` runs the uptake of another
tree (its ``src/`` folder), for a before/after pair.

``read-json`` is the floor the import is compared with (issue 15: within 3x): DuckDB's own ``read_json`` of the
same file into a table, every field as DuckDB detects it, under the same ``nice`` and ``/usr/bin/time``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from email.utils import format_datetime
from datetime import datetime, timezone
from pathlib import Path


def generate(papers: int, out: Path, seed: int = 0) -> int:
    import gzip

    import orjson

    from uptake.synthetic import SyntheticCorpus

    corpus = SyntheticCorpus(n_papers=papers, seed=seed)
    tmp = out.with_name(out.name + ".part")
    n = 0
    with gzip.open(tmp, "wb", compresslevel=1) as f:
        for p in corpus.papers():
            created = format_datetime(datetime(p.published.year, p.published.month, p.published.day, 12,
                                               tzinfo=timezone.utc), usegmt=True)
            f.write(orjson.dumps({
                "id": p.id, "submitter": p.authors[0] if p.authors else None, "authors": ", ".join(p.authors),
                "title": p.title, "comments": p.comments, "journal-ref": None, "doi": None, "report-no": None,
                "categories": " ".join(p.categories), "license": None, "abstract": p.abstract,
                "versions": [{"version": "v1", "created": created}], "update_date": p.updated.isoformat(),
                "authors_parsed": [[a, "", ""] for a in p.authors],
            }) + b"\n")
            n += 1
    tmp.replace(out)
    return n


def _vmhwm(pid: int) -> int | None:
    """Peak RSS so far of ``pid`` and its children that are still alive, in kB (the largest one)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    m = re.search(r"VmHWM:\s+(\d+)", text)
    return int(m.group(1)) if m else None


def _descendants(pid: int) -> list[int]:
    out: list[int] = []
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            kids = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            continue
        out.extend(int(k) for k in kids)
        todo.extend(int(k) for k in kids)
    return out


def _clear(db: Path) -> None:
    for p in (db, Path(str(db) + ".wal"), Path(str(db) + ".index")):
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()


def read_json(file: Path, db: Path, nice: int) -> dict:
    _clear(db)
    code = ("import duckdb, sys; con = duckdb.connect(sys.argv[1]); con.execute('SET enable_progress_bar = false'); "
            "con.execute(\"CREATE TABLE t AS SELECT * FROM read_json(?, format='newline_delimited')\", [sys.argv[2]]); "
            "print(con.execute('SELECT count(*) FROM t').fetchone()[0])")
    cmd = ["nice", "-n", str(nice), "/usr/bin/time", "-v", sys.executable, "-c", code, str(db), str(file)]
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    err = done.stderr
    out = {"returncode": done.returncode, "rows": done.stdout.strip(), "wall_s": round(wall, 1),
           "user_s": float(_field(err, "User time (seconds)") or 0), "sys_s": float(_field(err, "System time (seconds)") or 0),
           "max_rss_mb": round(int(_field(err, "Maximum resident set size (kbytes)") or 0) / 1024),
           "load_before": [round(x, 1) for x in load_before], "load_after": [round(x, 1) for x in os.getloadavg()],
           "stderr_tail": err[-2000:] if done.returncode else ""}
    _clear(db)
    return out


def _field(err: str, name: str) -> str:
    m = re.search(rf"{re.escape(name)}: (.+)", err)
    return m.group(1).strip() if m else ""


def _sizes(db: Path) -> dict:
    """The store file, its free blocks and the term index, in bytes."""
    import duckdb

    out: dict = {"store_bytes": db.stat().st_size}
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute("PRAGMA database_size").fetchone()
        assert row is not None
        _, _, block_size, _, _, free, *_ = row
    finally:
        con.close()
    out["store_free_bytes"] = int(block_size) * int(free)
    index = Path(str(db) + ".index")
    out["index_bytes"] = sum(f.stat().st_size for f in index.rglob("*") if f.is_file()) if index.is_dir() else 0
    return out


def measure(file: Path, db: Path, nice: int, src: Path | None = None) -> dict:
    _clear(db)
    uptake = [sys.executable, "-m", "uptake"]
    cmd = ["nice", "-n", str(nice), "/usr/bin/time", "-v", *uptake, "import", str(file), "--db", str(db), "-q",
           "--json"]
    env = {**os.environ, "PYTHONPATH": str(src.resolve())} if src is not None else None
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peaks: dict[int, int] = {}
    done = threading.Event()
    rss_file = Path(str(db) + ".rss")

    def watch() -> None:
        while not done.wait(10):
            for pid in _descendants(proc.pid):
                hwm = _vmhwm(pid)
                if hwm is not None:
                    peaks[pid] = max(peaks.get(pid, 0), hwm)
            rss_file.write_text(json.dumps({"elapsed_s": round(time.perf_counter() - t0), "vmhwm_kb": peaks,
                                            "load": os.getloadavg()}) + "\n")

    threading.Thread(target=watch, daemon=True).start()
    out, err = proc.communicate()
    done.set()
    wall = time.perf_counter() - t0
    load_after = os.getloadavg()

    def field(name: str) -> str:
        return _field(err, name)

    try:
        summary = json.loads(out[out.index("{"):])
    except ValueError:
        summary = out[-2000:]
    return {
        "returncode": proc.returncode, "wall_s": round(wall, 1),
        "user_s": float(field("User time (seconds)") or 0), "sys_s": float(field("System time (seconds)") or 0),
        "max_rss_mb": round(int(field("Maximum resident set size (kbytes)") or 0) / 1024),
        "watched_peaks_mb": {str(k): round(v / 1024) for k, v in peaks.items()},
        "load_before": [round(x, 1) for x in load_before], "load_after": [round(x, 1) for x in load_after],
        "store_mb": round(db.stat().st_size / 2**20) if db.exists() else None,
        **(_sizes(db) if db.exists() and proc.returncode == 0 else {}),
        "summary": summary, "stderr_tail": err[-2000:] if proc.returncode else "",
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.import_rss", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--papers", type=int, default=2_800_000)
    g.add_argument("--out", type=Path, required=True)
    m = sub.add_parser("measure")
    m.add_argument("file", type=Path)
    m.add_argument("--db", type=Path, required=True)
    m.add_argument("--nice", type=int, default=19)
    m.add_argument("--src", type=Path, default=None, help="the uptake src/ folder to run (default: the installed one)")
    r = sub.add_parser("read-json")
    r.add_argument("file", type=Path)
    r.add_argument("--db", type=Path, required=True)
    r.add_argument("--nice", type=int, default=19)
    a = ap.parse_args(argv)
    if a.cmd == "generate":
        t0 = time.perf_counter()
        n = generate(a.papers, a.out)
        print(json.dumps({"papers": n, "seconds": round(time.perf_counter() - t0, 1),
                          "mb": round(a.out.stat().st_size / 2**20)}))
    elif a.cmd == "read-json":
        print(json.dumps(read_json(a.file, a.db, a.nice), indent=1))
    else:
        print(json.dumps(measure(a.file, a.db, a.nice, a.src), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
