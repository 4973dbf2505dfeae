"""The full-text index's case-sensitive fields (format ft3: only the tokens casefolding changes, with markers)
answer every exact term as a brute-force reading of the paragraphs does, for words whose cases collide
(LoRA / lora / LORA, ß / ss / SS, İ, digits), in every role; and an index of an older format is rebuilt."""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uptake.corpus import Corpus
from uptake.fulltext import store_fulltexts
from uptake.index import fulltext as ftindex
from uptake.index._case import CASED_MARK
from uptake.records import ROLES, BibEntry, FullText, Paragraph
from uptake.store import Store
from uptake.text import tokens

VOCAB = ["lora", "LoRA", "LORA", "Lora", "ß", "SS", "ss", "Ss", "straße", "STRASSE", "İ", "i\u0307", "2024", "x1",
         "X1", "Σσς", "σσσ", "ǅ", "ǆ", "ﬁne", "fine", "FINE", "the", "The", "we", "We"]
USE = ("method", "experiments", "appendix", "captions")


def _texts(seed: int, n: int = 40) -> list[FullText]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        paras = []
        for _ in range(rng.randint(1, 5)):
            words = [rng.choice(VOCAB) for _ in range(rng.randint(1, 6))]
            cite = " [cite:k1]" if rng.random() < 0.3 else ""
            paras.append(Paragraph(rng.choice(ROLES), "S", " ".join(words) + cite + ". " + rng.choice(VOCAB) + "."))
        out.append(FullText(id=f"2502.{i:05d}", title=rng.choice(VOCAB), abstract="", paragraphs=tuple(paras),
                            bibliography=(BibEntry("k1", "A work."),), source_kind="unarxive", extractor="test/1",
                            status="ok", categories=("cs.LG",), published=date(2025, 2, 1 + i % 27)))
    return out


def _brute(texts: list[FullText], word: str, role: str) -> int:
    """Papers whose text of ``role`` ('' = any but use) holds the exact token of ``word``."""
    (want,) = tokens(word, case_sensitive=True)
    n = 0
    for ft in texts:
        chunks = [ft.title] if role in ("", "abstract") else []
        for p in ft.paragraphs:
            if role in ("", p.role):
                chunks.append(p.text)
            if role == "use" and p.role in USE:
                chunks.extend(s for s in ftindex.SENTENCE_BREAK.split(p.text) if "[cite:" not in s)
        n += any(want in tokens(c.replace("[cite:k1]", " "), case_sensitive=True) for c in chunks)
    return n


@pytest.fixture(scope="module")
def corpus_and_texts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Corpus, list[FullText]]:
    texts = _texts(11)
    path = tmp_path_factory.mktemp("fti") / "ft.duckdb"
    with Store.open(path, write=True) as store:
        store_fulltexts(store, texts)
    return Corpus(path), texts


@pytest.mark.parametrize("role", ["", "abstract", "method", "use", "references"])
def test_every_exact_term_counts_what_the_paragraphs_hold(corpus_and_texts, role: str) -> None:  # type: ignore[no-untyped-def]
    corpus, texts = corpus_and_texts
    with Store.open(corpus.path) as store:
        assert ftindex.open_fresh(store) is not None  # the index answers, not the scan
    suffix = f" in:{role}" if role else ""
    for word in VOCAB:
        t = corpus.trend(f"={word}{suffix}", text="full", start="2025-02", end="2025-02")
        got = sum(p.count for p in t.series[0].points)
        assert got == _brute(texts, word, role), (word, role)


PIECES = ["lora", "LoRA", "Lora", "ß", "SS", "ss", "İ", "i\u0307", "2024", "Σσς", "ǅ", "ﬁ", "a", "A", " ", "-", "x_y"]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(PIECES), max_size=12).map("".join), st.sampled_from(PIECES))
def test_case_terms_decide_exact_tokens_like_the_token_list(text: str, word: str) -> None:
    """The rule the index applies to ``c_`` and ``f_`` (c:t, or t is its own casefold, f:t and not c:~t)
    equals asking the token list, for every token written any way."""
    exact = tokens(text, case_sensitive=True)
    held_c = set(ftindex.case_terms(" ".join(exact)).split())
    held_f = {t.casefold() for t in exact}
    for t in tokens(word, case_sensitive=True) + exact:
        indexed = t in held_c or (t.casefold() == t and t in held_f and CASED_MARK + t not in held_c)
        assert indexed == (t in exact), (text, t)
    assert all(t in exact or t.startswith(CASED_MARK) or t.casefold() == t for t in held_c)


