"""Peak memory of one first import at full size (issue 15: a 2.8 M import within 2 GB).

    python -m bench.import_rss generate --papers 2800000 --out DIR/kaggle-2.8M.jsonl.gz
    python -m bench.import_rss measure DIR/kaggle-2.8M.jsonl.gz --db DIR/store.duckdb [--nice 19]

``generate`` writes the synthetic corpus (:mod:`uptake.synthetic`, seed 0) in the shape of the Kaggle
``arxiv-metadata-oai-snapshot`` file (string categories and authors, ``versions`` with RFC 2822 dates,
``update_date``), so the import runs the Kaggle path a user's first import runs.

``measure`` runs ``uptake import FILE --db DB`` (store, artifact flags and term index) in a child process
under ``/usr/bin/time -v`` into an empty store and prints wall time, CPU time and peak RSS, with the load
average before and after. While it runs, the child's ``VmHWM`` (peak RSS so far) is written to ``DB.rss``
every 10 seconds, so a run stopped early still says how high it went.
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


def measure(file: Path, db: Path, nice: int) -> dict:
    for p in (db, Path(str(db) + ".wal"), Path(str(db) + ".index")):
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()
    uptake = [sys.executable, "-m", "uptake"]
    cmd = ["nice", "-n", str(nice), "/usr/bin/time", "-v", *uptake, "import", str(file), "--db", str(db), "-q",
           "--json"]
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
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
        m = re.search(rf"{re.escape(name)}: (.+)", err)
        return m.group(1).strip() if m else ""

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
    a = ap.parse_args(argv)
    if a.cmd == "generate":
        t0 = time.perf_counter()
        n = generate(a.papers, a.out)
        print(json.dumps({"papers": n, "seconds": round(time.perf_counter() - t0, 1),
                          "mb": round(a.out.stat().st_size / 2**20)}))
    else:
        print(json.dumps(measure(a.file, a.db, a.nice), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
