"""Issue 14 (wildcards): adoption of a wildcard query, and bounded expansion work."""

from __future__ import annotations

import pytest

from conftest import make_paper
from uptake.cli import main
from uptake.errors import QueryError


@pytest.fixture
def corpus(make_store):
    papers = []
    for i in range(60):
        month = 1 + i % 6
        word = ("adam", "alpha", "attention")[i % 3]
        papers.append(make_paper(f"2501.{i:05d}", f"{word} for GRPO", f"we study {word} with code",
                                 published=f"2025-{month:02d}-10"))
    return make_store(papers)


def test_adoption_of_a_wildcard_has_one_result_per_completion(corpus):
    report = corpus.adoption("a*", with_senses=False, fits=False)
    assert sorted(s.label for s in report.series) == ["adam", "alpha", "attention"]
    assert len(report.series) == len(report.trend.series)


def test_adoption_cli_with_a_wildcard_and_another_series(corpus, capsys):
    assert main(["adoption", "GRPO, a*", "--db", str(corpus.path), "--format", "json"]) == 0
    assert "zip()" not in capsys.readouterr().err


@pytest.mark.parametrize("text", ["*", "=*", "* has:code C++", "title:*", '"*"', "GRPO, **"])
def test_a_lone_star_is_refused_before_any_work(text):
    from uptake.query import parse_query

    with pytest.raises(QueryError, match="lone \\*|wildcard"):
        parse_query(text)


def test_a_star_inside_a_phrase_or_word_still_parses():
    from uptake.query import parse_query

    for text in ('"* policy optimization"', "of *", "GR*O", "*former", "=LLa*"):
        parse_query(text)


def test_a_phrase_wildcard_around_too_common_words_is_refused(corpus, monkeypatch):
    import uptake.query.expand as expand

    monkeypatch.setattr(expand, "MAX_PHRASE_PAPERS", 10)
    with pytest.raises(QueryError, match="too many to complete"):
        corpus.trend('"for *"')
    with pytest.raises(QueryError, match="too many to complete"):
        corpus.trend('"for *" has:code')  # the store scan (no term index) is bounded too
    monkeypatch.setattr(expand, "MAX_PHRASE_PAPERS", 1000)
    assert {s.label for s in corpus.trend('"for *"').series} == {'"for grpo"'}


def test_api_adoption_of_a_lone_star_is_a_400(corpus):
    from fastapi.testclient import TestClient

    from uptake.web import create_app

    client = TestClient(create_app(corpus.path), raise_server_exceptions=False)
    r = client.get("/api/adoption", params={"q": "*"})
    assert r.status_code == 400 and "lone" in r.text
