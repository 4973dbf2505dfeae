"""Full texts into the store: import structured texts (unarXive / S2ORC JSONL) or extract arXiv e-prints
(single files, folders, bulk ``arXiv_src_*.tar`` tarballs, PDFs), then bring the full-text index up to date.

Every paper ends as ok, partial or failed (with its reasons), and is counted; a failure never stops the
batch. Texts are committed in batches, each its own transaction, so an interrupted extraction keeps what
it committed, and the same command finishes the job: papers already stored with the same content are
skipped (``unchanged``).

What the texts mean — the section roles and *uses* vs *mentions*:

- every paragraph has a role (see :mod:`uptake.sections`): abstract, introduction, related, method,
  experiments, discussion, appendix, captions, references, other;
- a paper **uses** an idea when a query matches in a method, experiments, appendix or captions paragraph,
  in a sentence that cites no other work (``in:use``); it **mentions** it when the query matches anywhere.
  ``uptake adoption QUERY --by use`` counts the first kind.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ._crashpoint import crashpoint
from .analytics.fulltext_openness import FULLTEXT_OPENNESS_VERSION, detect_fulltext, flag_values, without_footnotes
from .errors import SourceNotFoundError, UsageError
from .index.fulltext import sync as sync_fulltext_index
from .records import FullText, Rejection
from .sources.eprint import fulltext_month, iter_eprints
from .sources.fsio import is_url
from .sources.fulltext_parquet import is_parquet, read_parquet_fulltexts
from .sources.unarxive import read_unarxive
from .store import FullTextCounts, Store

#: Full texts written per transaction.
BATCH = 200

ProgressFn = Callable[[int], None]


@dataclass
class FullTextSummary:
    """What an import or extraction did: counts by outcome and status, and every problem with its source."""

    read: int = 0
    inserted: int = 0
    replaced: int = 0
    unchanged: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # (id or file:line, status, reason)
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return self.statuses.get("failed", 0) + len(self.rejected)

    def as_dict(self) -> dict[str, Any]:
        return {"read": self.read, "inserted": self.inserted, "replaced": self.replaced, "unchanged": self.unchanged,
                "statuses": dict(self.statuses), "rejected": len(self.rejected),
                "problems": [{"paper": p, "status": s, "reason": r} for p, s, r in self.problems]
                + [{"paper": f"{r.file}:{r.line}", "status": "rejected", "reason": r.reason} for r in self.rejected]}


def content_hash(ft: FullText) -> str:
    """A digest of everything stored of ``ft`` (an unchanged re-import is skipped)."""
    body = orjson.dumps([ft.title, ft.source_kind, ft.extractor, ft.status, list(ft.problems),
                         [[p.role, p.section, p.text, list(p.cites)] for p in ft.paragraphs],
                         [[b.key, b.text] for b in ft.bibliography], list(ft.categories),
                         ft.published.isoformat() if ft.published else None])
    return hashlib.sha256(body).hexdigest()


def month_for(ft: FullText) -> int | None:
    """The month a full text counts in before its metadata is imported: its v1 date, else what its id encodes."""
    return fulltext_month(ft)


def openness_values(paragraphs: list[tuple[str, str, str]]) -> tuple[tuple[bool, ...], tuple[bool, ...],
                                                                     list[tuple[Any, ...]]]:
    """A full text's openness as the store keeps it: its flags, the flags of its abstract paragraphs alone
    (what the comparison uses for a paper without metadata) and one row per link occurrence or promise
    (see :mod:`uptake.analytics.fulltext_openness` and ``FT_LINK_COLUMNS`` in the store)."""
    found = detect_fulltext(paragraphs)
    abstract = detect_fulltext([(r, s, without_footnotes(t)) for r, s, t in paragraphs
                                if r == "abstract" and not t.startswith("[footnote]")])
    rows: list[tuple[Any, ...]] = []
    for o in found.links:
        rows.append((len(rows), o.paragraph, o.place, o.role, o.section, o.url, list(o.kinds), o.own, o.promised, None))
    for pr in found.promises:
        rows.append((len(rows), pr.paragraph, pr.place, pr.role, pr.section, None, ["promise"], True, True, pr.phrase))
    return flag_values(found), flag_values(abstract), rows


def refresh_fulltext_openness(store: Store, *, in_transaction: bool = False) -> int:
    """Detect openness in every stored full text that has none yet (all of them after the rules changed)."""
    return store.refresh_fulltext_openness(FULLTEXT_OPENNESS_VERSION, openness_values, in_transaction=in_transaction)


def write_fulltexts(store: Store, items: Sequence[tuple[FullText, int | None, str]]) -> FullTextCounts:
    """Store ``(full text, month, content hash)`` items and their openness in ONE committed transaction (all or
    nothing)."""
    store.begin()
    try:
        counts = store.upsert_fulltexts(items)
        refresh_fulltext_openness(store, in_transaction=True)
        crashpoint("fulltext-transaction", len(items))
        store.commit()
    except BaseException:
        store.rollback()
        raise
    crashpoint("fulltext-commit", len(items))
    return counts


def store_fulltexts(store: Store, texts: Iterable[FullText | Rejection], *, progress: ProgressFn | None = None,
                    batch: int = BATCH) -> FullTextSummary:
    """Write ``texts`` (rejections are counted) into ``store`` (open for writing) in committed batches, then
    update the full-text index."""
    if batch < 1:
        raise UsageError("--batch must be 1 or more")
    summary = FullTextSummary()
    pending: list[tuple[FullText, int | None, str]] = []

    def flush() -> None:
        if not pending:
            return
        counts = write_fulltexts(store, pending)
        summary.inserted += counts.inserted
        summary.replaced += counts.replaced
        summary.unchanged += counts.unchanged
        pending.clear()

    for item in texts:
        summary.read += 1
        if isinstance(item, Rejection):
            summary.rejected.append(item)
        else:
            summary.statuses[item.status] = summary.statuses.get(item.status, 0) + 1
            if item.status != "ok":
                summary.problems.append((item.id, item.status, "; ".join(item.problems) or "(no reason given)"))
            pending.append((item, month_for(item), content_hash(item)))
            if len(pending) >= batch:
                flush()
        if progress is not None:
            progress(summary.read)
    flush()
    sync_fulltext_index(store)
    return summary


def read_structured(paths: Sequence[str | Path], storage_options: Mapping[str, Any] | None = None,
                    ) -> Iterator[FullText | Rejection]:
    """Every full text of unarXive / S2ORC-style JSONL files (plain or gzip), or of Parquet written by
    ``uptake spark extract`` (files or its output folder, also at ``s3://``/``gs://`` URLs with
    ``storage_options``; recognised by their content)."""
    for p in paths:
        if is_parquet(p, storage_options):
            yield from read_parquet_fulltexts([p], storage_options)
            continue
        if is_url(p):
            raise UsageError(f"{p}: only Parquet written by `uptake spark extract` is read from URLs; download "
                             f"unarXive files first")
        if Path(p).is_dir():
            raise UsageError(f"{p} is a folder: give the .jsonl(.gz) files in it, e.g. {p}/*.jsonl.gz")
        for _, item in read_unarxive(p):
            yield item


def read_eprints(paths: Sequence[str | Path]) -> Iterator[FullText]:
    """Full texts extracted from e-prints: files, folders of them, or bulk tarballs (streamed)."""
    for p in paths:
        if not Path(p).exists():
            raise SourceNotFoundError(f"{p} does not exist; give e-prints (ID.gz, ID.tar.gz, ID.pdf), a folder of "
                                      f"them, or an arXiv_src_*.tar bulk tarball")
        yield from iter_eprints(p)
