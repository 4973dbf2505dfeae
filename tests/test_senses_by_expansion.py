"""Senses of an acronym by expansion, and the query form ``TERM sense:EXPANSION``.

Expected results are stated from what was planted, before looking at what uptake measures:

- hand-written papers: which paper defines which sense, which inherits which, which is undetermined;
- a synthetic corpus with one acronym, GRPO, planted twice: "group robust preference optimization" in stat/q-bio
  from 2015-03 (spelled out after the acronym, ``GRPO (…)``) and "group relative policy optimization" in cs from
  2024-02 (spelled out before it, ``… (GRPO)``). uptake must find exactly these two senses; each sense's defining
  papers are exactly the planted papers whose spelled-out form was written; its first mention is the earliest of
  them; papers that do not spell it out get the planted sense in at least 90% of cases, and every such paper
  before 2024-02 gets the old sense (the new one did not exist yet), except those before the old sense's first
  definition, which are undetermined;
- the index and the exact scan count a ``sense:`` query alike, equal to a brute force over the papers.
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import make_paper, store_with
from uptake.analytics.senses import SenseRow, assign_senses, find_expansions, sense_key
from uptake.errors import QueryError, UsageError
from uptake.periods import month_of
from uptake.query import parse_query
from uptake.query.parse import with_sense
from uptake.store import Store
from uptake.synthetic import PlantedTerm, SyntheticCorpus

OLD = "group robust preference optimization"
NEW = "group relative policy optimization"


# -- the pure part, on hand-written papers ------------------------------------------------------------
def _row(pid: str, published: str, primary: str, abstract: str, title: str = "A title") -> SenseRow:
    from uptake.text import token_strings

    return SenseRow(id=pid, published=date.fromisoformat(published), primary=primary, title=title,
                    abstract=abstract, tok=token_strings(title)[0] + token_strings(abstract)[0])


def test_expansions_in_both_directions() -> None:
    assert find_expansions("We use GRPO (Group Relative Policy Optimization) here.", "GRPO") == [NEW]
    assert find_expansions("GRPO (group robust preference optimization; Ramesh et al.)", "GRPO") == [OLD]
    assert find_expansions("GRPO (Shao et al., 2024) is used", "GRPO") == []
    assert find_expansions("grpo (group relative policy optimization)", "GRPO", ignore_case=True) == [NEW]
    assert sense_key("Group Relative Policy Optimisations") == sense_key("group-relative policy optimization")


def test_hand_labelled_assignment() -> None:
    rows = [
        _row("a1", "2019-05-02", "stat.ML", "GRPO appears before anyone spelled it out."),  # undetermined
        _row("a2", "2020-01-10", "stat.ML", "We define GRPO (group robust preference optimization) for groups."),
        _row("a3", "2021-03-01", "stat.ML", "GRPO again, undefined."),  # inherits OLD (only sense alive)
        _row("b1", "2024-02-05", "cs.LG", "Group Relative Policy Optimization (GRPO) trains reasoners."),
        _row("b2", "2024-06-01", "cs.LG", "group relative policy optimisation (GRPO) once more."),  # British form
        _row("b3", "2024-07-01", "cs.LG", "We tune GRPO."),  # 2024, cs.LG: NEW dominates
        _row("c1", "2024-08-01", "stat.ML", "We revisit GRPO."),  # 2024, stat.ML: no definition there this year;
        # the year's archive "stat" has none either; the year overall: NEW 2 vs OLD 0 -> NEW
        _row("c2", "2024-09-01", "math.OC", "GRPO (group robust preference optimization) and "
             "group relative policy optimization (GRPO) compared."),  # defines both
    ]
    a = assign_senses("GRPO", rows)
    by = {s.key: s for s in a.senses}
    assert set(by) == {sense_key(OLD), sense_key(NEW)}
    old, new = by[sense_key(OLD)], by[sense_key(NEW)]
    assert sorted(a.members[old.key][0]) == ["a2", "c2"] and sorted(a.members[old.key][1]) == ["a3"]
    assert sorted(a.members[new.key][0]) == ["b1", "b2", "c2"] and sorted(a.members[new.key][1]) == ["b3", "c1"]
    assert a.undetermined == 1
    assert old.first_mention is not None and old.first_mention["id"] == "a2"
    assert new.first_mention is not None and new.first_mention["id"] == "b1"
    assert (new.defining, new.inferred) == (3, 2)
    assert a.find("relative").key == new.key and a.find("Group Robust Preference Optimisation").key == old.key
    with pytest.raises(UsageError, match="senses"):
        a.find("group")  # names both
    with pytest.raises(UsageError):
        a.find("low rank adaptation")


def test_query_form_parses_and_refuses_clearly() -> None:
    s = parse_query('GRPO sense:"Group Relative Policy Optimization", DPO').series
    assert s[0].expr.sense == NEW and s[1].expr.sense is None
    for bad in ("sense:x", "GRPO sense:", '"a b" sense:x', "NOT sense:x", "GR* sense:x"):
        with pytest.raises(QueryError):
            parse_query(bad)
    q = with_sense(parse_query("GRPO, DPO | PPO"), NEW)
    assert q.series[0].expr.sense == NEW and q.series[0].label == f'GRPO sense:"{NEW}"'
    with pytest.raises(UsageError):
        with_sense(parse_query('"a b", DPO | PPO'), NEW)


# -- the planted corpus ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    synth = SyntheticCorpus(
        n_papers=24_000, start="2013-01", end="2026-06", seed=5, vocabulary_size=20_000, sentence_pool=5_000,
        planted=(
            PlantedTerm("old", ("GRPO",), "constant", K=0.05, onset="2015-03", categories=("stat", "q-bio"),
                        companion=OLD, companion_rate=0.5, companion_style="after"),
            PlantedTerm("new", ("GRPO",), "logistic", K=0.06, r=0.4, t0="2025-03", onset="2024-02",
                        categories=("cs",), companion=NEW, companion_rate=0.4),
        ),
        record=("old", "new"),
    )
    path = tmp_path_factory.mktemp("senses") / "s.duckdb"
    corpus = store_with(path, synth.papers())
    from uptake import index as ix

    with Store.open(path, write=True) as store:
        ix.rebuild(store)
    from uptake.plans import Phrase

    with Store.open(path) as store:
        dates = dict(store.token_rows(Phrase(("grpo",), ("title", "abstract"), False), columns=("id", "published")))
    return corpus, synth, dates


def test_two_senses_born_years_apart(planted) -> None:  # type: ignore[no-untyped-def]
    corpus, synth, dates = planted
    rep = corpus.senses("GRPO")
    assert [s.key for s in sorted(rep.senses, key=lambda s: s.first_mention["date"])] == [sense_key(OLD),
                                                                                          sense_key(NEW)]
    for name, exp in (("old", OLD), ("new", NEW)):
        defined = sorted(pid for pid, d in synth.planted_papers[name].items() if d)
        s = next(x for x in rep.senses if x.key == sense_key(exp))
        assert s.defining == len(defined) > 5
        first = min(defined, key=lambda pid: (dates[pid], pid))
        assert s.first_mention["id"] == first
    json_senses = rep.as_dict()["senses"]
    assert {d["expansion"] for d in json_senses} == {OLD, NEW}


def test_undefined_papers_inherit_the_planted_sense(planted) -> None:  # type: ignore[no-untyped-def]
    corpus, synth, dates = planted
    from uptake.corpus._senses import assignment

    with Store.open(corpus.path) as store:
        a = assignment(store, "GRPO")
    inferred = {pid: k for k, (_, inf) in a.members.items() for pid in inf}
    truth = {pid: sense_key(OLD if name == "old" else NEW)
             for name in ("old", "new") for pid, d in synth.planted_papers[name].items() if not d}
    both = set(synth.planted_papers["old"]) & set(synth.planted_papers["new"])
    undefined = {pid: k for pid, k in truth.items() if pid not in both}
    old_first = month_of(date.fromisoformat(next(s for s in a.senses if s.key == sense_key(OLD)).first_mention["date"]))
    early = [pid for pid in undefined if month_of(dates[pid]) < old_first]
    assert a.undetermined == len(early)
    judged = {pid: k for pid, k in undefined.items() if pid not in early}
    right = sum(inferred.get(pid) == k for pid, k in judged.items())
    assert right >= 0.9 * len(judged) and len(judged) > 50
    before_new = [pid for pid in judged if dates[pid] < date(2024, 2, 1)]
    assert before_new and all(inferred[pid] == sense_key(OLD) for pid in before_new)


@pytest.mark.parametrize("engine", ["index", "scan"])
def test_sense_query_counts_its_papers(planted, engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    corpus, synth, dates = planted
    if engine == "scan":
        monkeypatch.setenv("UPTAKE_NO_INDEX", "1")
    from uptake.corpus._senses import assignment

    with Store.open(corpus.path) as store:
        a = assignment(store, "GRPO")
    new = next(s for s in a.senses if s.key == sense_key(NEW))
    want = Counter(month_of(dates[pid]) for pid in a.ids(new.key))
    t = corpus.trend(f'GRPO sense:"{NEW}", GRPO sense:robust', measure="count")
    got = {month_of(date.fromisoformat(p.period + "-01")): p.count for p in t.series[0].points if p.count}
    assert got == dict(want)
    assert sum(p.count for p in t.series[1].points) == len(a.ids(sense_key(OLD)))
    assert t.filters["senses"][f"GRPO sense:{NEW}"]["first_mention"]["id"] == new.first_mention["id"]
    # --sense is the same as the query form; adoption names both senses' first mentions
    t2 = corpus.trend(with_sense(parse_query("GRPO"), NEW), measure="count")
    assert [p.count for p in t2.series[0].points] == [p.count for p in t.series[0].points]
    planted_new = set(synth.planted_papers["new"])
    assert len(planted_new & set(a.ids(new.key))) >= 0.9 * len(planted_new)
    papers = corpus.papers(f'GRPO sense:"{NEW}"', limit=5)
    assert papers.total == len(a.ids(new.key))


def test_adoption_and_cli_show_every_sense(planted, capsys) -> None:  # type: ignore[no-untyped-def]
    from uptake.cli import main

    corpus, synth, _ = planted
    rep = corpus.adoption("GRPO", fits=False)
    senses = rep.series[0].senses["senses"]
    assert {s["expansion"] for s in senses} == {OLD, NEW}
    assert main(["adoption", "GRPO", "--db", str(corpus.path)]) == 0
    out = capsys.readouterr().out
    assert OLD in out and NEW in out
    assert main(["senses", "GRPO", "--db", str(corpus.path)]) == 0
    out = capsys.readouterr().out
    assert OLD in out and NEW in out and "inferred" in out
    assert main(["trend", "GRPO", "--sense", "relative", "--db", str(corpus.path), "--format", "csv"]) == 0
    assert 'GRPO sense:""relative""' in capsys.readouterr().out  # CSV doubles the quotes


# -- property: index, scan and brute force agree on sense queries --------------------------------------
_ABSTRACTS = (
    "We study XQ in detail.",
    "x quartz (XQ) is defined here.",
    "XQ (xenon quota) is another thing.",
    "XQ (x quartz) again with more words.",
    "nothing about it at all.",
    "xenon quota (XQ) and x quartz (XQ) both.",
    "Plain xq mention.",
)
paper_st = st.builds(
    lambda i, a, y, m, cats: make_paper(f"2{y % 10}{m:02d}.{i:05d}", "T", _ABSTRACTS[a], categories=cats,
                                        published=f"20{y:02d}-{m:02d}-10"),
    st.integers(1, 99_999), st.integers(0, len(_ABSTRACTS) - 1), st.integers(18, 25), st.integers(1, 12),
    st.sampled_from([("cs.LG",), ("math.OC",), ("cs.CL", "stat.ML"), ("stat.ML",)]),
)
query_st = st.sampled_from([
    'XQ sense:"x quartz"', "XQ sense:xenon", 'XQ sense:"x quartz" cat:cs', 'NOT XQ sense:xenon',
    'XQ sense:quartz | XQ sense:xenon', '=XQ sense:quartz', 'title:XQ sense:quartz', 'XQ sense:quartz -quartz',
])


def _brute(papers, query: str, ids_of) -> Counter:  # type: ignore[no-untyped-def]
    from brute import matches
    from uptake.query.ast import And, Not, Or, Term

    latest = {p.id: p for p in papers}

    def ev(expr, p):  # type: ignore[no-untyped-def]
        if isinstance(expr, Term) and expr.sense is not None:
            from dataclasses import replace

            return matches(replace(expr, sense=None), p) and p.id in ids_of(expr.sense)
        if isinstance(expr, Not):
            return not ev(expr.item, p)
        if isinstance(expr, And):
            return all(ev(e, p) for e in expr.items)
        if isinstance(expr, Or):
            return any(ev(e, p) for e in expr.items)
        return matches(expr, p)

    expr = parse_query(query).series[0].expr
    return Counter(p.month for p in latest.values() if ev(expr, p))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(papers=st.lists(paper_st, min_size=3, max_size=25, unique_by=lambda p: p.id), query=query_st)
def test_sense_queries_index_scan_and_brute_force_agree(tmp_path_factory, papers, query) -> None:  # type: ignore[no-untyped-def]
    from uptake import index as ix

    path = Path(tmp_path_factory.mktemp("senseprop")) / "s.duckdb"
    corpus = store_with(path, papers)
    with Store.open(path, write=True) as store:
        ix.rebuild(store)
    rows = [_row(p.id, p.published.isoformat(), p.categories[0], p.abstract, p.title) for p in papers]
    a = assign_senses("XQ", rows)
    try:
        via_index = corpus.trend(query, measure="count")
    except UsageError:  # the sense is not defined in this corpus: both engines must refuse alike
        os.environ["UPTAKE_NO_INDEX"] = "1"
        try:
            with pytest.raises(UsageError):
                corpus.trend(query, measure="count")
        finally:
            del os.environ["UPTAKE_NO_INDEX"]
        return
    os.environ["UPTAKE_NO_INDEX"] = "1"
    try:
        via_scan = corpus.trend(query, measure="count")
    finally:
        del os.environ["UPTAKE_NO_INDEX"]
    want = _brute(papers, query, lambda text: set(a.ids(a.find(text).key)))
    for t in (via_index, via_scan):
        got = {month_of(date.fromisoformat(p.period + "-01")): p.count for p in t.series[0].points if p.count}
        assert got == dict(want)


def test_web_trend_and_adoption_carry_senses(planted) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("fastapi")
    pytest.importorskip("httpx")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from fastapi.testclient import TestClient
    from uptake.web import create_app

    corpus, _, _ = planted
    client = TestClient(create_app(corpus.path), raise_server_exceptions=False)
    r = client.get("/api/trend", params={"q": f'GRPO sense:"{NEW}"', "measure": "count"})
    assert r.status_code == 200, r.text
    want = corpus.trend(f'GRPO sense:"{NEW}"', measure="count")
    assert sum(p["count"] for p in r.json()["series"][0]["points"]) == sum(p.count for p in want.series[0].points)
    r = client.get("/api/adoption", params={"q": "GRPO", "senses": "1"})
    assert r.status_code == 200, r.text
    assert {s["expansion"] for s in r.json()["series"][0]["senses"]["senses"]} == {OLD, NEW}
    r = client.get("/api/trend", params={"q": "GRPO sense:nosuchthing"})
    assert r.status_code == 400 and "uptake senses GRPO" in r.text
