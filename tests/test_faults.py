"""Rows of docs/reliability.md's fault-injection matrix not covered elsewhere: a truncated index file,
and a store damaged while ``uptake serve`` runs over it."""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path

import pytest

from test_damage import _corrupt_middle, _gen_dir, _half, _papers, _scan_trend
from uptake import index as ix
from uptake.corpus import Corpus
from uptake.errors import IndexDamagedWarning
from uptake.store import Store

from conftest import store_with


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("faults") / "base.duckdb"
    store_with(path, _papers(600, seed=5))
    with Store.open(path, write=True) as store:
        ix.rebuild(store)
    return path


@pytest.fixture
def copy(built: Path, tmp_path: Path) -> Path:
    path = tmp_path / "s.duckdb"
    shutil.copy(built, path)
    shutil.copytree(ix.index_dir(built), ix.index_dir(path))
    return path


def test_a_truncated_index_file_answers_by_the_scan_with_a_warning(copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    largest = max((f for f in _gen_dir(copy).iterdir() if f.is_file()), key=lambda f: f.stat().st_size)
    os.truncate(largest, largest.stat().st_size // 2)
    expected = _scan_trend(copy, "dense, grpo policy", monkeypatch)
    with pytest.warns(IndexDamagedWarning, match="integrity check"):  # tantivy refuses it, or the size check does
        got = Corpus(copy).trend("dense, grpo policy").to_pandas()
    assert got.equals(expected)


@pytest.mark.parametrize("damage", [_half, _corrupt_middle], ids=["truncated", "corrupted"])
def test_a_store_damaged_while_the_server_runs_is_a_503_saying_so(copy: Path, damage) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from uptake.web import create_app

    client = TestClient(create_app(copy))
    assert client.get("/api/papers?q=dense").status_code == 200
    damage(copy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IndexDamagedWarning)
        for path in ("/api/papers?q=dense&limit=3", "/api/stats", "/api/trend?q=dense%20has:code"):
            r = client.get(path)
            assert r.status_code == 503, (path, r.text)
            error = r.json()["error"]
            assert "damaged" in error and "uptake check" in error, (path, error)
            assert str(copy.parent) not in r.text and "Traceback" not in r.text


def test_an_import_rebuilds_a_damaged_fulltext_index(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from conftest import FIXTURES
    from test_damage import _flip_bits
    from test_fulltext import build, make_texts

    from uptake.cli import main
    from uptake.index import fulltext

    path = tmp_path / "ft.duckdb"
    build(path, make_texts(1, 40)[0])
    root = fulltext.fulltext_dir(path)
    gen = root / (root / "CURRENT").read_text().strip()
    _flip_bits(max((f for f in gen.iterdir() if f.is_file()), key=lambda f: f.stat().st_size), 50, seed=2)
    assert main(["check", "--db", str(path)]) == 1
    assert main(["import", str(FIXTURES / "kaggle_sample.jsonl"), "--db", str(path), "-q"]) == 0
    capsys.readouterr()
    assert main(["check", "--db", str(path)]) == 0, capsys.readouterr().out
    with Store.open(path) as store:
        assert fulltext.open_fresh(store) is not None
