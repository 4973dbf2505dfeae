"""The store's named reads: every question the layers above ask of the papers table, as one method each.

Callers pass plans (:mod:`uptake.plans`), month ranges and category lists, never SQL; the SQL
text here is built only from fixed fragments, with user values as bound parameters.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any

from ..errors import StoreError
from ..periods import month_label
from ..plans import EVERYTHING, Node, SeriesPlan
from ..records import Fingerprint
from ._damage import translated
from ._scan import HAS_COLUMNS, OPENNESS_COLUMNS, TOKEN_SQL, TRUE, Sql, categories_sql, filtered, node_sql

if TYPE_CHECKING:
    from pathlib import Path

    import duckdb
    import pyarrow as pa

#: The columns an export holds, in order (everything needed to import the papers again).
EXPORT_COLUMNS = ("id", "title", "abstract", "categories", "published", "updated", "authors", "comments",
                  "journal_ref", "doi", "source")
#: Columns an export carries after those: the content hash and the artifact flags the store holds for each
#: paper, so an import can keep flags it can prove current instead of detecting them again (see uptake.ingest).
EXPORT_CARRIED = ("content_hash", *OPENNESS_COLUMNS)


#: DuckDB's memory limit while the term index reads the store (:meth:`Reads.index_batches`).
INDEX_SCAN_MEMORY = "512MB"


class Reads:
    """Mixed into :class:`~uptake.store.Store`; ``self._con`` is its DuckDB connection."""

    _con: duckdb.DuckDBPyConnection
    path: Path

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._con.execute(sql, list(params)).fetchall()

    # -- totals ------------------------------------------------------------------------
    def position(self) -> tuple[int, int]:
        """(highest doc number ever stored, live papers): what an index must match to be fresh."""
        row = self._rows("SELECT coalesce(max(doc), 0), count(*) FILTER (WHERE NOT deleted) FROM papers")[0]
        return int(row[0]), int(row[1])

    def month_totals(self, categories: Sequence[str] = (), lo: int | None = None, hi: int | None = None,
                     ) -> dict[int, int]:
        """Live papers per v1 month, optionally only in ``categories`` and months ``lo..hi``."""
        f = filtered("NOT deleted", categories, lo, hi)
        where, params = f.text, list(f.params)
        return {int(m): int(n) for m, n in self._rows(f"SELECT month, count(*) FROM papers WHERE {where} "
                                                       f"GROUP BY month ORDER BY month", params)}

    def primary_month_totals(self, categories: Sequence[str] = (), lo: int | None = None,
                             hi: int | None = None) -> dict[tuple[str, int], int]:
        """Live papers per (primary category, v1 month), optionally only in ``categories`` and months lo..hi:
        what coverage is estimated from, and what emerging standardises by."""
        f = filtered("NOT deleted", categories, lo, hi)
        where, params = f.text, list(f.params)
        return {(str(c), int(m)): int(n) for c, m, n in self._rows(
            f"SELECT coalesce(primary_category, '(none)'), month, count(*) FROM papers WHERE {where} "
            f"GROUP BY ALL", params)}

    def match_primary_counts(self, match: Node, *, categories: Sequence[str], lo: int, hi: int) -> dict[str, int]:
        """Live papers matching ``match`` in months lo..hi (and ``categories``) per primary category: where a
        series' papers live, so its coverage can be weighed."""
        m = node_sql(match) if match != EVERYTHING else TRUE
        glob = categories_sql(categories)
        return {str(c): int(n) for c, n in self._rows(
            f"SELECT coalesce(primary_category, '(none)'), count(*) FROM papers WHERE NOT deleted "
            f"AND month BETWEEN ? AND ? AND {glob.text} AND {m.text} GROUP BY 1",
            [lo, hi, *glob.params, *m.params])}

    def top_categories(self, n: int) -> list[tuple[str, int]]:
        """The ``n`` categories listing the most papers (primary or cross-list)."""
        return [(c, int(k)) for c, k in self._rows(
            "SELECT c, count(*) AS n FROM (SELECT unnest(categories) AS c FROM papers WHERE NOT deleted) "
            "GROUP BY c ORDER BY n DESC, c LIMIT ?", [n])]

    def top_primary_categories(self, n: int) -> list[tuple[str, int]]:
        return [(c, int(k)) for c, k in self._rows(
            "SELECT coalesce(primary_category, '(none)'), count(*) AS n FROM papers WHERE NOT deleted "
            "GROUP BY 1 ORDER BY n DESC, 1 LIMIT ?", [n])]

    # -- the exact scan ----------------------------------------------------------------
    def scan_trend(self, plans: Sequence[SeriesPlan], *, categories: Sequence[str], lo: int, hi: int,
                   ) -> tuple[list[dict[int, int]], list[dict[int, int]]]:
        """Per series: matching papers per month and papers per month in its universe (one pass)."""
        select: list[str] = []
        params: list[Any] = []
        for plan in plans:
            universe = node_sql(plan.universe)
            match = node_sql(plan.match)
            select.append(f"count(*) FILTER (WHERE {universe.text})")
            params.extend(universe.params)
            select.append(f"count(*) FILTER (WHERE {match.text})")
            params.extend(match.params)
        glob = categories_sql(categories)
        rows = self._rows(
            f"SELECT month, {', '.join(select)} FROM papers "
            f"WHERE NOT deleted AND month BETWEEN ? AND ? AND {glob.text} GROUP BY month",
            [*params, lo, hi, *glob.params],
        )
        counts = [{int(r[0]): int(r[2 + 2 * i]) for r in rows} for i in range(len(plans))]
        totals = [{int(r[0]): int(r[1 + 2 * i]) for r in rows} for i in range(len(plans))]
        return counts, totals

    def scan_papers(self, match: Node, *, categories: Sequence[str], lo: int, hi: int, limit: int, offset: int,
                    ) -> tuple[int, list[tuple[Any, ...]]]:
        """(papers matching ``match`` in months lo..hi, the page of them newest first) as
        ``(id, published, primary_category, title, categories)`` rows."""
        m = node_sql(match)
        glob = categories_sql(categories)
        where = f"NOT deleted AND month BETWEEN ? AND ? AND {glob.text} AND {m.text}"
        params = [lo, hi, *glob.params, *m.params]
        total = int(self._rows(f"SELECT count(*) FROM papers WHERE {where}", params)[0][0])
        rows = self._rows(
            f"SELECT id, published, primary_category, title, categories FROM papers WHERE {where} "
            f"ORDER BY published DESC, id DESC LIMIT ? OFFSET ?", [*params, limit, offset])
        return total, rows

    def papers_by_docs(self, docs: Sequence[int], *, limit: int, offset: int) -> list[tuple[Any, ...]]:
        """The page ``offset``, ``limit`` of the papers numbered ``docs``, newest first (rows as in scan_papers)."""
        if not docs:
            return []
        return self._rows(
            "SELECT id, published, primary_category, title, categories FROM papers "
            "WHERE doc IN (SELECT unnest(?::BIGINT[])) ORDER BY published DESC, id DESC LIMIT ? OFFSET ?",
            [list(docs), limit, offset])

    def paper_texts(self, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """Title and abstract of each of ``ids`` that is stored."""
        if not ids:
            return {}
        rows = self._rows("SELECT id, title, abstract FROM papers WHERE id IN (SELECT unnest(?::VARCHAR[]))",
                          [list(ids)])
        return {r[0]: (r[1], r[2]) for r in rows}

    def published_of(self, arxiv_id: str) -> date | None:
        """The v1 date of ``arxiv_id``, or None when it is not stored."""
        rows = self._rows("SELECT published FROM papers WHERE id = ? AND NOT deleted", [arxiv_id])
        return rows[0][0] if rows else None

    def token_rows(self, match: Node, *, columns: Sequence[str], lo: int | None = None, hi: int | None = None,
                   categories: Sequence[str] = (), docs: Sequence[int] | None = None,
                   limit: int | None = None) -> list[tuple[Any, ...]]:
        """Rows of the requested token/text columns for the live papers matching ``match``.

        ``columns`` are names from a fixed set (token strings, title, abstract, categories), checked here.
        """
        allowed = {"title_tok", "abstract_tok", "title_tok_cs", "abstract_tok_cs", "title", "abstract",
                   "categories", "month", "doc", "title_tok || abstract_tok", "id", "published",
                   "primary_category"}
        bad = [c for c in columns if c not in allowed]
        if bad:
            raise ValueError(f"not a readable column: {bad}")
        m = node_sql(match) if match != EVERYTHING else TRUE
        glob = categories_sql(categories)
        where = f"NOT deleted AND {m.text} AND {glob.text}"
        params: list[Any] = [*m.params, *glob.params]
        if lo is not None:
            where += " AND month >= ?"
            params.append(lo)
        if hi is not None:
            where += " AND month <= ?"
            params.append(hi)
        if docs is not None:
            where += " AND doc IN (SELECT unnest(?::BIGINT[]))"
            params.append(list(docs))
        cap = f" LIMIT {int(limit)}" if limit is not None else ""
        select = ", ".join(TOKEN_SQL.get(c, c) for c in columns)
        return self._rows(f"SELECT {select} FROM papers WHERE {where}{cap}", params)

    def token_frequencies(self, pattern: str, *, columns: Sequence[str], k: int) -> list[tuple[str, int]]:
        """The ``k`` tokens of ``columns`` that fully match the RE2 ``pattern``, by papers containing them."""
        allowed = {"title_tok", "abstract_tok", "title_tok_cs", "abstract_tok_cs"}
        if not columns or any(c not in allowed for c in columns):
            raise ValueError(f"not token columns: {list(columns)}")
        joined = " || ".join(TOKEN_SQL[c] for c in columns)
        return [(t, int(n)) for t, n in self._rows(
            f"SELECT tok, count(DISTINCT doc) AS n FROM (SELECT doc, unnest(string_split({joined}, ' ')) AS tok "
            f"FROM papers WHERE NOT deleted) WHERE tok <> '' AND regexp_full_match(tok, ?) "
            f"GROUP BY tok ORDER BY n DESC, tok LIMIT ?", [pattern, k])]

    # -- openness ----------------------------------------------------------------------
    def has_openness(self) -> bool:
        """Whether every paper has its openness flags (stores made before them do not, until refreshed)."""
        # all of them: a store from before code_released needs a refresh too
        present = self._rows("SELECT count(*) FROM information_schema.columns WHERE table_name = 'papers' AND "
                             f"column_name IN ({', '.join('?' * len(OPENNESS_COLUMNS))})", list(OPENNESS_COLUMNS))
        if present[0][0] != len(OPENNESS_COLUMNS):
            return False
        return not self._rows("SELECT EXISTS (SELECT 1 FROM papers WHERE has_code IS NULL OR code_released IS NULL)"
                              )[0][0]

    def openness_counts(self, matches: Sequence[Node | None], kinds: Sequence[str], *, categories: Sequence[str],
                        lo: int, hi: int) -> list[tuple[int, ...]]:
        """Per month: for each of ``matches`` (None = every paper), the papers matching, then those that
        also link each of ``kinds``. Rows are ``(month, n0, n0_kind1, ..., n1, ...)``."""
        select: list[str] = []
        params: list[Any] = []
        for m in matches:
            base = node_sql(m) if m is not None else TRUE
            select.append(f"count(*) FILTER (WHERE {base.text})")
            params += base.params
            for k in kinds:
                select.append(f"count(*) FILTER (WHERE ({base.text}) AND coalesce({HAS_COLUMNS[k]}, false))")
                params += base.params
        glob = categories_sql(categories)
        return [tuple(int(v) for v in r) for r in self._rows(
            f"SELECT month, {', '.join(select)} FROM papers WHERE NOT deleted AND month BETWEEN ? AND ? "
            f"AND {glob.text} GROUP BY month ORDER BY month", [*params, lo, hi, *glob.params])]

    def openness_of(self, ids: Sequence[str]) -> dict[str, tuple[dict[str, bool], tuple[str, ...]]]:
        """Flags (by ``has:`` kind) and stored links of each of ``ids``."""
        cols = ", ".join(HAS_COLUMNS.values())
        rows = self._rows(f"SELECT id, {cols}, links FROM papers WHERE id IN (SELECT unnest(?::VARCHAR[]))",
                          [list(ids)])
        return {r[0]: ({k: bool(r[1 + i]) for i, k in enumerate(HAS_COLUMNS)}, tuple(r[-1] or ())) for r in rows}

    # -- fingerprint and export --------------------------------------------------------
    def fingerprint(self) -> Fingerprint:
        """Live papers, first and last month, and a SHA-256 over the sorted ``id content_hash`` lines."""
        n, lo, hi, digest = self._rows(
            "SELECT count(*), min(month), max(month), "
            "sha256(coalesce(string_agg(id || ' ' || content_hash, chr(10) ORDER BY id), '')) "
            "FROM papers WHERE NOT deleted")[0]
        return Fingerprint(papers=int(n), first_month=month_label(lo) if lo is not None else None,
                           last_month=month_label(hi) if hi is not None else None, content_hash=str(digest))

    def require_openness(self) -> None:
        """Raise :class:`StoreError` unless every paper has its openness flags (what ``has:`` reads)."""
        if not self.has_openness():
            raise StoreError(
                f"{self.path} was made before uptake detected code/weights/data links, so has: filters cannot "
                f"run on it: run `uptake openness --refresh --db {self.path}` once (it adds and fills the "
                f"columns, about a minute for 200k papers)")

    def export_years(self) -> list[int]:
        return [int(r[0]) for r in self._rows("SELECT DISTINCT year(published) FROM papers WHERE NOT deleted "
                                              "ORDER BY 1")]

    def export_year(self, year: int) -> pa.Table:
        """Every live paper first published in ``year``, :data:`EXPORT_COLUMNS` then :data:`EXPORT_CARRIED`
        (flags NULL in a store made before they existed), sorted by id."""
        present = self._rows("SELECT count(*) FROM information_schema.columns "
                             "WHERE table_name = 'papers' AND column_name = 'has_code'")[0][0]
        flags = (", ".join(OPENNESS_COLUMNS) if present else
                 ", ".join(f"NULL::{'VARCHAR[]' if c == 'links' else 'BOOLEAN'} AS {c}" for c in OPENNESS_COLUMNS))
        cols = ", ".join(EXPORT_COLUMNS) + ", content_hash, " + flags
        return self._con.sql(
            f"SELECT {cols} FROM papers WHERE NOT deleted AND year(published) = $year ORDER BY id",
            params={"year": int(year)},
        ).to_arrow_table()

    def index_batches(self, after_doc: int, chunk: int) -> Iterator[pa.RecordBatch]:
        """Live papers with ``doc > after_doc`` and what the term index needs of them, in Arrow batches.

        ``has_str`` holds the ``has:`` kinds (:data:`HAS_COLUMNS`) a paper links, space-separated (empty
        for a store whose openness flags were never computed: such a store cannot answer has: at all).
        """
        present = self._rows("SELECT count(*) FROM information_schema.columns "
                             "WHERE table_name = 'papers' AND column_name = 'has_code'")[0][0]
        has_str = ("concat_ws(' ', " + ", ".join(f"CASE WHEN coalesce({c}, false) THEN '{k}' END"
                                                 for k, c in HAS_COLUMNS.items()) + ")") if present else "''"
        sql = ("SELECT doc, id, month, published, cat_str, "
               + "".join(f"{TOKEN_SQL[c]} AS {c}, " for c in ("title_tok", "abstract_tok", "title_tok_cs", "abstract_tok_cs"))
               + f"{has_str} AS has_str FROM papers WHERE NOT deleted AND doc > ?")  # one row per id: any order
        return self._capped_batches(sql, [after_doc], chunk)

    def _capped_batches(self, sql: str, params: list[Any], chunk: int) -> Iterator[pa.RecordBatch]:
        with self.scan_memory_capped():
            cur = self._con.cursor()  # its own result stream, independent of the store's connection
            yield from translated(self.path, cur.sql(sql, params=params).to_arrow_reader(chunk))

    @contextmanager
    def scan_memory_capped(self) -> Iterator[None]:
        """DuckDB's cache held to :data:`INDEX_SCAN_MEMORY` meanwhile, for reading the whole store once (an index
        build): it would otherwise keep every block it read, up to 80 % of RAM (1.2 GB beside tantivy's writer
        when the term index read a 2.8 M-paper store)."""
        self._con.execute(f"SET memory_limit = '{INDEX_SCAN_MEMORY}'")
        try:
            yield
        finally:
            self._con.execute("RESET memory_limit")

        # -- emerging terms ----------------------------------------------------------------
    def gram_screen(self, *, recent: tuple[int, int], baseline: tuple[int, int], rates: tuple[float, float],
                    categories: Sequence[str], max_words: int, min_recent: int, edge_words: Sequence[str],
                    ) -> tuple[pa.Table, tuple[int, int]]:
        """Candidate terms of a deterministic sample of papers: columns ``gram``, ``recent`` and ``baseline``
        (papers), by gram, for grams with at least ``min_recent`` recent papers; and the (recent, baseline)
        sample sizes.

        The sample keeps papers whose ``hash(doc)`` falls under each window's rate. Grams are case-ruled
        unigrams of title+abstract and 2..``max_words``-grams inside each field, never starting or ending
        with one of ``edge_words``, a number or a single character.
        """
        r_lo, r_hi = recent
        b_lo, b_hi = baseline
        glob = categories_sql(categories)
        # The outer month range is what DuckDB can push into the scan, so only the windows' rows are read: with
        # the OR alone it read every paper's text (2.5 s instead of 0.3 s at 2.8 M papers).
        sample = ("(month BETWEEN ? AND ? AND ((month BETWEEN ? AND ? AND hash(doc) % 1000000 < ?) OR "
                  "(month BETWEEN ? AND ? AND hash(doc) % 1000000 < ?)))")
        s_params = [min(b_lo, r_lo), max(b_hi, r_hi), r_lo, r_hi, int(rates[0] * 1_000_000), b_lo, b_hi,
                    int(rates[1] * 1_000_000)]
        from ._grams import count_grams  # numpy: not loaded before a server's first chart

        where = f"NOT deleted AND {sample} AND {glob.text}"
        params = [*s_params, *glob.params]
        picked = self._con.cursor().sql(
            f"SELECT (month >= ?)::TINYINT AS rec, {TOKEN_SQL['title_tok_cs']} AS t, {TOKEN_SQL['abstract_tok_cs']} AS a "
            f"FROM papers WHERE {where}", params=[r_lo, *params]).to_arrow_table()
        rec = picked["rec"].to_numpy().astype("int8")
        grams = count_grams(self._con.cursor(), rec, picked["t"], picked["a"], edge=_edge_regex(edge_words),
                            max_words=max_words, min_recent=min_recent)
        return grams, (int((rec == 1).sum()), int((rec == 0).sum()))

    def gram_recount(self, groups: Sequence[tuple[bool, Sequence[str]]], *, lo: int, hi: int,
                     categories: Sequence[str]) -> list[tuple[int, str, list[str], int]]:
        """Exact papers per month by the set of phrases they contain, in one scan.

        ``groups`` are ``(case_sensitive, phrases)``; phrases are token strings (``"a b"``) and the members
        of one group share no token, so their matches never overlap. Returns ``(month, primary category,
        phrases found, papers)`` rows for every non-empty set. Token strings get their spaces doubled, so a match of
        ``" (a|b|...) "`` consumes one space on each side and the next token keeps its own.
        """
        parts, params = [], []
        for cs, group in groups:
            parts.append(f"regexp_extract_all({'cs2' if cs else 'cf2'}, ?, 1)")
            params.append(" (" + "|".join(re.escape(g).replace("\\ ", " ").replace(" ", "  ") for g in group) + ") ")
        if not parts:
            return []
        hits = "list_concat(" + ", ".join(parts) + ")" if len(parts) > 1 else parts[0]
        glob = categories_sql(categories)
        rows = self._rows(
            f"SELECT month, pc, sig, count(*) FROM (SELECT month, pc, list_sort(list_distinct({hits})) AS sig FROM "
            f"(SELECT month, coalesce(primary_category, '(none)') AS pc, "
            f"replace({TOKEN_SQL['title_tok || abstract_tok']}, ' ', '  ') AS cf2, "
            f"replace({TOKEN_SQL['title_tok_cs']} || {TOKEN_SQL['abstract_tok_cs']}, ' ', '  ') AS cs2 FROM papers "
            f"WHERE NOT deleted AND month BETWEEN ? AND ? AND {glob.text})) WHERE len(sig) > 0 "
            f"GROUP BY month, pc, sig",
            [*params, lo, hi, *glob.params],
        )
        return [(int(m), str(c), [h.replace("  ", " ") for h in sig], int(n)) for m, c, sig, n in rows]

    def paper_months(self, *, lo: int, hi: int, categories: Sequence[str]) -> pa.Table:
        """``doc``, ``month`` and primary category ``pc`` (``'(none)'`` when missing) of every live paper in months
        lo..hi (and ``categories``), by ascending doc: what a recount from the term index tallies its matches by."""
        glob = categories_sql(categories)
        return self._con.cursor().sql(
            f"SELECT doc, month, coalesce(primary_category, '(none)') AS pc FROM papers "
            f"WHERE NOT deleted AND month BETWEEN ? AND ? AND {glob.text} ORDER BY doc",
            params=[lo, hi, *glob.params]).to_arrow_table()


def _edge_regex(words: Sequence[str]) -> str:
    """One RE2 pattern for tokens that may not start or end a candidate."""
    ws = sorted(set(words))
    if not all(w.isalpha() and w.isascii() for w in ws):
        raise ValueError("edge words must be plain ASCII words")
    return "(" + "|".join(ws) + r"|[0-9]+|.)"


__all__ = ["EXPORT_CARRIED", "EXPORT_COLUMNS", "HAS_COLUMNS", "Reads", "Sql"]

