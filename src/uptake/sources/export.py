"""Folders written by ``uptake export``: Parquet files plus a ``SHA256SUMS`` file, verified before import."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError

if TYPE_CHECKING:
    import pyarrow as pa

#: The checksum file of an export folder (the format of ``sha256sum``).
CHECKSUMS = "SHA256SUMS"


def sha256_file(path: str | Path) -> str:
    """The SHA-256 of a file's bytes, as hex."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def verify_export(folder: str | Path) -> list[str]:
    """Files of an export whose checksum does not match (empty when everything is intact)."""
    root = Path(folder).expanduser()
    sums = root / CHECKSUMS
    if not sums.is_file():
        raise InputError(f"{sums}: no checksum file; is {root} a folder written by `uptake export`?")
    bad = []
    for line in sums.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        digest, name = line.split(None, 1)
        p = root / name.strip()
        if not p.is_file() or sha256_file(p) != digest:
            bad.append(name.strip())
    return bad


def export_file_intact(path: str | Path) -> bool | None:
    """Whether one file of an export folder matches its line in the folder's ``SHA256SUMS``.

    ``None`` when the file is not part of an export (no checksum file beside it, or not listed in it):
    a file imported on its own (``snap/*.parquet``) is checked as carefully as the whole folder.
    """
    p = Path(path).expanduser()
    sums = p.parent / CHECKSUMS
    if not sums.is_file():
        return None
    for line in sums.read_text(encoding="utf-8").splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2 and parts[1].strip() == p.name:
            return sha256_file(p) == parts[0]
    return None


# -- the columnar reading of an export ---------------------------------------------------------------------
#: Parquet schema metadata key: the artifact-rule version the carried flags were detected with.
OPENNESS_META = b"uptake.openness_version"
#: Files with more rows are read record by record (the columnar reading holds one file in memory).
COLUMNAR_MAX_ROWS = 1_000_000


def export_schema(openness_version: str | None = None) -> pa.Schema:
    """The Parquet schema ``uptake export`` writes: the paper's fields, then its content hash and artifact flags
    (``openness_version``: the rule version they were detected with, kept in the schema metadata)."""
    import pyarrow as pa

    fields = [
        ("id", pa.string()), ("title", pa.string()), ("abstract", pa.string()), ("categories", pa.list_(pa.string())),
        ("published", pa.date32()), ("updated", pa.date32()), ("authors", pa.list_(pa.string())),
        ("comments", pa.string()), ("journal_ref", pa.string()), ("doi", pa.string()), ("source", pa.string()),
        ("content_hash", pa.string()), ("has_code", pa.bool_()), ("has_weights", pa.bool_()), ("has_data", pa.bool_()),
        ("has_demo", pa.bool_()), ("promise", pa.bool_()), ("links", pa.list_(pa.string())),
        ("code_released", pa.bool_()),
    ]
    meta = {OPENNESS_META: openness_version.encode()} if openness_version else None
    return pa.schema(fields, metadata=meta)


_PAPER_FIELDS = 11  # the first fields of export_schema(): what an import reads of a paper
_HASH_ROWS = 8192


@dataclass(frozen=True)
class ExportColumns:
    """An export file read as columns (:func:`read_export_columns`)."""

    table: pa.Table  #: the paper fields, each row exactly what the per-record reader makes of it
    hashes: list[str]  #: each row's :meth:`~uptake.records.Paper.content_hash`
    categories: list[list[str]]  #: each row's categories, as Python lists
    carried: pa.Table | None  #: content_hash and flags as written by the export, or None
    openness_version: str | None  #: the rule version of ``carried``'s flags


def read_export_columns(path: str | Path) -> ExportColumns | None:
    """``path`` as columns, when it has the shape ``uptake export`` writes and reading it record by record would
    keep every row exactly as it is; None otherwise (then the import reads it record by record).

    "Exactly as it is" is what :func:`~uptake.sources.fields.paper_from_mapping` makes of a row without changing
    it: an id already normalised (printable ASCII without ``arXiv:``, ``/abs/`` or a version suffix), title,
    abstract, authors and the optional texts without surrounding white space (``str.strip``'s), a non-empty
    title and author names, categories without white space, empty entries or repeats, both dates in range and
    ``updated`` not before ``published``, no null where the reader would substitute a value. Ids are unique in
    the file (so how its rows are split into batches cannot change an import's counts).
    """
    import pyarrow as pa

    try:
        return _read_export_columns(path)
    except (pa.ArrowException, OSError):
        return None  # a damaged file: the record-by-record reader says what is wrong with it, as before


