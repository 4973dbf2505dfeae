"""Openness read in a paper's full text: where the paper itself says its code, weights or data are.

The rules are those of :func:`uptake.analytics.openness.detect` (one implementation: the same cleaning,
link extraction, clause cues, host rules, own/cited and promise rules), applied paragraph by paragraph to
the full text's paragraphs (not the references). What differs is where a statement stands, its **place**:

``abstract``
    the abstract paragraphs of the full text;
``first page``
    notes of the title page (``\\thanks``, the links under the authors), footnotes of the abstract and
    footnotes before the first section heading;
``availability``
    a section whose heading says it states availability: "Code availability", "Data Availability
    Statement", "Data and Software Availability", "Reproducibility statement", "Code and data", ...;
``footnote``
    any other footnote (a paragraph starting ``[footnote]``, or a link written ``([footnote] URL)``
    where the footnote mark stood, see :mod:`uptake.sources.latex`);
``body``
    everything else.

In the abstract, on the first page and in availability sections the abstract's rules apply as they are (a
link is the paper's own unless its words say it is someone else's). In the body and its footnotes most links
are tools and data the paper uses ("we use GGchem https://github.com/pw31/GGchem"), so there a link is own
only when its sentence says so: in the first person with a release verb or a possessive ("our code", "we
release", "the code of this paper"), with a bare artifact subject ("Code and data are available at", "The
source code is available at"), or as a label ("Code: <link>"); and never in a sentence that cites another
work. This keeps "The qutip source code is available at https://github.com/qutip/qutip" out, and also a
paper's own code named in the third person ("LEGWORK can be obtained from the GitHub repository <link>");
its abstract or availability section usually says it again. Promises in the body follow the same rule.

unarXive writes footnotes inline without a mark (a link glued to the word before it:
``petitRADTRANShttps://...``), so its footnotes count as body text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..records import HAS_KINDS
from .openness import (
    _LINK_HINTS,
    _PROMISE_HINTS,
    OPENNESS_VERSION,
    Openness,
    _merge,
    _Occurrence,
    _occurrences,
    _promises_in,
    _body_own,
    _Sentences,
    clean_text,
    clean_url,
)

#: Bumped when a change here (places, which paragraphs are read) could change full-text flags; the store
#: recomputes them when this or OPENNESS_VERSION differs from what it holds.
FULLTEXT_OPENNESS_VERSION = f"{OPENNESS_VERSION}.ft1"

PLACES: tuple[str, ...] = ("abstract", "first page", "availability", "footnote", "body")

FOOTNOTE_MARK = "[footnote]"  # as the LaTeX extractor writes it (uptake.sources.latex.FOOTNOTE_MARK)

_AVAILABILITY = re.compile(
    r"\b(?:availability|available|accessibility|reproducibility|replicability|open[- ]source|artifacts?"
    r"|(?:code|data|software|materials?|resources?)\s+(?:and\s+(?:code|data|software|materials?)\s+)?"
    r"(?:access|release|statement|sharing))\b"
    r"|^\W*(?:[A-Z]?\d+(?:\.\d+)*\.?\s+)?(?:source\s+)?code(?:\s+and\s+(?:data|models?|datasets?))?\W*$"
    r"|\bdata\s*,\s*code\b|\bcode\s*,\s*data\b",
    re.I,
)
_INLINE_NOTE = re.compile(r"\(\s*\[footnote\]\s*([^()]*)\)")
_SKIP_ROLES = ("references",)


def without_footnotes(text: str) -> str:
    """``text`` without the footnotes written into it (``([footnote] URL)``): what an abstract says by itself."""
    return _INLINE_NOTE.sub(" ", text)


def is_availability_section(heading: str) -> bool:
    """Whether a section heading says the section states where artifacts are.

    >>> [is_availability_section(h) for h in ("Code availability", "Data Availability Statement", "Code",
    ...                                         "Data, Code, and Simulation details", "Data reduction")]
    [True, True, True, True, False]
    """
    return bool(_AVAILABILITY.search(heading))


def place_of(role: str, section: str, text: str) -> str:
    """The place of a paragraph (see the module docstring); an inline ``([footnote] URL)`` is placed by
    :func:`detect_fulltext` itself."""
    note = text.lstrip("( ").startswith(FOOTNOTE_MARK)
    if note and (role == "abstract" or not section):
        return "first page"
    if role == "abstract":
        return "abstract"
    if is_availability_section(section):
        return "availability"
    return "footnote" if note else "body"


def where_of(place: str, section: str) -> str:
    """How a statement's place is shown: the place, and the section heading for places inside the body."""
    if place in ("first page", "abstract") or not section:
        return place
    return f"{place} in §{section}"


@dataclass(frozen=True)
class FullTextLink:
    """One occurrence of a link in a full text, where it stands and what the rules make of it there."""

    url: str
    kinds: tuple[str, ...]
    own: bool
    promised: bool
    place: str  # one of PLACES
    role: str
    section: str
    paragraph: int  # position of the paragraph in the full text (0-based)

    def label(self) -> str:
        prefix = "cited-" if not self.own else ("promised-" if self.promised else "")
        return f"{prefix}{'+'.join(self.kinds)}:{self.url}"

    def where(self) -> str:
        """``footnote in §Method``, ``availability in §Code availability``, ``first page``."""
        return where_of(self.place, self.section)


