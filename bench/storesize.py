"""``python -m bench.storesize FILE... --work DIR``: where a first import spends its time and its bytes.

Measured on the same files, one after another, each step in its own process (so its peak RSS is its own):

- parse: reading and validating every record (the per-record Python path), nothing written;
- tokenise: :func:`uptake.ingest.derive` over every paper (token strings and openness flags), one process;
- import: ``uptake import`` of the files without the term index, then ``uptake index --rebuild``;
- baseline: DuckDB's own ``read_json`` of the same files into a table (the floor for "read the data once");
- sizes: the store file, the index folder, the raw title+abstract bytes, and each column of ``papers``
  written alone into a fresh DuckDB file (DuckDB's own compression; what that column costs on disk);
- round trip: ``uptake export`` of the store, then ``uptake import`` of the export into a new store (term index
  included); the import's CPU seconds (user + system) too, which a loaded machine inflates less than wall time.

``--from-store STORE`` measures only ``read_json`` and the round trip, exporting ``STORE`` (any uptake store of the
same files): with ``--src`` pointing at another tree, a before/after pair of the round trip on one store.

Prints a JSON object on the last line; ``--md`` also prints Markdown tables. Run it with ``nice -n 10`` and
read the load average it records: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
#: The uptake source tree measured (``--src``: e.g. an older commit's, for a before/after pair).
SRC = [HERE / "src"]


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(SRC[0]) + os.pathsep + str(HERE), **extra}


def run(cmd: list[str], **extra: str) -> tuple[float, str]:
    """(wall seconds, stdout) of ``cmd`` in a child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(**extra), text=True)
    out, err = proc.communicate()
    took = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(err)
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return took, out


def step(code: str, *args: str, **extra: str) -> tuple[float, float, str]:
    """Run ``code`` (Python, a function body reading ``sys.argv``) in a child; its wall time and peak RSS."""
    wrapper = (
        "import resource, sys, time, json\n"
        "t0 = time.perf_counter()\n"
        f"{code}\n"
        "took = time.perf_counter() - t0\n"
        "me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps({'s': took, 'rss': me.ru_maxrss / 1024, 'rss_children': kids.ru_maxrss / 1024, 'out': OUT, "
        "'cpu': me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime}))\n"
    )
    _, out = run([sys.executable, "-c", wrapper, *args], **extra)
    rec = json.loads(out.strip().splitlines()[-1])
    rec["out"]["cpu_s"] = rec["cpu"]
    return rec["s"], max(rec["rss"], rec["rss_children"]), rec["out"]


PARSE = """
from uptake.sources import read_records
from uptake.records import Rejection
n = bad = 0
for f in sys.argv[1:]:
    for _, item in read_records(f):
        if isinstance(item, Rejection): bad += 1
        else: n += 1
OUT = {'papers': n, 'rejected': bad}
"""

TOKENISE = """
from uptake.sources import read_records
from uptake.records import Rejection
from uptake.ingest import derive
papers = [item for f in sys.argv[1:] for _, item in read_records(f) if not isinstance(item, Rejection)]
t0 = time.perf_counter()
for i in range(0, len(papers), 5000):
    derive(papers[i:i + 5000])
OUT = {'derive_s': time.perf_counter() - t0, 'papers': len(papers)}
"""

IMPORT = """
import uptake
from uptake.store import Store
from uptake.ingest import import_files
with Store.open(sys.argv[1], write=True) as st:
    s = import_files(st, sys.argv[2:])
OUT = {'inserted': s.inserted, 'rejected': s.rejected}
"""

INDEX = """
from uptake.store import Store
from uptake import index as ix
with Store.open(sys.argv[1], write=True) as st:
    info = ix.rebuild(st)
OUT = {'papers': info.papers, 'bytes': info.size_bytes}
"""

READ_JSON = """
import duckdb
con = duckdb.connect(sys.argv[1])
files = sys.argv[2:]
con.execute("CREATE TABLE t AS SELECT * FROM read_json(?, format='newline_delimited', columns={"
            "'id': 'VARCHAR', 'title': 'VARCHAR', 'abstract': 'VARCHAR', 'categories': 'VARCHAR[]', "
            "'published': 'DATE', 'authors': 'VARCHAR[]', 'comments': 'VARCHAR', 'source': 'VARCHAR'})", [files])
n = con.execute("SELECT count(*) FROM t").fetchone()[0]
con.close()
OUT = {'rows': n}
"""

COLUMN_SIZES = """
import duckdb, os
src, tmp = sys.argv[1], sys.argv[2]
con = duckdb.connect(src, read_only=True)
cols = [r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'papers' "
                                  "ORDER BY ordinal_position").fetchall()]
types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'papers'").fetchall())
ddl = con.execute("SELECT sql FROM duckdb_tables() WHERE table_name = 'papers'").fetchone()[0]
zstd = {c for c in cols if f'{c} VARCHAR USING COMPRESSION ZSTD' in ddl}
raw = con.execute("SELECT sum(strlen(title) + strlen(abstract)) FROM papers WHERE NOT deleted").fetchone()[0]
logical = {c: con.execute(f'SELECT coalesce(sum(strlen("{c}"::VARCHAR)), 0) FROM papers').fetchone()[0] for c in cols}
con.close()
empty = None
sizes = {}
for c in [None, *cols]:
    path = os.path.join(tmp, 'col.duckdb')
    if os.path.exists(path): os.remove(path)
    out = duckdb.connect(path)
    out.execute(f"ATTACH '{src}' AS s (READ_ONLY)")
    if c is None:
        out.execute("CREATE TABLE t AS SELECT 1 AS one FROM s.papers")
    else:  # the column's own compression setting, so its size is what the store pays
        using = ' USING COMPRESSION zstd' if c in zstd else ''
        out.execute(f'CREATE TABLE t ("{c}" {types[c]}{using})')
        out.execute(f'INSERT INTO t SELECT "{c}" FROM s.papers')
    out.execute("DETACH s"); out.execute("CHECKPOINT"); out.close()
    size = os.path.getsize(path)
    if c is None: empty = size
    else: sizes[c] = size - empty
    os.remove(path)
OUT = {'raw_text': raw, 'columns': sizes, 'logical': logical, 'empty_file': empty}
"""


