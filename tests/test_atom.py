"""The arXiv API's Atom responses: parsing, detection, and `uptake import`."""

from __future__ import annotations

import gzip
import io
from datetime import date
from pathlib import Path

import pytest

from conftest import FIXTURES, FORMATS
from uptake.cli import main
from uptake.records import Paper, Rejection
from uptake.sources import detect_format, read_records
from uptake.sources.atom import iter_atom
from uptake.store import Store

HAND = FIXTURES / "atom" / "two-entries.xml"
ATOM_DIR = FORMATS / "atom-api"


def _items(path: Path) -> list[Paper | Rejection]:
    return [item for _, item in read_records(path)]


def _real(prefix: str) -> Path:
    found = sorted(ATOM_DIR.glob(f"{prefix}*.body.xml"))
    if not found:
        pytest.skip(f"real Atom samples are not at {ATOM_DIR} (shared data only on development machines and CI)")
    return found[0]


def test_hand_written_feed_gives_exact_papers_and_a_rejection() -> None:
    items = _items(HAND)
    assert items[0] == Paper(
        id="2505.01234", title="GRPO Without a Critic: Group Baselines Explained",  # API line wraps collapsed
        abstract="We explain group relative policy optimization (GRPO).",
        categories=("cs.LG", "cs.AI"),  # primary first, then the rest in feed order
        published=date(2025, 5, 2), updated=date(2025, 5, 20), authors=("Ada Lovelace", "Alan Turing"),
        comments="9 pages", journal_ref="Proc. ICML 2025", doi="10.1000/grpo.1",
    )
    assert items[1].id == "hep-th/9901001" and items[1].categories == ("hep-th",)
    assert items[1].published == date(1999, 1, 1)
    bad = items[2]
    assert isinstance(bad, Rejection) and "published" in bad.reason and bad.line == 36
    assert len(items) == 3


def test_atom_is_detected_by_content_even_gzipped(tmp_path: Path) -> None:
    assert detect_format(HAND) == "atom"
    gz = tmp_path / "saved-from-api.bin"
    gz.write_bytes(gzip.compress(HAND.read_bytes()))
    assert detect_format(gz) == "atom"
    assert [getattr(i, "id", None) for i in _items(gz)][:2] == ["2505.01234", "hep-th/9901001"]


def test_malformed_or_foreign_xml_is_one_rejection_not_a_crash() -> None:
    cut = HAND.read_bytes()[:700]
    items = list(iter_atom(io.BytesIO(cut), "cut.xml"))
    assert len(items) == 1 and isinstance(items[0][1], Rejection) and "well-formed" in items[0][1].reason
    items = list(iter_atom(io.BytesIO(b"<rss><channel/></rss>"), "rss.xml"))
    assert isinstance(items[0][1], Rejection) and "not an Atom feed" in items[0][1].reason


def test_entities_from_outside_are_never_resolved() -> None:
    evil = (b'<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/2501.00001v1</id>'
            b"<title>T &x;</title><summary>s</summary><published>2025-01-01T00:00:00Z</published>"
            b"<updated>2025-01-01T00:00:00Z</updated></entry></feed>")
    (_, item), = list(iter_atom(io.BytesIO(evil), "evil.xml"))
    assert isinstance(item, Paper) and "root:" not in item.title


def test_cli_import_atom_with_format_flag_and_detection(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "a.duckdb"
    assert main(["import", "--db", str(db), "--format", "atom", str(HAND)]) == 0
    out = capsys.readouterr().out
    assert "read 3 · inserted 2" in out and "rejected 1" in out and "published" in out
    assert main(["import", "--db", str(db), str(HAND)]) == 0  # detected; idempotent
    assert "inserted 0 · updated 0 · unchanged 2" in capsys.readouterr().out
    with Store.open(db) as s:
        assert s._rows("SELECT id, month, cat_str FROM papers ORDER BY id") == [
            ("2505.01234", 2025 * 12 + 4, " cs.LG cs.AI "), ("hep-th/9901001", 1999 * 12, " hep-th "),
        ]


# -- the real recorded API responses ------------------------------------------------------
@pytest.mark.acceptance
def test_real_single_entry_response() -> None:
    (paper,) = _items(_real("id_1605.08386"))
    assert paper == Paper(
        id="1605.08386", title="Heat-bath random walks with Markov bases",
        abstract=paper.abstract, categories=("math.CO", "math.ST"), published=date(2016, 5, 26),
        updated=date(2016, 5, 26), authors=("Caprice Stanley", "Tobias Windisch"), comments="20 pages, 3 figures",
    )
    assert paper.abstract.startswith("Graphs on lattice points") and paper.abstract.endswith("fixed dimension.")


@pytest.mark.acceptance
def test_real_search_pages_and_old_style_id() -> None:
    first = _items(_real("q_testing_s0_"))
    second = _items(_real("q_testing_s10_"))
    assert len(first) == 10 and len(second) == 10
    assert all(isinstance(p, Paper) and p.published <= p.updated and p.categories for p in first + second)
    assert not {p.id for p in first} & {p.id for p in second}  # consecutive pages, no overlap
    (old,) = _items(_real("id_astro-ph_0601001"))
    assert old.id == "astro-ph/0601001" and old.published.year == 2006


@pytest.mark.acceptance
def test_real_error_and_empty_feeds() -> None:
    (err,) = _items(_real("id_abc"))
    assert isinstance(err, Rejection) and "incorrect id format for abc" in err.reason
    assert _items(_real("id_0000.0000")) == []
