"""Importing uptake's own exports as columns: the same store, counts and crash safety as record by record."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import store_with
from uptake import ingest
from uptake.analytics.openness import OPENNESS_VERSION, detect
from uptake.ingest import import_files
from uptake.outputs.report import export_corpus
from uptake.records import Paper
from uptake.sources.export import OPENNESS_META, export_schema, read_export_columns
from uptake.store import Store


def _papers() -> list[Paper]:
    """Papers that exercise every derived column: links (own, cited, promised), promises, non-ASCII text in both
    fields, empty abstracts and categories, missing optional fields, several years."""
    texts = [
        "We propose GRPO-based RL. Code is available at https://github.com/acme/x-net.",
        "Our weights: https://huggingface.co/acme/model-7b and data at https://zenodo.org/record/123 .",
        "Code will be released upon acceptance.",
        "We build on https://github.com/other/tool (the official code).",
        "Ünïcode façade, naïve Straße — ﬁne ｗｉｄｅ text 数据集 😀 x_y 2×3.",
        "",
        "Data available upon reasonable request. We will show results later.",
        "Plain text about transformers and $\\alpha$-divergences with \\url{https://x.github.io/p}.",
    ]
    out = []
    for i in range(60):
        year = 2019 + i % 7
        out.append(Paper(
            id=f"{year % 100:02d}{1 + i % 12:02d}.{i:05d}", title=f"Title {i} — {'Ωmega' if i % 5 == 0 else 'plain'}",
            abstract=texts[i % len(texts)], categories=() if i % 11 == 0 else ("cs.LG", "stat.ML")[: 1 + i % 2],
            published=date(year, 1 + i % 12, 1 + i % 27), updated=date(year + 1, 1, 1),
            authors=("Ada Lovelace", "Émile Borel") if i % 3 else (),
            comments=None if i % 4 else "Code: https://gitlab.com/g/p, 10 pages",
            journal_ref=None if i % 6 else "J. Foo 1 (2020)", doi=None if i % 7 else f"10.1/{i}",
            source="test" if i % 2 else None))
    out.append(Paper(id="hep-th/9901001", title="Old paper", abstract="Strings.", categories=("hep-th",),
                     published=date(1999, 1, 4), updated=date(2003, 5, 6), authors=("É. Noether",)))
    return out


def _rows(path: Path) -> list[tuple]:
    with Store.open(path) as s:
        return s._rows("SELECT * EXCLUDE (doc) FROM papers ORDER BY id")


def _per_record(monkeypatch: pytest.MonkeyPatch, store_path: Path, files: list[Path], **kw: object):
    with monkeypatch.context() as m:
        m.setattr(ingest, "read_export_columns", lambda path: None)
        with Store.open(store_path, write=True) as s:
            return import_files(s, files, **kw)


@pytest.fixture
def exported(tmp_path: Path) -> tuple[Path, list[Path]]:
    src = store_with(tmp_path / "src.duckdb", _papers())
    export_corpus(src, tmp_path / "snap", rows_per_file=7)
    return tmp_path / "src.duckdb", sorted((tmp_path / "snap").glob("*.parquet"))


def test_export_imports_as_columns_into_the_same_store(exported, tmp_path, monkeypatch) -> None:
    src, files = exported
    assert all(read_export_columns(f) is not None for f in files)
    added = []
    real_add = ingest._ColumnWriter.add
    monkeypatch.setattr(ingest._ColumnWriter, "add", lambda self, *a: (added.append(a[1]), real_add(self, *a)))
    with Store.open(tmp_path / "cols.duckdb", write=True) as s:
        cols = import_files(s, files)
    monkeypatch.undo()
    assert len(added) == len(files)  # every file went the columnar way
    per = _per_record(monkeypatch, tmp_path / "rows.duckdb", files)
    assert cols.as_dict() == per.as_dict()
    assert (cols.read, cols.inserted, cols.rejected) == (61, 61, 0)
    assert _rows(tmp_path / "cols.duckdb") == _rows(tmp_path / "rows.duckdb") == _rows(src)
    with Store.open(tmp_path / "cols.duckdb") as a, Store.open(src) as b:
        assert a.fingerprint() == b.fingerprint()
    # again, into the stores just made, and into a store holding an older version of some papers
    with Store.open(tmp_path / "cols.duckdb", write=True) as s:
        again = import_files(s, files)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 61)
    older = [Paper(id=p.id, title="old", abstract="", categories=(), published=p.published, updated=p.published)
             for p in _papers()[::3]]
    for name in ("old-cols", "old-rows"):
        store_with(tmp_path / f"{name}.duckdb", older)
    with Store.open(tmp_path / "old-cols.duckdb", write=True) as s:
        cols = import_files(s, files)
    per = _per_record(monkeypatch, tmp_path / "old-rows.duckdb", files)
    assert cols.as_dict() == per.as_dict() and cols.updated == len(older)
    assert _rows(tmp_path / "old-cols.duckdb") == _rows(tmp_path / "old-rows.duckdb")


def test_strict_and_small_transactions_give_the_same_store(exported, tmp_path, monkeypatch) -> None:
    _, files = exported
    monkeypatch.setattr(ingest, "COLUMNAR_BATCH", 5)  # several transactions, files split across them
    with Store.open(tmp_path / "a.duckdb", write=True) as s:
        import_files(s, files)
    with Store.open(tmp_path / "b.duckdb", write=True) as s:
        import_files(s, files, strict=True)
    assert _rows(tmp_path / "a.duckdb") == _rows(tmp_path / "b.duckdb")


def _rewrite(path: Path, table: pa.Table) -> None:
    """Replace an export file by ``table``; the folder's checksums go (else the import refuses the file)."""
    path.unlink()
    (path.parent / "SHA256SUMS").unlink(missing_ok=True)
    pq.write_table(table, path)


