"""The commit protocol of ``uptake spark extract`` without Spark: the task function and the driver's commit run
here directly, on fsspec's in-memory file system with renames forbidden (as on an object store, where a rename is
a copy and a delete). Readers see committed runs only, exactly the files their manifest lists; a crash before the
commit leaves nothing visible and ``--resume`` redoes those inputs; outputs of the earlier rename layout stay
readable; ``uptake fulltext import`` and ``import-counts`` read URLs."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cloud import bulk_tars

fsspec = pytest.importorskip("fsspec", reason="fsspec is not installed (pip install -e '.[test]')")
from fsspec.implementations.memory import MemoryFileSystem  # noqa: E402

from uptake.cli import main  # noqa: E402
from uptake.fulltext import read_eprints  # noqa: E402
from uptake.sources import fsio  # noqa: E402
from uptake.sources.fulltext_parquet import (  # noqa: E402
    done_keys,
    input_key,
    output_files,
    parquet_files,
    read_parquet_fulltexts,
    to_batch,
    to_row,
)
from uptake.store import Store  # noqa: E402


class NoRenameFS(MemoryFileSystem):
    """An in-memory file system on which moving or copying fails: what uptake writes must need neither."""

    protocol = "norename"
    root_marker = "/"
    store: dict[str, Any] = {}
    pseudo_dirs = [""]

    def mv(self, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("rename attempted on an object store")

    def _mv(self, *args: Any, **kwargs: Any) -> None:  # pragma: no cover - the async name of the same
        raise AssertionError("rename attempted on an object store")

    def cp_file(self, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("copy attempted on an object store")

    rename = mv
    move = mv

    @classmethod
    def _strip_protocol(cls, path: Any) -> Any:
        if isinstance(path, str) and path.startswith("norename://"):
            path = path[len("norename://"):]
        return super()._strip_protocol(path)


fsspec.register_implementation("norename", NoRenameFS, clobber=True)


@pytest.fixture
def out() -> str:
    return f"norename://out-{uuid.uuid4().hex[:8]}"


def _run_tasks(inputs: list[str], out: str, run: str, *, fmt: str = "eprints") -> list[dict[str, Any]]:
    """What Spark does between the driver's listing and its commit: each task's function on its input."""
    from uptake.spark.extract import extract_batches

    task = extract_batches(fmt, out, run)
    results: list[dict[str, Any]] = []
    for i, path in enumerate(inputs):  # one input per task, as run_extract partitions them
        batch = pa.RecordBatch.from_pydict({"index": [i], "path": [path]})
        for b in task(iter([batch])):
            results += b.to_pylist()
    return results


def _commit(inputs: list[str], out: str, run: str, results: list[dict[str, Any]]) -> dict[str, Any]:
    from uptake.spark.extract import LAYOUT, LAYOUT_FILE, build_manifest, write_commit

    fs, root = fsio.filesystem(out)
    manifest = build_manifest(run, "eprints", inputs, results)
    write_commit(fs, root, manifest)
    assert fs.exists(fsio.join(root, LAYOUT_FILE)) or LAYOUT
    return manifest


def _layout(out: str) -> None:
    from uptake.spark.extract import LAYOUT, LAYOUT_FILE

    fs, root = fsio.filesystem(out)
    fs.pipe(fsio.join(root, LAYOUT_FILE), json.dumps({"format": LAYOUT}).encode())


def test_commit_object_is_the_only_way_in(tmp_path: Path, out: str) -> None:
    from uptake.spark.extract import cleanup, expand_inputs

    tars = bulk_tars(tmp_path / "src")
    inputs = expand_inputs([str(tmp_path / "src" / "*.tar")], "eprints")
    assert inputs == [str(t.resolve()) for t in tars]
    fs, root = fsio.filesystem(out)
    _layout(out)

    # a run whose tasks all wrote their files but whose driver died before the commit: nothing is visible
    crashed = _run_tasks(inputs, out, "run=20260101T000000Z-crashed")
    written = [f for f in fs.find(root) if "/run=" in f and "/_commits/" not in f]
    assert len(written) == sum(1 for r in crashed if r["file"]) == 2  # one file per input and month
    assert output_files(fs, root) == [] and done_keys(fs, root) == set()
    assert parquet_files([out]) == []

    # --resume redoes both inputs; a task attempt that died after writing leaves files nobody lists
    _run_tasks(inputs[:1], out, "run=20260102T000000Z-ok")  # a failed attempt of task 0: its result is lost
    results = _run_tasks(inputs, out, "run=20260102T000000Z-ok")
    manifest = _commit(inputs, out, "run=20260102T000000Z-ok", results)
    assert {i["key"] for i in manifest["inputs"]} == done_keys(fs, root) == {input_key(i) for i in inputs}
    assert manifest["statuses"] == {"ok": 10, "failed": 2}
    listed = [fsio.join(root, f["path"]) for f in manifest["files"]]
    assert [f for _run, f in output_files(fs, root)] == sorted(listed)
    stray = [f for f in fs.find(root) if "/run=" in f and "/_commits/" not in f and f not in listed]
    assert len(stray) == 3  # the crashed run's two files and the dead attempt's one
    got = sorted(read_parquet_fulltexts([out]), key=lambda t: t.id)
    want = sorted(read_eprints(tars), key=lambda t: t.id)
    assert got == want and len(got) == 12

    # clean-up (after a commit) deletes exactly what no committed run lists
    assert cleanup(fs, root) == 3
    assert sorted(f for f in fs.find(root) if "/run=" in f and "/_commits/" not in f) == sorted(listed)
    assert sorted(read_parquet_fulltexts([out]), key=lambda t: t.id) == want


def test_fulltext_import_of_a_url_equals_local_extract(tmp_path: Path, out: str) -> None:
    from uptake.spark.extract import expand_inputs

    tars = bulk_tars(tmp_path / "src")
    inputs = expand_inputs([str(tmp_path / "src")], "eprints")
    _layout(out)
    _commit(inputs, out, "run=20260103T000000Z-a", _run_tasks(inputs, out, "run=20260103T000000Z-a"))
    assert main(["fulltext", "import", out, "--db", str(tmp_path / "a.duckdb"), "-q"]) == 1  # junk members failed
    assert main(["fulltext", "extract", *map(str, tars), "--db", str(tmp_path / "b.duckdb"), "-q"]) == 1
    with Store.open(tmp_path / "a.duckdb") as a, Store.open(tmp_path / "b.duckdb") as b:
        ha, hb = a.fulltext_hashes(), b.fulltext_hashes()
    assert len(ha) == 12 and ha == hb


def test_a_run_without_resume_replaces_the_output_at_its_commit(tmp_path: Path, out: str) -> None:
    """Re-running a job over the same input replaces its output atomically: until the new run's commit object is
    written, readers read the old runs whole; from then on the new run only; clean-up then removes the old."""
    from uptake.spark.extract import build_manifest, cleanup, expand_inputs, write_commit

    tars = bulk_tars(tmp_path / "src")
    inputs = expand_inputs([str(tmp_path / "src")], "eprints")
    fs, root = fsio.filesystem(out)
    _layout(out)
    old_a = _commit(inputs[:1], out, "run=20260105T000000Z-a", _run_tasks(inputs[:1], out, "run=20260105T000000Z-a"))
    old_b = _commit(inputs[1:], out, "run=20260105T000001Z-b", _run_tasks(inputs[1:], out, "run=20260105T000001Z-b"))
    before = [f for _run, f in output_files(fs, root)]
    assert sorted(before) == sorted(fsio.join(root, f["path"]) for m in (old_a, old_b) for f in m["files"])

    results = _run_tasks(inputs, out, "run=20260106T000000Z-new")  # written, not yet committed
    assert [f for _run, f in output_files(fs, root)] == before
    manifest = build_manifest("run=20260106T000000Z-new", "eprints", inputs, results,
                              replaces=["run=20260105T000000Z-a", "run=20260105T000001Z-b"])
    write_commit(fs, root, manifest)
    after = [f for _run, f in output_files(fs, root)]
    assert after == sorted(fsio.join(root, f["path"]) for f in manifest["files"])
    assert not set(after) & set(before)
    assert done_keys(fs, root) == {input_key(i) for i in inputs}
    want = sorted(read_eprints(tars), key=lambda t: t.id)
    assert sorted(read_parquet_fulltexts([out]), key=lambda t: t.id) == want

    assert cleanup(fs, root) == len(before)
    assert sorted(f for f in fs.find(root) if "/run=" in f and "/_commits/" not in f) == after
    assert [fsio.basename(f) for f in fs.find(fsio.join(root, "_commits"))] == ["run=20260106T000000Z-new.json"]
    assert sorted(read_parquet_fulltexts([out]), key=lambda t: t.id) == want


def test_part_glob_under_an_output_reads_its_committed_files(tmp_path: Path, out: str) -> None:
    """The issue's form ``uptake fulltext import OUTPUT/part-*.parquet``: the data files live in run=…/period=…/
    below OUTPUT, so the glob is matched against the committed files' names, never against uncommitted ones."""
    from uptake.spark.extract import expand_inputs

    tars = bulk_tars(tmp_path / "src")
    inputs = expand_inputs([str(tmp_path / "src")], "eprints")
    _layout(out)
    _run_tasks(inputs, out, "run=20260103T000000Z-crashed")  # written, never committed
    _commit(inputs, out, "run=20260104T000000Z-a", _run_tasks(inputs, out, "run=20260104T000000Z-a"))
    fs, root = fsio.filesystem(out)
    committed = [f for _run, f in output_files(fs, root)]
    assert [f for _fs, f, _run in parquet_files([f"{out}/part-*.parquet"])] == committed
    assert parquet_files([f"{out}/nothing-*.parquet"]) == []
    want = sorted(read_eprints(tars), key=lambda t: t.id)
    assert sorted(read_parquet_fulltexts([f"{out}/part-*.parquet"]), key=lambda t: t.id) == want


