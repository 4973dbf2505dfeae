"""Acceptance: on every paper of the shared real corpus, the fast paths give exactly what the reference does.

- :func:`uptake.ingest.derive` (vectorised tokenizer, vectorised hint test before artifact detection) equals
  :func:`uptake.ingest.derive_one_by_one` (the reference tokenizer and ``detect`` on every paper);
- an export of the real store imported as columns gives the same rows as the same export read record by record.
"""

from __future__ import annotations

import pytest

from conftest import real_data_files
from uptake import ingest
from uptake.outputs.report import export_corpus
from uptake.records import Rejection
from uptake.sources import read_records
from uptake.store import Store

pytestmark = [pytest.mark.acceptance, pytest.mark.slow]


def test_derive_equals_the_reference_on_every_real_paper() -> None:
    differing = []
    papers = 0
    for path in real_data_files():
        batch = []
        for _, item in read_records(path):
            if isinstance(item, Rejection):
                continue
            batch.append(item)
            if len(batch) == 5000:
                papers += len(batch)
                differing += [p.id for p, a, b in zip(batch, ingest.derive(batch), ingest.derive_one_by_one(batch),
                                                      strict=True) if a != b]
                batch = []
        papers += len(batch)
        differing += [p.id for p, a, b in zip(batch, ingest.derive(batch), ingest.derive_one_by_one(batch),
                                              strict=True) if a != b]
    assert papers > 200_000
    assert differing == []


def test_real_export_imports_as_columns_into_the_same_store(real_corpus, tmp_path, monkeypatch) -> None:
    corpus = real_corpus[0]
    export_corpus(corpus, tmp_path / "snap")
    files = sorted((tmp_path / "snap").glob("*.parquet"))
    monkeypatch.setenv("UPTAKE_NO_INDEX", "1")
    with Store.open(tmp_path / "cols.duckdb", write=True) as s:
        cols = ingest.import_files(s, files)
    monkeypatch.setattr(ingest, "read_export_columns", lambda path: None)
    with Store.open(tmp_path / "rows.duckdb", write=True) as s:
        rows = ingest.import_files(s, files)
    assert cols.as_dict() == rows.as_dict()
    with Store.open(tmp_path / "cols.duckdb") as a, Store.open(tmp_path / "rows.duckdb") as b:
        assert a.fingerprint() == b.fingerprint()
        for lo in range(0, a.paper_count(), 20_000):  # every column of every row, a slice at a time
            q = f"SELECT * EXCLUDE (doc) FROM papers ORDER BY id LIMIT 20000 OFFSET {lo}"
            assert a._rows(q) == b._rows(q)
