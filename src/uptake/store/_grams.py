"""Counting candidate terms in a sample of papers, over token numbers instead of strings (``Reads.gram_screen``).

A sample's exact token strings are split once (DuckDB), every distinct token gets a number (Arrow's
dictionary encoding), and what the candidate rules ask of a token (its unigram form, its folded form, whether
it may start or end a candidate) is worked out once per *distinct* token. Grams are then runs of numbers:
a paper's unigrams and its 2..3-grams inside each field are integer keys, counted once per paper by DuckDB.
Only the grams kept are turned back into text.

The folded token of an exact one is its ``casefold`` (what :func:`uptake.text.token_strings` stores; for ASCII
text that is ``lower``), so the exact strings alone give both; the rules applied to the distinct tokens are the
same SQL expressions as before (:func:`unigram_sql`, the edge pattern), so the counts are those of the
per-paper SQL this replaced (``tests/test_emerging_screen.py`` checks them against a brute-force count).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa


def unigram_sql(x: str) -> str:
    """A token as a unigram candidate: kept as written with two or more capitals A-Z (an acronym), else lower-cased."""
    return f"CASE WHEN length(regexp_replace({x}, '[^A-Z]', '', 'g')) >= 2 THEN {x} ELSE lower({x}) END"


def count_grams(cur: duckdb.DuckDBPyConnection, docs: np.ndarray, rec: np.ndarray, flat: pa.Table, *, edge: str,
                max_words: int, min_recent: int) -> pa.Table:
    """Columns ``gram``, ``recent`` and ``baseline`` (papers) of the sampled papers ``docs`` (ascending; ``rec`` 1
    for a recent one, 0 for a baseline one), for grams with at least ``min_recent`` recent papers, by gram.
    ``flat`` holds their exact tokens, one row each: ``doc``, ``f`` (0 title, 1 abstract), ``x`` (the token) and
    ``p`` (its position in the field, from 1), in any order.

    Grams: a paper's tokens as unigrams (:func:`unigram_sql`) unless their lower-cased form fully matches
    ``edge``; and its folded 2..``max_words``-grams inside one field whose first and last tokens do not fully
    match ``edge``. Grams of one character are dropped.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(docs)
    rec = np.asarray(rec, dtype=np.int8)
    row_of = np.zeros(int(docs[-1]) + 1 if n else 1, dtype=np.int32)  # doc -> its row in docs
    row_of[docs] = np.arange(n, dtype=np.int32)
    lane = row_of[flat["doc"].to_numpy()] * 2 + flat["f"].to_numpy().astype(np.int32)
    del row_of
    lengths = np.bincount(lane, minlength=2 * n)
    slot = (np.cumsum(lengths) - lengths)[lane] + flat["p"].to_numpy() - 1
    del lane
    enc = flat["x"].combine_chunks().dictionary_encode()
    del flat
    ids = np.empty(len(slot), dtype=np.int32)
    ids[slot] = enc.indices.to_numpy()
    del slot
    lane_of = np.repeat(np.arange(2 * n, dtype=np.int32), lengths)  # the (paper, field) of each slot
    owner = lane_of // 2  # the paper of each slot
    words = enc.dictionary
    if len(words) == 0:
        return pa.table({"gram": pa.array([], pa.string()), "recent": pa.array([], pa.int64()),
                         "baseline": pa.array([], pa.int64())})

    # What each distinct exact token is: its unigram form and number, its folded number, its edge flags.
    vocab = pa.table({"x": words})  # noqa: F841 (read by SQL)
    rules = cur.sql(f"SELECT {unigram_sql('x')} AS g, regexp_full_match(lower(x), $edge) AS uni_edge "
                    f"FROM vocab", params={"edge": edge}).to_arrow_table()
    uni = rules["g"].combine_chunks().dictionary_encode()
    uni_id = uni.indices.to_numpy().astype(np.int64)
    uni_ok = ~rules["uni_edge"].to_numpy(zero_copy_only=False) & (pc.utf8_length(uni.dictionary).to_numpy() > 1)[uni_id]
    folded = pa.array([w.casefold() for w in words.to_pylist()], type=pa.string()).dictionary_encode()
    fold_id = folded.indices.to_numpy().astype(np.int64)
    fwords = folded.dictionary
    fwords_table = pa.table({"x": fwords})  # noqa: F841 (read by SQL)
    fold_ok = ~cur.sql("SELECT regexp_full_match(x, $edge) AS e FROM fwords_table",
                       params={"edge": edge}).to_arrow_table()["e"].to_numpy(zero_copy_only=False)
    v = len(fwords)

    keep = uni_ok[ids]
    k1, _, rn, bn = _count(cur, owner[keep], uni_id[ids[keep]], np.zeros(int(keep.sum()), np.int64), rec, min_recent)
    del keep
    parts = [pa.table({"gram": uni.dictionary.take(pa.array(k1)), "recent": rn, "baseline": bn})]

    fid = fold_id[ids]
    del ids
    edge_ok = fold_ok[fid]
    same_next = np.zeros(len(fid), dtype=bool)  # the next slot is the next token of the same field
    same_next[:-1] = lane_of[1:] == lane_of[:-1]
    del lane_of
    for width in range(2, max_words + 1):
        last = width - 1
        inside = same_next.copy()
        for k in range(1, last):
            inside[:-k] &= same_next[k:]
            inside[len(inside) - k:] = False
        start = np.flatnonzero(inside & edge_ok & np.concatenate([edge_ok[last:], np.zeros(last, dtype=bool)]))
        k1, k2, rn, bn = _count(cur, owner[start], fid[start] * v + fid[start + 1],
                                fid[start + 2] if width == 3 else np.zeros(len(start), np.int64), rec, min_recent)
        words_of = [fwords.take(pa.array(k1 // v)), fwords.take(pa.array(k1 % v))]
        if width == 3:
            words_of.append(fwords.take(pa.array(k2)))
        parts.append(pa.table({"gram": pc.binary_join_element_wise(*words_of, " "), "recent": rn, "baseline": bn}))
    out = pa.concat_tables(parts)
    return out.take(pc.sort_indices(out, sort_keys=[("gram", "ascending")]))


def _count(cur: duckdb.DuckDBPyConnection, paper: np.ndarray, k1: np.ndarray, k2: np.ndarray, rec: np.ndarray,
           min_recent: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(k1, k2, recent papers, baseline papers)`` of each key ``(k1, k2)`` held by at least ``min_recent`` recent
    papers, each paper counted once."""
    import pyarrow as pa

    keys = pa.table({"d": paper, "k1": k1, "k2": k2, "r": rec[paper]})  # noqa: F841 (read by SQL)
    got = cur.sql("SELECT k1, k2, count(*) FILTER (WHERE r = 1) AS rn, count(*) FILTER (WHERE r = 0) AS bn "
                  "FROM (SELECT DISTINCT d, k1, k2, r FROM keys) GROUP BY k1, k2 "
                  "HAVING count(*) FILTER (WHERE r = 1) >= $min", params={"min": min_recent}).fetchnumpy()
    return (got["k1"].astype(np.int64), got["k2"].astype(np.int64), got["rn"].astype(np.int64),
            got["bn"].astype(np.int64))


__all__: Sequence[str] = ("count_grams", "unigram_sql")
