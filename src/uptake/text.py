"""The one definition of what matches.

Text is NFKC-normalised and split into tokens, the maximal runs of Unicode
letters and digits (``[^\\W_]+``). Matching compares tokens after Unicode
``casefold`` (applied to each token, so boundaries come from the text as written)
unless it is case-sensitive, in which case tokens compare exactly
(after NFKC). A term or phrase matches a field when its tokens occur
contiguously in that field's token sequence; title and abstract are separate
sequences, so a phrase never spans them.

Everything that decides matches (the store's token columns, the query engine,
the brute-force reference in the tests, term extraction) calls this module.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

#: Bumped whenever a change here could change which papers match.
SEMANTICS_VERSION = "1"

_TOKEN = re.compile(r"[^\W_]+")


def normalize(text: str) -> str:
    """NFKC normal form of ``text``."""
    return unicodedata.normalize("NFKC", text)


def tokens(text: str, *, case_sensitive: bool = False) -> list[str]:
    """The token sequence of ``text`` under the matching semantics.

    >>> tokens("GRPO-based RL, with 2× speed-ups")
    ['grpo', 'based', 'rl', 'with', '2', 'speed', 'ups']
    >>> tokens("LoRA", case_sensitive=True)
    ['LoRA']
    """
    norm = normalize(text)
    if case_sensitive:
        return _TOKEN.findall(norm)
    if norm.isascii():  # ASCII casefold is lower(), which never moves a token boundary
        return _TOKEN.findall(norm.lower())
    # Token boundaries come from the text as written; each token is then casefolded.
    return [tok.casefold() for tok in _TOKEN.findall(norm)]


def token_spans(text: str, *, case_sensitive: bool = False) -> tuple[str, list[tuple[str, int, int]]]:
    """``(normalized, spans)``: the NFKC text and each token with its ``[start, end)`` offsets in it.

    The tokens are exactly :func:`tokens`'s, so highlighting agrees with matching.

    >>> token_spans("GRPO-based")[1]
    [('grpo', 0, 4), ('based', 5, 10)]
    """
    norm = normalize(text)
    if case_sensitive:
        return norm, [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(norm)]
    return norm, [(m.group().casefold(), m.start(), m.end()) for m in _TOKEN.finditer(norm)]


def token_string(text: str, *, case_sensitive: bool = False) -> str:
    """Tokens joined by single spaces, with a leading and trailing space.

    A phrase's tokens occur contiguously exactly when ``phrase_key(phrase)`` is a
    substring of this string, because tokens never contain spaces.
    """
    toks = tokens(text, case_sensitive=case_sensitive)
    return " " + " ".join(toks) + " " if toks else " "


def token_strings(text: str) -> tuple[str, str]:
    """``(folded, exact)`` token strings of ``text`` from one tokenisation.

    Equal to ``(token_string(text), token_string(text, case_sensitive=True))``:
    folding each exact token gives the folded tokens, because boundaries come
    from the text as written.
    """
    exact = _TOKEN.findall(normalize(text))
    if not exact:
        return " ", " "
    joined = " ".join(exact)
    folded = joined.lower() if joined.isascii() else " ".join(t.casefold() for t in exact)
    return f" {folded} ", f" {joined} "


#: ASCII letters and digits stay, every other byte becomes a space: for ASCII text (which NFKC leaves as it
#: is) ``[^\W_]+`` matches exactly the runs of ``[A-Za-z0-9]``, so splitting the translated bytes on white
#: space gives the same tokens as the regular expression, several times faster.
_ASCII_TOKEN_BYTES = bytes(c if chr(c).isascii() and chr(c).isalnum() else 32 for c in range(256))


def exact_token_joins(pieces: Sequence[str]) -> list[str]:
    """For each piece of text, its exact (case-sensitive) tokens joined by single spaces, without the outer
    spaces of :func:`token_string`: ``" ".join(tokens(piece, case_sensitive=True))`` for every piece, with a
    fast path for ASCII text (property-tested against :func:`tokens` in tests/test_text.py)."""
    out = []
    table = _ASCII_TOKEN_BYTES
    for piece in pieces:
        if not piece.isascii():
            piece = normalize(piece)
            if not piece.isascii():
                out.append(" ".join(_TOKEN.findall(piece)))
                continue
        out.append(b" ".join(piece.encode("ascii").translate(table).split()).decode("ascii"))
    return out


def exact_token_runs(pieces: Sequence[str]) -> list[str]:
    """For each piece of text, its exact tokens in order, separated by one or more spaces: the tokens of
    :func:`exact_token_joins` for anything that splits on white space (the full-text index does), without
    the cost of splitting and joining ASCII text (every other character just becomes a space)."""
    out = []
    table = _ASCII_TOKEN_BYTES
    for piece in pieces:
        if not piece.isascii():
            piece = normalize(piece)
            if not piece.isascii():
                out.append(" ".join(_TOKEN.findall(piece)))
                continue
        out.append(piece.encode("ascii").translate(table).decode("ascii"))
    return out


def folds_by_lower(text: str) -> bool:
    """Whether ``text``'s folded tokens are the ASCII ``lower()`` of its exact tokens (true for ASCII text).

    For ASCII, NFKC changes nothing and casefold is ``lower()``, so the store keeps only the exact token
    string of such a field and derives the folded one with SQL ``lower`` (property-tested against
    :func:`token_string` in tests/test_store_tokens.py).
    """
    return text.isascii()


def phrase_key(phrase_tokens: Sequence[str]) -> str:
    """The substring that marks a contiguous occurrence of ``phrase_tokens``."""
    return " " + " ".join(phrase_tokens) + " "


def contains_phrase(haystack_tokens: Sequence[str], needle: Sequence[str]) -> bool:
    """Brute-force contiguous match, independent of the string trick above."""
    n = len(needle)
    if n == 0:
        return False
    first = needle[0]
    for i in range(len(haystack_tokens) - n + 1):
        if haystack_tokens[i] == first and list(haystack_tokens[i : i + n]) == list(needle):
            return True
    return False
