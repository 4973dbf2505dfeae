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
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..errors import SourceNotFoundError, UsageError
from ..periods import month_label
from ..records import BibEntry, FullText, Paragraph, Rejection
from . import fsio
from .eprint import fulltext_month
from .tabular import damaged_parquet, parquet_rows

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


# -- the output folder of `uptake spark extract`: runs, and which of them are committed ---------------------------
#: Written first into an output folder of the committed layout: from then on its readers read committed runs only.
LAYOUT_FILE = "_uptake-fulltext.json"
LAYOUT = "uptake-fulltext/2"
#: One object per committed run, ``_commits/run=ID.json``, written last: the commit.
COMMITS = "_commits"
RUN_FORMAT = "uptake-fulltext-run/1"


def commit_path(root: str, run: str) -> str:
    return fsio.join(root, COMMITS, f"{run}.json")


def _all_manifests(fs: Any, root: str) -> list[dict[str, Any]]:
    folder = fsio.join(root, COMMITS)
    if not fsio.fresh(fs).isdir(folder):
        return []
    out = []
    for f in sorted(fs.glob(fsio.join(folder, "run=*.json"))):
        m = json.loads(fs.cat(f))
        if m.get("format") == RUN_FORMAT:
            out.append(m)
    return sorted(out, key=lambda m: str(m["run"]))


def replaced_runs(fs: Any, root: str) -> set[str]:
    """Runs a later committed run replaced (a run made without ``--resume`` replaces every run before it)."""
    return {str(r) for m in _all_manifests(fs, root) for r in m.get("replaces", ())}


def run_manifests(fs: Any, root: str) -> list[dict[str, Any]]:
    """The manifests of the committed runs in the output folder ``root`` that no later run replaced, oldest
    run first."""
    manifests = _all_manifests(fs, root)
    gone = {str(r) for m in manifests for r in m.get("replaces", ())}
    return [m for m in manifests if str(m["run"]) not in gone]


def legacy_runs(fs: Any, root: str) -> list[str]:
    """Runs committed by renaming (the layout before commit objects): ``run=…`` folders holding ``_done``,
    unless a later committed run replaced them."""
    found = sorted(d.rstrip("/").split("/")[-2] for d in fs.glob(fsio.join(root, "run=*", "_done")))
    gone = replaced_runs(fs, root) if found else set()
    return [r for r in found if r not in gone]


def input_key(path: str) -> str:
    """The name an input file is known by in manifests and ``_done`` markers (a digest of its path or URL)."""
    return hashlib.sha256(path.encode()).hexdigest()[:40]


def done_keys(fs: Any, root: str) -> set[str]:
    """Keys of the inputs finished by committed runs (what ``--resume`` skips)."""
    keys = {str(i["key"]) for m in run_manifests(fs, root) for i in m["inputs"]}
    for run in legacy_runs(fs, root):
        keys |= {fsio.basename(f) for f in fs.glob(fsio.join(root, run, "_done", "*"))}
    return keys


def is_committed_layout(fs: Any, root: str) -> bool:
    return bool(fs.exists(fsio.join(root, LAYOUT_FILE)) or fs.isdir(fsio.join(root, COMMITS)))


def output_files(fs: Any, root: str) -> list[tuple[str, str]]:
    """``(run, path)`` of every data file readers read in the output folder ``root``, runs oldest first.

    In the committed layout: exactly the files each committed run's manifest lists (and every file of a run
    committed by rename, with its ``_done`` folder); files of crashed runs or of failed task attempts are never
    read. A folder without the layout file (written by hand, or before commit objects) is read whole, minus
    names starting with ``_`` or ``.``."""
    out: list[tuple[str, str]] = []
    if is_committed_layout(fsio.fresh(fs), root):
        for m in run_manifests(fs, root):
            out += [(str(m["run"]), fsio.join(root, f["path"])) for f in m["files"]]
        for run in legacy_runs(fs, root):
            out += [(run, f) for f in _data_files(fs, fsio.join(root, run))]
    else:
        out = [(_run_of(fsio.relative(f, root)), f) for f in _data_files(fs, root)]
    return sorted(out)