@pytest.mark.parametrize("change", [
    ("title", 0, " padded"), ("title", 0, ""), ("abstract", 0, "text\n"), ("abstract", 0, None), ("id", 0, "arXiv:1"),
    ("id", 0, "2101.00001v2"), ("id", 0, "x/abs/1"), ("id", 0, "a b"), ("comments", 0, ""), ("doi", 0, "\u3000x"),
    ("categories", 0, ["cs.LG", "cs.LG"]), ("categories", 0, ["cs.LG stat.ML"]), ("categories", 0, None),
    ("authors", 0, ["A ", "B"]), ("authors", 0, [None]), ("updated", 0, date(1990, 1, 1)),
    ("published", 0, date(1985, 1, 1)), ("id", 1, "same"),
])
def test_rows_the_reader_would_change_go_record_by_record(tmp_path, monkeypatch, change) -> None:
    """A file with the export's shape but one row not in the reader's normal form is read record by record,
    so it is imported (or rejected) exactly as before."""
    col, row, value = change
    src = store_with(tmp_path / "src.duckdb", _papers()[0:42:7])  # six papers of 2019: one file
    export_corpus(src, tmp_path / "snap", rows_per_file=100)
    path = sorted((tmp_path / "snap").glob("*.parquet"))[-1]
    table = pq.read_table(path)
    values = table.column(col).to_pylist()
    values[row] = value
    if col == "id" and value == "same":
        values[0] = values[1]
    table = table.set_column(table.schema.get_field_index(col), col, pa.array(values, table.schema.field(col).type))
    _rewrite(path, table)
    assert read_export_columns(path) is None
    with Store.open(tmp_path / "a.duckdb", write=True) as s:
        a = import_files(s, [path])
    b = _per_record(monkeypatch, tmp_path / "b.duckdb", [path])
    assert a.as_dict() == b.as_dict()
    assert _rows(tmp_path / "a.duckdb") == _rows(tmp_path / "b.duckdb")