def test_an_index_of_an_older_format_is_rebuilt(tmp_path: Path) -> None:
    texts = _texts(3, n=6)
    path = tmp_path / "s.duckdb"
    with Store.open(path, write=True) as store:
        store_fulltexts(store, texts)
    root = ftindex.fulltext_dir(path)
    gen = (root / "CURRENT").read_text().strip()
    state_path = root / gen / "state.json"
    state = json.loads(state_path.read_text())
    assert state["format"] == ftindex.FORMAT == "ft3"
    state["format"] = "ft2"  # what the previous release wrote
    state_path.write_text(json.dumps(state))
    with Store.open(path) as store:
        assert ftindex.open_fresh(store) is None  # not trusted: the scan answers meanwhile
    t = Corpus(path).trend("=LoRA", text="full", start="2025-02", end="2025-02")
    assert sum(p.count for p in t.series[0].points) == _brute(texts, "LoRA", "")
    with Store.open(path, write=True) as store:
        info = ftindex.sync(store)
        assert info is not None and info.action == "rebuilt" and info.generation != gen
        fresh = ftindex.open_fresh(store)
        assert fresh is not None and fresh.state["format"] == "ft3"


TEXT_PIECES = ["GRPO", "we", "x.", "y!", "?", " ", "  ", "\u00a0", "\u2009", "[cite:a]", "[cite:a. B]", "[formula]",
               "[ref]", "[", "Ä", "ﬁ", "Ǆ", "e\u0301", "ß", ".", "A", "a", "\n", "\t", "¶", "_", "İ", "２", "x_y", "~",
               "LoRA", "lora", "Z."]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(title=st.lists(st.sampled_from(TEXT_PIECES), max_size=5).map("".join),
       paras=st.lists(st.tuples(st.sampled_from(ROLES), st.lists(st.sampled_from(TEXT_PIECES), max_size=25).map("".join)),
                      max_size=4))
def test_index_fields_hold_the_tokens_the_scan_reads(title: str, paras: list) -> None:  # type: ignore[type-arg]
    """What tantivy is given (tokens separated by runs of spaces, split on white space by its tokenizer) is,
    role by role, the token sequence of the scan's strings, paragraph breaks included; and the case terms are
    those of the exact tokens."""
    fields = dict(ftindex.index_fields(title, paras))
    for role, (folded, exact) in ftindex.role_token_strings(title, paras).items():
        breaks_as_in_index = [ftindex.INDEX_BREAK if t == ftindex.PARAGRAPH_BREAK else t for t in folded.split()]
        assert fields.get(f"f_{role}", "").split() == breaks_as_in_index, role
        plain = " ".join(t for t in exact.split() if t != ftindex.PARAGRAPH_BREAK)
        assert fields.get(f"c_{role}", "") == ftindex.case_terms(plain), role


def test_a_rebuild_caps_duckdbs_cache_only_while_it_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The build reads every paragraph with DuckDB's cache capped (it kept 1.5 GB of read blocks at 200,000
    papers); the store's own setting is back afterwards, also when the build fails part way."""
    path = tmp_path / "ft.duckdb"
    with Store.open(path, write=True) as store:
        store_fulltexts(store, _texts(3))
        before = store._rows("SELECT current_setting('memory_limit')")[0][0]
        seen: list[str] = []
        real = ftindex.index_fields

        def spy(title, paragraphs):  # type: ignore[no-untyped-def]
            seen.append(store._rows("SELECT current_setting('memory_limit')")[0][0])
            return real(title, paragraphs)

        monkeypatch.setattr(ftindex, "index_fields", spy)
        ftindex.rebuild(store)
        assert len(set(seen)) == 1 and seen[0] != before and seen[0].endswith(" MiB")  # DuckDB says 488.2 MiB
        assert float(seen[0].split()[0]) <= 512
        assert store._rows("SELECT current_setting('memory_limit')")[0][0] == before

        def fail(title, paragraphs):  # type: ignore[no-untyped-def]
            raise RuntimeError("interrupted")

        monkeypatch.setattr(ftindex, "index_fields", fail)
        with pytest.raises(RuntimeError):
            ftindex.rebuild(store)
        assert store._rows("SELECT current_setting('memory_limit')")[0][0] == before
