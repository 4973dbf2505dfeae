"""Full texts in the store: one row per paper's extracted text, its paragraphs with their section roles,
and its bibliography. Texts are kept once (DuckDB compresses them column by column); the full-text
index derives its tokens at build time.

A full text need not have metadata in ``papers``: its month and categories then come from the
source (or the id); once the metadata is imported, reads take month and categories from ``papers``
(the full-text row is not duplicated).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from ..records import FullText
from ._scan import filtered

if TYPE_CHECKING:
    import duckdb

FULLTEXT_SCHEMA = """
CREATE SEQUENCE IF NOT EXISTS fdoc_seq START 1;
CREATE TABLE IF NOT EXISTS fulltexts (
    fdoc BIGINT NOT NULL,
    id VARCHAR NOT NULL,
    month INTEGER,
    published DATE,
    cat_str VARCHAR NOT NULL,
    title VARCHAR NOT NULL,
    source_kind VARCHAR NOT NULL,
    extractor VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    problems VARCHAR[] NOT NULL,
    source VARCHAR,
    content_hash VARCHAR NOT NULL,
    n_paragraphs INTEGER NOT NULL,
    n_chars BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS paragraphs (
    fdoc BIGINT NOT NULL,
    seq INTEGER NOT NULL,
    role VARCHAR NOT NULL,
    section VARCHAR NOT NULL,
    text VARCHAR NOT NULL,
    cites VARCHAR[] NOT NULL
);
CREATE TABLE IF NOT EXISTS bib_entries (
    fdoc BIGINT NOT NULL,
    key VARCHAR NOT NULL,
    text VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS fulltext_openness (
    fdoc BIGINT NOT NULL,
    has_code BOOLEAN NOT NULL,
    has_weights BOOLEAN NOT NULL,
    has_data BOOLEAN NOT NULL,
    has_demo BOOLEAN NOT NULL,
    code_released BOOLEAN NOT NULL,
    promise BOOLEAN NOT NULL,
    abstract_flags BOOLEAN[] NOT NULL
);
CREATE TABLE IF NOT EXISTS fulltext_links (
    fdoc BIGINT NOT NULL,
    n INTEGER NOT NULL,
    paragraph INTEGER NOT NULL,
    place VARCHAR NOT NULL,
    role VARCHAR NOT NULL,
    section VARCHAR NOT NULL,
    url VARCHAR,
    kinds VARCHAR[] NOT NULL,
    own BOOLEAN NOT NULL,
    promised BOOLEAN NOT NULL,
    phrase VARCHAR
);
"""

#: The flag columns of ``fulltext_openness``, in HAS_KINDS order (code, weights, data, demo, code-released, promise).
FT_FLAG_COLUMNS = ("has_code", "has_weights", "has_data", "has_demo", "code_released", "promise")
#: The columns of ``fulltext_links`` after ``fdoc``: one row per occurrence of a link (``url`` set) or per
#: release promise (``url`` NULL, ``phrase`` set), numbered ``n`` in text order, with the paragraph and the
#: place it stands in.
FT_LINK_COLUMNS = ("n", "paragraph", "place", "role", "section", "url", "kinds", "own", "promised", "phrase")
#: What a full text's openness is computed into: its flags (FT_FLAG_COLUMNS order), the flags of its abstract
#: paragraphs alone (same order), and its FT_LINK_COLUMNS rows.
FullTextOpennessValues = tuple[tuple[bool, ...], tuple[bool, ...], list[tuple[Any, ...]]]

#: Where a full text's month and categories come from: the paper's metadata when the store has it.
_EFFECTIVE = (
    "SELECT f.fdoc, f.id, coalesce(p.month, f.month) AS month, coalesce(p.published, f.published) AS published, "
    "coalesce(p.cat_str, f.cat_str) AS cat_str, f.title, f.status FROM fulltexts f "
    "LEFT JOIN papers p ON p.id = f.id AND NOT p.deleted"
)


@dataclass(frozen=True)
class FullTextCounts:
    inserted: int
    replaced: int
    unchanged: int


class FullTexts:
    """Mixed into :class:`~uptake.store.Store`."""

    _con: duckdb.DuckDBPyConnection

    def _ft_rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._con.execute(sql, list(params)).fetchall()

    def has_fulltext(self) -> bool:
        """Whether this store holds any full text."""
        if not self._ft_rows("SELECT count(*) FROM information_schema.tables WHERE table_name = 'fulltexts'")[0][0]:
            return False
        return bool(self._ft_rows("SELECT EXISTS (SELECT 1 FROM fulltexts)")[0][0])

    def upsert_fulltexts(self, items: Sequence[tuple[FullText, int | None, str]]) -> FullTextCounts:
        """Store ``(full text, month, content hash)`` items, replacing a stored text of the same paper when its
        hash differs. Run inside the caller's transaction. One batch is three Arrow inserts, not a statement
        per paragraph."""
        import pyarrow as pa

        if not items:
            return FullTextCounts(0, 0, 0)
        latest: dict[str, tuple[FullText, int | None, str]] = {}
        for item in items:  # the same paper twice in one batch: the last one wins
            latest[item[0].id] = item
        held = {str(i): (int(f), str(h)) for i, f, h in self._ft_rows(
            "SELECT id, fdoc, content_hash FROM fulltexts WHERE id IN (SELECT unnest(?::VARCHAR[]))",
            [list(latest)])}
        unchanged = (len(items) - len(latest)) + sum(1 for i, (_, _, h) in latest.items() if i in held
                                                     and held[i][1] == h)
        todo = [it for i, it in latest.items() if not (i in held and held[i][1] == it[2])]
        replaced_fdocs = [held[it[0].id][0] for it in todo if it[0].id in held]
        if replaced_fdocs:
            for table in ("paragraphs", "bib_entries", "fulltext_openness", "fulltext_links", "fulltexts"):
                self._con.execute(f"DELETE FROM {table} WHERE fdoc IN (SELECT unnest(?::BIGINT[]))", [replaced_fdocs])
        if not todo:
            return FullTextCounts(0, 0, unchanged)
        fdocs = sorted(int(r[0]) for r in self._ft_rows("SELECT nextval('fdoc_seq') FROM range(?)", [len(todo)]))
        heads = pa.table({
            "fdoc": pa.array(fdocs, pa.int64()), "id": [ft.id for ft, _, _ in todo],
            "month": pa.array([m for _, m, _ in todo], pa.int32()),
            "published": pa.array([ft.published for ft, _, _ in todo], pa.date32()),
            "cat_str": [" " + " ".join(ft.categories) + " " for ft, _, _ in todo],
            "title": [ft.title for ft, _, _ in todo], "source_kind": [ft.source_kind for ft, _, _ in todo],
            "extractor": [ft.extractor for ft, _, _ in todo], "status": [ft.status for ft, _, _ in todo],
            "problems": pa.array([list(ft.problems) for ft, _, _ in todo], pa.list_(pa.string())),
            "source": [ft.source for ft, _, _ in todo], "content_hash": [h for _, _, h in todo],
            "n_paragraphs": pa.array([len(ft.paragraphs) for ft, _, _ in todo], pa.int32()),
            "n_chars": pa.array([ft.text_chars() for ft, _, _ in todo], pa.int64()),
        })
        paras = pa.table({
            "fdoc": pa.array([f for f, (ft, _, _) in zip(fdocs, todo) for _ in ft.paragraphs], pa.int64()),
            "seq": pa.array([i for ft, _, _ in todo for i in range(len(ft.paragraphs))], pa.int32()),
            "role": [p.role for ft, _, _ in todo for p in ft.paragraphs],
            "section": [p.section for ft, _, _ in todo for p in ft.paragraphs],
            "text": [p.text for ft, _, _ in todo for p in ft.paragraphs],
            "cites": pa.array([list(p.cites) for ft, _, _ in todo for p in ft.paragraphs], pa.list_(pa.string())),
        })
        bib = pa.table({
            "fdoc": pa.array([f for f, (ft, _, _) in zip(fdocs, todo) for _ in ft.bibliography], pa.int64()),
            "key": pa.array([b.key for ft, _, _ in todo for b in ft.bibliography], pa.string()),
            "text": pa.array([b.text for ft, _, _ in todo for b in ft.bibliography], pa.string()),
        })
        for name, table in (("fulltexts", heads), ("paragraphs", paras), ("bib_entries", bib)):
            if table.num_rows:
                self._con.register("_ft_arrow", table)
                try:
                    self._con.execute(f"INSERT INTO {name} SELECT * FROM _ft_arrow")
                finally:
                    self._con.unregister("_ft_arrow")
        return FullTextCounts(len(todo) - len(replaced_fdocs), len(replaced_fdocs), unchanged)

    def fulltext_hashes(self) -> dict[str, str]:
        """Content hash of every stored full text, by paper id (what a resumed extraction skips)."""
        if not self.has_fulltext():
            return {}
        return {i: h for i, h in self._ft_rows("SELECT id, content_hash FROM fulltexts")}

    def fulltext_statuses(self) -> dict[str, str]:
        """Status (ok, partial, failed) of every stored full text, by paper id (what a fetch skips or retries)."""
        if not self.has_fulltext():
            return {}
        return {str(i): str(s) for i, s in self._ft_rows("SELECT id, status FROM fulltexts")}

    def fulltext_position(self) -> tuple[int, int]:
        """(highest fdoc ever stored, full texts stored): what the full-text index must match to be fresh."""
        row = self._ft_rows("SELECT coalesce(max(fdoc), 0), count(*) FROM fulltexts")[0]
        return int(row[0]), int(row[1])

    def fulltext_month_totals(self, categories: Sequence[str] = (), lo: int | None = None, hi: int | None = None,
                              ) -> dict[int, int]:
        """Papers with a usable full text (ok or partial) per month, optionally in ``categories``."""
        f = filtered("status <> 'failed' AND month IS NOT NULL", categories, lo, hi)
        where, params = f.text, list(f.params)
        return {int(m): int(n) for m, n in self._ft_rows(
            f"SELECT month, count(*) FROM ({_EFFECTIVE}) WHERE {where} GROUP BY month ORDER BY month", params)}

    def fulltext_status_rows(self) -> list[tuple[Any, ...]]:
        """``(month, primary-ish category, status, source kind, count)`` for every stored full text."""
        return self._ft_rows(
            f"SELECT e.month, coalesce(nullif(split_part(trim(e.cat_str), ' ', 1), ''), '(none)'), f.status, "
            f"f.source_kind, count(*) FROM ({_EFFECTIVE}) e JOIN fulltexts f USING (fdoc) "
            f"GROUP BY ALL ORDER BY 1, 2, 3, 4")

    def fulltext_failures(self, limit: int = 1000) -> list[tuple[str, str, list[str]]]:
        """``(id, status, problems)`` of full texts that failed or are partial, worst first."""
        return [(str(i), str(s), list(p)) for i, s, p in self._ft_rows(
            "SELECT id, status, problems FROM fulltexts WHERE status <> 'ok' "
            "ORDER BY status = 'partial', id LIMIT ?", [limit])]

    def fulltext_documents(self, *, after_fdoc: int = 0, ids: Sequence[str] | None = None,
                           categories: Sequence[str] = (), lo: int | None = None, hi: int | None = None,
                           batch: int = 2000) -> Iterator[list[tuple[Any, ...]]]:
        """Usable full texts as ``(fdoc, id, month, published, cat_str, title, [(role, text), ...])`` in batches,
        optionally only those with ``fdoc > after_fdoc``, those of ``ids``, in ``categories`` or months lo..hi."""
        f = filtered("status <> 'failed' AND month IS NOT NULL", categories, lo, hi)
        where = f"{f.text} AND fdoc > ?"
        params: list[Any] = [*f.params, after_fdoc]
        if ids is not None:
            where += " AND id IN (SELECT unnest(?::VARCHAR[]))"
            params.append(list(ids))
        heads = self._ft_rows(f"SELECT fdoc, id, month, published, cat_str, title FROM ({_EFFECTIVE}) "
                              f"WHERE {where} ORDER BY fdoc", params)
        for start in range(0, len(heads), batch):
            chunk = heads[start:start + batch]
            fdocs = [h[0] for h in chunk]
            paras: dict[int, list[tuple[str, str]]] = {f: [] for f in fdocs}
            for fdoc, role, text in self._ft_rows(
                    "SELECT fdoc, role, text FROM paragraphs WHERE fdoc IN (SELECT unnest(?::BIGINT[])) "
                    "ORDER BY fdoc, seq", [fdocs]):
                paras[fdoc].append((role, text))
            yield [(*h, paras[h[0]]) for h in chunk]

    def fulltext_papers(self, fdocs: Sequence[int], *, limit: int, offset: int) -> list[tuple[Any, ...]]:
        """The page of full texts ``fdocs``, newest first, as ``(id, published, primary_category, title,
        categories, fdoc)`` (metadata where the store has it)."""
        if not fdocs:
            return []
        return self._ft_rows(
            "SELECT f.id, coalesce(p.published, f.published) AS pub, p.primary_category, "
            "coalesce(p.title, f.title), coalesce(p.categories, list_filter(string_split(trim(f.cat_str), ' '), "
            "lambda c: c <> '')), f.fdoc "
            "FROM fulltexts f LEFT JOIN papers p ON p.id = f.id AND NOT p.deleted "
            "WHERE f.fdoc IN (SELECT unnest(?::BIGINT[])) ORDER BY pub DESC NULLS LAST, f.id DESC LIMIT ? OFFSET ?",
            [list(fdocs), limit, offset])

    def ids_updated_since(self, doc: int) -> list[str]:
        """Ids of full texts whose paper metadata was stored after ``doc`` (their month or categories may differ)."""
        return [str(r[0]) for r in self._ft_rows(
            "SELECT f.id FROM fulltexts f JOIN papers p ON p.id = f.id WHERE p.doc > ?", [doc])]

    def fulltext_paragraphs(self, fdoc: int) -> list[tuple[str, str, str]]:
        """``(role, section, text)`` of one full text's paragraphs, in order."""
        return [(str(r), str(s), str(t)) for r, s, t in self._ft_rows(
            "SELECT role, section, text FROM paragraphs WHERE fdoc = ? ORDER BY seq", [fdoc])]

    def fulltext_categories(self) -> list[str]:
        """Every category a stored full text is listed in (through its metadata when present)."""
        rows = self._ft_rows(f"SELECT DISTINCT unnest(string_split(trim(cat_str), ' ')) FROM ({_EFFECTIVE})")
        return sorted(str(r[0]) for r in rows if r[0])

    def fulltext_overview(self) -> tuple[tuple[int | None, int | None, date | None], dict[int, int]]:
        """(:meth:`fulltext_span`, :meth:`fulltext_month_totals` without filters) in one read of the full texts."""
        rows = self._ft_rows(f"SELECT month, count(*), max(published) FROM ({_EFFECTIVE}) WHERE status <> 'failed' "
                             f"GROUP BY month")
        months = [int(m) for m, _, _ in rows if m is not None]
        dates = [d for _, _, d in rows if d is not None]
        span = (min(months) if months else None, max(months) if months else None, max(dates) if dates else None)
        return span, {int(m): int(n) for m, n, _ in sorted(rows, key=lambda r: (r[0] is None, r[0])) if m is not None}

    def fulltext_span(self) -> tuple[int | None, int | None, date | None]:
        """(first month, last month, last v1 date known) of the usable full texts."""
        row = self._ft_rows(f"SELECT min(month), max(month), max(published) FROM ({_EFFECTIVE}) "
                            f"WHERE status <> 'failed'")
        return row[0][0], row[0][1], row[0][2]

    # -- openness read in full texts (detected by uptake.analytics.fulltext_openness, kept here) -----------
    def _ft_table_exists(self, name: str) -> bool:
        return bool(self._ft_rows("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name])[0][0])

    def fulltext_openness_state(self, version: str) -> str:
        """``ok`` (every usable full text has its openness, computed by ``version``), ``missing`` (a store made
        before they existed, or texts not done yet) or ``outdated`` (computed by other rules)."""
        if not self._ft_table_exists("fulltext_openness"):
            return "missing"
        row = self._ft_rows("SELECT value FROM meta WHERE key = 'fulltext_openness_version'")
        if row and row[0][0] != version:
            return "outdated"
        left = self._ft_rows("SELECT count(*) FROM fulltexts f WHERE f.status <> 'failed' AND NOT EXISTS "
                             "(SELECT 1 FROM fulltext_openness o WHERE o.fdoc = f.fdoc)")[0][0]
        return "missing" if left or not row else "ok"

    def refresh_fulltext_openness(self, version: str, compute: Callable[[list[tuple[str, str, str]]],
                                                                        FullTextOpennessValues],
                                  *, in_transaction: bool = False, batch: int = 500) -> int:
        """Compute the openness of every usable full text that has none yet, or of all of them when the stored
        one came from another ``version`` of the rules. ``compute(paragraphs)`` takes ``(role, section, text)``
        paragraphs (the detector lives in :mod:`uptake.analytics.fulltext_openness`). Runs in the caller's
        transaction when ``in_transaction`` (an import batch), else in its own. Returns the full texts done."""
        import pyarrow as pa

        self._con.execute(FULLTEXT_SCHEMA)  # a store made before these tables existed
        row = self._ft_rows("SELECT value FROM meta WHERE key = 'fulltext_openness_version'")
        if not in_transaction:
            self._con.execute("BEGIN TRANSACTION")
        try:
            if row and row[0][0] != version:
                self._con.execute("DELETE FROM fulltext_links")
                self._con.execute("DELETE FROM fulltext_openness")
            todo = [int(r[0]) for r in self._ft_rows(
                "SELECT fdoc FROM fulltexts f WHERE status <> 'failed' AND NOT EXISTS "
                "(SELECT 1 FROM fulltext_openness o WHERE o.fdoc = f.fdoc) ORDER BY fdoc")]
            for start in range(0, len(todo), batch):
                chunk = todo[start:start + batch]
                paras: dict[int, list[tuple[str, str, str]]] = {f: [] for f in chunk}
                for fdoc, role, section, text in self._ft_rows(
                        "SELECT fdoc, role, section, text FROM paragraphs WHERE fdoc IN (SELECT unnest(?::BIGINT[])) "
                        "ORDER BY fdoc, seq", [chunk]):
                    paras[int(fdoc)].append((str(role), str(section), str(text)))
                flags: dict[str, list[Any]] = {"fdoc": [], **{c: [] for c in FT_FLAG_COLUMNS}, "abstract_flags": []}
                links: dict[str, list[Any]] = {"fdoc": [], **{c: [] for c in FT_LINK_COLUMNS}}
                for fdoc in chunk:
                    values, abstract_values, rows = compute(paras[fdoc])
                    flags["fdoc"].append(fdoc)
                    for col, v in zip(FT_FLAG_COLUMNS, values, strict=True):
                        flags[col].append(bool(v))
                    flags["abstract_flags"].append([bool(v) for v in abstract_values])
                    for r in rows:
                        links["fdoc"].append(fdoc)
                        for col, v in zip(FT_LINK_COLUMNS, r, strict=True):
                            links[col].append(v)
                tables = (
                    ("fulltext_openness", pa.table({
                        "fdoc": pa.array(flags["fdoc"], pa.int64()),
                        **{c: pa.array(flags[c], pa.bool_()) for c in FT_FLAG_COLUMNS},
                        "abstract_flags": pa.array(flags["abstract_flags"], pa.list_(pa.bool_()))})),
                    ("fulltext_links", pa.table({
                        "fdoc": pa.array(links["fdoc"], pa.int64()),
                        "n": pa.array(links["n"], pa.int32()),
                        "paragraph": pa.array(links["paragraph"], pa.int32()),
                        **{c: pa.array(links[c], pa.string()) for c in ("place", "role", "section", "url")},
                        "kinds": pa.array(links["kinds"], pa.list_(pa.string())),
                        "own": pa.array(links["own"], pa.bool_()), "promised": pa.array(links["promised"], pa.bool_()),
                        "phrase": pa.array(links["phrase"], pa.string())})),
                )
                for name, table in tables:
                    if table.num_rows:
                        self._con.register("_ft_open_arrow", table)
                        try:
                            self._con.execute(f"INSERT INTO {name} SELECT * FROM _ft_open_arrow")
                        finally:
                            self._con.unregister("_ft_open_arrow")
            self._con.execute("INSERT OR REPLACE INTO meta VALUES ('fulltext_openness_version', ?)", [version])
            if not in_transaction:
                self._con.execute("COMMIT")
        except BaseException:
            if not in_transaction:
                self._con.execute("ROLLBACK")
            raise
        return len(todo)

    def fulltext_openness_rows(self, categories: Sequence[str] = (), lo: int | None = None, hi: int | None = None,
                               fdocs: Sequence[int] | None = None) -> list[tuple[Any, ...]]:
        """Per usable full text in months lo..hi (and ``categories``, ``fdocs``): ``(fdoc, id, month, title,
        full-text flags (6), abstract-paragraph flags (list), metadata flags (6, None without metadata or
        before they were computed))``, flags in FT_FLAG_COLUMNS order, ordered by month and id."""
        f = filtered("status <> 'failed' AND month IS NOT NULL", categories, lo, hi)
        where, params = f.text, list(f.params)
        if fdocs is not None:
            where += " AND fdoc IN (SELECT unnest(?::BIGINT[]))"
            params.append(list(fdocs))
        ft_cols = ", ".join(f"o.{c}" for c in FT_FLAG_COLUMNS)
        meta_cols = ", ".join(f"p.{c}" for c in FT_FLAG_COLUMNS)
        return self._ft_rows(
            f"SELECT e.fdoc, e.id, e.month, e.title, {ft_cols}, o.abstract_flags, {meta_cols} "
            f"FROM (SELECT * FROM ({_EFFECTIVE}) WHERE {where}) e JOIN fulltext_openness o USING (fdoc) "
            f"LEFT JOIN papers p ON p.id = e.id AND NOT p.deleted ORDER BY e.month, e.id", params)

    def fulltext_links_of(self, ids: Sequence[str]) -> dict[str, list[tuple[Any, ...]]]:
        """The stored occurrences (FT_LINK_COLUMNS) of the full texts of paper ``ids``, in text order."""
        if not ids or not self._ft_table_exists("fulltext_links"):
            return {}
        out: dict[str, list[tuple[Any, ...]]] = {}
        for row in self._ft_rows(
                "SELECT f.id, l.n, l.paragraph, l.place, l.role, l.section, l.url, l.kinds, l.own, l.promised, "
                "l.phrase FROM fulltext_links l JOIN fulltexts f USING (fdoc) "
                "WHERE f.id IN (SELECT unnest(?::VARCHAR[])) ORDER BY f.id, l.n", [list(ids)]):
            out.setdefault(str(row[0]), []).append(tuple(row[1:]))
        return out

    def fulltext_flags_of(self, ids: Sequence[str]) -> dict[str, tuple[bool, ...]]:
        """The full-text openness flags (FT_FLAG_COLUMNS order) of paper ``ids`` that have them."""
        if not ids or not self._ft_table_exists("fulltext_openness"):
            return {}
        cols = ", ".join(f"o.{c}" for c in FT_FLAG_COLUMNS)
        return {str(r[0]): tuple(bool(v) for v in r[1:]) for r in self._ft_rows(
            f"SELECT f.id, {cols} FROM fulltext_openness o JOIN fulltexts f USING (fdoc) "
            f"WHERE f.id IN (SELECT unnest(?::VARCHAR[]))", [list(ids)])}

    def fulltext_flags_by_fdoc(self, fdocs: Sequence[int]) -> dict[int, tuple[bool, ...]]:
        """The full-text openness flags (FT_FLAG_COLUMNS order) of full texts ``fdocs`` (what ``has:`` reads)."""
        if not fdocs:
            return {}
        cols = ", ".join(FT_FLAG_COLUMNS)
        return {int(r[0]): tuple(bool(v) for v in r[1:]) for r in self._ft_rows(
            f"SELECT fdoc, {cols} FROM fulltext_openness WHERE fdoc IN (SELECT unnest(?::BIGINT[]))", [list(fdocs)])}