def _data_files(fs: Any, folder: str) -> list[str]:
    return sorted(f for f in fs.find(folder) if not _hidden(fsio.relative(f, folder))
                  and (f.endswith(".parquet") or fsio.basename(f).startswith("part-")))


def _hidden(rel: str) -> bool:
    return any(part.startswith(("_", ".")) for part in rel.split("/"))


def _run_of(rel: str) -> str:
    """The run a data file belongs to (``run=…`` in its path; runs are named by their start time)."""
    return next((part for part in rel.split("/") if part.startswith("run=")), "")


def is_parquet(path: str | Path, storage_options: Mapping[str, Any] | None = None) -> bool:
    """Whether ``path`` (a path or URL) is a Parquet file (by its magic bytes) or a folder holding Parquet files."""
    fs, root = fsio.filesystem(path, storage_options)
    if fs.isdir(root):
        return is_committed_layout(fs, root) or bool(_data_files(fs, root))
    if not fs.isfile(root):
        return str(path).endswith(".parquet")
    with fs.open(root, "rb") as f:
        return bool(f.read(4) == b"PAR1")


def parquet_files(paths: Iterable[str | Path], storage_options: Mapping[str, Any] | None = None,
                  ) -> list[tuple[Any, str, str]]:
    """``(fs, path, run)`` of the data files of Parquet files, globs or output folders (as ``spark extract``
    writes them), in a stable order: runs oldest first, so a paper extracted again later wins when imported."""
    out: list[tuple[Any, str, str]] = []
    for path in paths:
        fs, root = fsio.filesystem(path, storage_options)
        if fs.isdir(root):
            out += [(fs, f, run) for run, f in output_files(fs, root)]
        elif fs.isfile(root):
            out.append((fs, root, _run_of(root)))
        elif any(c in root for c in "*?[") and (committed := _committed_glob(fs, root)) is not None:
            out += committed
        elif fsio.is_url(str(path)) and any(c in root for c in "*?["):
            out += [(fs, f, _run_of(f)) for f in fs.glob(root)]
        else:
            raise SourceNotFoundError(f"{path} does not exist; give Parquet files or the folder `uptake spark extract` "
                                      f"wrote")
    return out


def _committed_glob(fs: Any, pattern: str) -> list[tuple[Any, str, str]] | None:
    """For ``OUTPUT/part-*.parquet`` where OUTPUT is a folder ``spark extract`` wrote: its committed data files
    whose names match (they live in ``run=…/period=…/`` below it; a plain glob would find none, or uncommitted
    ones). None when the folder part is not such an output."""
    import fnmatch

    folder, _, name = pattern.rpartition("/")
    if not folder or any(c in folder for c in "*?[") or not fs.isdir(folder) or not is_committed_layout(fs, folder):
        return None
    return [(fs, f, run) for run, f in output_files(fs, folder) if fnmatch.fnmatchcase(fsio.basename(f), name)]


def read_parquet_fulltexts(paths: Sequence[str | Path], storage_options: Mapping[str, Any] | None = None,
                           ) -> Iterator[FullText | Rejection]:
    """Every full text (and rejected line) of Parquet written by ``uptake spark extract``: files, or output
    folders (their committed runs only), local or at URLs."""
    import pyarrow.parquet as pq

    files = parquet_files(paths, storage_options)
    if not files:
        raise UsageError(f"no Parquet files in {', '.join(map(str, paths))} (of an output folder, only the runs "
                         f"`uptake spark extract` committed are read)")
    for fs, f in (ff[:2] for ff in sorted(files, key=lambda ff: (ff[2], ff[1]))):
        with fs.open(f, "rb") as stream:
            read = 0
            try:
                pf = pq.ParquetFile(stream)
                missing = [n for n in ("id", "status", "paragraphs") if n not in pf.schema_arrow.names]
                if missing:
                    raise UsageError(f"{f} is not a full-text table written by `uptake spark extract` "
                                     f"(no {', '.join(missing)})")
                for row in parquet_rows(pf, 256):
                    read += 1
                    yield from_row(row)
            except (pa.ArrowException, OSError) as exc:  # cut short or damaged: one rejection, the batch goes on
                yield Rejection(str(f), read + 1, damaged_parquet(exc, read))