def test_other_parquet_shapes_are_read_record_by_record(tmp_path) -> None:
    path = tmp_path / "x.parquet"
    pq.write_table(pa.table({"id": ["2501.00001"], "title": ["t"], "abstract": ["a"], "categories": [["cs.LG"]],
                             "published": ["2025-01-02"]}), path)
    assert read_export_columns(path) is None
    schema = export_schema()
    extra = pa.schema([*schema, pa.field("versions", pa.string())])
    pq.write_table(pa.Table.from_pylist([], schema=extra), path)
    assert read_export_columns(path) is None


def _forged(path: Path, *, version: str | None, keep_hash: bool, abstract: str | None = None) -> None:
    """The export file with every row's flags set to has_code (and its link), written with ``version``."""
    table = pq.read_table(path)
    n = table.num_rows
    cols = {name: table.column(name) for name in table.column_names}
    cols["has_code"] = pa.array([True] * n)
    cols["links"] = pa.array([["code:https://forged.example/x"]] * n, pa.list_(pa.string()))
    if abstract is not None:
        cols["abstract"] = pa.array([abstract] * n)
    if not keep_hash:
        cols["content_hash"] = pa.array(["0" * 32] * n)
    forged = pa.table(cols, schema=export_schema(version))
    _rewrite(path, forged)


@pytest.mark.parametrize("how", ["other version", "no version", "hash differs", "text changed"])
def test_flags_are_detected_again_unless_provably_current(exported, tmp_path, how) -> None:
    _, files = exported
    path = files[-1]
    if how == "other version":
        _forged(path, version="0", keep_hash=True)
    elif how == "no version":
        _forged(path, version=None, keep_hash=True)
    elif how == "hash differs":
        _forged(path, version=OPENNESS_VERSION, keep_hash=False)
    else:  # an abstract edited after the export, its old hash and flags left beside it
        _forged(path, version=OPENNESS_VERSION, keep_hash=True, abstract="Code: https://github.com/new/one")
    assert read_export_columns(path) is not None
    with Store.open(tmp_path / "a.duckdb", write=True) as s:
        import_files(s, [path])
        rows = s._rows("SELECT abstract, comments, has_code, links FROM papers")
    assert rows
    for abstract, comments, has_code, links in rows:
        found = detect(abstract, comments)
        assert (has_code, links) == (found.has_code, found.link_labels())


def test_flags_carried_when_version_and_hash_match(exported, tmp_path) -> None:
    """The trust the columnar import places in an export: flags written with this rule version beside a content
    hash that matches the row are kept as they are (here forged, to show they are not detected again)."""
    _, files = exported
    path = files[-1]
    _forged(path, version=OPENNESS_VERSION, keep_hash=True)
    assert pq.read_schema(path).metadata[OPENNESS_META] == OPENNESS_VERSION.encode()
    with Store.open(tmp_path / "a.duckdb", write=True) as s:
        import_files(s, [path])
        assert {tuple(r[0]) for r in s._rows("SELECT links FROM papers")} == {("code:https://forged.example/x",)}


def test_kill_9_during_a_columnar_import_then_rerun_gives_the_same_store(exported, tmp_path) -> None:
    """SIGKILL right after the first committed transaction of the columnar path; the rerun completes it."""
    src, files = exported
    db = tmp_path / "killed.duckdb"
    marker = tmp_path / "committed"
    code = (
        "import sys\n"
        "import uptake.ingest as ig\n"
        "from uptake.store import Store\n"
        "ig.COLUMNAR_BATCH = 10\n"
        f"with Store.open({str(db)!r}, write=True) as s:\n"
        f"    ig.import_files(s, {[str(f) for f in files]!r})\n"
    )
    env = {**os.environ, "UPTAKE_TEST_PAUSE": f"columns-committed:{marker}", "UPTAKE_NO_INDEX": "1"}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    while not marker.exists():  # the import reaches the point for certain; no sleep decides anything
        assert proc.poll() is None, proc.communicate()[1].decode()
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    with Store.open(db) as s:
        partial = s.paper_count()
    assert 0 < partial < 61
    with Store.open(db, write=True) as s:
        rerun = import_files(s, files)
    assert (rerun.inserted, rerun.unchanged) == (61 - partial, partial)
    assert _rows(db) == _rows(src)
