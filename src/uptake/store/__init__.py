"""The embedded database: the only module that talks to DuckDB.

One table holds one row per arXiv id (versions collapsed), with the token
strings the query engine matches against, so a paper is tokenised once, at
import. A title or abstract in ASCII keeps no folded token string (NULL): it is
the SQL ``lower`` of the exact one (:func:`uptake.text.folds_by_lower`), which
every reader applies through ``_scan.TOKEN_SQL``. The texts and token strings
are zstd-compressed. ``meta`` holds the schema version and other small facts;
``_migrate`` moves older stores up.

DuckDB admits one writing process or several readers, never both. Readers and
writers take turns through a lock file next to the store (see ``_gate``): a
reader waits for a writer's commit, a writer for the readers already connected.
Waiting longer than ``wait`` raises :class:`StoreLockedError`, with a message
that says what to do.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from ..errors import NoCorpusError, SchemaVersionError, StoreError, StoreLockedError
from ..records import Paper
from ..text import SEMANTICS_VERSION
from . import _gate
from ._damage import damage_error
from ._fulltext import FULLTEXT_SCHEMA, FullTextCounts, FullTexts
from ._reads import EXPORT_CARRIED, EXPORT_COLUMNS, Reads
from ._scan import HAS_COLUMNS, OPENNESS_COLUMNS

if TYPE_CHECKING:
    import pyarrow as pa

SCHEMA_VERSION = 2  # 2: no folded token strings for ASCII text, zstd texts (store/_migrate.py)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE SEQUENCE IF NOT EXISTS doc_seq START 1;
CREATE TABLE IF NOT EXISTS papers (
    doc BIGINT NOT NULL,
    id VARCHAR NOT NULL,
    title VARCHAR NOT NULL USING COMPRESSION zstd,
    abstract VARCHAR NOT NULL USING COMPRESSION zstd,
    categories VARCHAR[] NOT NULL,
    primary_category VARCHAR,
    cat_str VARCHAR NOT NULL,
    published DATE NOT NULL,
    month INTEGER NOT NULL,
    updated DATE NOT NULL,
    authors VARCHAR[] NOT NULL,
    comments VARCHAR,
    journal_ref VARCHAR,
    doi VARCHAR,
    source VARCHAR,
    deleted BOOLEAN NOT NULL DEFAULT false,
    content_hash VARCHAR NOT NULL,
    title_tok VARCHAR USING COMPRESSION zstd,
    abstract_tok VARCHAR USING COMPRESSION zstd,
    title_tok_cs VARCHAR NOT NULL USING COMPRESSION zstd,
    abstract_tok_cs VARCHAR NOT NULL USING COMPRESSION zstd,
    has_code BOOLEAN,
    has_weights BOOLEAN,
    has_data BOOLEAN,
    has_demo BOOLEAN,
    promise BOOLEAN,
    links VARCHAR[],
    code_released BOOLEAN
);
CREATE TABLE IF NOT EXISTS harvest_state (
    endpoint VARCHAR NOT NULL,
    set_spec VARCHAR NOT NULL,
    metadata_prefix VARCHAR NOT NULL,
    last_datestamp VARCHAR,
    window_from VARCHAR,
    window_until VARCHAR,
    window_started VARCHAR,
    token VARCHAR,
    in_progress BOOLEAN NOT NULL DEFAULT false,
    pages BIGINT NOT NULL DEFAULT 0,
    window_records BIGINT NOT NULL DEFAULT 0,
    complete_list_size BIGINT,
    records BIGINT NOT NULL DEFAULT 0,
    deleted BIGINT NOT NULL DEFAULT 0,
    rejected BIGINT NOT NULL DEFAULT 0,
    restarts BIGINT NOT NULL DEFAULT 0,
    updated_at VARCHAR,
    PRIMARY KEY (endpoint, set_spec, metadata_prefix)
);
"""

#: Columns of ``harvest_state`` (one row per endpoint, set and metadata format), in order.
HARVEST_COLUMNS = (
    "endpoint", "set_spec", "metadata_prefix", "last_datestamp", "window_from", "window_until", "window_started",
    "token", "in_progress", "pages", "window_records", "complete_list_size", "records", "deleted", "rejected",
    "restarts", "updated_at",
)


_STAGE_COLUMNS = (
    "id", "title", "abstract", "categories", "primary_category", "cat_str", "published", "month",
    "updated", "authors", "comments", "journal_ref", "doi", "source", "content_hash",
    "title_tok", "abstract_tok", "title_tok_cs", "abstract_tok_cs",
    *OPENNESS_COLUMNS,
)


