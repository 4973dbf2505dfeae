"""The term index gives exactly the brute-force answer, follows imports, and survives being killed.

The reference here is written from scratch over the Paper objects with
``uptake.text.tokens`` and ``contains_phrase``: no SQL, no index.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import make_paper, store_with
from uptake import index as ix
from uptake.corpus import Corpus
from uptake.errors import QueryError
from uptake.query import parse_query
from uptake.query.ast import And, Category, Not, Or, Term
from uptake.records import Paper
from uptake.store import Store
from uptake.text import contains_phrase, tokens
from uptake.ingest import upsert

# -- the brute-force reference --------------------------------------------------------------
WORDS = ["LoRA", "lora", "LORA", "GRPO", "grpo", "policy", "optimization", "Straße", "STRASSE", "ﬁne", "fine",
         "x_y", "a", "b", "ß", "Ǆ", "model", "2", "reward"]
SEPS = [" ", " ", "-", ", ", "\n", "/", " (", ") "]
CATS = ["cs.LG", "cs.CL", "math.AG", "eess.SP", "cs", "stat.ML"]


def _field_tokens(paper: Paper, field: str, cs: bool) -> list[str]:
    return tokens(paper.title if field == "title" else paper.abstract, case_sensitive=cs)


def brute_match(paper: Paper, expr, *, case_sensitive: bool, field: str) -> bool:  # type: ignore[no-untyped-def]
    if isinstance(expr, Term):
        cs = expr.case_sensitive if expr.case_sensitive is not None else case_sensitive
        needle = tokens(expr.text, case_sensitive=cs)
        where = expr.field if expr.field != "any" else field
        fields = ["title", "abstract"] if where == "any" else [where]
        return any(contains_phrase(_field_tokens(paper, f, cs), needle) for f in fields)
    if isinstance(expr, Category):
        if "." in expr.code:
            return expr.code in paper.categories
        return any(c == expr.code or c.startswith(expr.code + ".") for c in paper.categories)
    if isinstance(expr, Not):
        return not brute_match(paper, expr.item, case_sensitive=case_sensitive, field=field)
    if isinstance(expr, And):
        return all(brute_match(paper, e, case_sensitive=case_sensitive, field=field) for e in expr.items)
    if isinstance(expr, Or):
        return any(brute_match(paper, e, case_sensitive=case_sensitive, field=field) for e in expr.items)
    raise TypeError(expr)


def _is_meta(e) -> bool:  # type: ignore[no-untyped-def]
    return isinstance(e, Category) or (isinstance(e, Not) and isinstance(e.item, Category))


def brute_trend(papers: list[Paper], query: str, *, case_sensitive: bool = False, field: str = "any",
                category: list[str] | None = None) -> list[tuple[dict[int, int], dict[int, int]]]:
    """Per series: (papers per month matching, papers per month in its universe)."""
    latest: dict[str, Paper] = {}
    for p in papers:  # the store keeps the latest version of each id
        held = latest.get(p.id)
        if held is None or (p.updated, p.content_hash()) > (held.updated, held.content_hash()):
            latest[p.id] = p
    live = list(latest.values())
    glob = [Category(c, 0) for c in category or []]
    out = []
    for s in parse_query(query).series:
        items = list(s.expr.items) if isinstance(s.expr, And) else [s.expr]
        meta = [e for e in items if _is_meta(e)]
        rest = [e for e in items if not _is_meta(e)]
        counts: dict[int, int] = {}
        totals: dict[int, int] = {}
        for p in live:
            if glob and not any(brute_match(p, g, case_sensitive=case_sensitive, field=field) for g in glob):
                continue
            if not all(brute_match(p, m, case_sensitive=case_sensitive, field=field) for m in meta):
                continue
            totals[p.month] = totals.get(p.month, 0) + 1
            if all(brute_match(p, r, case_sensitive=case_sensitive, field=field) for r in rest):
                counts[p.month] = counts.get(p.month, 0) + 1
        out.append((counts, totals))
    return out


def observed(corpus: Corpus, query: str, **kw) -> list[tuple[dict[int, int], dict[int, int]]]:  # type: ignore[no-untyped-def]
    from uptake.periods import parse_month

    t = corpus.trend(query, measure="count", **kw)
    return [
        ({parse_month(p.period): p.count for p in s.points if p.count},
         {parse_month(p.period): p.total for p in s.points if p.total})
        for s in t.series
    ]


# -- strategies -----------------------------------------------------------------------------
text_st = st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPS)), min_size=0, max_size=12).map(
    lambda parts: "".join(w + s for w, s in parts).strip() or "empty")
paper_st = st.builds(
    lambda i, title, abstract, cats, month, upd: make_paper(
        f"2501.{i:05d}", title=title, abstract=abstract, categories=cats,
        published=f"2025-0{month}-1{month}", updated=f"2025-0{month}-2{upd}"),
    st.integers(0, 25), text_st, text_st,
    st.lists(st.sampled_from(CATS), min_size=1, max_size=3, unique=True), st.integers(1, 3), st.integers(0, 5),
)
corpus_st = st.lists(paper_st, min_size=1, max_size=30)

word_q = st.sampled_from([w for w in WORDS if w not in ("ß",)] + ["ss", "Lo", "policy optimization"])


@st.composite
def term_q(draw):  # type: ignore[no-untyped-def]
    words = draw(st.lists(word_q, min_size=1, max_size=3))
    text = " ".join(words)
    quoted = len(words) > 1 or draw(st.booleans())
    body = f'"{text}"' if quoted else text
    prefix = draw(st.sampled_from(["", "", "=", "title:", "abstract:", "title:="]))
    return prefix + body


@st.composite
def expr_q(draw, depth: int = 2):  # type: ignore[no-untyped-def]
    if depth == 0:
        return draw(st.one_of(term_q(), st.sampled_from(CATS).map(lambda c: f"cat:{c}")))
    kind = draw(st.sampled_from(["atom", "and", "or", "not", "neg", "paren"]))
    if kind == "atom":
        return draw(expr_q(0))
    a = draw(expr_q(depth - 1))
    if kind == "not":
        return f"NOT {a}"
    if kind == "neg":
        return f"-{draw(term_q())}" if draw(st.booleans()) else f"-cat:{draw(st.sampled_from(CATS))}"
    if kind == "paren":
        return f"({a})"
    b = draw(expr_q(depth - 1))
    return f"({a}) AND ({b})" if kind == "and" else f"{a} | {b}"


query_st = st.lists(expr_q(), min_size=1, max_size=3).map(", ".join)


def _build_indexed(path: Path, papers: list[Paper]) -> Corpus:
    corpus = store_with(path, papers)
    with Store.open(path, write=True) as store:
        ix.rebuild(store)
    return corpus


# -- properties -----------------------------------------------------------------------------
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(papers=corpus_st, queries=st.lists(query_st, min_size=4, max_size=8), cs=st.booleans(),
       field=st.sampled_from(["any", "any", "title", "abstract"]),
       category=st.sampled_from([[], [], ["cs"], ["math.AG", "cs.CL"]]))
def test_index_equals_brute_force(tmp_path_factory, papers, queries, cs, field, category):  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("prop") / "s.duckdb"
    corpus = _build_indexed(path, papers)
    with Store.open(path) as store:
        assert ix.open_fresh(store) is not None, "the index just built must be used"
    for q in queries:
        try:
            parse_query(q)
        except QueryError:
            continue
        want = brute_trend(papers, q, case_sensitive=cs, field=field, category=category)
        try:
            got = observed(corpus, q, case_sensitive=cs, field=field, category=category)
        except Exception as exc:  # unknown category in this small corpus: same for both paths
            from uptake.errors import UnknownCategoryError

            assert isinstance(exc, UnknownCategoryError)
            continue
        assert got == want, q
        # The papers list agrees too: same total, same newest-first page as the scan.
        listed = corpus.papers(q, case_sensitive=cs, field=field, category=category, limit=5, offset=1)
        os.environ["UPTAKE_NO_INDEX"] = "1"
        try:
            scanned = corpus.papers(q, case_sensitive=cs, field=field, category=category, limit=5, offset=1)
        finally:
            del os.environ["UPTAKE_NO_INDEX"]
        assert listed == scanned, q
        assert listed.total == sum(sum(c.values()) for c, _ in want[:1]) or len(want) > 1


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=corpus_st, second=corpus_st, queries=st.lists(query_st, min_size=2, max_size=4))
def test_incremental_update_equals_brute_force(tmp_path_factory, first, second, queries):  # type: ignore[no-untyped-def]
    """Papers imported later (new ids and newer versions of stored ones) are counted once, in their latest form."""
    path = tmp_path_factory.mktemp("inc") / "s.duckdb"
    _build_indexed(path, first)
    with Store.open(path, write=True) as store:
        store.begin()
        upsert(store, second)
        store.commit()
        gen_before = ix.open_index(path).gen  # type: ignore[union-attr]
        info = ix.sync(store)
    assert info is not None and info.fresh
    assert info.generation == gen_before or info.action == "rebuilt"
    corpus = Corpus(path)
    for q in queries:
        try:
            want = brute_trend(first + second, q)
            got = observed(corpus, q)
        except QueryError:
            continue
        except Exception as exc:
            from uptake.errors import UnknownCategoryError

            assert isinstance(exc, UnknownCategoryError)
            continue
        assert got == want, q


def test_updated_paper_stops_counting_in_old_form(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    old = make_paper("2501.00001", title="GRPO for agents", published="2025-01-10")
    other = make_paper("2501.00002", title="PPO baseline", published="2025-01-11")
    _build_indexed(path, [old, other])
    new = make_paper("2501.00001", title="PPO for agents", published="2025-01-10", updated="2025-03-01")
    with Store.open(path, write=True) as store:
        store.begin()
        upsert(store, [new])
        store.commit()
        assert ix.open_fresh(store) is None, "a store changed after indexing is not answered from the stale index"
        info = ix.sync(store)
        assert info is not None and info.action == "updated"
    corpus = Corpus(path)
    t = corpus.trend("GRPO, PPO", measure="count", start="2025-01", end="2025-01")
    assert [s.points[0].count for s in t.series] == [0, 2]
    with Store.open(path) as store:
        assert ix.open_fresh(store) is not None


def test_stale_index_falls_back_to_the_scan(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    corpus = _build_indexed(path, [make_paper("2501.00001", title="GRPO one")])
    assert corpus.trend("GRPO", measure="count").series[0].total_count == 1
    with Store.open(path, write=True) as store:  # written without updating the index
        store.begin()
        upsert(store, [make_paper("2501.00002", title="GRPO two")])
        store.commit()
    assert corpus.trend("GRPO", measure="count").series[0].total_count == 2
    assert corpus.papers("GRPO").total == 2


def test_import_builds_and_updates_the_index(tmp_path: Path) -> None:
    from uptake.synthetic import SyntheticCorpus, write_jsonl

    a, b = tmp_path / "a.jsonl.gz", tmp_path / "b.jsonl.gz"
    write_jsonl(SyntheticCorpus(n_papers=600, start="2024-01", end="2025-06", seed=1, vocabulary_size=2000,
                                sentence_pool=300), str(a))
    write_jsonl(SyntheticCorpus(n_papers=400, start="2025-01", end="2025-12", seed=2, vocabulary_size=2000,
                                sentence_pool=300), str(b))
    corpus = Corpus(tmp_path / "s.duckdb")
    corpus.import_files([a])
    with Store.open(corpus.path) as store:
        idx = ix.open_fresh(store)
        assert idx is not None and idx.papers == store.paper_count()
        gen = idx.gen
    corpus.import_files([b])
    with Store.open(corpus.path) as store:
        idx = ix.open_fresh(store)
        assert idx is not None and idx.gen == gen, "an import updates the index in place, no rebuild"
        assert idx.papers == store.paper_count()
    with_index = corpus.trend("GRPO, model, the", measure="count")
    os.environ["UPTAKE_NO_INDEX"] = "1"
    try:
        scanned = corpus.trend("GRPO, model, the", measure="count")
    finally:
        del os.environ["UPTAKE_NO_INDEX"]
    assert with_index == scanned


def test_cli_index_rebuild_and_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from uptake.cli import main

    path = tmp_path / "s.duckdb"
    store_with(path, [make_paper("2501.00001", title="GRPO one"), make_paper("2501.00002", title="x")])
    assert main(["index", "--db", str(path), "--status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["action"] == "none"
    assert main(["index", "--db", str(path), "--rebuild", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["papers"] == 2 and first["fresh"] and first["action"] == "rebuilt"
    assert main(["index", "--db", str(path), "--rebuild", "--json"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["generation"] != first["generation"]
    assert not (Path(first["path"]) / first["generation"]).exists(), "the old generation is removed after the switch"
    assert main(["index", "--db", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["action"] == "up to date"


# -- crash safety -------------------------------------------------------------------------------
_KILL_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import uptake.index as ix
    from uptake.corpus import Corpus

    db, src, where, marker = sys.argv[1:5]
    def pause(tag):
        Path(marker).write_text(tag)
        time.sleep(60)
    if where == "adding":           # rows handed to tantivy, nothing committed
        orig = ix._add_rows
        def add(*a, **k):
            n = orig(*a, **k)
            pause("adding")
            return n
        ix._add_rows = add
    elif where == "committed":      # tantivy committed, state.json not yet written
        ix._write_state = lambda *a, **k: pause("committed")
    elif where == "rebuilding":     # a new generation half written, CURRENT not switched
        orig = ix._add_rows
        def add(*a, **k):
            n = orig(*a, **k)
            pause("rebuilding")
            return n
        ix._add_rows = add
        ix.sync = lambda store, **k: ix.rebuild(store)
    Corpus(db).import_files([src])
    """
)


