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

import functools
import re
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

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
    return [" ".join(run.split()) for run in exact_token_runs(pieces)]


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


#: Rows tokenised per step by :func:`exact_token_strings` (a few MB of text: the work stays in the CPU caches).
_VECTOR_ROWS = 4096


def exact_token_strings(texts: pa.Array | pa.ChunkedArray) -> pa.Array:
    """``token_string(t, case_sensitive=True)`` of every text of an Arrow string array, as an Arrow string array.

    The fast path of the one tokenizer, for imports. ASCII texts are tokenised with array operations: for
    ASCII, NFKC changes nothing and a token (``[^\\W_]+``) is a maximal run of ``[A-Za-z0-9]``, so the
    reference's ``" " + " ".join(tokens) + " "`` (or ``" "``) is the text padded with a space on each side in
    which every run of other characters becomes one space. Every text that is not ASCII goes through
    :func:`token_string` itself. ``tests/test_text_vectorised.py`` checks the two agree on generated Unicode
    (combining marks, NFKC-changing characters, CJK, emoji, underscores, digits). Nulls stay null.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = _plain_strings(texts)
    pieces = [_exact_chunk(arr.slice(i, _VECTOR_ROWS)) for i in range(0, len(arr), _VECTOR_ROWS)]
    if not pieces:
        return pa.array([], pa.string())
    out = pa.concat_arrays(pieces) if len(pieces) > 1 else pieces[0]
    if arr.null_count:
        out = pc.if_else(pc.is_null(arr), pa.scalar(None, pa.string()), out)
    return out


def folded_token_strings(texts: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The folded token string the store keeps for each text: :func:`token_string` where the text is not
    ASCII, null where it is (the store derives that one as SQL ``lower`` of the exact string: see
    :func:`folds_by_lower`)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = _plain_strings(texts)
    other = pc.invert(pc.fill_null(pc.string_is_ascii(arr), True))
    nulls = pa.nulls(len(arr), pa.string())
    if not pc.any(other).as_py():
        return nulls
    slow = pa.array([token_string(t) for t in arr.filter(other).to_pylist()], pa.string())
    return pc.replace_with_mask(nulls, other, slow)


def _plain_strings(texts: pa.Array | pa.ChunkedArray) -> pa.Array:
    import pyarrow as pa

    arr = texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts
    return arr if arr.type == pa.string() else arr.cast(pa.string())


def _exact_chunk(arr: pa.Array) -> pa.Array:
    """:func:`exact_token_strings` of a few thousand texts (nulls come back as ``" "``; the caller restores them)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    filled = pc.fill_null(arr, "")
    ascii_rows = pc.string_is_ascii(filled)
    if pc.all(ascii_rows).as_py():
        return _ascii_exact(filled)
    other = pc.invert(ascii_rows)
    fast = _ascii_exact(pc.if_else(ascii_rows, filled, ""))
    slow = pa.array([token_string(t, case_sensitive=True) for t in filled.filter(other).to_pylist()], pa.string())
    return pc.replace_with_mask(fast, other, slow)


def _ascii_exact(arr: pa.Array) -> pa.Array:
    """The exact token strings of ASCII texts, with numpy over the UTF-8 bytes of the padded texts.

    In ``" " + text + " "``, a byte is kept when it is a letter or digit, when the byte before it is one (the
    single space that ends a token), or when it starts a row; every kept byte that is not a letter or digit
    becomes a space. A row's length is then the number of bytes kept in it.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    padded = pc.binary_join_element_wise(" ", arr, " ", "")
    n = len(padded)
    if n == 0:
        return pa.array([], pa.string())
    bufs = padded.buffers()
    offs = np.frombuffer(bufs[1], dtype=np.int32, count=n + 1, offset=4 * padded.offset)
    base = int(offs[0])
    data = np.frombuffer(bufs[2], dtype=np.uint8, count=int(offs[-1]) - base, offset=base)
    starts = offs[:-1] - base
    is_alnum, to_byte = _byte_tables()
    alnum = is_alnum[data]
    keep = np.empty(len(data), dtype=bool)
    keep[0] = True
    np.logical_or(alnum[1:], alnum[:-1], out=keep[1:])
    keep[starts] = True
    lengths = np.add.reduceat(keep.view(np.uint8), starts, dtype=np.int64)  # every padded row has 2+ bytes
    out = to_byte[data[keep]]
    new_offs = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(lengths, out=new_offs[1:])
    return pa.StringArray.from_buffers(n, pa.py_buffer(new_offs), pa.py_buffer(out))


@functools.cache
def _byte_tables() -> tuple[Any, Any]:
    """(is a letter or digit, the byte it becomes) for each of the 256 byte values: the rule of
    :data:`_ASCII_TOKEN_BYTES`, as numpy tables."""
    import numpy as np

    to_byte = np.frombuffer(_ASCII_TOKEN_BYTES, dtype=np.uint8).copy()
    return to_byte != 32, to_byte


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