def test_rename_layout_and_hand_written_folders_stay_readable(tmp_path: Path, out: str) -> None:
    """Outputs committed by rename (``run=…/_done``) are read whole, also next to committed runs; folders without
    the layout file are read whole; an uncommitted run next to them is not."""
    texts = sorted(read_eprints(bulk_tars(tmp_path / "src")), key=lambda t: t.id)
    old, new = texts[:6], texts[6:]
    legacy = tmp_path / "legacy"
    run = legacy / "run=20250101T000000Z-old"
    (run / "period=2025-01").mkdir(parents=True)
    pq.write_table(pa.Table.from_batches([to_batch([to_row(t, "x") for t in old])]),
                   run / "period=2025-01" / "part-00000.parquet")
    (run / "_done").mkdir()
    (run / "_done" / input_key("x")).write_text("x\n")
    assert sorted(read_parquet_fulltexts([legacy]), key=lambda t: t.id) == old  # no layout file: read whole
    # a hand-written folder is read whole too, and `spark extract` refuses to add runs to it (they would hide it)
    from uptake.errors import UsageError
    from uptake.spark.extract import run_extract

    hand = tmp_path / "hand" / "run=mine"
    hand.mkdir(parents=True)
    pq.write_table(pa.Table.from_batches([to_batch([to_row(t, "h") for t in old])]), hand / "part-0.parquet")
    assert sorted(read_parquet_fulltexts([hand.parent]), key=lambda t: t.id) == old
    with pytest.raises(UsageError, match="no extraction run committed"):
        run_extract([str(tmp_path / "src")], hand.parent, resume=True)
    # a committed run added next to it (what --resume on an old output does): both read, the crashed one not
    from uptake.spark.extract import LAYOUT, LAYOUT_FILE, build_manifest, write_commit

    (legacy / LAYOUT_FILE).write_text(json.dumps({"format": LAYOUT}))
    fs, root = fsio.filesystem(legacy)
    for name, part in (("run=20260101T000000Z-new", new), ("run=20260102T000000Z-crash", texts)):
        d = legacy / name / "period=2025-02"
        d.mkdir(parents=True)
        pq.write_table(pa.Table.from_batches([to_batch([to_row(t, "y") for t in part])]), d / "part-00000.parquet")
    write_commit(fs, root, build_manifest("run=20260101T000000Z-new", "eprints", ["y"], [
        {"input": "y", "file": None, "rows": len(new), "statuses": "{}"},
        {"input": "y", "file": "run=20260101T000000Z-new/period=2025-02/part-00000.parquet", "rows": len(new),
         "statuses": None}]))
    assert sorted(read_parquet_fulltexts([legacy]), key=lambda t: t.id) == texts
    assert [r for r, _ in output_files(fs, root)] == ["run=20250101T000000Z-old", "run=20260101T000000Z-new"]
    assert done_keys(fs, root) == {input_key("x"), input_key("y")}