def _read_export_columns(path: str | Path) -> ExportColumns | None:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from .fields import EARLIEST_DATE, latest_date

    pf = pq.ParquetFile(path)
    want = export_schema()
    have = pf.schema_arrow
    base = pa.schema(list(want)[:_PAPER_FIELDS])
    names = set(have.names)
    if len(names) != len(have.names) or names not in ({f.name for f in base}, set(want.names)):
        return None
    if any(have.field(f.name).type != f.type for f in want if f.name in names):
        return None
    if pf.metadata.num_rows > COLUMNAR_MAX_ROWS:
        return None
    table = pf.read()
    papers = table.select(base.names).combine_chunks()
    n = papers.num_rows

    def all_true(mask: pa.Array) -> bool:
        return bool(pc.all(pc.fill_null(mask, False)).as_py()) if len(mask) else True

    def no_nulls(col: str) -> bool:
        return papers.column(col).null_count == 0

    if not all(no_nulls(c) for c in ("id", "title", "abstract", "categories", "published", "updated", "authors")):
        return None
    ids = papers.column("id")
    if not (all_true(pc.match_substring_regex(ids, r"^[!-~]+$"))
            and not pc.any(pc.match_substring_regex(ids, r"^[aA][rR][xX][iI][vV]:|/abs/|v[0-9]+$")).as_py()
            and pc.count_distinct(ids).as_py() == n):
        return None
    space = _space_class_re2()
    authors = pc.list_flatten(papers.column("authors"))
    texts = [papers.column(c) for c in ("title", "abstract", "comments", "journal_ref", "doi", "source")]
    texts.append(authors)
    for i, col in enumerate(texts):
        ends = pc.binary_join_element_wise(pc.utf8_slice_codeunits(col, 0, 1), pc.utf8_slice_codeunits(col, -1), "")
        if pc.any(pc.match_substring_regex(ends, space)).as_py():  # white space first or last: strip would cut it
            return None
        if i != 1 and pc.any(pc.equal(col, "")).as_py():  # only the abstract may be empty; a null stays null
            return None
    cats = pc.list_flatten(papers.column("categories"))
    if authors.null_count or cats.null_count or pc.any(pc.equal(cats, "")).as_py():
        return None
    if pc.any(pc.match_substring_regex(cats, space)).as_py():
        return None
    published, updated = papers.column("published"), papers.column("updated")
    lo, hi = pa.scalar(EARLIEST_DATE, pa.date32()), pa.scalar(latest_date(), pa.date32())
    if not (all_true(pc.greater_equal(published, lo)) and all_true(pc.less_equal(updated, hi))
            and all_true(pc.less_equal(published, updated))):
        return None
    categories = papers.column("categories").to_pylist()
    if any(len(set(c)) != len(c) for c in categories):
        return None
    from ..records import content_hash

    hashes: list[str] = []
    for lo in range(0, n, _HASH_ROWS):  # a slice at a time: Python copies of the texts live briefly
        part = papers.slice(lo, _HASH_ROWS)
        iso = [pc.cast(part.column(c), pa.string()).to_pylist() for c in ("published", "updated")]
        cols = [part.column(c).to_pylist() for c in ("id", "title", "abstract", "authors", "comments", "journal_ref",
                                                     "doi")]
        hashes += [content_hash(i, t, a, c, p, u, au, co, j, d)
                   for i, t, a, c, p, u, au, co, j, d in zip(cols[0], cols[1], cols[2], categories[lo:lo + _HASH_ROWS],
                                                             iso[0], iso[1], cols[3], cols[4], cols[5], cols[6],
                                                             strict=True)]
    carried = None
    version = None
    if len(names) == len(want.names):
        carried = table.select(list(want.names)[_PAPER_FIELDS:]).combine_chunks()
        meta = have.metadata or {}
        version = meta[OPENNESS_META].decode() if OPENNESS_META in meta else None
    return ExportColumns(table=papers, hashes=hashes, categories=categories, carried=carried,
                         openness_version=version)


@functools.cache
def _space_class_re2() -> str:
    """An RE2 character class of every character ``str.isspace`` (so ``str.strip`` and ``str.split``) counts."""
    return "[" + "".join(f"\\x{{{c:x}}}" for c in range(0x110000) if chr(c).isspace()) + "]"
