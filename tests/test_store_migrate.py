"""Schema 1 → 2: a store made by the schema-1 release (tests/fixtures/stores, made by the script there)
reads correctly as it is, migrates on a writable open, and a migration interrupted at any step finishes."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import duckdb
import pytest

from conftest import FIXTURES
from uptake.corpus import Corpus
from uptake.index import open_fresh
from uptake.store import SCHEMA_VERSION, Store
from uptake.store._scan import TOKEN_SQL
from uptake.text import token_string

V1 = FIXTURES / "stores" / "store_v1.duckdb.gz"
QUERIES = ["GRPO", "=LoRa", "=LoRA", "lora", "schrödinger", "strasse", "ﬁne", "α", '"reward model"', "漢字",
           "σίσυφος", "istanbul", "title:reward", "café", "x_1", "2", "the", "GRPO, DPO"]
_TOK = ("title_tok", "abstract_tok", "title_tok_cs", "abstract_tok_cs")


def _v1(tmp_path: Path) -> Path:
    db = tmp_path / "v1.duckdb"
    with gzip.open(V1, "rb") as src, open(db, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return db


def _snapshot(db: Path) -> tuple[object, ...]:
    """Everything a reader sees: every row with its token strings as readers get them, the fingerprint."""
    with Store.open(db) as s:
        select = ", ".join(TOKEN_SQL[c] for c in _TOK)
        rows = s._rows(f"SELECT doc, id, title, abstract, deleted, content_hash, {select} FROM papers ORDER BY doc")
        return rows, s.fingerprint(), s.get_meta("schema_version")


def _expected_tokens(rows: list[tuple[object, ...]]) -> None:
    for r in rows:
        title, abstract = str(r[2]), str(r[3])
        assert r[6:] == (token_string(title), token_string(abstract), token_string(title, case_sensitive=True),
                         token_string(abstract, case_sensitive=True))


def _trends(db: Path) -> list[object]:
    return [Corpus(db).trend(q) for q in QUERIES]


def test_v1_store_reads_as_it_is_and_migrates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPTAKE_NO_INDEX", "1")
    db = _v1(tmp_path)
    before_rows, before_fp, version = _snapshot(db)
    assert version == "1"
    _expected_tokens(before_rows)
    before_trends = _trends(db)
    with Store.open(db, write=True) as s:  # the automatic migration
        assert s.get_meta("schema_version") == str(SCHEMA_VERSION) == "2"
        assert s.get_meta("migrating_to") is None and s.get_meta("compact_pending") is None
        kept = s._rows("SELECT id, title_tok IS NULL, abstract_tok IS NULL FROM papers ORDER BY id")
        assert not Path(str(db) + ".compact").exists()
    # folded strings are gone exactly for the ASCII fields
    texts = {r[1]: (r[2], r[3]) for r in before_rows}
    assert kept == [(i, texts[i][0].isascii(), texts[i][1].isascii()) for i, _, _ in kept]
    after_rows, after_fp, _ = _snapshot(db)
    assert after_rows == before_rows and after_fp == before_fp  # same docs, texts, hashes and token strings
    assert _trends(db) == before_trends
    monkeypatch.delenv("UPTAKE_NO_INDEX")
    corpus = Corpus(db)
    corpus.import_files([FIXTURES / "kaggle_sample.jsonl"])  # writes into the migrated store, builds the index
    with Store.open(db) as s:
        assert open_fresh(s) is not None
    indexed = _trends(db)
    monkeypatch.setenv("UPTAKE_NO_INDEX", "1")
    assert _trends(db) == indexed  # index == scan after the migration


def test_interrupted_migration_finishes_with_the_same_store(tmp_path: Path) -> None:
    for sub in "abc":
        (tmp_path / sub).mkdir()
    clean = _v1(tmp_path / "a")
    with Store.open(clean, write=True):
        pass
    want = _snapshot(clean)
    # a crash inside the step: its transaction rolled back, the version and marker already written
    crashed = _v1(tmp_path / "b")
    con = duckdb.connect(str(crashed))
    con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', '2'), ('migrating_to', '2')")
    con.close()
    with Store.open(crashed) as s:  # readers need no migration meanwhile
        _expected_tokens(s._rows("SELECT doc, id, title, abstract, deleted, content_hash, "
                                 + ", ".join(TOKEN_SQL[c] for c in _TOK) + " FROM papers"))
    with Store.open(crashed, write=True) as s:
        assert s.get_meta("migrating_to") is None
    assert _snapshot(crashed) == want
    # a crash during compaction: the step done, the copy half written
    half = _v1(tmp_path / "c")
    with Store.open(half, write=True) as s:
        s.set_meta("compact_pending", "1")
    Path(str(half) + ".compact").write_bytes(b"half a copy")
    with Store.open(half, write=True) as s:
        assert s.get_meta("compact_pending") is None
    assert not Path(str(half) + ".compact").exists()
    assert _snapshot(half) == want


@pytest.mark.parametrize("point", ["migration-copied", "compaction-copied"])
def test_kill_9_during_the_migration_then_rerun_gives_the_same_store(tmp_path: Path, point: str) -> None:
    """SIGKILL inside the step's transaction (new table written, not committed) or with the compacted copy
    written but not yet in place; the next writable open finishes, and the store equals a clean migration."""
    import os
    import signal
    import subprocess
    import sys
    import time

    (tmp_path / "clean").mkdir()
    clean = _v1(tmp_path / "clean")
    with Store.open(clean, write=True):
        pass
    want = _snapshot(clean)
    db = _v1(tmp_path)
    marker = tmp_path / "paused"
    code = f"from uptake.store import Store\nStore.open({str(db)!r}, write=True).close()"
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE,
                            env={**os.environ, "UPTAKE_TEST_PAUSE": f"{point}:{marker}"})
    while not marker.exists():  # the migration reaches the point for certain; no sleep decides anything
        assert proc.poll() is None, proc.communicate()[1].decode()
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    with Store.open(db) as s:  # what a reader sees meanwhile is already right
        assert s._rows("SELECT count(*) FROM papers")[0][0] == len(want[0])
        _expected_tokens(s._rows("SELECT doc, id, title, abstract, deleted, content_hash, "
                                 + ", ".join(TOKEN_SQL[c] for c in _TOK) + " FROM papers"))
    with Store.open(db, write=True) as s:
        assert s.get_meta("migrating_to") is None and s.get_meta("compact_pending") is None
    assert not Path(str(db) + ".compact").exists()
    assert _snapshot(db) == want
