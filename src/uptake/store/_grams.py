"""Counting candidate terms in a sample of papers, over token numbers instead of strings (``Reads.gram_screen``).

The sample's exact token strings are read as they are stored and split where their bytes hold spaces
(:func:`split_tokens`), so every token is numbered by one dictionary encoding, and what the candidate rules
ask of a token (its unigram form, its folded form, whether it may start or end a candidate) is worked out once
per *distinct* token. Grams are then runs of numbers: a paper's unigrams and its 2..3-grams inside each field
are integer keys. A hashed count drops the keys too rare to be kept, and DuckDB counts each remaining key once
per paper. Only the grams kept are turned back into text.

The folded token of an exact one is its ``casefold`` (what :func:`uptake.text.token_strings` stores; for ASCII
text that is ``lower``), so the exact strings alone give both; the rules applied to the distinct tokens are the
same SQL expressions as before (:func:`unigram_sql`, the edge pattern), so the counts are those of the
per-paper SQL this replaced (``tests/test_emerging_screen.py`` checks them against a brute-force count).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa


def unigram_sql(x: str) -> str:
    """A token as a unigram candidate: kept as written with two or more capitals A-Z (an acronym), else lower-cased."""
    return f"CASE WHEN length(regexp_replace({x}, '[^A-Z]', '', 'g')) >= 2 THEN {x} ELSE lower({x}) END"


def count_grams(cur: duckdb.DuckDBPyConnection, rec: np.ndarray, title: pa.Array, abstract: pa.Array, *, edge: str,
                max_words: int, min_recent: int) -> pa.Table:
    """Columns ``gram``, ``recent`` and ``baseline`` (papers) of the sampled papers, for grams with at least
    ``min_recent`` recent papers, by gram. Paper ``i`` has the exact token strings ``title[i]`` and
    ``abstract[i]`` (tokens joined by spaces, as the store keeps them) and is recent when ``rec[i]`` is 1.

    Grams: a paper's tokens as unigrams (:func:`unigram_sql`) unless their lower-cased form fully matches
    ``edge``; and its folded 2..``max_words``-grams inside one field whose first and last tokens do not fully
    match ``edge``. Grams of one character are dropped.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if not 1 <= max_words <= 3:
        raise ValueError(f"grams are 1 to 3 words long, not up to {max_words}")
    n = len(rec)
    rec = np.asarray(rec, dtype=np.int8)
    ids, words, per_field = split_tokens(_joined([title, abstract]))
    paper_of_field = np.arange(2 * n, dtype=np.int32) % max(n, 1)  # fields are the titles, then the abstracts
    owner = np.repeat(paper_of_field, per_field)  # the paper of each token
    same_next = np.ones(len(ids), dtype=bool)  # the next token is in the same field
    same_next[np.cumsum(per_field)[per_field > 0] - 1] = False
    if len(words) == 0:
        return pa.table({"gram": pa.array([], pa.string()), "recent": pa.array([], pa.int64()),
                         "baseline": pa.array([], pa.int64())})

    # What each distinct exact token is: its unigram form and number, its folded number, its edge flags.
    vocab = pa.table({"x": words})  # noqa: F841 (read by SQL)
    rules = cur.sql(f"SELECT {unigram_sql('x')} AS g, regexp_full_match(lower(x), $edge) AS uni_edge "
                    f"FROM vocab", params={"edge": edge}).to_arrow_table()
    uni = rules["g"].combine_chunks().dictionary_encode()
    uni_id = uni.indices.to_numpy()
    uni_ok = ~rules["uni_edge"].to_numpy(zero_copy_only=False) & (pc.utf8_length(uni.dictionary).to_numpy() > 1)[uni_id]
    folded = _casefold(words).dictionary_encode()
    fold_id = folded.indices.to_numpy()
    fwords = folded.dictionary
    fwords_table = pa.table({"x": fwords})  # noqa: F841 (read by SQL)
    fold_ok = ~cur.sql("SELECT regexp_full_match(x, $edge) AS e FROM fwords_table",
                       params={"edge": edge}).to_arrow_table()["e"].to_numpy(zero_copy_only=False)

    def unigrams() -> pa.Table:
        keep = uni_ok[ids]
        kept, rn, bn = _count(owner[keep], uni_id[ids[keep]], rec, min_recent, size=len(uni.dictionary))
        return pa.table({"gram": uni.dictionary.take(pa.array(kept)), "recent": rn, "baseline": bn})

    # The unigrams are counted on a second thread while this one counts the longer grams: numpy, scipy and Arrow
    # release the GIL for their loops, so the two share the machine's cores.
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(unigrams)
        parts = _longer_grams(ids, fold_id, fold_ok, fwords, same_next, owner, rec, min_recent, max_words)
        parts.insert(0, first.result())
    out = pa.concat_tables(parts)
    return out.take(pc.sort_indices(out, sort_keys=[("gram", "ascending")]))


