"""Parsing OAI-PMH ListRecords pages: arXivRaw, arXiv, oai_dc, errors, bad input, real samples."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from conftest import FIXTURES, FORMATS
from uptake.cli import main
from uptake.records import Paper
from uptake.sources import detect_format
from uptake.sources.oai import MalformedResponse, OAIProtocolError, parse_list_records
from uptake.sources.taxonomy import category_for_subject
from uptake.store import Store

OAI = FIXTURES / "oai"
REAL_OAI = FORMATS / "oai-pmh" / "listrecords_oai_dc_cs_2024-01-25_with_resumptionToken.xml"


def page(name: str):  # type: ignore[no-untyped-def]
    return parse_list_records((OAI / name).read_bytes(), where=name)


def test_arxivraw_first_page_exact() -> None:
    p = page("arxivraw-1.xml")
    assert p.papers == [
        Paper(
            id="2401.00001", title="Group Relative Policy Optimization\n  for Theorem Proving",
            abstract="We apply GRPO to theorem proving.\n It works.", categories=("cs.LG", "cs.AI"),
            published=date(2024, 1, 1),
            updated=date(2024, 1, 11),  # the datestamp is later than v2 (2024-01-10): it wins
            authors=("Ada Lovelace", "Alan Turing", "Grace Hopper"), comments="12 pages, 3 figures", doi="10.1000/xyz1",
        ),
        Paper(
            id="2312.09999", title="Direct Preference Optimization at Year End", abstract="DPO, late in the year.",
            categories=("cs.CL",), published=date(2023, 12, 31),  # v1 date, not the 2024 datestamp
            updated=date(2024, 1, 2), authors=("Alan Turing",),
        ),
    ]
    assert (p.token, p.cursor, p.complete_list_size) == ("raw-2", 0, 5)
    assert p.response_date == "2024-01-20T12:00:00Z" and p.max_datestamp == "2024-01-11"
    assert p.deleted == [] and p.rejections == [] and p.records == 2


def test_arxivraw_versions_out_of_order_deleted_records_and_last_page() -> None:
    p2 = page("arxivraw-2.xml")
    (old,) = p2.papers
    assert old.id == "math/0601001" and old.published == date(2006, 1, 1)  # v1 although listed second
    assert old.updated == date(2024, 1, 5) and old.title == "Rings & Graphs: A Combinatorial View"
    assert old.journal_ref == "J. Comb. 12 (2007) 1-20" and old.categories == ("math.CO", "cs.DM")
    assert p2.deleted == [("2301.00002", date(2024, 1, 6))]
    assert p2.records == 2 and p2.token == "raw-3"
    p3 = page("arxivraw-3.xml")
    assert p3.token is None and p3.cursor == 4 and p3.complete_list_size == 5  # empty token: the last page
    assert p3.papers[0].title == r"Compilers for $\mathcal{O}(n)$ Proofs"


def test_arxiv_format_with_a_record_missing_its_dates() -> None:
    p = page("arxiv-1.xml")
    a, b = p.papers
    assert a == Paper(
        id="2402.00010", title="Bayesian Bandits, Revisited", abstract="Bandits again.", categories=("stat.ML", "cs.LG"),
        published=date(2024, 2, 1), updated=date(2024, 2, 16), authors=("Ronald A. Fisher", "Jerzy Neyman Jr"),
        comments="30 pages", journal_ref="Ann. Stat. 52 (2024) 1", doi="10.1214/24-AOS1",
    )
    assert (b.id, b.published, b.updated, b.authors) == ("2402.00011", date(2024, 2, 2), date(2024, 2, 2), ("David Cox",))
    (rej,) = p.rejections
    assert "2402.00012" in rej.reason and "created" in rej.reason and rej.file == "arxiv-1.xml"


def test_oai_dc_subjects_map_to_codes_and_unknown_names_fall_back_to_the_set() -> None:
    a, b = page("oai_dc-1.xml").papers
    assert a == Paper(
        id="2403.00020", title="Strings on a Lattice", abstract="Strings, discretised.",
        categories=("hep-th", "hep-lat", "math.MP"), published=date(2024, 3, 1), updated=date(2024, 3, 12),
        authors=("Edward Witten", "Juan Maldacena"), comments="44 pages", journal_ref="JHEP 03 (2024) 001",
        doi="10.1007/JHEP03(2024)001",
    )
    assert b.categories == ("hep-th",) and b.authors == ("Jane Doe",)


@pytest.mark.parametrize(("subject", "code"), [
    ("Computer Science - Machine Learning", "cs.LG"), ("Statistics - Machine Learning", "stat.ML"),
    ("Quantum Physics", "quant-ph"), ("Physics - Optics", "physics.optics"),
    ("Condensed Matter - Strongly Correlated Electrons", "cond-mat.str-el"),
    ("Electrical Engineering and Systems Science - Signal Processing", "eess.SP"),
    ("computer science -  computation and language", "cs.CL"), ("cs.LG", "cs.LG"), ("Basket Weaving", None),
])
def test_subject_names(subject: str, code: str | None) -> None:
    assert category_for_subject(subject) == code


def test_oai_errors() -> None:
    empty = page("no-records.xml")
    assert empty.no_records and empty.papers == [] and empty.token is None
    with pytest.raises(OAIProtocolError) as info:
        page("bad-token.xml")
    assert info.value.code == "badResumptionToken"
    with pytest.raises(OAIProtocolError) as info:
        page("bad-argument.xml")
    assert info.value.code == "badArgument" and "nonsense" in str(info.value)


@pytest.mark.parametrize("cut", [0.3, 0.5, 0.9, 0.999])
def test_truncated_pages_are_malformed(cut: float) -> None:
    body = (OAI / "arxivraw-1.xml").read_bytes()
    with pytest.raises(MalformedResponse, match="truncated"):
        parse_list_records(body[: int(len(body) * cut)])


@pytest.mark.parametrize("body", [
    (OAI / "error-page.html").read_bytes(), b"", b"   ", b"<html><body>oops</body></html>",
    b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"/>',
    b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>x</responseDate></OAI-PMH>',
])
def test_non_oai_bodies_are_malformed(body: bytes) -> None:
    with pytest.raises(MalformedResponse):
        parse_list_records(body)


def test_records_missing_id_or_dates_are_rejected_and_the_rest_kept() -> None:
    body = (OAI / "arxivraw-1.xml").read_text()
    no_id = body.replace("<identifier>oai:arXiv.org:2312.09999</identifier>", "<identifier> </identifier>", 1)
    p = parse_list_records(no_id.encode(), where="p1")
    assert [x.id for x in p.papers] == ["2401.00001"] and "identifier" in p.rejections[0].reason
    no_dates = body.replace('<version version="v1"><date>Sun, 31 Dec 2023 23:30:00 GMT</date>', '<version version="v1">', 1)
    p = parse_list_records(no_dates.encode(), where="p1")
    assert [x.id for x in p.papers] == ["2401.00001"]
    assert "2312.09999" in p.rejections[0].reason and "version" in p.rejections[0].reason
    bad_date = body.replace("<datestamp>2024-01-02</datestamp>", "<datestamp>yesterday</datestamp>", 1)
    p = parse_list_records(bad_date.encode(), where="p1")
    assert len(p.papers) == 1 and "datestamp" in p.rejections[0].reason


def test_saved_oai_response_imports_through_uptake_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert detect_format(OAI / "arxivraw-2.xml") == "oai"
    db = tmp_path / "o.duckdb"
    assert main(["import", "--db", str(db), str(OAI / "arxivraw-1.xml"), str(OAI / "arxivraw-2.xml")]) == 0
    out = capsys.readouterr().out
    assert "inserted 3" in out and "2301.00002: marked deleted" in out
    with Store.open(db) as s:
        assert s._rows("SELECT id, published FROM papers ORDER BY id") == [
            ("2312.09999", date(2023, 12, 31)), ("2401.00001", date(2024, 1, 1)), ("math/0601001", date(2006, 1, 1)),
        ]


@pytest.mark.acceptance
def test_real_oai_dc_response_from_arxiv() -> None:
    if not REAL_OAI.is_file():
        pytest.skip(f"the real OAI-PMH sample is not at {REAL_OAI} (shared data only on development machines and CI)")
    p = parse_list_records(REAL_OAI.read_bytes(), where="real")
    assert [x.id for x in p.papers] == ["1303.2033", "2401.14034", "2401.14036", "2401.14038", "2401.14040"]
    assert p.rejections == [] and p.deleted == []
    assert (p.token, p.cursor, p.complete_list_size) == ("6960524|1001", 0, 1162)
    old = p.papers[0]
    assert old.published == date(2013, 3, 8)  # the first of its two dc:date values, not the 2024 datestamp
    assert old.updated == date(2024, 1, 25) and old.comments == "32 pages, 9 figures"
    assert old.categories == ("cs.DS", "cs.IT", "math.NA") and old.authors == ("Vilnis Liepins",)
    assert p.papers[4].categories == ("cs.CL",) and p.papers[4].comments == "Accepted to the Findings of EACL 2024"
    assert not any(x.abstract.startswith("Comment:") for x in p.papers)