def test_import_counts_reads_only_the_listed_files(tmp_path: Path, out: str) -> None:
    """``uptake import-counts URL``: exactly the files ``_metadata.json`` lists; without it, a refusal."""
    fs, root = fsio.filesystem(out)
    schema = pa.schema([("ngram", pa.string()), ("n", pa.int32()), ("month", pa.int32()), ("category", pa.string()),
                        ("role", pa.string()), ("papers", pa.int64())])
    rows = pa.Table.from_pylist([{"ngram": "grpo", "n": 1, "month": 24300, "category": "cs.LG", "role": "*",
                                  "papers": 3}], schema=schema)
    totals = pa.Table.from_pylist([{"month": 24300, "category": "cs.LG", "papers": 7}])
    for rel, table in (("ngrams/part-00000-a.parquet", rows), ("ngrams/part-00000-dead.parquet", rows),
                       ("totals/part-00000-a.parquet", totals)):
        with fs.open(fsio.join(root, rel), "wb") as f:
            pq.write_table(table, f)
    assert main(["import-counts", out, "--db", str(tmp_path / "c0")]) == 2  # no _metadata.json: not committed
    meta = {"format": "uptake-counts/1", "last_date": "2025-01-31", "max_n": 3, "min_papers": 1,
            "files": {"ngrams": [{"path": "ngrams/part-00000-a.parquet", "rows": 1}],
                      "totals": [{"path": "totals/part-00000-a.parquet", "rows": 1}]}}
    fs.pipe(fsio.join(root, "_metadata.json"), json.dumps(meta).encode())
    assert main(["import-counts", out, "--db", str(tmp_path / "c1")]) == 0
    got = pq.read_table(tmp_path / "c1" / "ngrams").to_pylist()
    assert [r["papers"] for r in got] == [3]  # the dead attempt's copy was not read
    assert "files" not in json.loads((tmp_path / "c1" / "_metadata.json").read_text())


