"""Where a query matched a paper: highlighted snippets of its title and abstract.

Highlighting uses the same tokens as matching (:mod:`uptake.text`), so a
highlighted span is exactly a place where a query term's tokens occur
contiguously. Terms under ``NOT`` are never highlighted.
"""

from __future__ import annotations

from dataclasses import dataclass

from .ast import And, Expr, Field, Or, Query, Term
from ..serialise import AsDict
from ..text import token_spans, tokens


@dataclass(frozen=True)
class Segment(AsDict):
    text: str
    hit: bool


@dataclass(frozen=True)
class Snippet(AsDict):
    """A window of one field with the matched spans marked; ``segments`` join to the window's text."""

    field: str  # "title" or "abstract"
    segments: tuple[Segment, ...]
    truncated_start: bool
    truncated_end: bool

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments)

    @property
    def hits(self) -> list[str]:
        return [s.text for s in self.segments if s.hit]


@dataclass(frozen=True)
class Needle:
    tokens: tuple[str, ...]
    case_sensitive: bool
    field: Field


def positive_terms(expr: Expr) -> list[Term]:
    """The terms of ``expr`` that are not under a NOT (the ones that make a paper match)."""
    if isinstance(expr, Term):
        return [expr]
    if isinstance(expr, (And, Or)):
        return [t for item in expr.items for t in positive_terms(item)]
    return []  # Not, Category


def needles(query: Query, *, case_sensitive: bool = False, field: Field = "any") -> list[Needle]:
    out: list[Needle] = []
    seen: set[Needle] = set()
    for series in query.series:
        for term in positive_terms(series.expr):
            cs = term.case_sensitive if term.case_sensitive is not None else case_sensitive
            where: Field = term.field if term.field != "any" else field
            n = Needle(tuple(tokens(term.text, case_sensitive=cs)), cs, where)
            if n.tokens and n not in seen:
                seen.add(n)
                out.append(n)
    return out


def match_spans(text: str, found: list[Needle], field: str) -> tuple[str, list[tuple[int, int]]]:
    """``(normalized text, merged [start, end) spans)`` where any needle occurs in ``text``."""
    spans: list[tuple[int, int]] = []
    norm = text
    cache: dict[bool, list[tuple[str, int, int]]] = {}
    for needle in found:
        if needle.field not in ("any", field):
            continue
        if needle.case_sensitive not in cache:
            norm, cache[needle.case_sensitive] = token_spans(text, case_sensitive=needle.case_sensitive)
        toks = cache[needle.case_sensitive]
        k = len(needle.tokens)
        for i in range(len(toks) - k + 1):
            if all(toks[i + j][0] == needle.tokens[j] for j in range(k)):
                spans.append((toks[i][1], toks[i + k - 1][2]))
    if not cache:
        norm = token_spans(text)[0]
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return norm, merged


def _segments(text: str, spans: list[tuple[int, int]], lo: int, hi: int) -> tuple[Segment, ...]:
    out: list[Segment] = []
    pos = lo
    for s, e in spans:
        if e <= lo or s >= hi:
            continue
        s, e = max(s, lo), min(e, hi)
        if s > pos:
            out.append(Segment(text[pos:s], False))
        out.append(Segment(text[s:e], True))
        pos = e
    if pos < hi:
        out.append(Segment(text[pos:hi], False))
    return tuple(out)


def _word_start(text: str, i: int) -> int:
    """Move ``i`` left to the start of the word it is in (so a window never cuts a word)."""
    while i > 0 and not text[i - 1].isspace():
        i -= 1
    return i


def _word_end(text: str, i: int) -> int:
    while i < len(text) and not text[i].isspace():
        i += 1
    return i


def snippet(
    title: str,
    abstract: str,
    query: Query,
    *,
    case_sensitive: bool = False,
    field: Field = "any",
    width: int = 240,
) -> Snippet:
    """The abstract window around the first match (or the title, if only it matched).

    Whitespace runs are collapsed first, so offsets refer to the tidied text.
    """
    found = needles(query, case_sensitive=case_sensitive, field=field)
    abstract = " ".join(abstract.split())
    title = " ".join(title.split())
    a_norm, a_spans = match_spans(abstract, found, "abstract")
    if a_spans:
        first = a_spans[0][0]
        lo = max(0, first - width // 3)
        lo = 0 if lo == 0 else _word_start(a_norm, lo)
        hi = min(len(a_norm), lo + width)
        hi = len(a_norm) if hi == len(a_norm) else _word_end(a_norm, hi)
        return Snippet("abstract", _segments(a_norm, a_spans, lo, hi), lo > 0, hi < len(a_norm))
    t_norm, t_spans = match_spans(title, found, "title")
    if t_spans:
        return Snippet("title", _segments(t_norm, t_spans, 0, len(t_norm)), False, False)
    hi = min(len(a_norm), width)
    hi = len(a_norm) if hi == len(a_norm) else _word_end(a_norm, hi)
    return Snippet("abstract", _segments(a_norm, [], 0, hi), False, hi < len(a_norm))


def title_highlights(title: str, query: Query, *, case_sensitive: bool = False, field: Field = "any") -> Snippet:
    """The whole title with matched spans marked."""
    found = needles(query, case_sensitive=case_sensitive, field=field)
    title = " ".join(title.split())
    norm, spans = match_spans(title, found, "title")
    return Snippet("title", _segments(norm, spans, 0, len(norm)), False, False)
