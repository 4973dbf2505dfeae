"""Value types shared by every part of uptake. No I/O here."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, get_args

import orjson

from .serialise import fields_dict


@dataclass(frozen=True, slots=True)
class Paper:
    """One arXiv paper, versions collapsed.

    ``published`` is the date of the first version (v1): a paper's period is
    always derived from it. ``updated`` is the last-modified date used to decide
    whether a re-imported record is newer than the stored one.
    """

    id: str
    title: str
    abstract: str
    categories: tuple[str, ...]
    published: date
    updated: date
    authors: tuple[str, ...] = ()
    comments: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    source: str | None = None

    @property
    def primary_category(self) -> str | None:
        return self.categories[0] if self.categories else None

    @property
    def month(self) -> int:
        """Months since year 0 of the v1 date: ``year * 12 + month - 1``."""
        return self.published.year * 12 + self.published.month - 1

    def content_hash(self) -> str:
        """A hash of everything that describes the paper (not where it came from).

        Stable across machines and import order; used to break ties between two
        records with the same ``updated`` date and for corpus fingerprints.
        """
        return content_hash(self.id, self.title, self.abstract, list(self.categories), self.published.isoformat(),
                            self.updated.isoformat(), list(self.authors), self.comments, self.journal_ref, self.doi)


def content_hash(ident: str, title: str, abstract: str, categories: list[str], published: str, updated: str,
                 authors: list[str], comments: str | None, journal_ref: str | None, doi: str | None) -> str:
    """:meth:`Paper.content_hash` from the field values (dates as ISO text): the one definition, also used by
    the columnar import of exports, which has the values without a :class:`Paper`."""
    payload = orjson.dumps([ident, title, abstract, categories, published, updated, authors, comments, journal_ref,
                            doi])
    return hashlib.sha256(payload).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Rejection:
    """A record that could not be read, with where it was and why."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass(slots=True)
class ImportSummary:
    """What an import did. ``rejections`` keeps the first few; ``rejected`` counts all. ``uncategorised``
    counts the papers stored without any category: they count in every total but in no category."""

    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    uncategorised: int = 0

    KEEP_REJECTIONS = 20

    def reject(self, rejection: Rejection) -> None:
        self.rejected += 1
        if len(self.rejections) < self.KEEP_REJECTIONS:
            self.rejections.append(rejection)

    def merge(self, other: ImportSummary) -> None:
        self.read += other.read
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.uncategorised += other.uncategorised
        self.files.extend(other.files)
        for r in other.rejections:
            if len(self.rejections) < self.KEEP_REJECTIONS:
                self.rejections.append(r)
        self.rejected += other.rejected

    def as_dict(self) -> dict[str, object]:
        return {
            "files": self.files,
            "read": self.read,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "rejections": [{"file": r.file, "line": r.line, "reason": r.reason} for r in self.rejections],
            "without_categories": self.uncategorised,
        }


#: Kinds of artifact a paper can link as its own (see :mod:`uptake.analytics.openness`).
ARTIFACT_KINDS: tuple[str, ...] = ("code", "weights", "data", "demo")
#: What ``has:`` accepts: the artifact kinds, ``code-released`` (a code link no words call a promise)
#: and ``promise`` (a release promise, with or without a link).
HAS_KINDS: tuple[str, ...] = ARTIFACT_KINDS + ("code-released", "promise")


@dataclass(frozen=True)
class Fingerprint:
    """What identifies a corpus' content: paper count, first and last month, and a SHA-256 over the sorted
    ``id content_hash`` lines (the same on every machine and for every import order)."""

    papers: int
    first_month: str | None
    last_month: str | None
    content_hash: str

    def as_dict(self) -> dict[str, Any]:
        return fields_dict(self)

    @staticmethod
    def from_dict(d: dict[str, Any]) -> Fingerprint:
        return Fingerprint(int(d["papers"]), d.get("first_month"), d.get("last_month"), str(d["content_hash"]))

    def differences(self, other: Fingerprint) -> list[str]:
        """Plain-words differences from ``self`` (the manifest's) to ``other`` (the store's)."""
        out = []
        if self.papers != other.papers:
            delta = other.papers - self.papers
            out.append(f"papers: {self.papers:,} in the manifest, {other.papers:,} in the store "
                       f"({'+' if delta > 0 else ''}{delta:,})")
        if self.first_month != other.first_month:
            out.append(f"first month: {self.first_month} in the manifest, {other.first_month} in the store")
        if self.last_month != other.last_month:
            out.append(f"last month: {self.last_month} in the manifest, {other.last_month} in the store")
        if self.content_hash != other.content_hash:
            same_count = " (same paper count: some papers were replaced or edited)" if self.papers == other.papers else ""
            out.append(f"content hash: {self.content_hash[:16]}... in the manifest, {other.content_hash[:16]}... "
                       f"in the store{same_count}")
        return out


