"""Highlighted snippets agree with the matching semantics."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from uptake.query import parse_query
from uptake.query.snippets import snippet, title_highlights
from uptake.text import token_spans, tokens


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60), st.booleans())
def test_token_spans_are_the_tokens(text: str, cs: bool) -> None:
    norm, spans = token_spans(text, case_sensitive=cs)
    assert [t for t, _, _ in spans] == tokens(text, case_sensitive=cs)
    for tok, s, e in spans:
        assert (norm[s:e] if cs else norm[s:e].casefold()) == tok or norm[s:e].lower() == tok


def hits(sn) -> list[str]:  # type: ignore[no-untyped-def]
    return [s.text for s in sn.segments if s.hit]


def test_term_inside_hyphenated_word_is_marked() -> None:
    sn = snippet("t", "We scale GRPO-based RL and grpo too.", parse_query("GRPO"))
    assert hits(sn) == ["GRPO", "grpo"]
    assert sn.text == "We scale GRPO-based RL and grpo too."


def test_phrase_spans_punctuation_and_is_one_mark() -> None:
    sn = snippet("t", "Direct preference-optimization (DPO) works.", parse_query('"direct preference optimization" | DPO'))
    assert hits(sn) == ["Direct preference-optimization", "DPO"]


def test_no_partial_token_marks() -> None:
    sn = snippet("t", "LoRaWAN is not LoRA; lora is.", parse_query("lora"))
    assert hits(sn) == ["LoRA", "lora"]
    sn = snippet("t", "LoRaWAN is not LoRA; lora is.", parse_query("=LoRA"))
    assert hits(sn) == ["LoRA"]
    sn = snippet("t", "LoRaWAN is not LoRA; lora is.", parse_query("LoRA"), case_sensitive=True)
    assert hits(sn) == ["LoRA"]


def test_negated_terms_and_categories_are_not_marked() -> None:
    sn = snippet("t", "GRPO beats PPO.", parse_query("GRPO -PPO cat:cs.LG, NOT (PPO)"))
    assert hits(sn) == ["GRPO"]


def test_field_restrictions() -> None:
    q = parse_query("title:GRPO")
    assert snippet("GRPO paper", "GRPO in the abstract", q).field == "title"
    assert hits(title_highlights("GRPO paper", q)) == ["GRPO"]
    assert hits(snippet("GRPO paper", "GRPO in the abstract", parse_query("GRPO"), field="abstract")) == ["GRPO"]
    assert hits(title_highlights("GRPO paper", parse_query("GRPO"), field="abstract")) == []


def test_window_around_a_late_match_keeps_whole_words() -> None:
    abstract = " ".join(f"word{i}" for i in range(200)) + " the GRPO method " + " ".join(f"tail{i}" for i in range(200))
    sn = snippet("t", abstract, parse_query("GRPO"), width=120)
    assert sn.truncated_start and sn.truncated_end
    assert hits(sn) == ["GRPO"]
    assert all(w.startswith(("word", "tail")) or w in ("the", "GRPO", "method") for w in sn.text.split())
    assert len(sn.text) <= 140


def test_no_match_gives_the_start_of_the_abstract() -> None:
    sn = snippet("Title", "An abstract without it.", parse_query("GRPO"))
    assert hits(sn) == [] and sn.text == "An abstract without it." and not sn.truncated_end


def test_nfkc_text_is_marked_in_normalized_form() -> None:
    sn = snippet("t", "Ｇｒｐｏ in full width", parse_query("grpo"))
    assert hits(sn) == ["Grpo"]