def test_storage_options_and_urls() -> None:
    assert fsio.parse_storage_options(["requester_pays=true", "anon=false", "endpoint_url=http://h:1",
                                       "default_block_size=1024"]) == {
        "requester_pays": True, "anon": False, "endpoint_url": "http://h:1", "default_block_size": 1024}
    with pytest.raises(Exception, match="KEY=VALUE"):
        fsio.parse_storage_options(["requester_pays"])
    assert fsio.canonical("s3a://arxiv/src/x.tar") == "s3://arxiv/src/x.tar"
    assert fsio.canonical("s3n://b/k") == "s3://b/k" and fsio.canonical("gs://b/k") == "gs://b/k"
    assert not fsio.is_url("/tmp/x") and not fsio.is_url("file:///tmp/x") and fsio.is_url("memory://x")


def test_a_damaged_parquet_file_is_one_rejection_and_the_rest_imports(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """A full-text Parquet file cut short (a copy interrupted) or damaged inside is one rejection naming it; the
    good file beside it imports whole, the rows of row groups before the damage too, and the exit status says
    not everything went in."""
    texts = sorted(read_eprints(bulk_tars(tmp_path / "src")), key=lambda t: t.id)
    good, cut, hurt = tmp_path / "good.parquet", tmp_path / "cut.parquet", tmp_path / "hurt.parquet"
    pq.write_table(pa.Table.from_batches([to_batch([to_row(t, "g") for t in texts[:5]])]), good)
    rest = pa.Table.from_batches([to_batch([to_row(t, "c") for t in texts[5:]])])
    pq.write_table(rest, cut)
    data = cut.read_bytes()
    cut.write_bytes(data[: len(data) - 40])  # the footer is gone: the file still starts like Parquet
    pq.write_table(rest, hurt, row_group_size=2)
    meta = pq.ParquetFile(hurt).metadata
    last = meta.row_group(meta.num_row_groups - 1).column(0)  # the last row group's first column chunk
    at = (last.dictionary_page_offset or last.data_page_offset) + 8
    data = bytearray(hurt.read_bytes())
    data[at: at + 64] = bytes(64)  # zeroed inside its pages: the footer still lists every row group
    hurt.write_bytes(bytes(data))
    before = 2 * (meta.num_row_groups - 1)
    for path, kept in ((cut, 0), (hurt, before)):
        items = list(read_parquet_fulltexts([path]))
        rejected = [i for i in items if not hasattr(i, "paragraphs")]
        assert len(rejected) == 1 and "cut short or damaged" in rejected[0].reason and str(path) in str(rejected[0])
        assert [i.id for i in items if hasattr(i, "paragraphs")] == [t.id for t in texts[5:5 + kept]]
    db = tmp_path / "s.duckdb"
    assert main(["fulltext", "import", str(good), str(cut), str(hurt), "--db", str(db)]) != 0
    out = capsys.readouterr()
    assert out.out.count("cut short or damaged") + out.err.count("cut short or damaged") == 2
    assert "Traceback" not in out.out + out.err
    with Store.open(db) as store:
        held = {r[0] for r in store._rows("SELECT id FROM fulltexts", [])}
    assert held == {t.id for t in texts[:5 + before]}


def test_a_wrong_spark_input_is_refused_before_java_starts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`spark counts` and `spark trend` check --input before starting a Spark session (Java takes seconds to
    start; a typo should not cost them)."""
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install -e '.[spark]')")
    from uptake.errors import NoCorpusError, SourceNotFoundError
    from uptake.spark import counts, trend

    def no_session(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a Spark session was started for an input that cannot be read")

    import uptake.spark

    for module in (counts, trend, uptake.spark):
        monkeypatch.setattr(module, "session", no_session)
    (tmp_path / "empty").mkdir()
    for given, error in ((tmp_path / "nope", SourceNotFoundError), (tmp_path / "empty", NoCorpusError)):
        with pytest.raises(error):
            counts.run_counts(given, tmp_path / f"out-{given.name}")
        with pytest.raises(error):
            trend.spark_trend("GRPO", given)
        # the commands too: their sessions are started by these functions, after the checks
        assert main(["spark", "counts", "--input", str(given), "--output", str(tmp_path / "o2")]) == 2
        assert main(["spark", "trend", "GRPO", "--input", str(given)]) == 2