def dir_bytes(p: Path) -> int:
    return sum(f.stat().st_size for f in p.rglob("*") if f.is_file()) if p.exists() else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.storesize", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--work", type=Path, required=True, help="scratch folder (emptied first)")
    ap.add_argument("--skip", default="", help="comma-separated steps to skip: parse,tokenise,roundtrip,columns")
    ap.add_argument("--md", action="store_true")
    ap.add_argument("--src", type=Path, default=None, help="the uptake src/ folder to measure (default: this tree's)")
    ap.add_argument("--from-store", type=Path, default=None,
                    help="measure only read_json and the export -> import round trip of this existing store")
    a = ap.parse_args(argv)
    skip = set(filter(None, a.skip.split(",")))
    if a.src is not None:
        SRC[0] = a.src.resolve()
    if a.work.exists():
        shutil.rmtree(a.work)
    a.work.mkdir(parents=True)
    files = [str(f.resolve()) for f in a.files]
    res: dict = {"files": [Path(f).name for f in files], "input_bytes": sum(os.path.getsize(f) for f in files),
                 "load_before": os.getloadavg()}

    def note(key: str, value: object) -> None:
        res[key] = value
        print(f"[{key}] {value}", file=sys.stderr, flush=True)

    if a.from_store is not None:
        skip |= {"parse", "tokenise", "import", "columns"}
    if "parse" not in skip:
        s, rss, out = step(PARSE, *files)
        note("parse", {"s": s, "rss_mb": rss, **out})
    if "tokenise" not in skip:
        s, rss, out = step(TOKENISE, *files)
        note("tokenise", {"s": out["derive_s"], "rss_mb": rss, "papers": out["papers"]})
    db = a.work / "store.duckdb" if a.from_store is None else a.from_store.resolve()
    if "import" not in skip:
        s, rss, out = step(IMPORT, str(db), *files, UPTAKE_NO_INDEX="1")
        note("import_store", {"s": s, "rss_mb": rss, **out})
        s, rss, out = step(INDEX, str(db))
        note("index", {"s": s, "rss_mb": rss, **out})
    s, rss, out = step(READ_JSON, str(a.work / "read_json.duckdb"), *files)
    note("duckdb_read_json", {"s": s, "rss_mb": rss, **out,
                              "file_bytes": os.path.getsize(a.work / "read_json.duckdb")})
    note("store_bytes", os.path.getsize(db))
    note("index_bytes", dir_bytes(Path(str(db) + ".index")))
    if "columns" not in skip:
        s, rss, out = step(COLUMN_SIZES, str(db), str(a.work))
        note("columns", out)
        res["raw_text"] = out["raw_text"]
    if "roundtrip" not in skip:
        exp = a.work / "export"
        s_exp, _ = run([sys.executable, "-m", "uptake", "export", "--db", str(db), "--out", str(exp)])
        s, rss, out = step(IMPORT, str(a.work / "again.duckdb"), str(exp))
        note("roundtrip", {"export_s": s_exp, "import_s": s, "total_s": s_exp + s, "import_rss_mb": rss,
                           "read_json_ratio": (s_exp + s) / res["duckdb_read_json"]["s"], **out})
    res["load_after"] = os.getloadavg()
    if a.md:
        print(markdown(res))
    print(json.dumps(res))
    return 0


def markdown(r: dict) -> str:
    lines = ["| step | seconds | peak RSS |", "|---|---|---|"]
    for key in ("parse", "tokenise", "import_store", "index", "duckdb_read_json"):
        if key in r:
            lines.append(f"| {key} | {r[key]['s']:.1f} | {r[key]['rss_mb']:,.0f} MB |")
    if "roundtrip" in r:
        rt = r["roundtrip"]
        lines.append(f"| export | {rt['export_s']:.1f} | |")
        lines.append(f"| import of the export, index included ({rt['cpu_s']:.1f} CPU-s) | {rt['import_s']:.1f} | "
                     f"{rt['import_rss_mb']:,.0f} MB |")
        lines.append(f"| round trip (export + import) | {rt['total_s']:.1f} ({rt['read_json_ratio']:.2f} × read_json) | |")
    lines.append(f"\nload average before / after: {r['load_before'][0]:.1f} / {r['load_after'][0]:.1f}")
    if "columns" in r:
        raw = r["columns"]["raw_text"]
        total = r["store_bytes"] + r["index_bytes"]
        lines += ["", f"raw title+abstract {raw / 1e6:,.1f} MB; store {r['store_bytes'] / 1e6:,.1f} MB; "
                      f"index {r['index_bytes'] / 1e6:,.1f} MB; (store+index)/raw = {total / raw:.2f}×", "",
                  "| column | alone on disk | text bytes |", "|---|---|---|"]
        cols = sorted(r["columns"]["columns"].items(), key=lambda kv: -kv[1])
        for c, b in cols:
            lines.append(f"| {c} | {b / 1e6:,.1f} MB | {r['columns']['logical'][c] / 1e6:,.1f} MB |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
