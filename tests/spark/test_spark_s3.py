"""The issue's cluster commands against an S3 server on 127.0.0.1 (moto): ``spark extract`` from ``s3a://`` globs
to ``s3://`` gives the rows of a local run; ``spark trend`` over it equals ``uptake trend --text full``;
``spark counts`` to S3 → ``import-counts s3://…`` → ``trend`` equals the store; ``fulltext import s3://…`` stores the
same papers; a driver dying before the commit leaves nothing visible, and ``--resume`` redoes those inputs."""

from __future__ import annotations

import json

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from cloud import bulk_tars, option_args, s3_server

from .conftest import CONF_ARGS, MASTER

from uptake.cli import main
from uptake.errors import NoCorpusError
from uptake.sources import fsio
from uptake.sources.fulltext_parquet import output_files, parquet_files, read_parquet_fulltexts
from uptake.store import Store

pytestmark = pytest.mark.slow  # a JVM starts: tests/spark/conftest.py skips them without Java or pyspark

SPARK = ["--master", MASTER, *CONF_ARGS]
BUCKET = "uptake-test"


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, Any], list[Path]]]:
    with s3_server() as opts:
        tars = bulk_tars(tmp_path_factory.mktemp("s3src"))
        fs, _ = fsio.filesystem(f"s3://{BUCKET}", opts)
        fs.mkdir(BUCKET)
        for t in tars:
            fs.put_file(str(t), f"{BUCKET}/src/{t.name}")
        yield opts, tars


def _rows(fs: Any, root: str) -> list[str]:
    """Every committed row, without the input it came from (a path here, a URL there), sorted."""
    rows = []
    for _run, f in output_files(fs, root):
        with fs.open(f, "rb") as stream:
            for r in pq.read_table(stream).to_pylist():
                r.pop("input")
                rows.append(repr(sorted(r.items())))
    return sorted(rows)


def test_s3_extract_trend_counts_import(s3: tuple[dict[str, Any], list[Path]], tmp_path: Path, spark: Any) -> None:
    opts, tars = s3
    so = option_args(opts)
    out = f"s3://{BUCKET}/out/"
    assert main(["spark", "extract", "--input", f"s3a://{BUCKET}/src/*.tar", "--output", out, *so, *SPARK]) == 1
    local = tmp_path / "local"
    assert main(["spark", "extract", "--input", *map(str, tars), "--output", str(local), *SPARK]) == 1
    fs, root = fsio.filesystem(out, opts)
    assert _rows(fs, root) == _rows(*fsio.filesystem(local)) and len(_rows(fs, root)) == 12
    inputs = {r["input"] for _fs, f, _r in parquet_files([out], opts) for r in pq.read_table(fs.open(f)).to_pylist()}
    assert inputs == {f"s3://{BUCKET}/src/{t.name}" for t in tars}  # s3a:// is spelled s3://

    # the same papers as `uptake fulltext extract` of the tarballs
    db = tmp_path / "store.duckdb"
    assert main(["fulltext", "extract", *map(str, tars), "--db", str(db), "-q"]) == 1
    assert main(["fulltext", "import", out, "--db", str(tmp_path / "a.duckdb"), "-q", *so]) == 1
    with Store.open(db) as a, Store.open(tmp_path / "a.duckdb") as b:
        assert a.fulltext_hashes() == b.fulltext_hashes() and len(a.fulltext_hashes()) == 12

    # spark trend over the bucket = uptake trend --text full on the store
    for query, extra in (("GRPO, PPO, LoRA in:use", []), ('"policy optimization" in:method, reward', ["--by", "year"])):
        a, b = tmp_path / "a.json", tmp_path / "b.json"
        assert main(["spark", "trend", query, "--input", out, "-f", "json", "-o", str(a), *extra, *so, *SPARK]) == 0
        assert main(["trend", query, "--text", "full", "--db", str(db), "-f", "json", "-o", str(b), *extra]) == 0
        assert a.read_text() == b.read_text(), query

    # spark counts → s3 → import-counts s3://… → trend equals the store
    counts = f"s3://{BUCKET}/counts/"
    assert main(["spark", "counts", "--input", out, "--output", counts, "--max-n", "1", *so, *SPARK]) == 0
    first = {f for f in fs.find(f"{BUCKET}/counts/") if f.endswith(".parquet")}
    # running again replaces the counts on the object store: new files, then the new _metadata.json, then the old go
    assert main(["spark", "counts", "--input", out, "--output", counts, "--max-n", "2", *so, *SPARK]) == 0
    meta = json.loads(fs.cat(f"{BUCKET}/counts/_metadata.json"))
    assert meta["max_n"] == 2
    listed = {f"{BUCKET}/counts/{f['path']}" for group in meta["files"].values() for f in group}
    assert {f for f in fs.find(f"{BUCKET}/counts/") if f.endswith(".parquet")} == listed
    assert not listed & first
    cdb = tmp_path / "counts-corpus"
    assert main(["import-counts", counts, "--db", str(cdb), *so]) == 0
    for query in ("GRPO, PPO, LoRA in:use", '"policy optimization" in:method'):
        a, b = tmp_path / "a.json", tmp_path / "b.json"
        assert main(["trend", query, "--text", "full", "--db", str(cdb), "-f", "json", "-o", str(a)]) == 0
        assert main(["trend", query, "--text", "full", "--db", str(db), "-f", "json", "-o", str(b)]) == 0
        assert a.read_text() == b.read_text(), query


def test_crash_before_commit_is_invisible_and_resume_redoes(s3: tuple[dict[str, Any], list[Path]], tmp_path: Path,
                                                            spark: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import uptake.spark.extract as ex
    from uptake.spark.trend import spark_trend

    opts, tars = s3
    out = f"s3://{BUCKET}/crash/"
    fs, root = fsio.filesystem(out, opts)

    def die(*_a: Any, **_k: Any) -> None:
        raise KeyboardInterrupt("the driver died before its commit")

    monkeypatch.setattr(ex, "write_commit", die)
    with pytest.raises(KeyboardInterrupt):
        ex.run_extract([f"s3a://{BUCKET}/src/*.tar"], out, spark=spark, storage_options=opts)
    monkeypatch.undo()
    written = [f for f in fsio.fresh(fs).find(root) if "/run=" in f]
    assert len(written) == 2  # every task wrote its data file …
    assert output_files(fs, root) == [] and not list(fs.find(f"{root}/_commits") if fs.exists(f"{root}/_commits")
                                                      else [])  # … but nothing is committed
    with pytest.raises(NoCorpusError):
        spark_trend("GRPO", out, spark=spark, storage_options=opts)
    with pytest.raises(Exception, match="no Parquet files"):
        list(read_parquet_fulltexts([out], opts))

    report = ex.run_extract([f"s3a://{BUCKET}/src/*.tar"], out, spark=spark, storage_options=opts, resume=True)
    assert (report.inputs, report.skipped, report.statuses) == (2, 0, {"ok": 10, "failed": 2})
    assert report.cleaned == 2  # the crashed run's files are gone
    assert not set(written) & {f for _r, f in output_files(fs, root)}
    assert sorted(f for f in fsio.fresh(fs).find(root) if "/run=" in f and "/_commits/" not in f) == \
        sorted(f for _r, f in output_files(fs, root))
    again = ex.run_extract([f"s3://{BUCKET}/src/"], out, spark=spark, storage_options=opts, resume=True)
    assert (again.inputs, again.skipped, again.run) == (0, 2, None)