@dataclass(frozen=True)
class FullTextPromise:
    phrase: str
    place: str
    role: str
    section: str
    paragraph: int


@dataclass(frozen=True)
class FullTextOpenness:
    """What a full text says about its artifacts: the flags (links merged over the whole text, exactly as
    :class:`~uptake.analytics.openness.Openness` merges abstract and comments) and every occurrence."""

    openness: Openness
    links: tuple[FullTextLink, ...] = ()
    promises: tuple[FullTextPromise, ...] = ()

    def has(self, kind: str) -> bool:
        return self.openness.has(kind)

    def flags(self) -> dict[str, bool]:
        return self.openness.flags()

    def places(self, kind: str) -> tuple[str, ...]:
        """Where the statements that give ``kind`` stand (``where()`` of each), in text order, without repeats."""
        if kind == "promise":
            found = [where_of(p.place, p.section) for p in self.promises]
        elif kind == "code-released":
            promised = {m.url.rstrip("/").lower() for m in self.openness.links if m.promised}
            found = [o.where() for o in self.links if o.own and "code" in o.kinds
                     and o.url.rstrip("/").lower() not in promised]
        else:
            found = [o.where() for o in self.links if o.own and kind in o.kinds]
        return tuple(dict.fromkeys(found))


def detect_fulltext(paragraphs: Sequence[tuple[str, str, str]]) -> FullTextOpenness:
    """Links to the paper's own artifacts and release promises in ``(role, section, text)`` paragraphs.

    >>> ft = detect_fulltext([
    ...     ("method", "Setup", "We use GGchem https://github.com/pw31/GGchem for the chemistry."),
    ...     ("other", "Code availability", "The code is available at https://github.com/acme/x-net."),
    ... ])
    >>> ft.has("code"), [(o.label(), o.where()) for o in ft.links]
    (True, [('cited-code:https://github.com/pw31/GGchem', 'body in §Setup'), ('code:https://github.com/acme/x-net', 'availability in §Code availability')])
    """
    occurrences: list[_Occurrence] = []
    links: list[FullTextLink] = []
    promises: list[FullTextPromise] = []
    for n, (role, section, raw) in enumerate(paragraphs):
        if role in _SKIP_ROLES or not raw:
            continue
        low = raw.lower()
        has_links = any(h in low for h in _LINK_HINTS)
        if not has_links and not any(h in low for h in _PROMISE_HINTS):
            continue
        place = place_of(role, section, raw)
        inline = {clean_url(u).rstrip("/").lower() for m in _INLINE_NOTE.finditer(raw) for u in m.group(1).split()}
        text = clean_text(raw.replace(FOOTNOTE_MARK, " "))
        strict = place in ("body", "footnote")
        if has_links:
            for occ in _occurrences(text, place, body=strict):
                where = place
                if place in ("body", "abstract") and occ.url.rstrip("/").lower() in inline:
                    where = "first page" if role == "abstract" or not section else "footnote"
                occurrences.append(occ)
                links.append(FullTextLink(occ.url, occ.kinds, occ.own, occ.promised, where, role, section, n))
        for phrase in _promises_in(text):
            if strict and not _first_person_promise(text, phrase):
                continue
            promises.append(FullTextPromise(phrase, place, role, section, n))
    merged = Openness(links=tuple(_merge(occurrences)), promises=tuple(p.phrase for p in promises))
    return FullTextOpenness(openness=merged, links=tuple(links), promises=tuple(promises))


def _first_person_promise(text: str, phrase: str) -> bool:
    """In the body a promise counts when its sentence says it is the paper's own ("our code will be released",
    "Code and data will be made available")."""
    sentences = _Sentences(text)
    for m in re.finditer(re.escape(phrase).replace(r"\ ", r"\s+"), text):
        s, e = sentences.bounds(m.start(), m.end())
        if _body_own(text[s:e], text[s:m.start()]):
            return True
    return False


def flag_values(ft: FullTextOpenness) -> tuple[bool, ...]:
    """The flags in HAS_KINDS order (what the store keeps per full text)."""
    return tuple(ft.has(k) for k in HAS_KINDS)


# -- abstracts against full texts ---------------------------------------------------------------------
#: What the abstract side of a comparison rests on for one paper.
BASIS_METADATA = "abstract and comments"
BASIS_PARAGRAPH = "abstract paragraph of the full text"


@dataclass(frozen=True)
class PaperComparison:
    """One paper with a full text: its flags from the abstract side and from the full text, and where in the
    full text each full-text flag was found."""

    id: str
    title: str
    period: str
    basis: str  # BASIS_METADATA or BASIS_PARAGRAPH
    abstract: dict[str, bool]
    fulltext: dict[str, bool]
    places: dict[str, tuple[str, ...]]  # kind -> where() of the statements giving it in the full text