#: The columns computed from a paper's text: the four token strings, then OPENNESS_COLUMNS
#: (see :func:`uptake.ingest.derive`, which computes them, in worker processes for large imports).
DERIVED_COLUMNS = ("title_tok", "abstract_tok", "title_tok_cs", "abstract_tok_cs", *OPENNESS_COLUMNS)


def _openness_fields(pa: Any) -> list[tuple[str, Any]]:
    return [(c, pa.list_(pa.string()) if c == "links" else pa.bool_()) for c in OPENNESS_COLUMNS]


def stage_papers(papers: Sequence[Paper], derived: Sequence[tuple[Any, ...]]) -> tuple[pa.Table, int]:
    """The stage table (:func:`stage_schema`) :meth:`Store.upsert` writes for ``papers``, and how many of them
    were dropped as duplicates of another paper of the batch (the newest record of an id wins, by ``updated``
    then content hash). A pure function of its arguments: no store needed, so worker processes can run it.
    ``derived`` is :func:`uptake.ingest.derive` of ``papers``."""
    import pyarrow as pa

    winners: dict[str, tuple[Paper, str, int]] = {}
    duplicates_in_batch = 0
    for position, paper in enumerate(papers):
        h = paper.content_hash()
        held = winners.get(paper.id)
        if held is not None:
            duplicates_in_batch += 1
            if (paper.updated, h) <= (held[0].updated, held[1]):
                continue
        winners[paper.id] = (paper, h, position)
    kept = list(winners.values())
    ps = [paper for paper, _, _ in kept]
    cols: dict[str, list[Any]] = {
        "id": [p.id for p in ps], "title": [p.title for p in ps], "abstract": [p.abstract for p in ps],
        "categories": [list(p.categories) for p in ps],
        "primary_category": [p.categories[0] if p.categories else None for p in ps],
        "cat_str": [" " + " ".join(p.categories) + " " for p in ps],
        "published": [p.published for p in ps], "month": [p.month for p in ps], "updated": [p.updated for p in ps],
        "authors": [list(p.authors) for p in ps], "comments": [p.comments for p in ps],
        "journal_ref": [p.journal_ref for p in ps], "doi": [p.doi for p in ps], "source": [p.source for p in ps],
        "content_hash": [h for _, h, _ in kept],
    }
    rows = [derived[position] for _, _, position in kept]
    for i, col in enumerate(DERIVED_COLUMNS):
        cols[col] = [row[i] for row in rows]
    return pa.Table.from_pydict(cols, schema=stage_schema()), duplicates_in_batch


def stage_schema() -> pa.Schema:
    """The Arrow schema of the papers :meth:`Store.upsert` stages (``_STAGE_COLUMNS``, in order)."""
    import pyarrow as pa

    return pa.schema(
        [
            ("id", pa.string()), ("title", pa.string()), ("abstract", pa.string()),
            ("categories", pa.list_(pa.string())), ("primary_category", pa.string()), ("cat_str", pa.string()),
            ("published", pa.date32()), ("month", pa.int32()), ("updated", pa.date32()),
            ("authors", pa.list_(pa.string())), ("comments", pa.string()), ("journal_ref", pa.string()),
            ("doi", pa.string()), ("source", pa.string()), ("content_hash", pa.string()),
            ("title_tok", pa.string()), ("abstract_tok", pa.string()),
            ("title_tok_cs", pa.string()), ("abstract_tok_cs", pa.string()),
            *_openness_fields(pa),
        ]
    )


def default_path() -> Path:
    """``$UPTAKE_DB``, else ``uptake.duckdb`` in the user's data directory."""
    env = os.environ.get("UPTAKE_DB")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("uptake", appauthor=False)) / "uptake.duckdb"


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text or "conflict" in text)


def _locked_message(p: Path) -> str:
    return (f"{p} is in use by another uptake process (an import or harvest writing to it, "
            f"or a server while you try to write): wait for it to finish, stop it, or use another --db")