@pytest.mark.parametrize("where", ["adding", "committed", "rebuilding"])
def test_killed_import_never_leaves_a_broken_index(tmp_path: Path, where: str) -> None:
    from uptake.synthetic import SyntheticCorpus, write_jsonl

    first = list(SyntheticCorpus(n_papers=500, start="2024-01", end="2025-03", seed=4, vocabulary_size=1500,
                                 sentence_pool=200).papers())
    second = SyntheticCorpus(n_papers=700, start="2025-01", end="2025-12", seed=5, vocabulary_size=1500,
                             sentence_pool=200)
    src = tmp_path / "more.jsonl.gz"
    write_jsonl(second, str(src))
    path = tmp_path / "s.duckdb"
    _build_indexed(path, first)
    old_gen = ix.open_index(path).gen  # type: ignore[union-attr]
    marker = tmp_path / "marker"
    script = tmp_path / "kill.py"
    script.write_text(_KILL_SCRIPT)
    proc = subprocess.Popen([sys.executable, str(script), str(path), str(src), where, str(marker)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert proc.poll() is None, proc.stderr.read().decode()  # type: ignore[union-attr]
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    # The next command sees a complete index: the old one (behind the store, so not used), never a broken one.
    idx = ix.open_index(path)
    assert idx is not None and idx.gen == old_gen
    assert idx.searcher.num_docs >= len(first)
    corpus = Corpus(path)
    all_papers = first + list(SyntheticCorpus(n_papers=700, start="2025-01", end="2025-12", seed=5,
                                              vocabulary_size=1500, sentence_pool=200).papers())
    q = "GRPO, model, the, cat:cs"
    want = brute_trend(all_papers, q)
    assert observed(corpus, q) == want
    # The next writer finishes the update, and the index then answers exactly.
    with Store.open(path, write=True) as store:
        info = ix.sync(store)
        assert info is not None and info.fresh
        assert ix.open_fresh(store) is not None
    assert observed(corpus, q) == want
    assert not [p for p in ix.index_dir(path).iterdir() if p.name.startswith("gen-") and p.name != info.generation]


def test_semantics_agree_on_unicode_edge_cases(tmp_path: Path) -> None:
    papers = [
        make_paper("2501.00001", title="Straße and STRASSE", abstract="ﬁne-tuning x_y"),
        make_paper("2501.00002", title="LoRA/LoRa", abstract="Ǆ dž", published="2025-02-03"),
    ]
    corpus = _build_indexed(tmp_path / "s.duckdb", papers)
    for q in ["strasse", "=Straße", "fine tuning", "x", "y", "lora", "=LoRa", "ǆ", "=Ǆ", '"lora lora"']:
        assert observed(corpus, q) == brute_trend(papers, q), q
    assert date(2025, 2, 3) == corpus.papers("=LoRa").papers[0].published


def test_without_tantivy_everything_scans(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The index is an accelerator: with the engine missing, imports and queries still work, by scanning."""
    path = tmp_path / "s.duckdb"
    corpus = _build_indexed(path, [make_paper("2501.00001", title="GRPO one")])
    monkeypatch.setattr(ix, "available", lambda: False)
    with Store.open(path, write=True) as store:
        store.begin()
        upsert(store, [make_paper("2501.00002", title="GRPO two")])
        store.commit()
        assert ix.sync(store) is None
        assert ix.open_fresh(store) is None
    assert corpus.trend("GRPO", measure="count").series[0].total_count == 2


@pytest.mark.acceptance
def test_real_records_index_equals_scan(tmp_path: Path) -> None:
    """On real arXiv records (accents, ligatures, Greek, LaTeX), the index counts exactly what the scan counts."""
    from conftest import real_data_files

    part = [f for f in real_data_files() if f.name.endswith("part02.jsonl.gz")] or real_data_files()[:1]
    corpus = Corpus(tmp_path / "real.duckdb")
    corpus.import_files(part[:1])
    with Store.open(corpus.path) as store:
        assert ix.open_fresh(store) is not None
    queries = ["GRPO", "the", "=LoRA, =LoRa", '"large language model"', "reinforcement learning AND NOT PPO",
               "(GRPO | DAPO) AND reasoning", "title:diffusion", 'abstract:"reward model"', "naïve", "schrödinger",
               "ﬁne", "α", "2d", "=BERT", "-the", "transformer cat:cs.CL -cat:cs.LG", "(DPO + IPO + KTO)",
               "GRPO / PPO", "GR*O", '"* policy optimization"', "=Lo*"]
    for q in queries:
        with_index = corpus.trend(q)
        os.environ["UPTAKE_NO_INDEX"] = "1"
        try:
            scanned = corpus.trend(q)
            scanned_papers = corpus.papers(q, limit=10, offset=3)
        finally:
            del os.environ["UPTAKE_NO_INDEX"]
        assert with_index == scanned, q
        assert corpus.papers(q, limit=10, offset=3) == scanned_papers, q


# -- has: filters from the index equal the scan -----------------------------------------------------------
HAS_LINKS = ["", "", " Code: https://github.com/a/b", " Weights at https://huggingface.co/org/model",
             " Dataset: https://huggingface.co/datasets/x/y", " Demo at https://x.github.io/p",
             " Code will be released soon", " Code and data at https://github.com/a/b and https://huggingface.co/datasets/a/b"]
has_paper_st = st.builds(lambda p, link: _with_abstract(p, p.abstract + link), paper_st, st.sampled_from(HAS_LINKS))
has_atom = st.sampled_from(["has:code", "-has:code", "has:weights", "(has:data OR has:demo)", "has:promise",
                            "NOT has:data"])
has_query_st = st.lists(
    st.one_of(has_atom, st.tuples(expr_q(1), has_atom).map(lambda t: f"({t[0]}) {t[1]}")), min_size=1, max_size=3,
).map(", ".join)


def _with_abstract(p: Paper, abstract: str) -> Paper:
    from dataclasses import replace

    return replace(p, abstract=abstract)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(papers=st.lists(has_paper_st, min_size=1, max_size=30), queries=st.lists(has_query_st, min_size=3, max_size=6),
       category=st.sampled_from([[], ["cs"]]))
def test_has_filters_from_the_index_equal_the_scan(tmp_path_factory, papers, queries, category):  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("has") / "s.duckdb"
    corpus = _build_indexed(path, papers)
    real_scan = Store.scan_trend
    for q in queries:
        try:
            parse_query(q)
        except QueryError:
            continue
        os.environ["UPTAKE_NO_INDEX"] = "1"
        try:
            want = observed(corpus, q, category=category)
            scanned = corpus.papers(q, category=category, limit=4, offset=1)
        except Exception as exc:
            from uptake.errors import UnknownCategoryError

            assert isinstance(exc, UnknownCategoryError)
            continue
        finally:
            del os.environ["UPTAKE_NO_INDEX"]

        def no_scan(*a, **k):  # type: ignore[no-untyped-def]
            raise AssertionError("a has: query was answered by the scan although the index is fresh")

        Store.scan_trend = no_scan  # type: ignore[method-assign]
        try:
            assert observed(corpus, q, category=category) == want, q
            assert corpus.papers(q, category=category, limit=4, offset=1) == scanned, q
        finally:
            Store.scan_trend = real_scan  # type: ignore[method-assign]
