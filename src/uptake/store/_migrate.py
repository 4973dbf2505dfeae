"""Store schema migrations: an ordered list of versioned steps, run on a writable open.

Each step brings a store from the version before it to its own version. The runner first records, in one
transaction, the new ``schema_version`` and ``migrating_to`` (so an older uptake refuses the store from that
moment, and a crash leaves a marker), then runs the step, then removes the marker. A step must be resumable
and idempotent: after a crash (kill -9 anywhere) the next writable open runs it again and it finishes the
work left. Readers never need a migration: every schema this code knows reads correctly as it is.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import duckdb

#: A step gets the connection and the current schema's DDL (``uptake.store._SCHEMA``, passed in so this
#: module does not import its package).
Step = Callable[[duckdb.DuckDBPyConnection, str], None]


def _meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    row = con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def _to_2(con: duckdb.DuckDBPyConnection, schema: str) -> None:
    """Schema 2: no folded token string for ASCII text (readers derive it with ``lower``), zstd texts.

    One transaction copies ``papers`` into a table of the new definition (row order and ``doc`` values kept,
    so the term index stays valid), dropping each folded string that equals ``lower`` of the exact one for
    ASCII text, then swaps the tables. A crash leaves the old table whole, and the step runs again.
    """
    start = schema.index("CREATE TABLE IF NOT EXISTS papers (")
    ddl = schema[start:schema.index(");", start) + 2].replace("IF NOT EXISTS papers (", "papers_v2 (")
    cols = [r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = "
                                      "'papers' AND table_schema = 'main' ORDER BY ordinal_position").fetchall()]

    def value(col: str) -> str:
        for field in ("title", "abstract"):
            if col == f"{field}_tok":
                return (f"CASE WHEN strlen({field}) = length({field}) AND {col} = lower({field}_tok_cs) "
                        f"THEN NULL ELSE {col} END")
        return col

    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DROP TABLE IF EXISTS papers_v2")
        con.execute(ddl)
        con.execute(f"INSERT INTO papers_v2 ({', '.join(cols)}) SELECT {', '.join(value(c) for c in cols)} "
                    "FROM papers")  # insertion order is kept: the rows stay in their order
        con.execute("DROP TABLE papers")
        con.execute("ALTER TABLE papers_v2 RENAME TO papers")
        _test_pause("migration-copied")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


#: (version, step) in order; a store at version v runs every step whose version is above v.
MIGRATIONS: list[tuple[int, Step]] = [(2, _to_2)]


def migrate(con: duckdb.DuckDBPyConnection, found: int, target: int, *, schema: str) -> list[int]:
    """Run every step from ``found`` up to ``target`` (and a step a crash left unfinished); the versions run."""
    ran = []
    pending = _meta(con, "migrating_to")
    for version, step in MIGRATIONS:
        if version > target:
            break
        if version <= found and pending != str(version):
            continue
        con.execute("BEGIN TRANSACTION")
        con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?), ('migrating_to', ?)",
                    [str(version), str(version)])
        con.execute("COMMIT")
        step(con, schema)
        con.execute("BEGIN TRANSACTION")
        con.execute("DELETE FROM meta WHERE key = 'migrating_to'")
        con.execute("INSERT OR REPLACE INTO meta VALUES ('compact_pending', '1')")
        con.execute("COMMIT")
        ran.append(version)
        pending = None
    return ran


def needs_compaction(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether a migration rewrote tables and the file still holds their old blocks."""
    return _meta(con, "compact_pending") is not None


def compact(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Rewrite the store at ``path`` (open in ``con``, whose write lock it keeps) into a fresh file.

    DuckDB reuses a dropped table's blocks but never shrinks the file, so after a migration has rewritten
    ``papers`` the store is copied (every table and sequence, ``doc`` values kept) into ``<path>.compact``,
    which then replaces the store atomically. A crash before the replace leaves the old file whole with
    ``compact_pending`` still set, so the next writable open compacts again; the caller must reconnect.
    """
    tmp = Path(str(path) + ".compact")
    tmp.unlink(missing_ok=True)
    con.execute("CHECKPOINT")
    row = con.execute("SELECT current_database()").fetchone()
    assert row is not None
    escaped = str(tmp).replace("'", "''")
    con.execute(f"ATTACH '{escaped}' AS uptake_compact")
    try:
        con.execute(f'COPY FROM DATABASE "{row[0]}" TO uptake_compact')
        con.execute("DELETE FROM uptake_compact.meta WHERE key = 'compact_pending'")
    finally:
        con.execute("DETACH uptake_compact")
    _test_pause("compaction-copied")
    os.replace(tmp, path)


def _test_pause(point: str) -> None:
    """Test hook, as :func:`uptake.ingest._test_pause`: with ``UPTAKE_TEST_PAUSE=point:FILE`` create FILE at
    ``point`` and wait there to be killed, so a crash test needs no timing guesses (the 15-minute limit is
    only a hang guard)."""
    spec = os.environ.get("UPTAKE_TEST_PAUSE")
    if not spec or not spec.startswith(point + ":"):
        return
    import time

    marker = Path(spec[len(point) + 1 :])
    if marker.exists():
        return
    marker.write_text(str(os.getpid()))
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        time.sleep(0.02)