def _guarded(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    import functools

    @functools.wraps(fn)
    def call(self: Store, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(self, *args, **kwargs)
        except duckdb.Error as exc:
            mapped = damage_error(self.path, exc)
            if mapped is None:
                raise
            raise mapped from exc

    return call


@dataclass(frozen=True)
class UpsertCounts:
    inserted: int
    updated: int
    unchanged: int


class Store(Reads, FullTexts):
    """A DuckDB file holding the corpus. Use :meth:`open`; close it (or use ``with``)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, *, writable: bool) -> None:
        self._con = con
        self.path = path
        self.writable = writable
        self._on_close: list[Callable[[], None]] = []

    # -- opening -------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path | None = None, *, write: bool = False, wait: float = 5.0) -> Store:
        """Open (and for writers, create) the store at ``path``.

        Readers of a store that does not exist get :class:`NoCorpusError`.
        """
        p = Path(path).expanduser() if path is not None else default_path()
        if not write and not p.exists():
            raise NoCorpusError(
                f"no corpus at {p} yet: import records first, e.g. `uptake import arxiv.jsonl.gz` "
                f"(or `uptake demo` for a synthetic one), or point --db / $UPTAKE_DB at an existing store"
            )
        if write:
            p.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + wait
        delay = 0.002 if write else 0.05
        turn: _gate.Turn | None = None  # the gate (see store/_gate.py): writers hold it until closed, readers to connect
        taken = 0.0
        while True:
            if turn is None:
                try:
                    turn = _gate.take(p, exclusive=write, until=deadline)
                except _gate.GateBusy:
                    raise StoreLockedError(_locked_message(p)) from None
                taken = time.monotonic()
            try:
                con = duckdb.connect(str(p), read_only=not write)
                break
            except duckdb.Error as exc:
                now = time.monotonic()
                if _is_lock_error(exc) and now < deadline:
                    if turn is not None and (not write or now - taken > _gate.DRAIN):
                        turn.release()  # a reader never waits holding it; a writer lets waiting readers in
                        turn = None
                    time.sleep(delay)
                    delay = min(delay * 2, 0.05 if write else 0.5)
                    continue
                if turn is not None:
                    turn.release()
                if _is_lock_error(exc):
                    raise StoreLockedError(_locked_message(p)) from exc
                mapped = damage_error(p, exc)
                if mapped is not None:
                    raise mapped from exc
                raise StoreError(f"cannot open {p}: {exc}. If it is not an uptake store, choose another --db") from exc
        if turn is not None and not write:
            turn.release()
            turn = None
        con.execute("SET enable_progress_bar = false")  # uptake draws its own progress; DuckDB's would interleave
        store = cls(con, p, writable=write)
        if turn is not None:
            store.on_close(turn.release)
        try:
            store._check_schema()
            if write:  # never write into a damaged file: one cheap read of what every write touches first
                store.position()
        except duckdb.Error as exc:
            store.close()
            mapped = damage_error(p, exc)
            if mapped is None:
                raise
            raise mapped from exc
        except BaseException:
            store.close()
            raise
        return store

    def _check_schema(self) -> None:
        has_meta = self._aggregate(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
        )[0]
        if not has_meta:
            if not self.writable:
                raise NoCorpusError(f"{self.path} holds no uptake corpus yet: run `uptake import FILE --db {self.path}`")
            self._con.execute(_SCHEMA)
            self._con.execute(FULLTEXT_SCHEMA)
            self._con.execute(
                "INSERT INTO meta VALUES ('schema_version', ?), ('semantics_version', ?)",
                [str(SCHEMA_VERSION), SEMANTICS_VERSION],
            )
            return
        row = self._con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        found = int(row[0]) if row else 0
        if found > SCHEMA_VERSION:
            raise SchemaVersionError(
                f"{self.path} was written by a newer uptake (schema {found}, this one reads up to {SCHEMA_VERSION}): "
                f"upgrade uptake (pip install -U uptake) or use another --db"
            )
        if self.writable:
            self._con.execute(FULLTEXT_SCHEMA)  # stores made before full text get its (empty) tables
            for col in OPENNESS_COLUMNS:  # stores made before openness detection get the columns, unfilled
                kind = "VARCHAR[]" if col == "links" else "BOOLEAN"
                self._con.execute(f"ALTER TABLE papers ADD COLUMN IF NOT EXISTS {col} {kind}")
            from ._migrate import compact, migrate, needs_compaction

            migrate(self._con, found, SCHEMA_VERSION, schema=_SCHEMA)  # older schemas (or one a crash left half done) move up
            if needs_compaction(self._con):  # a migration rewrote tables: give the file its new size
                compact(self._con, self.path)
                self._con.close()
                self._con = duckdb.connect(str(self.path))
                self._con.execute("SET enable_progress_bar = false")

    def verify(self) -> list[str]:
        """Read every row and column of every table once; the problems found (empty: the store reads back whole).

        What ``uptake check`` runs: DuckDB checks each block's checksum as it reads it, so a truncated or
        bit-flipped file fails here even where everyday queries (which read a few columns) would not notice.
        """
        problems: list[str] = []
        try:
            tables = [r[0] for r in self._con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
                "AND table_type = 'BASE TABLE' ORDER BY 1").fetchall()]
        except duckdb.Error as exc:
            return [f"the list of tables cannot be read: {str(exc).splitlines()[0]}"]
        for table in tables:
            try:
                cols = [r[0] for r in self._con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                    "ORDER BY ordinal_position", [table]).fetchall()]
                reads = ", ".join(f'count("{c}")' for c in cols) or "count(*)"
                # hashing every value makes DuckDB read (and checksum) every block of every column
                hashes = ", ".join(f'bit_xor(hash("{c}"))' for c in cols)
                self._con.execute(f'SELECT count(*), {reads}, {hashes} FROM "{table}"').fetchall()
            except duckdb.Error as exc:
                problems.append(f"table {table} cannot be read: {str(exc).splitlines()[0][:200]}")
        return problems

    def close(self) -> None:
        self._con.close()
        for fn in self._on_close:
            fn()
        self._on_close.clear()

    def on_close(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` when this store is closed."""
        self._on_close.append(fn)

    def interrupt(self) -> None:
        """Stop the statement running on this store now (from another thread); it raises in its caller."""
        self._con.interrupt()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- artifact openness (detected by uptake.analytics.openness, kept here) ----------------
    def refresh_openness(self, version: str, compute: Callable[[str | None, str | None], tuple[Any, ...]]) -> int:
        """Add the openness columns if missing and fill them where missing or computed by another ``version``.

        ``compute(abstract, comments)`` gives a paper's OPENNESS_COLUMNS values (the detector lives in
        :mod:`uptake.analytics.openness`; the store only keeps what it says). Returns the rows done.
        """
        OPENNESS_VERSION = version
        for col in OPENNESS_COLUMNS:
            kind = "VARCHAR[]" if col == "links" else "BOOLEAN"
            self._con.execute(f"ALTER TABLE papers ADD COLUMN IF NOT EXISTS {col} {kind}")
        stored = self.get_meta("openness_version")
        outdated = stored is not None and stored != OPENNESS_VERSION
        missing = "" if outdated else " AND has_code IS NULL"
        if not outdated and not self._aggregate("SELECT count(*) FROM papers WHERE has_code IS NULL")[0]:
            if stored is None:
                self.set_meta("openness_version", OPENNESS_VERSION)
            return 0
        import pyarrow as pa

        done = 0
        lo, hi = self._aggregate("SELECT coalesce(min(doc), 0), coalesce(max(doc), -1) FROM papers")
        step = 20_000
        self.begin()
        try:
            for start in range(lo, hi + 1, step):
                chunk = self._con.execute(
                    f"SELECT id, abstract, comments FROM papers WHERE doc >= ? AND doc < ?{missing}", [start, start + step]
                ).fetchall()
                if not chunk:
                    continue
                cols: dict[str, list[Any]] = {"id": [], **{c: [] for c in OPENNESS_COLUMNS}}
                for ident, abstract, comments in chunk:
                    cols["id"].append(ident)
                    for col, value in zip(OPENNESS_COLUMNS, compute(abstract, comments), strict=True):
                        cols[col].append(value)
                table = pa.Table.from_pydict(cols, schema=pa.schema([("id", pa.string()), *_openness_fields(pa)]))
                self._con.register("_openness_arrow", table)
                try:
                    sets = ", ".join(f"{c} = o.{c}" for c in OPENNESS_COLUMNS)
                    self._con.execute(f"UPDATE papers SET {sets} FROM _openness_arrow o WHERE papers.id = o.id")
                finally:
                    self._con.unregister("_openness_arrow")
                done += len(chunk)
            self.set_meta("openness_version", OPENNESS_VERSION)
            self.commit()
        except BaseException:
            self.rollback()
            raise
        return done

    def _aggregate(self, sql: str) -> tuple[Any, ...]:
        """The one row of an aggregate query (count, min, max without GROUP BY always return exactly one)."""
        row = self._con.execute(sql).fetchone()
        assert row is not None, sql
        return row

    # -- meta ------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self._con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self._con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])

    # -- writing ---------------------------------------------------------------
    def begin(self) -> None:
        self._con.execute("BEGIN TRANSACTION")

    def commit(self) -> None:
        self._con.execute("COMMIT")

    def rollback(self) -> None:
        try:
            self._con.execute("ROLLBACK")
        except duckdb.TransactionException as exc:
            if "no transaction is active" not in str(exc):
                raise
            # an interrupted or failed COMMIT has already ended the transaction: nothing was written
        except duckdb.FatalException:
            pass  # a failed write (disk full) invalidated the connection: the transaction is gone with it

    @staticmethod
    def write_failure(exc: BaseException) -> bool:
        """Whether ``exc`` means DuckDB could not write the file (disk full, I/O error)."""
        return isinstance(exc, (duckdb.IOException, duckdb.FatalException)) or "No space left" in str(exc)

    def upsert(self, papers: Sequence[Paper], derived: Sequence[tuple[Any, ...]]) -> UpsertCounts:
        """Insert new papers and replace stored ones by newer records; report what happened.

        A record replaces the stored paper with the same id when its ``updated``
        date is later, or (same date) when its content hash is greater, so the
        final state does not depend on import order. Must run inside a transaction
        the caller controls (:meth:`begin` / :meth:`commit`). ``derived`` is
        :func:`uptake.ingest.derive` of ``papers``, one tuple of DERIVED_COLUMNS values per paper.
        """
        if not papers:
            return UpsertCounts(0, 0, 0)
        stage, duplicates_in_batch = stage_papers(papers, derived)
        return self._upsert_stage(stage, duplicates_in_batch)

    def upsert_staged(self, stage: pa.Table, duplicates_in_batch: int) -> UpsertCounts:
        """:meth:`upsert` of a batch already staged by :func:`stage_papers` (the import's worker processes
        stage their batches; the result is the same as :meth:`upsert` of the papers)."""
        if stage.num_rows == 0:
            return UpsertCounts(0, 0, duplicates_in_batch)
        return self._upsert_stage(stage, duplicates_in_batch)

    def upsert_table(self, stage: pa.Table) -> UpsertCounts:
        """:meth:`upsert` of papers already in columns: ``stage`` has :func:`stage_schema`, one row per id.

        The columnar import of uptake's own exports (:mod:`uptake.ingest`) builds such tables without a
        :class:`Paper` per record; everything after staging is the same SQL as :meth:`upsert`'s.
        """
        if stage.num_rows == 0:
            return UpsertCounts(0, 0, 0)
        if stage.schema != stage_schema():
            raise ValueError(f"upsert_table needs the stage schema, got {stage.schema}")
        return self._upsert_stage(stage, 0, light=True)

    def _upsert_stage(self, stage: pa.Table, duplicates_in_batch: int, *, light: bool = False) -> UpsertCounts:
        """Compare ``stage`` with the stored papers and write the new and newer ones.

        ``light`` (the columnar import) stages only the columns that decide, and the texts go once from the Arrow
        table into papers. Without it the whole stage is copied first, as always: ``doc`` numbers follow the order
        rows are read in, which the emerging-terms sample depends on, so the record-by-record path keeps its order.
        """
        con = self._con
        con.register("_stage_arrow", stage)
        try:
            con.execute(
                f"""
                CREATE OR REPLACE TEMP TABLE _stage AS
                SELECT {'s.id' if light else 's.*'},
                       CASE WHEN p.id IS NULL THEN 'insert'
                            WHEN s.updated > p.updated OR (s.updated = p.updated AND s.content_hash > p.content_hash)
                              OR p.deleted THEN 'update'
                            ELSE 'keep' END AS action
                FROM _stage_arrow s LEFT JOIN papers p ON p.id = s.id
                """
            )
            counts = dict(con.execute("SELECT action, count(*) FROM _stage GROUP BY action").fetchall())
            if counts.get("update"):
                con.execute("DELETE FROM papers WHERE id IN (SELECT id FROM _stage WHERE action = 'update')")
            if counts.get("insert") or counts.get("update"):
                names = ", ".join(_STAGE_COLUMNS)
                if light:
                    chosen = "" if not counts.get("keep") else \
                        " WHERE id IN (SELECT id FROM _stage WHERE action <> 'keep')"
                    source = f"_stage_arrow{chosen}"
                else:
                    source = "_stage WHERE action <> 'keep'"
                con.execute(f"INSERT INTO papers (doc, {names}) SELECT nextval('doc_seq'), {names} FROM {source} "
                            f"ORDER BY id")
            con.execute("DROP TABLE _stage")
        finally:
            try:
                con.unregister("_stage_arrow")
            except duckdb.Error:
                pass  # an interrupted query aborted the transaction; the original error says why
        return UpsertCounts(
            inserted=counts.get("insert", 0),
            updated=counts.get("update", 0),
            unchanged=counts.get("keep", 0) + duplicates_in_batch,
        )

    # -- reading ---------------------------------------------------------------
    def paper_count(self) -> int:
        return int(self._aggregate("SELECT count(*) FROM papers WHERE NOT deleted")[0])

    def require_papers(self) -> int:
        n = self.paper_count()
        if n == 0:
            raise NoCorpusError(
                f"the store {self.path} has no papers yet: import some with `uptake import FILE` "
                f"(or try `uptake demo`)"
            )
        return n

    def span(self) -> tuple[date, date]:
        first, last = self._aggregate(
            "SELECT min(published), max(published) FROM papers WHERE NOT deleted"
        )
        return first, last

    # -- harvest state (see uptake.harvest) --------------------------------------
    def _has_harvest_table(self) -> bool:
        return bool(self._aggregate(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'harvest_state'"
        )[0])

    def harvest_states(self) -> list[dict[str, Any]]:
        """Every harvest_state row as a dict (empty for stores never harvested)."""
        if not self._has_harvest_table():
            return []
        cols = ", ".join(HARVEST_COLUMNS)
        rows = self._con.execute(
            f"SELECT {cols} FROM harvest_state ORDER BY set_spec, metadata_prefix, endpoint"
        ).fetchall()
        return [dict(zip(HARVEST_COLUMNS, r)) for r in rows]

    def harvest_state(self, endpoint: str, set_spec: str, metadata_prefix: str) -> dict[str, Any] | None:
        if not self._has_harvest_table():
            return None
        cols = ", ".join(HARVEST_COLUMNS)
        row = self._con.execute(
            f"SELECT {cols} FROM harvest_state WHERE endpoint = ? AND set_spec = ? AND metadata_prefix = ?",
            [endpoint, set_spec, metadata_prefix],
        ).fetchone()
        return dict(zip(HARVEST_COLUMNS, row)) if row else None

    def save_harvest_state(self, state: dict[str, Any]) -> None:
        """Insert or replace one harvest_state row; call inside the page's transaction."""
        if not self._has_harvest_table():
            self._con.execute(_SCHEMA)  # a store made before harvesting existed; every statement is IF NOT EXISTS
        self._con.execute(
            f"INSERT OR REPLACE INTO harvest_state ({', '.join(HARVEST_COLUMNS)}) "
            f"VALUES ({', '.join('?' for _ in HARVEST_COLUMNS)})",
            [state.get(c) for c in HARVEST_COLUMNS],
        )

    def mark_deleted(self, deletions: Sequence[tuple[str, date]]) -> int:
        """Mark papers deleted at the source (OAI ``status="deleted"``); returns how many changed.

        A deletion applies only to a stored paper not updated after it, so the outcome does not
        depend on the order records arrive in. Unknown ids are ignored. Run inside a transaction.
        """
        changed = 0
        for ident, when in deletions:
            row = self._con.execute(
                "UPDATE papers SET deleted = true, updated = greatest(updated, ?) "
                "WHERE id = ? AND NOT deleted AND updated <= ? RETURNING id",
                [when, ident, when],
            ).fetchall()
            changed += len(row)
        return changed

    def known_categories(self) -> list[str]:
        rows = self._con.execute(
            "SELECT DISTINCT unnest(categories) AS c FROM papers WHERE NOT deleted ORDER BY c"
        ).fetchall()
        return [r[0] for r in rows]


def _guard(cls: type) -> None:
    """Turn DuckDB corruption errors raised by any public method of ``cls`` into :class:`StoreDamagedError`."""
    for name in dir(cls):
        if name.startswith("_") or name in ("open", "verify", "interrupt", "close", "on_close"):
            continue
        fn = getattr(cls, name)
        if callable(fn) and not isinstance(cls.__dict__.get(name), (classmethod, staticmethod)):
            setattr(cls, name, _guarded(name, fn))


_guard(Store)

__all__ = [
    "DERIVED_COLUMNS", "EXPORT_CARRIED", "EXPORT_COLUMNS", "FullTextCounts", "HARVEST_COLUMNS", "HAS_COLUMNS", "OPENNESS_COLUMNS", "SCHEMA_VERSION",
    "Store", "UpsertCounts", "damage_error", "default_path", "stage_papers",
    "stage_schema",
]
