from hypothesis import given
from hypothesis import strategies as st

from uptake.text import contains_phrase, phrase_key, token_string, tokens


def test_tokens_are_runs_of_letters_and_digits():
    assert tokens("GRPO-based RL (v2), x_y; 3.5 B") == ["grpo", "based", "rl", "v2", "x", "y", "3", "5", "b"]


def test_nfkc_and_casefold():
    assert tokens("ﬁne-tuning ＧＲＰＯ Straße") == ["fine", "tuning", "grpo", "strasse"]
    assert tokens("ＧＲＰＯ LoRa", case_sensitive=True) == ["GRPO", "LoRa"]


def test_casefold_keeps_the_boundaries_of_the_text():
    # "İ" casefolds to "i" + combining dot; the token stays one token
    assert len(tokens("İstanbul")) == 1


def test_substring_of_token_string_is_contiguous_match():
    s = token_string("We use GRPOs, not GRPO-lite.")
    assert phrase_key(["grpo"]) in s
    assert phrase_key(["grpos"]) in s
    assert phrase_key(["grp"]) not in s
    assert phrase_key(["not", "grpo", "lite"]) in s


words = st.sampled_from(["grpo", "GRPO", "lora", "LoRa", "policy", "optimization", "a", "ß", "SS", "x1"])


@given(st.lists(words, max_size=12), st.lists(words, min_size=1, max_size=3), st.sampled_from([" ", "-", ", ", "_"]))
def test_string_trick_equals_brute_force(hay, needle, sep):
    text = sep.join(hay)
    for cs in (False, True):
        hay_t = tokens(text, case_sensitive=cs)
        needle_t = tokens(" ".join(needle), case_sensitive=cs)
        assert (phrase_key(needle_t) in token_string(text, case_sensitive=cs)) == contains_phrase(hay_t, needle_t)


@given(st.lists(st.sampled_from(["GRPO", "ß", "İx", "ﬁne", "LoRa", "a_b", "x-1", "Σσς", " ", "\n"]), max_size=10).map("".join))
def test_token_strings_equal_two_tokenisations(text):
    from uptake.text import token_strings

    assert token_strings(text) == (token_string(text), token_string(text, case_sensitive=True))


@given(st.lists(st.one_of(st.characters(max_codepoint=127), st.sampled_from(["ß", "İ", "ﬁ", "２", "é", "e\u0301", "\u00a0"])),
                max_size=40).map("".join))
def test_exact_token_joins_equal_the_regular_expression(text):
    """The ASCII fast path (bytes translated and split on white space) gives the tokens of the one regular
    expression, for every ASCII character (controls, punctuation, ``_``) and for text that is not ASCII."""
    from uptake.text import exact_token_joins

    assert exact_token_joins([text, text.upper(), ""]) == [" ".join(tokens(t, case_sensitive=True))
                                                         for t in (text, text.upper(), "")]


def test_exact_token_joins_every_ascii_character():
    from uptake.text import exact_token_joins

    text = "".join(chr(c) for c in range(128))
    assert exact_token_joins([text]) == [" ".join(tokens(text, case_sensitive=True))]
    assert exact_token_joins(["x_y\x1fz\x0bw"]) == ["x y z w"]