# --- Full text -------------------------------------------------------------------------------------------

#: A full-text paragraph's section role (see :mod:`uptake.sections` for how headings map to them).
Role = Literal[
    "abstract",
    "introduction",
    "related",
    "method",
    "experiments",
    "discussion",
    "appendix",
    "captions",
    "references",
    "other",
]
#: The same roles as a tuple, in order (written once, in :data:`Role`).
ROLES: tuple[str, ...] = get_args(Role)

#: The roles whose matches mean a paper *uses* an idea (it is in how the work was done or evaluated).
USE_ROLES: tuple[str, ...] = ("method", "experiments", "appendix", "captions")
#: The roles whose matches mean a paper *discusses* it (motivation, prior work, conclusions).
DISCUSS_ROLES: tuple[str, ...] = ("introduction", "related", "discussion")
#: What ``in:`` accepts: every role, plus ``use`` — method, experiments, appendix or captions, outside
#: sentences that cite another work (see :mod:`uptake.fulltext`).
QUERY_ROLES: tuple[str, ...] = ROLES + ("use",)

#: What every formula becomes in full-text paragraphs (inline or displayed, any source).
FORMULA = "[formula]"

#: How a citation is written inside a paragraph's text: ``[cite:KEY]``, KEY being a :class:`BibEntry` key.
CITE_MARKER = "[cite:{key}]"

FULLTEXT_SOURCE_KINDS: tuple[str, ...] = ("unarxive", "latex", "pdf")
FULLTEXT_STATUSES: tuple[str, ...] = ("ok", "partial", "failed")


@dataclass(frozen=True, slots=True)
class Paragraph:
    """One paragraph of a full text.

    ``section`` is the innermost heading as written (cleaned to plain text, '' before
    the first heading); ``role`` is one of :data:`ROLES`; ``cites`` the bibliography keys
    cited in it, in order of first appearance. Formulas in ``text`` are :data:`FORMULA`,
    citations :data:`CITE_MARKER`.
    """

    role: str
    section: str
    text: str
    cites: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BibEntry:
    """One bibliography entry: its key (as cited) and its text as plain text."""

    key: str
    text: str


@dataclass(frozen=True, slots=True)
class FullText:
    """A paper's full text as paragraphs with section roles, plus its bibliography.

    ``status`` is ``ok`` (everything expected was found), ``partial`` (usable, but
    ``problems`` says what is missing) or ``failed`` (nothing usable; ``problems``
    says why). ``extractor`` is ``name/version`` of what produced it. The bibliography is
    also in ``paragraphs``, one paragraph of role ``references`` per entry, last.
    """

    id: str
    title: str
    abstract: str
    paragraphs: tuple[Paragraph, ...]
    bibliography: tuple[BibEntry, ...]
    source_kind: str
    extractor: str
    status: str
    problems: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    published: date | None = None
    source: str | None = None

    def sections(self) -> list[str]:
        """Distinct non-empty section headings of the body, in order of first appearance."""
        seen: dict[str, None] = {}
        for p in self.paragraphs:
            if p.section and p.role not in ("captions", "abstract", "references"):
                seen.setdefault(p.section, None)
        return list(seen)

    def roles(self) -> set[str]:
        return {p.role for p in self.paragraphs}

    def body(self) -> tuple[Paragraph, ...]:
        """The paragraphs without the bibliography ones (role ``references``)."""
        return tuple(p for p in self.paragraphs if p.role != "references")

    def text_chars(self) -> int:
        """Characters of text outside the bibliography."""
        return sum(len(p.text) for p in self.body())