@dataclass(frozen=True)
class ComparisonCell:
    period: str
    papers: int  # papers with a usable full text
    with_metadata: int  # of them, those whose abstract and comments the store holds
    abstract: dict[str, int]
    fulltext: dict[str, int]
    both: dict[str, int]

    def share(self, side: str, kind: str) -> float | None:
        counts = {"abstract": self.abstract, "fulltext": self.fulltext, "both": self.both}[side]
        return counts[kind] / self.papers if self.papers else None


@dataclass(frozen=True)
class Difference:
    """A paper whose abstract side and full text disagree on one kind."""

    id: str
    title: str
    period: str
    kind: str
    side: str  # "full text only" or "abstract only"
    places: tuple[str, ...]  # where the full text says it (empty for "abstract only")
    basis: str

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "title": self.title, "period": self.period, "kind": self.kind, "side": self.side,
                "places": list(self.places), "basis": self.basis}


@dataclass(frozen=True)
class OpennessComparison:
    """Per period, on the papers that have a full text: the share flagged from abstracts (and comments) and the
    share flagged from the full text, for each kind; and every paper where the two disagree."""

    periods: tuple[str, ...]
    cells: tuple[ComparisonCell, ...]
    differences: tuple[Difference, ...]
    filters: dict[str, object]
    incomplete: tuple[str, ...] = ()

    def to_rows(self) -> list[dict[str, object]]:
        rows: list[dict[str, object]] = []
        for c in self.cells:
            for k in HAS_KINDS:
                rows.append({"period": c.period, "kind": k, "papers": c.papers, "with_metadata": c.with_metadata,
                             "abstract": c.abstract[k], "fulltext": c.fulltext[k], "both": c.both[k],
                             "abstract_share": c.share("abstract", k), "fulltext_share": c.share("fulltext", k)})
        return rows

    def to_csv(self) -> str:
        import csv
        import io

        buf = io.StringIO()
        header = ["period", "kind", "papers", "with_metadata", "abstract", "fulltext", "both", "abstract_share",
                  "fulltext_share"]
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(header)
        for row in self.to_rows():
            w.writerow(["" if row[h] is None else (repr(row[h]) if isinstance(row[h], float) else row[h])
                        for h in header])
        return buf.getvalue()

    def to_json_dict(self) -> dict[str, object]:
        return {"text": "full", "filters": self.filters, "openness_version": FULLTEXT_OPENNESS_VERSION,
                "kinds": list(HAS_KINDS), "rows": self.to_rows(), "incomplete_periods": list(self.incomplete),
                "differences": [d.as_dict() for d in self.differences]}


def compare(papers: Sequence[PaperComparison], periods: Sequence[str], *, filters: dict[str, object],
            incomplete: Sequence[str] = ()) -> OpennessComparison:
    """Count, per period and kind, the papers flagged on each side, and list the papers where the sides differ.

    >>> a = {k: k == "code" for k in HAS_KINDS}
    >>> f = {k: k in ("code", "data") for k in HAS_KINDS}
    >>> c = compare([PaperComparison("1", "T", "2025-01", BASIS_METADATA, a, f, {"data": ("availability",)})],
    ...             ["2025-01"], filters={})
    >>> c.cells[0].abstract["code"], c.cells[0].fulltext["data"], [(d.kind, d.side, d.places) for d in c.differences]
    (1, 1, [('data', 'full text only', ('availability',))])
    """
    by_period: dict[str, list[PaperComparison]] = {p: [] for p in periods}
    for paper in papers:
        by_period.setdefault(paper.period, []).append(paper)
    cells = []
    differences = []
    for period in periods:
        group = by_period.get(period, [])
        cells.append(ComparisonCell(
            period, len(group), sum(1 for p in group if p.basis == BASIS_METADATA),
            {k: sum(1 for p in group if p.abstract[k]) for k in HAS_KINDS},
            {k: sum(1 for p in group if p.fulltext[k]) for k in HAS_KINDS},
            {k: sum(1 for p in group if p.abstract[k] and p.fulltext[k]) for k in HAS_KINDS}))
        for p in group:
            for k in HAS_KINDS:
                if p.abstract[k] != p.fulltext[k]:
                    side = "full text only" if p.fulltext[k] else "abstract only"
                    differences.append(Difference(p.id, p.title, period, k, side, p.places.get(k, ()), p.basis))
    return OpennessComparison(periods=tuple(periods), cells=tuple(cells), differences=tuple(differences),
                              filters=filters, incomplete=tuple(incomplete))


__all__ = ["BASIS_METADATA", "BASIS_PARAGRAPH", "FULLTEXT_OPENNESS_VERSION", "PLACES", "ComparisonCell", "Difference",
           "FullTextLink", "FullTextOpenness", "FullTextPromise", "OpennessComparison", "PaperComparison", "compare",
           "detect_fulltext", "flag_values", "is_availability_section", "place_of", "where_of", "without_footnotes"]
