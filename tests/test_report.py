"""Reproducible figure packages: report -> reproduce, fingerprints, export -> import round trips."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import make_paper, store_with
from uptake.cli import main
from uptake.corpus import Corpus
from uptake.records import Paper
from uptake.outputs.report import (
    corpus_fingerprint,
    export_corpus,
    make_report,
    reproduce,
)
from uptake.sources.export import sha256_file, verify_export
from uptake.store import Store
from uptake.ingest import upsert


def _paper(i: int, month: int, abstract: str, **kw) -> Paper:  # type: ignore[no-untyped-def]
    pub = date(2025, month, 1 + i % 27)
    return Paper(
        id=f"25{month:02d}.{i:05d}", title=f"Paper {i}", abstract=abstract, categories=kw.get("categories", ("cs.LG",)),
        published=pub, updated=kw.get("updated") or pub, authors=kw.get("authors", ("Ada Lovelace", "Alan Turing")),
        comments=kw.get("comments"), journal_ref=kw.get("journal_ref"), doi=kw.get("doi"), source=kw.get("source"),
    )


def _corpus_papers() -> list[Paper]:
    out = []
    i = 0
    for month in range(1, 7):
        for k in range(12):
            i += 1
            text = ["We train with GRPO.", "A DPO variant.", "PPO baseline and GRPO.", "Nothing relevant."][k % 4]
            out.append(_paper(i, month, text, comments="Code: https://github.com/acme/x" if k % 3 == 0 else None,
                              journal_ref="J. Foo 12 (2025)" if k == 5 else None, doi="10.1/abc" if k == 6 else None,
                              updated=date(2025, 9, 1) if k == 7 else None))
    return out


@pytest.fixture
def reported(tmp_path: Path):  # type: ignore[no-untyped-def]
    corpus = store_with(tmp_path / "s.duckdb", _corpus_papers())
    rep = make_report(corpus, "GRPO, DPO, PPO", tmp_path / "rep", start="2025-01")
    return corpus, rep


def test_report_writes_every_file_with_its_hash(reported) -> None:  # type: ignore[no-untyped-def]
    corpus, rep = reported
    names = {p.name for p in rep.out_dir.iterdir()}
    assert {"figure.png", "figure.svg", "data.csv", "data.json", "README.md", "manifest.json"} <= names
    m = json.loads((rep.out_dir / "manifest.json").read_text())
    assert m["query"] == "GRPO, DPO, PPO"
    assert m["options"]["start"] == "2025-01" and m["options"]["end"] == "2025-06"  # the resolved range, not "default"
    assert m["semantics_version"] and m["uptake_version"]
    assert m["corpus"]["papers"] == 72 and m["corpus"]["first_month"] == "2025-01" and m["corpus"]["last_month"] == "2025-06"
    for name, digest in m["files"].items():
        assert sha256_file(rep.out_dir / name) == digest
    assert set(m["files"]) == names - {"manifest.json"}
    assert (rep.out_dir / "figure.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in (rep.out_dir / "figure.svg").read_bytes()[:500]
    csv = (rep.out_dir / "data.csv").read_text().splitlines()
    assert csv[0] == "period,series,count,total,share,complete"
    assert csv[1] == "2025-01,GRPO,6,12,0.5,true"  # "We train with GRPO." and "PPO baseline and GRPO." are 6 of 12
    readme = (rep.out_dir / "README.md").read_text()
    assert "first version" in readme and "uptake reproduce" in readme and "72 papers" in readme
    if "adoption.json" in names:
        assert m["adoption"].startswith("included")
    else:
        assert not m["adoption"].startswith("included")


def test_report_then_reproduce_is_identical(reported, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    corpus, rep = reported
    result = reproduce(rep.out_dir / "manifest.json", corpus)
    assert result.exit_code == 0 and result.fingerprint_identical and result.numbers_identical
    assert [s.label for s in result.series] == ["GRPO", "DPO", "PPO"]
    assert main(["reproduce", str(rep.out_dir / "manifest.json"), "--db", str(corpus.path)]) == 0
    assert "identical (exit 0)" in capsys.readouterr().out


def test_one_more_matching_paper_changes_the_fingerprint(reported, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    corpus, rep = reported
    with Store.open(corpus.path, write=True) as store:
        store.begin()
        upsert(store, [_paper(999, 3, "A late GRPO paper.")])
        store.commit()
    result = reproduce(rep.out_dir / "manifest.json", corpus)
    assert result.exit_code == 2
    assert result.fingerprint_differences[0] == "papers: 72 in the manifest, 73 in the store (+1)"
    grpo = result.series[0]
    assert not grpo.identical and grpo.differences == ("2025-03: count 6 -> 7; total 12 -> 13",)
    dpo = result.series[1]
    assert dpo.differences == ("2025-03: total 12 -> 13",)
    assert main(["reproduce", str(rep.out_dir / "manifest.json"), "--db", str(corpus.path)]) == 2
    out = capsys.readouterr().out
    assert out.index("The corpus differs") < out.index("differs    GRPO")  # said before comparing
    assert "(+1)" in out and "2025-03: count 6 -> 7" in out


def test_same_count_different_content_is_named(reported) -> None:  # type: ignore[no-untyped-def]
    corpus, rep = reported
    with Store.open(corpus.path, write=True) as store:  # a newer version of one paper, same count
        store.begin()
        upsert(store, [_paper(1, 1, "We train with GRPO, revised.", updated=date(2025, 12, 1))])
        store.commit()
    result = reproduce(rep.out_dir / "manifest.json", corpus)
    assert result.exit_code == 2
    assert len(result.fingerprint_differences) == 1 and "same paper count" in result.fingerprint_differences[0]
    assert result.numbers_identical  # still GRPO, so the numbers happen to agree


def test_numbers_differ_on_the_same_corpus_exit_1(reported) -> None:  # type: ignore[no-untyped-def]
    """A report made by an uptake that counted differently (simulated by editing its data and manifest)."""
    corpus, rep = reported
    data_path = rep.out_dir / "data.json"
    data = json.loads(data_path.read_text())
    data["series"][1]["points"][0]["count"] += 2
    data_path.write_text(json.dumps(data))
    m = json.loads((rep.out_dir / "manifest.json").read_text())
    m["files"]["data.json"] = sha256_file(data_path)
    (rep.out_dir / "manifest.json").write_text(json.dumps(m))
    result = reproduce(rep.out_dir / "manifest.json", corpus)
    assert result.exit_code == 1
    assert result.series[1].differences == ("2025-01: count 5 -> 3",)


def test_tampered_data_is_refused(reported) -> None:  # type: ignore[no-untyped-def]
    from uptake.errors import InputError

    corpus, rep = reported
    (rep.out_dir / "data.json").write_text("{}")
    with pytest.raises(InputError, match="changed after the report was made"):
        reproduce(rep.out_dir / "manifest.json", corpus)


def test_fingerprint_is_independent_of_import_order_and_source(tmp_path: Path) -> None:
    papers = _corpus_papers()
    a = store_with(tmp_path / "a.duckdb", papers)
    b_path = tmp_path / "b.duckdb"
    with Store.open(b_path, write=True) as store:  # reversed, in small batches, with another source tag
        from dataclasses import replace

        rev = [replace(p, source="elsewhere") for p in reversed(papers)]
        for k in range(0, len(rev), 7):
            store.begin()
            upsert(store, rev[k : k + 7])
            store.commit()
    assert corpus_fingerprint(a) == corpus_fingerprint(Corpus(b_path))
    fa = corpus_fingerprint(a)
    assert len(fa.content_hash) == 64 and fa.papers == 72


def test_export_then_import_gives_the_same_fingerprint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    papers = _corpus_papers() + [
        Paper(id="hep-th/9901001", title="Old paper", abstract="Strings.", categories=("hep-th",),
              published=date(1999, 1, 4), updated=date(2003, 5, 6), authors=("É. Noether",), comments="12 pages",
              journal_ref="Nucl. Phys. B 1 (1999)", doi="10.1016/x"),
        Paper(id="2412.00001", title="No authors", abstract="", categories=(), published=date(2024, 12, 31),
              updated=date(2024, 12, 31)),
    ]
    src = store_with(tmp_path / "src.duckdb", papers)
    exp = export_corpus(src, tmp_path / "snap", rows_per_file=50)
    assert exp.papers == 74
    assert list(exp.files) == ["papers-1999-0.parquet", "papers-2024-0.parquet", "papers-2025-0.parquet",
                               "papers-2025-1.parquet"]
    assert verify_export(tmp_path / "snap") == []
    table = pq.read_table(tmp_path / "snap" / "papers-1999-0.parquet")
    assert table.column("updated").to_pylist() == [date(2003, 5, 6)]
    assert table.column("authors").to_pylist() == [["É. Noether"]]
    dst = tmp_path / "dst.duckdb"
    files = sorted(str(p) for p in (tmp_path / "snap").glob("*.parquet"))
    assert main(["import", *files, "--db", str(dst), "-q"]) == 0
    assert corpus_fingerprint(Corpus(dst)) == corpus_fingerprint(src)
    with Store.open(dst) as store:
        row = store._rows("SELECT updated, authors, comments, journal_ref, doi FROM papers WHERE id = 'hep-th/9901001'")
    assert row == [(date(2003, 5, 6), ["É. Noether"], "12 pages", "Nucl. Phys. B 1 (1999)", "10.1016/x")]
    # a damaged file is caught by the checksums
    with open(tmp_path / "snap" / "papers-2024-0.parquet", "ab") as f:
        f.write(b"x")
    assert verify_export(tmp_path / "snap") == ["papers-2024-0.parquet"]
    assert main(["export", "--verify", str(tmp_path / "snap")]) == 1
    capsys.readouterr()
    assert main(["export", "--out", str(tmp_path / "snap"), "--db", str(src.path)]) == 2  # refuses to mix exports
    assert "already holds an export" in capsys.readouterr().err


def test_cli_report_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "s.duckdb"
    store_with(db, [make_paper("2501.00001", "GRPO", "GRPO text", published="2025-01-02"),
                    make_paper("2502.00001", "Other", "text", published="2025-02-02")])
    out = tmp_path / "r"
    assert main(["report", "GRPO", "--db", str(db), "--out", str(out), "--json"]) == 0
    manifest = json.loads(capsys.readouterr().out)
    assert manifest["series"] == [{"label": "GRPO", "papers": 1}]
    assert main(["reproduce", str(out), "--db", str(db), "--json"]) == 0  # a folder works too
    assert json.loads(capsys.readouterr().out)["exit_code"] == 0
    assert main(["reproduce", str(tmp_path / "missing.json"), "--db", str(db)]) == 2
    assert "no such manifest" in capsys.readouterr().err
    (tmp_path / "bad.json").write_text("{not json")
    assert main(["reproduce", str(tmp_path / "bad.json"), "--db", str(db)]) == 2
    assert "not a valid manifest" in capsys.readouterr().err
