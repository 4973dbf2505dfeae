"""Pieces every full-text reader shares: citation markers, whitespace, headings → roles, the outcome."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from ..records import CITE_MARKER, FORMULA, BibEntry, FullText, Paragraph
from ..sections import Role, Rules, positional_roles, role_of

CITE_RE = re.compile(r"\[cite:([^\]\s]+)\]")
_WS = re.compile(r"\s+")
_FORMULA_RUN = re.compile(r"(?:\[formula\][\s,.;]*){2,}")


def cite_marker(key: str) -> str:
    return CITE_MARKER.format(key=key)


def cites_in(text: str) -> tuple[str, ...]:
    """Bibliography keys cited in ``text`` (its ``[cite:KEY]`` markers), first appearance order."""
    seen: dict[str, None] = {}
    for m in CITE_RE.finditer(text):
        seen.setdefault(m.group(1), None)
    return tuple(seen)


def clean_ws(text: str) -> str:
    return _WS.sub(" ", text).strip()


def squeeze_formulas(text: str) -> str:
    """``[formula] [formula], [formula]`` → one placeholder, so a run of math reads as one formula."""
    return _FORMULA_RUN.sub(lambda m: FORMULA + (" " if m.group().rstrip() != m.group() else ""), text)


@dataclass
class SectionState:
    """Follows the heading structure of one paper and gives each paragraph its role.

    Levels are 1 (section), 2 (subsection), 3 (subsubsection), 4 (paragraph heading).
    A heading's parent is the nearest open heading of a smaller level.
    """

    rules: Rules | None = None
    overrides: Mapping[str, Role] | None = None
    in_appendix: bool = False
    stack: list[tuple[int, str, Role]] = field(default_factory=list)
    top_roles: list[Role] = field(default_factory=list)
    """Role of each top-level section in order (for :func:`apply_positional_roles`)."""

    def heading(self, level: int, title: str) -> None:
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        parent = self.stack[-1][2] if self.stack else None
        role = role_of(title, in_appendix=self.in_appendix, parent=parent, rules=self.rules, overrides=self.overrides)
        if role == "appendix" and level == 1:
            self.in_appendix = True
        if not self.stack:
            self.top_roles.append(role)
        self.stack.append((level, title, role))

    def appendix(self) -> None:
        self.in_appendix = True
        self.stack.clear()
        self.top_roles.append("appendix")

    @property
    def top(self) -> int | None:
        """Index of the current top-level section in :attr:`top_roles` (None before the first heading)."""
        return len(self.top_roles) - 1 if self.stack else None

    @property
    def section(self) -> str:
        return self.stack[-1][1] if self.stack else ""

    @property
    def role(self) -> Role:
        if self.stack:
            return self.stack[-1][2]
        return "appendix" if self.in_appendix else "other"


def apply_positional_roles(paragraphs: list[Paragraph], tops: list[int | None], top_roles: list[Role]) -> list[Paragraph]:
    """Paragraphs still *other* in a top-level section that :func:`positional_roles` makes *method* become *method*."""
    filled = positional_roles(top_roles)
    out = []
    for p, t in zip(paragraphs, tops, strict=True):
        if t is not None and p.role == "other" and top_roles[t] == "other" and filled[t] == "method":
            p = replace(p, role="method")
        out.append(p)
    return out


def outcome(
    *,
    paper_id: str,
    title: str,
    abstract: str,
    paragraphs: Iterable[Paragraph],
    bibliography: Iterable[BibEntry],
    source_kind: str,
    extractor: str,
    problems: Iterable[str] = (),
    fatal: str | None = None,
    categories: tuple[str, ...] = (),
    published: date | None = None,
    source: str | None = None,
) -> FullText:
    """A :class:`FullText` with its status decided the same way for every source.

    Each bibliography entry is appended as a paragraph of role ``references`` (``cites`` = its key).

    failed: ``fatal`` is given, or there is no body paragraph at all;
    partial: something expected is missing (``problems``, or no bibliography);
    ok: otherwise.
    """
    paras = tuple(paragraphs)
    bib = tuple(bibliography)
    if not any(p.role == "references" for p in paras):
        # the bibliography is also given as paragraphs, so every role is in one place for an index
        paras += tuple(Paragraph("references", "References", b.text, (b.key,)) for b in bib if b.text)
    probs = list(problems)
    body = [p for p in paras if p.role not in ("abstract", "captions", "references")]
    if fatal is None and not body:
        fatal = "no body text found"
    if fatal is None and not bib and "no bibliography found" not in probs:
        probs.append("no bibliography found")
    if fatal is not None:
        status = "failed"
        probs = [fatal, *probs]
    else:
        status = "partial" if probs else "ok"
    return FullText(
        id=paper_id,
        title=title,
        abstract=abstract,
        paragraphs=paras,
        bibliography=bib,
        source_kind=source_kind,
        extractor=extractor,
        status=status,
        problems=tuple(probs),
        categories=categories,
        published=published,
        source=source,
    )