def _longer_grams(ids: np.ndarray, fold_id: np.ndarray, fold_ok: np.ndarray, fwords: pa.Array, same_next: np.ndarray,
                  owner: np.ndarray, rec: np.ndarray, min_recent: int, max_words: int) -> list[pa.Table]:
    """The 2..``max_words``-gram tables of :func:`count_grams`."""
    import pyarrow as pa
    import pyarrow.compute as pc

    v = len(fwords)
    parts = []
    fid = fold_id[ids]
    edge_ok = fold_ok[fid]
    for width in range(2, max_words + 1):
        last = width - 1
        inside = same_next.copy()
        for k in range(1, last):
            inside[:-k] &= same_next[k:]
            inside[len(inside) - k:] = False
        start = np.flatnonzero(inside & edge_ok & np.concatenate([edge_ok[last:], np.zeros(last, dtype=bool)]))
        pair = fid[start].astype(np.int64) * v + fid[start + 1]
        if width == 2:
            kept, rn, bn = _count(owner[start], pair, rec, min_recent)
            words_of = [kept // v, kept % v]
        else:  # width 3: a trigram is (its first two words' number among the pairs, its third word), one int64 key
            pairs = pa.array(pair).dictionary_encode()
            firsts = pairs.dictionary.to_numpy()
            kept, rn, bn = _count(owner[start], pairs.indices.to_numpy().astype(np.int64) * v + fid[start + 2], rec,
                                  min_recent)
            words_of = [firsts[kept // v] // v, firsts[kept // v] % v, kept % v]
        parts.append(pa.table({"gram": pc.binary_join_element_wise(*(fwords.take(pa.array(w)) for w in words_of), " "),
                               "recent": rn, "baseline": bn}))
    return parts


def split_tokens(strings: pa.Array) -> tuple[np.ndarray, pa.Array, np.ndarray]:
    """``(ids, words, per_row)`` of token strings (tokens separated by spaces; nulls count as empty): every
    token in order as its number in ``words`` (the distinct tokens), and how many tokens each string holds.

    The same tokens as splitting each string on spaces and dropping empty pieces, found from the positions of
    spaces in the strings' bytes: each token runs to the next token's start (its trailing spaces included), so
    the tokens are one string array over the same bytes, dictionary-encoded once; the few distinct tokens are
    then trimmed and numbered again."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = strings.fill_null("") if strings.null_count else strings
    large = pa.types.is_large_string(arr.type)
    _, offsets, values = arr.buffers()
    off: np.ndarray = np.frombuffer(offsets, dtype=np.int64 if large else np.int32)[arr.offset:arr.offset + len(arr) + 1]
    data = np.frombuffer(values, dtype=np.uint8) if values is not None else np.zeros(0, dtype=np.uint8)
    data = data[int(off[0]):int(off[-1])] if len(off) else data[:0]
    rel = off.astype(np.int64) - (int(off[0]) if len(off) else 0)
    solid = data != 32
    first = solid.copy()  # a token starts after a space, or where a string starts
    first[1:] &= ~solid[:-1]
    row_start = rel[:-1][rel[:-1] < len(data)]
    first[row_start] = solid[row_start]
    starts = np.flatnonzero(first)
    del solid, first
    per_row = np.diff(np.searchsorted(starts, rel))
    kind, width = (pa.string(), np.int32) if len(data) < 2**31 else (pa.large_string(), np.int64)
    bounds = np.empty(len(starts) + 1, dtype=width)
    bounds[:-1] = starts
    bounds[-1] = len(data)
    pieces = pa.Array.from_buffers(kind, len(starts), [None, pa.py_buffer(bounds), pa.py_buffer(np.ascontiguousarray(data))])
    enc = pieces.dictionary_encode()
    words = pc.utf8_rtrim(enc.dictionary, characters=" ").cast(pa.string()).dictionary_encode()
    ids = words.indices.to_numpy()[enc.indices.to_numpy()].astype(np.int32)
    return ids, words.dictionary, per_row


def _casefold(words: pa.Array) -> pa.Array:
    """``str.casefold`` of each word: Arrow's ASCII lower case (the same for ASCII words), Python for the rest."""
    import pyarrow as pa
    import pyarrow.compute as pc

    plain = pc.string_is_ascii(words)
    lowered = pc.ascii_lower(words)
    if pc.all(plain).as_py() is not False:
        return lowered
    other = pc.invert(plain)
    return pc.replace_with_mask(lowered, other, pa.array([w.casefold() for w in words.filter(other).to_pylist()],
                                                         type=pa.string()))


def _joined(columns: Sequence[pa.Array | pa.ChunkedArray]) -> pa.Array:
    """The string columns one after another as one array (64-bit offsets only when the bytes need them)."""
    import pyarrow as pa

    arrays = [a for c in columns for a in (c.chunks if isinstance(c, pa.ChunkedArray) else [c])]
    if sum(a.nbytes for a in arrays) >= 2**31 - 1 or any(pa.types.is_large_string(a.type) for a in arrays):
        arrays = [a.cast(pa.large_string()) for a in arrays]
    return pa.concat_arrays(arrays) if arrays else pa.array([], pa.string())


#: Buckets of the hashed pre-count that drops keys too rare to be kept (2**PRECOUNT_BITS).
PRECOUNT_BITS = 22


def _may_keep(paper: np.ndarray, key: np.ndarray, rec: np.ndarray, min_recent: int) -> np.ndarray:
    """Rows whose key may be held by ``min_recent`` recent papers. A key's recent rows, counted with every other
    key hashed into its bucket, are at least its recent papers; a row in a bucket with fewer recent rows than
    ``min_recent`` cannot have its key kept, so dropping it changes no count that is kept."""
    bucket = ((key.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(64 - PRECOUNT_BITS)).astype(np.int64)
    rows: np.ndarray = np.bincount(bucket[rec[paper] == 1], minlength=1 << PRECOUNT_BITS)[bucket] >= min_recent
    return rows


def _count(paper: np.ndarray, key: np.ndarray, rec: np.ndarray, min_recent: int, *, size: int | None = None,
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(keys, recent papers, baseline papers)`` of each ``key`` (non-negative int64, one per row) held by at
    least ``min_recent`` recent papers, each paper counted once; ``paper`` is each row's index into ``rec``.
    Keys below a known ``size`` are used as they are, others are numbered first (Arrow's hash table).

    Each paper is counted once per key by a sparse papers × keys matrix, whose construction merges a paper's
    repeated keys (scipy sorts each paper's few keys; a global sort of the rows is several times slower)."""
    import pyarrow as pa
    from scipy.sparse import csr_matrix

    values = None
    if size is None:
        if min_recent > 1:  # (with a known size the keys are few and common: the pre-count would drop little)
            ok = _may_keep(paper, key, rec, min_recent)
            paper, key = paper[ok], key[ok]
        enc = pa.array(key, type=pa.int64()).dictionary_encode()
        key, values = enc.indices.to_numpy(), enc.dictionary.to_numpy()
        size = len(values)
    mat = csr_matrix((np.ones(len(key), dtype=np.int8), (paper, key)), shape=(len(rec), max(size, 1)))
    mat.sum_duplicates()  # one entry per (paper, key); the summed values are never read
    recent = np.repeat(rec == 1, np.diff(mat.indptr))
    rn = np.bincount(mat.indices[recent], minlength=size)
    bn = np.bincount(mat.indices, minlength=size) - rn
    kept = np.flatnonzero(rn >= min_recent)
    return (kept if values is None else values[kept]).astype(np.int64), rn[kept], bn[kept]


__all__: Sequence[str] = ("count_grams", "split_tokens", "unigram_sql")
