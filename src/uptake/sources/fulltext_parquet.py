"""Full texts as Parquet rows: the table ``uptake spark extract`` writes and ``uptake fulltext import`` reads.

One row per paper (or per rejected input line), every field of :class:`~uptake.records.FullText`:

======================  ===========================================================================
``id``                  the arXiv id (for a rejected line: ``FILE:LINE``)
``month``               the month it counts in (months since year 0; its v1 date, else its id), or null
``period``              the same as ``YYYY-MM`` (``undated`` when unknown): the partition column
``published``           v1 date when known
``categories``          list<string>, primary first
``title``, ``abstract`` plain text
``status``              ok, partial, failed, or ``rejected`` (an input line that is no paper)
``problems``            list<string>: why not ok (for ``rejected``: the reason)
``source_kind``         unarxive, latex or pdf; ``extractor`` is name/version
``paragraphs``          list<struct<role, section, text, cites: list<string>>>, in order
``bibliography``        list<struct<key, text>>
``source``              the file (and tar member) it came from
``input``               the input file given to the job (what ``--resume`` marks as done)
======================  ===========================================================================

:func:`to_batch` and :func:`from_table` are inverse: a FullText written and read back is equal to itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..errors import SourceNotFoundError, UsageError
from ..periods import month_label
from ..records import BibEntry, FullText, Paragraph, Rejection
from .eprint import fulltext_month

REJECTED = "rejected"

PARAGRAPH = pa.struct([("role", pa.string()), ("section", pa.string()), ("text", pa.string()),
                       ("cites", pa.list_(pa.string()))])
BIB = pa.struct([("key", pa.string()), ("text", pa.string())])

SCHEMA = pa.schema([
    ("id", pa.string()),
    ("month", pa.int32()),
    ("period", pa.string()),
    ("published", pa.date32()),
    ("categories", pa.list_(pa.string())),
    ("title", pa.string()),
    ("abstract", pa.string()),
    ("status", pa.string()),
    ("problems", pa.list_(pa.string())),
    ("source_kind", pa.string()),
    ("extractor", pa.string()),
    ("paragraphs", pa.list_(PARAGRAPH)),
    ("bibliography", pa.list_(BIB)),
    ("source", pa.string()),
    ("input", pa.string()),
])


def to_row(item: FullText | Rejection, input_name: str) -> dict[str, Any]:
    """One Parquet row of a full text (or of a rejected line)."""
    if isinstance(item, Rejection):
        return {"id": f"{item.file}:{item.line}", "month": None, "period": "undated", "published": None,
                "categories": [], "title": "", "abstract": "", "status": REJECTED, "problems": [item.reason],
                "source_kind": None, "extractor": None, "paragraphs": [], "bibliography": [], "source": item.file,
                "input": input_name}
    month = fulltext_month(item)
    return {
        "id": item.id, "month": month, "period": month_label(month) if month is not None else "undated",
        "published": item.published, "categories": list(item.categories), "title": item.title,
        "abstract": item.abstract, "status": item.status, "problems": list(item.problems),
        "source_kind": item.source_kind, "extractor": item.extractor,
        "paragraphs": [{"role": p.role, "section": p.section, "text": p.text, "cites": list(p.cites)}
                       for p in item.paragraphs],
        "bibliography": [{"key": b.key, "text": b.text} for b in item.bibliography],
        "source": item.source, "input": input_name,
    }


def to_batch(rows: Sequence[dict[str, Any]]) -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist(list(rows), schema=SCHEMA)


def from_row(row: dict[str, Any]) -> FullText | Rejection:
    """The record a row stands for (the inverse of :func:`to_row`)."""
    if row["status"] == REJECTED:
        ident = str(row["id"])
        file, _, line = ident.rpartition(":")
        return Rejection(file=file or str(row.get("source") or ""), line=int(line) if line.isdigit() else 0,
                         reason="; ".join(row.get("problems") or []))
    pub = row.get("published")
    if isinstance(pub, dt.datetime):
        pub = pub.date()
    return FullText(
        id=row["id"], title=row["title"] or "", abstract=row["abstract"] or "",
        paragraphs=tuple(Paragraph(p["role"], p["section"], p["text"], tuple(p["cites"] or ()))
                         for p in row["paragraphs"] or ()),
        bibliography=tuple(BibEntry(b["key"], b["text"]) for b in row["bibliography"] or ()),
        source_kind=row["source_kind"], extractor=row["extractor"], status=row["status"],
        problems=tuple(row["problems"] or ()), categories=tuple(row["categories"] or ()), published=pub,
        source=row.get("source"),
    )


def is_parquet(path: str | Path) -> bool:
    """Whether ``path`` is a Parquet file (by its magic bytes) or a folder holding Parquet files."""
    p = Path(path)
    if p.is_dir():
        return any(f.suffix == ".parquet" or f.name.startswith("part-") for f in p.rglob("*")
                   if f.is_file() and not _hidden(f, p))
    if not p.is_file():
        return p.suffix == ".parquet"
    with p.open("rb") as f:
        return f.read(4) == b"PAR1"


def _hidden(f: Path, root: Path) -> bool:
    return any(part.startswith(("_", ".")) for part in f.relative_to(root).parts)


def parquet_files(paths: Iterable[str | Path]) -> list[Path]:
    """The data files of Parquet files or folders (as ``spark extract`` writes them), in a stable order:
    runs oldest first, so a paper extracted again later wins when imported."""
    out: list[Path] = []
    for path in paths:
        p = Path(path)
        if not p.exists():
            raise SourceNotFoundError(f"{p} does not exist; give Parquet files or the folder `uptake spark extract` wrote")
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and not _hidden(f, p)
                          and (f.suffix == ".parquet" or f.name.startswith("part-")))
        else:
            out.append(p)
    return out


def read_parquet_fulltexts(paths: Sequence[str | Path]) -> Iterator[FullText | Rejection]:
    """Every full text (and rejected line) of Parquet written by ``uptake spark extract``."""
    import pyarrow.parquet as pq

    files = parquet_files(paths)
    if not files:
        raise UsageError(f"no Parquet files in {', '.join(map(str, paths))}")
    tables = []
    for f in files:
        t = pq.read_table(f, partitioning=None)
        missing = [n for n in ("id", "status", "paragraphs") if n not in t.column_names]
        if missing:
            raise UsageError(f"{f} is not a full-text table written by `uptake spark extract` (no {', '.join(missing)})")
        tables.append((f, t))
    for _f, t in sorted(tables, key=lambda ft: _run_of(ft[0])):
        for batch in t.to_batches(max_chunksize=256):
            for row in batch.to_pylist():
                yield from_row(row)


def _run_of(f: Path) -> tuple[str, str]:
    """(run, path) of a data file: runs are named by their start time, so they sort oldest first."""
    run = next((part for part in f.parts if part.startswith("run=")), "")
    return run, str(f)
