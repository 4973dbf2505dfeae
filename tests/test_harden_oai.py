"""Issue 14 (OAI-PMH): refused sets, oai_dc subjects and comments, arXiv-format dates."""

from __future__ import annotations

from pathlib import Path

import pytest

from oai_server import FixtureRepository, OAIServer
from test_harvest import run, states
from uptake.cli import main
from uptake.errors import HarvestRefusedError


def test_a_refused_set_does_not_stop_the_others(tmp_path: Path) -> None:
    with OAIServer(FixtureRepository()) as server:
        with pytest.raises(HarvestRefusedError, match="nonsense.*badArgument.*other sets were harvested") as info:
            run(tmp_path / "x.duckdb", server, ["nonsense", "cs"])
    by_set = {s.set_spec: s for s in info.value.summary.sets}  # type: ignore[attr-defined]
    assert by_set["nonsense"].refused and not by_set["nonsense"].complete
    assert by_set["cs"].complete and by_set["cs"].inserted > 0 and by_set["cs"].refused is None
    assert {s["set_spec"] for s in states(tmp_path / "x.duckdb") if s.get("last_datestamp")} == {"cs"}


def test_cli_says_what_is_wrong_instead_of_run_again(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with OAIServer(FixtureRepository()) as server:
        code = main(["harvest", "--db", str(tmp_path / "h.duckdb"), "--endpoint", server.url, "--delay", "0",
                     "--contact", "t@example.org", "--set", "cs", "--set", "nonsense", "--set", "stat"])
    out, err = capsys.readouterr()
    assert code == 2
    assert "set nonsense" in out and "refused by the server" in out
    nonsense_line = next(line for line in out.splitlines() if "set nonsense" in line)
    assert "run again to resume" not in nonsense_line
    assert "check --set" in err and "Traceback" not in err


# -- oai_dc as arXiv's own OAI server code writes it ------------------------------------------------------------
def _dc_page(records: list[tuple[str, list[str], list[str], list[str]]]) -> bytes:
    body = []
    for ident, specs, subjects, descriptions in records:
        body.append(
            f"<record><header><identifier>oai:arXiv.org:{ident}</identifier><datestamp>2024-03-12</datestamp>"
            + "".join(f"<setSpec>{s}</setSpec>" for s in specs) + "</header><metadata>"
            '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<dc:title>Paper {ident}</dc:title><dc:creator>Doe, Jane</dc:creator>"
            + "".join(f"<dc:subject>{s}</dc:subject>" for s in subjects)
            + "".join(f"<dc:description>{d}</dc:description>" for d in descriptions)
            + f"<dc:date>2024-03-01</dc:date><dc:identifier>http://arxiv.org/abs/{ident}</dc:identifier>"
            "</oai_dc:dc></metadata></record>"
        )
    return ('<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
            "<responseDate>2024-03-20T12:00:00Z</responseDate>"
            '<request verb="ListRecords" metadataPrefix="oai_dc">http://127.0.0.1/oai</request>'
            "<ListRecords>" + "".join(body) + "</ListRecords></OAI-PMH>").encode()


def test_bare_subject_names_three_level_sets_and_unprefixed_comments():
    from uptake.sources.oai import parse_list_records

    page = parse_list_records(_dc_page([
        ("2403.00001", ["math:math:NA"], ["Numerical Analysis", "Information Theory"], ["An abstract.", "12 pages"]),
        ("2403.00002", ["math:math:PR"], ["Probability"], ["Abstract.", "Comment: 3 figures"]),
        ("2403.00003", ["cs"], ["Systems and Control", "Warp Drives"], ["Abstract."]),
        ("2403.00004", ["physics:cond-mat:mes-hall"], ["Warp Drives"], ["Abstract."]),
        ("2403.00005", ["cs"], ["Warp Drives"], ["Abstract."]),
    ]), where="t")
    by_id = {p.id: p for p in page.papers}
    assert by_id["2403.00001"].categories == ("math.NA", "math.IT")  # the set decides the archive and by_id["2403.00001"].comments == "12 pages"
    assert by_id["2403.00002"].categories == ("math.PR",) and by_id["2403.00002"].comments == "3 figures"
    assert by_id["2403.00003"].categories == ("cs.SY",)  # set cs; the unknown subject is not invented into a code
    assert by_id["2403.00004"].categories == ("cond-mat.mes-hall",)  # a set that names a category
    (rej,) = page.rejections
    assert "Warp Drives" in rej.reason and "2403.00005" in rej.reason


def test_every_category_name_maps_back_in_both_styles():
    from uptake.sources.taxonomy import _ARCHIVES, ALIASES, CATEGORIES, category_for_subject

    for archive, (archive_name, subjects) in _ARCHIVES.items():
        for code, name in subjects.items():
            full = f"{archive}.{code}"
            assert category_for_subject(f"{archive_name} - {name}") == full
            assert category_for_subject(name, [archive]) in (full, ALIASES.get(full))  # math.MP is math-ph
            assert category_for_subject(name) in (full, ALIASES.get(full), None, *ALIASES.values(), *CATEGORIES)
    assert all(category_for_subject(c) == c for c in CATEGORIES)
    for junk in ("NA", "PR", "SY", "mes-hall", "Basket Weaving"):
        assert category_for_subject(junk) is None


def test_harvest_notes_inexact_dates_and_mixed_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "m.duckdb"
    base = ["harvest", "--db", str(db), "--delay", "0", "--contact", "t@example.org"]
    with OAIServer(FixtureRepository()) as server:
        assert main([*base, "--endpoint", server.url, "--set", "cs"]) == 0
        assert "note:" not in capsys.readouterr().err
        assert main([*base, "--endpoint", server.url, "--set", "stat", "--metadata-prefix", "arXiv"]) in (0, 2)
    err = capsys.readouterr().err
    assert "current" in err and "only arXivRaw" in err and "arXiv, arXivRaw" in err
