"""Full text behind the query language: counts from the full-text index and from the exact scan both equal
an independent brute-force reading of the paragraphs, for every operator and every in:ROLE."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uptake.corpus import Corpus
from uptake.errors import NoCorpusError, UsageError
from uptake.fulltext import store_fulltexts
from uptake.records import ROLES, BibEntry, FullText, Paragraph
from uptake.store import Store
from uptake.text import tokens

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "fulltext"
USE = ("method", "experiments", "appendix", "captions")
WORDS = ["GRPO", "grpo", "PPO", "policy", "optimization", "reward", "model", "the", "LoRA", "lora", "we", "train",
         "cite", "[cite:k1]", "[formula]"]
CATS = [("cs.CL",), ("cs.LG", "cs.CL"), ("math.PR",), ("cs.LG",)]


def _sentence(rng: random.Random, cite: bool) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(2, 7))]
    text = "We " + " ".join(words)  # a capital after every sentence break
    return text + (" [cite:k1]." if cite else ".")


def make_texts(seed: int, n: int = 60) -> tuple[list[FullText], list[dict]]:
    """Synthetic full texts, and for each the reference view: per role, paragraphs as lists of sentences
    with whether each cites another work."""
    rng = random.Random(seed)
    texts, truth = [], []
    for i in range(n):
        paras, view = [], []
        for _ in range(rng.randint(1, 7)):
            role = rng.choice(ROLES)
            sents = [_sentence(rng, rng.random() < 0.3) for _ in range(rng.randint(1, 3))]
            sents = [(x, "[cite:" in x) for x in sents]  # a sentence citing another work, wherever the marker is
            paras.append(Paragraph(role, role.title(), " ".join(s for s, _ in sents)))
            view.append((role, sents))
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4)))
        month = rng.randint(0, 5)
        cats = rng.choice(CATS)
        texts.append(FullText(id=f"2501.{i:05d}", title=title, abstract="", paragraphs=tuple(paras),
                              bibliography=(BibEntry("k1", "A cited work."),), source_kind="unarxive",
                              extractor="test/1", status="ok", categories=cats,
                              published=date(2025, 1 + month, 1 + i % 27)))
        truth.append({"title": title, "paras": view, "month": 2025 * 12 + month, "cats": cats})
    return texts, truth


def build(path: Path, texts: list[FullText]) -> Corpus:
    with Store.open(path, write=True) as store:
        store_fulltexts(store, texts)
    return Corpus(path)


# -- the reference -------------------------------------------------------------------------------------
def _has(seq: list[str], sub: list[str]) -> bool:
    return any(seq[i:i + len(sub)] == sub for i in range(len(seq) - len(sub) + 1))


def ref_term(doc: dict, text: str, roles: tuple[str, ...], cs: bool) -> bool:
    """Whether ``text``'s tokens occur contiguously in the paper's text of ``roles`` (all when empty); a
    citation marker is not text and nothing matches across it."""
    needle = tokens(text, case_sensitive=cs)
    chunks: list[str] = []
    want = roles or ROLES
    if "abstract" in want:
        chunks.append(doc["title"])
    for role, sents in doc["paras"]:
        if role in want:
            chunks.append(" ".join(s for s, _ in sents))
        if "use" in roles and role in USE:
            own = [s for s, cite in sents if not cite]
            if own:
                chunks.append(" ".join(own))
    pieces = [tokens(piece, case_sensitive=cs) for c in chunks
              for part in c.split("[cite:k1]") for piece in part.split("[formula]")]
    return any(_has(p, needle) for p in pieces)


def ref_cat(doc: dict, code: str) -> bool:
    return any(c == code or c.startswith(code + ".") for c in doc["cats"])


# -- a query grammar with its reference meaning ----------------------------------------------------------
ROLE_CHOICES = ("", " in:method", " in:use", " in:abstract", " in:references", " in:experiments")


@st.composite
def queries(draw: st.DrawFn) -> tuple[str, object, object]:
    def term() -> tuple[str, object]:
        w = draw(st.sampled_from(["GRPO", "PPO", "policy optimization", "reward model", "LoRA", "=LoRA", "we train",
                                  "cite", "formula", "policy cite", "=We train", "=we train", "=GRPO policy"]))
        role = draw(st.sampled_from(ROLE_CHOICES))
        cs = w.startswith("=")
        text = w.lstrip("=")
        q = ("=" if cs else "") + (f'"{text}"' if " " in text else text) + role
        roles = (role.split(":")[1],) if role else ()
        return q, lambda d, t=text, r=roles, c=cs: ref_term(d, t, r, c)

    def atom(depth: int) -> tuple[str, object]:
        kind = draw(st.integers(0, 5 if depth < 2 else 1))
        if kind <= 1:
            return term()
        if kind == 2:
            (a, fa), (b, fb) = atom(depth + 1), atom(depth + 1)
            return f"({a} | {b})", lambda d: fa(d) or fb(d)
        if kind == 3:
            (a, fa), (b, fb) = atom(depth + 1), atom(depth + 1)
            return f"({a} AND NOT {b})", lambda d: fa(d) and not fb(d)
        if kind == 4:  # inside an alternative, so it filters matches (a top-level cat: also restricts totals)
            code = draw(st.sampled_from(["cs.LG", "cs", "math.PR"]))
            (a, fa), (b, fb) = atom(depth + 1), atom(depth + 1)
            return f"({a} | ({b} cat:{code}))", lambda d: fa(d) or (fb(d) and ref_cat(d, code))
        (a, fa), (b, fb) = atom(depth + 1), atom(depth + 1)
        return f"({a} AND {b})", lambda d: fa(d) and fb(d)

    text, ref = atom(0)
    return text, ref, lambda d: True


@pytest.fixture(scope="module")
def corpus_and_truth(tmp_path_factory: pytest.TempPathFactory) -> tuple[Corpus, list[dict]]:
    texts, truth = make_texts(7)
    return build(tmp_path_factory.mktemp("ft") / "ft.duckdb", texts), truth


@pytest.mark.parametrize("engine", ["index", "scan"])
@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=queries())
def test_full_text_counts_equal_brute_force(corpus_and_truth, engine, monkeypatch, q) -> None:  # type: ignore[no-untyped-def]
    corpus, truth = corpus_and_truth
    text, ref, universe = q
    if engine == "scan":
        monkeypatch.setattr("uptake.corpus._fulltext.engine", lambda store: None)
    trend = corpus.trend(text, text="full", start="2025-01", end="2025-06")
    got = {p.period: (p.count, p.total) for p in trend.series[0].points}
    for m in range(6):
        month = 2025 * 12 + m
        docs = [d for d in truth if d["month"] == month and universe(d)]
        want = sum(1 for d in docs if ref(d))
        label = f"2025-{m + 1:02d}"
        assert got[label] == (want, len(docs)), (text, label)


def test_index_is_used_when_fresh_and_the_scan_agrees_on_a_category_share(corpus_and_truth, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    corpus, truth = corpus_and_truth
    import uptake.corpus._fulltext as F

    seen = []
    real = F.engine
    monkeypatch.setattr(F, "engine", lambda store: seen.append(real(store)) or seen[-1])
    t = corpus.trend("GRPO in:method", text="full", category="cs.LG")
    assert seen and seen[0] is not None  # the fresh full-text index answered
    total = sum(p.total for p in t.series[0].points)
    assert total == sum(1 for d in truth if ref_cat(d, "cs.LG"))  # shares divide by papers WITH a full text there
    own = corpus.trend("GRPO in:method cat:math.PR", text="full")  # a series' own cat: restricts its total
    assert sum(p.total for p in own.series[0].points) == sum(1 for d in truth if ref_cat(d, "math.PR"))
    assert sum(p.count for p in own.series[0].points) == sum(
        1 for d in truth if ref_cat(d, "math.PR") and ref_term(d, "GRPO", ("method",), False))


def test_papers_show_the_matched_sentence_and_section(corpus_and_truth) -> None:  # type: ignore[no-untyped-def]
    corpus, truth = corpus_and_truth
    res = corpus.papers("GRPO in:use", text="full", limit=50)
    want = sum(1 for d in truth if ref_term(d, "GRPO", ("use",), False))
    assert res.total == want and len(res.papers) == min(50, want)
    for p in res.papers:
        assert p.match is not None and p.match["role"] in USE
        assert "grpo" in p.match["sentence"].lower() and "[cite:" not in p.match["sentence"]
        assert p.as_dict()["match"]["section"] == p.match["role"].title()


def test_uses_is_narrower_than_mentions_and_adoption_by_use(corpus_and_truth) -> None:  # type: ignore[no-untyped-def]
    corpus, truth = corpus_and_truth
    mention = corpus.trend("GRPO", text="full")
    use = corpus.trend("GRPO in:use", text="full")
    for a, b in zip(mention.series[0].points, use.series[0].points, strict=True):
        assert b.count <= a.count and a.total == b.total
    report = corpus.adoption("GRPO", by="use", with_senses=False)
    counts = [p.count for p in report.trend.series[0].points]
    assert counts == [p.count for p in use.series[0].points]
    assert report.trend.filters["text"] == "full"


def test_errors_say_what_to_do(tmp_path: Path, corpus_and_truth) -> None:  # type: ignore[no-untyped-def]
    corpus, _ = corpus_and_truth
    with pytest.raises(UsageError, match="--text full"):
        corpus.trend("GRPO in:method")  # sections exist only in full texts
    with pytest.raises(UsageError, match="in:method"):
        corpus.trend("title:GRPO", text="full")
    with pytest.raises(UsageError, match="openness"):
        corpus.openness("GRPO", text="full")
    texts, _ = make_texts(1, n=3)
    from uptake.ingest import upsert
    from uptake.records import Paper

    meta_only = tmp_path / "meta.duckdb"
    with Store.open(meta_only, write=True) as store:
        store.begin()
        upsert(store, [Paper(id="2501.00001", title="GRPO", abstract="x", categories=("cs.LG",),
                             published=date(2025, 1, 2), updated=date(2025, 1, 2))])
        store.commit()
    with pytest.raises(NoCorpusError, match="fulltext import"):
        Corpus(meta_only).trend("GRPO", text="full")


def test_metadata_imported_later_gives_month_and_categories_without_duplicates(tmp_path: Path) -> None:
    from uptake.ingest import sync_index, upsert
    from uptake.records import Paper

    texts, _ = make_texts(3, n=4)
    path = tmp_path / "s.duckdb"
    corpus = build(path, texts)
    with Store.open(path, write=True) as store:  # the metadata says the first paper is hep-th from 2024-03
        store.begin()
        upsert(store, [Paper(id=texts[0].id, title=texts[0].title, abstract="x", categories=("hep-th",),
                             published=date(2024, 3, 5), updated=date(2024, 3, 5))])
        store.commit()
        sync_index(store)
    t = corpus.trend("we", text="full", category="hep-th")
    assert [(p.period, p.total) for p in t.series[0].points if p.total] == [("2024-03", 1)]
    assert corpus.fulltext_status().totals() == {"ok": 4}


def test_reimport_changes_nothing(tmp_path: Path) -> None:
    texts, _ = make_texts(5, n=10)
    path = tmp_path / "s.duckdb"
    with Store.open(path, write=True) as store:
        first = store_fulltexts(store, texts)
        again = store_fulltexts(store, texts)
    assert (first.inserted, again.inserted, again.unchanged) == (10, 0, 10)


def test_the_overview_is_the_span_and_the_month_totals(tmp_path: Path) -> None:
    """One read gives what the two reads give, with failed texts, a paper the metadata re-dates, and a text no
    date or id can place in a month (its date still counts as the last known)."""
    from dataclasses import replace

    from uptake.ingest import upsert
    from uptake.records import Paper

    texts, _ = make_texts(7, n=12)
    texts[1] = replace(texts[1], status="failed", paragraphs=(), problems=("no text",), published=date(2026, 9, 1))
    texts[2] = replace(texts[2], id="weird-id", published=None)
    texts[3] = replace(texts[3], id="odd-id", published=date(2027, 1, 2))
    path = tmp_path / "s.duckdb"
    build(path, texts)
    with Store.open(path, write=True) as store:
        store.begin()
        upsert(store, [Paper(id=texts[0].id, title="t", abstract="x", categories=("hep-th",),
                             published=date(2024, 3, 5), updated=date(2024, 3, 5))])
        store.commit()
    with Store.open(path) as store:
        span, totals = store.fulltext_overview()
        assert span == store.fulltext_span() and totals == store.fulltext_month_totals()
        assert span[2] == date(2027, 1, 2) and 2024 * 12 + 2 in totals


@pytest.mark.skipif(not SHARED.is_dir(), reason="needs ../shared/data/fulltext (the real full-text samples)")
def test_real_samples_import_and_answer(tmp_path: Path) -> None:
    from uptake.cli import main

    db = str(tmp_path / "real.duckdb")
    assert main(["fulltext", "import", *map(str, (SHARED / "unarxive-sample").glob("*.jsonl.gz")), "--db", db,
                 "-q"]) == 0
    assert main(["fulltext", "extract", str(SHARED / "arxiv-src"), "--db", db, "-q"]) == 0
    status = Corpus(db).fulltext_status()
    assert sum(status.totals().values()) == 49 + 17 and status.totals().get("failed", 0) == 0
    t = Corpus(db).trend("GRPO, GRPO in:method, PPO in:use", text="full", by="year")
    assert sum(p.count for p in t.series[0].points) >= 2
    assert sum(p.count for p in t.series[1].points) <= sum(p.count for p in t.series[0].points)


PIECES = ["GRPO", "we", "x.", "y!", "?", " ", "  ", "\u00a0", "\u2009", "[cite:a]", "[cite:a. B]", "[cite:", "]",
          "[formula]", "[ref]", "[", "Ä", "ﬁ", "Ǆ", "e\u0301", "\u0301", "ß", ".", "A", "a", "\n", "¶", "_", "İ", "２",
          "x_y", "[cite:k. ", "Z."]


@settings(max_examples=400, deadline=None, derandomize=True)
@given(title=st.lists(st.sampled_from(PIECES), max_size=5).map("".join),
       paras=st.lists(st.tuples(st.sampled_from(ROLES), st.lists(st.sampled_from(PIECES), max_size=25).map("".join)),
                      max_size=4))
def test_role_token_strings_equal_tokenizing_every_piece_on_its_own(title: str, paras: list) -> None:  # type: ignore[type-arg]
    """The index's per-role token strings (one tokenizer call per paper, ``use`` reusing a paragraph's tokens
    when it cites nothing) equal the plain definition: every marker-free piece of every role text tokenized
    on its own, in order, joined by paragraph breaks."""
    from uptake.index.fulltext import _role_token_strings_reference, role_token_strings

    got, want = role_token_strings(title, paras), _role_token_strings_reference(title, paras)
    assert got == want
    assert list(got) == list(want)
