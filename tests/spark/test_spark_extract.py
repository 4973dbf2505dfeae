"""``uptake spark extract`` + ``uptake fulltext import`` store exactly what ``uptake fulltext extract`` (and
``fulltext import`` of unarXive JSONL) store; runs commit whole, resume skips what is done, a bad paper is a
failed row, and a Python worker killed mid-job leaves the same output."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from .conftest import CONF_ARGS, EPRINTS, MASTER, SMALL_EPRINTS, UNARXIVE, require_shared

from uptake.cli import main
from uptake.fulltext import read_structured
from uptake.sources.eprint import iter_bulk_tar
from uptake.sources.fulltext_parquet import read_parquet_fulltexts
from uptake.spark.extract import KILL_ONCE_ENV
from uptake.store import Store

pytestmark = pytest.mark.slow  # a JVM starts: tests/spark/conftest.py skips them without Java or pyspark

SPARK = ["--master", MASTER, *CONF_ARGS]


def _hashes(db: Path) -> dict[str, str]:
    with Store.open(db) as store:
        return store.fulltext_hashes()


def _small(tmp: Path) -> Path:
    d = tmp / "eprints"
    d.mkdir()
    for name in SMALL_EPRINTS:
        shutil.copy(EPRINTS / name, d / name)  # a temporary copy, outside the repository
    return d


def _rows(out: Path) -> list[Any]:
    """Every row written, without where it came from, sorted: what an uninterrupted run must equal."""
    rows = []
    for f in sorted(out.glob("run=*/period=*/*.parquet")):
        for r in pq.read_table(f, partitioning=None).to_pylist():
            r.pop("input")
            rows.append(repr(sorted(r.items())))
    return sorted(rows)


def test_eprints_spark_then_import_equals_local_extract(tmp_path: Path, spark: Any) -> None:
    require_shared()
    src = _small(tmp_path)
    out = tmp_path / "out"
    assert main(["spark", "extract", "--input", str(src), "--output", str(out), *SPARK]) == 0
    runs = list(out.glob("run=*"))
    commits = list((out / "_commits").glob("run=*.json"))
    assert len(runs) == 1 and [c.stem for c in commits] == [runs[0].name]
    assert {p.name for p in runs[0].glob("period=*")} == {"period=2001-04", "period=2025-07", "period=2026-05"}
    manifest = json.loads(commits[0].read_text())
    assert sorted(f["path"] for f in manifest["files"]) == sorted(
        str(f.relative_to(out)) for f in runs[0].glob("period=*/*.parquet"))  # exactly the files there
    assert sum(f["rows"] for f in manifest["files"]) == 3 and len(manifest["inputs"]) == 3
    assert main(["fulltext", "import", str(out), "--db", str(tmp_path / "a.duckdb"), "-q"]) == 0
    assert main(["fulltext", "extract", str(src), "--db", str(tmp_path / "b.duckdb"), "-q"]) == 0
    a, b = _hashes(tmp_path / "a.duckdb"), _hashes(tmp_path / "b.duckdb")
    assert len(a) == 3 and a == b
    # the Parquet reader gives back the very records
    from uptake.fulltext import read_eprints

    assert sorted(read_parquet_fulltexts([out]), key=lambda t: t.id) == sorted(read_eprints([src]),
                                                                               key=lambda t: t.id)

    # resume: nothing left to do; a new input is extracted alone, in a run of its own
    assert main(["spark", "extract", "--input", str(src), "--output", str(out), "--resume", *SPARK]) == 0
    assert len(list(out.glob("run=*"))) == 1
    bad = tmp_path / "more"
    bad.mkdir()
    (bad / "2401.00001.gz").write_bytes(b"\x1f\x8b this is no gzip")
    (bad / "2401.00002.pdf").write_bytes(b"")
    assert main(["spark", "extract", "--input", str(src), str(bad / "*"), "--output", str(out), "--resume",
                 *SPARK]) == 1  # exit 1: some paper failed; the job did not
    assert len(list(out.glob("run=*"))) == 2
    new = [t for t in read_parquet_fulltexts([out]) if t.id.startswith("2401.")]
    assert sorted((t.id, t.status) for t in new) == [("2401.00001", "failed"), ("2401.00002", "failed")]
    assert all(t.problems for t in new)

    # run again without --resume: the new run replaces both earlier runs at its commit, and they are cleaned up
    assert main(["spark", "extract", "--input", str(src), "--output", str(out), *SPARK]) == 0
    assert len(list(out.glob("run=*"))) == 1 and len(list((out / "_commits").glob("run=*.json"))) == 1
    assert sorted(read_parquet_fulltexts([out]), key=lambda t: t.id) == sorted(read_eprints([src]),
                                                                               key=lambda t: t.id)


def test_unarxive_spark_then_import_equals_import(tmp_path: Path, spark: Any) -> None:
    require_shared()
    out = tmp_path / "out"
    assert main(["spark", "extract", "--format", "unarxive", "--input", str(UNARXIVE), "--output", str(out),
                 *SPARK]) == 0
    assert main(["fulltext", "import", str(out), "--db", str(tmp_path / "a.duckdb"), "-q"]) == 0
    assert main(["fulltext", "import", str(UNARXIVE), "--db", str(tmp_path / "b.duckdb"), "-q"]) == 0
    a, b = _hashes(tmp_path / "a.duckdb"), _hashes(tmp_path / "b.duckdb")
    assert len(a) == 49 and a == b
    # one Parquet file given by name is recognised by its content too
    one = next(out.glob("run=*/period=*/*.parquet"))
    assert list(read_structured([one]))


def test_bulk_tarball(tmp_path: Path, spark: Any) -> None:
    require_shared()
    bulk = tmp_path / "arXiv_src_2507_001.tar"
    with tarfile.open(bulk, "w") as tar:
        for name, member in (("2507.02757.tar.gz", "2507/2507.02757.gz"), ("2605.12850.tar.gz", "2507/2605.12850.gz")):
            data = (EPRINTS / name).read_bytes()
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        info = tarfile.TarInfo("2507/2507.99999.gz")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"junk!"))
    out = tmp_path / "out"
    assert main(["spark", "extract", "--input", str(bulk), "--output", str(out), *SPARK]) == 1
    got = sorted(read_parquet_fulltexts([out]), key=lambda t: t.id)
    assert got == sorted(iter_bulk_tar(bulk), key=lambda t: t.id)
    assert [t.status for t in got] == ["ok", "failed", "ok"]


def test_killed_worker_leaves_the_same_output(tmp_path: Path, spark: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    require_shared()
    src = _small(tmp_path)
    clean, killed = tmp_path / "clean", tmp_path / "killed"
    assert main(["spark", "extract", "--input", str(src), "--output", str(clean), *SPARK]) == 0
    flag = tmp_path / "killed-once"
    monkeypatch.setenv(KILL_ONCE_ENV, str(flag))
    assert main(["spark", "extract", "--input", str(src), "--output", str(killed), *SPARK]) == 0
    assert flag.exists() and flag.read_text().isdigit()  # a worker did die (its pid), and the task was retried
    assert _rows(killed) == _rows(clean)
    # the dead attempt had written its files: they are not committed, and were deleted after the commit
    run = next(killed.glob("run=*"))
    listed = {f["path"] for f in json.loads((killed / "_commits" / f"{run.name}.json").read_text())["files"]}
    assert {str(f.relative_to(killed)) for f in run.glob("period=*/*.parquet")} == listed
