"""The typed values of a compiled query: what the index and the store's exact scan consume.

:mod:`uptake.query.plan` is the one compiler that produces them; they live on the ground floor
so the engines below the query layer can read them without importing the query language.
A plan is a small boolean tree over three kinds of leaf, with every user word already
tokenised by :mod:`uptake.text` and every query-wide option already applied:

- :class:`Phrase` — these tokens occur contiguously (one token: anywhere) in one of these
  fields (``title``/``abstract``), folded or exact;
- :class:`InCategory` — the paper is listed in a category (``cs`` means every ``cs.*``);
- :class:`HasKind` — the paper links its own artifact of a kind (see :mod:`uptake.analytics.openness`);
- :class:`AmongPapers` — the paper is one of a set of ids (the papers carrying one sense of an acronym).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

TextField = Literal["title", "abstract"]


@dataclass(frozen=True)
class Phrase:
    """``tokens`` occur contiguously (one token: anywhere) in one of ``fields``."""

    tokens: tuple[str, ...]
    fields: tuple[TextField, ...]
    case_sensitive: bool
    #: Full-text section roles to look in (``in:method``); empty: every role. Metadata engines refuse roles.
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class InCategory:
    code: str


@dataclass(frozen=True)
class HasKind:
    kind: str


@dataclass(frozen=True)
class AmongPapers:
    """The paper's arXiv id is one of ``ids`` (sorted): how a sense of an acronym (``GRPO sense:"…"``) reaches
    the engines, once the corpus has decided which papers carry it (:mod:`uptake.analytics.senses`)."""

    ids: tuple[str, ...] = field(repr=False)
    #: What the set stands for, for messages (e.g. ``GRPO sense:group relative policy optimization``).
    label: str = ""


@dataclass(frozen=True)
class AllOf:
    """Every item matches; ``AllOf(())`` matches every paper."""

    items: tuple[Node, ...]


@dataclass(frozen=True)
class AnyOf:
    """At least one item matches; ``AnyOf(())`` matches nothing."""

    items: tuple[Node, ...]


@dataclass(frozen=True)
class Negate:
    item: Node


Node = Phrase | InCategory | HasKind | AmongPapers | AllOf | AnyOf | Negate

#: The plan that matches every paper.
EVERYTHING = AllOf(())


@dataclass(frozen=True)
class SeriesPlan:
    """One series: ``match`` selects the papers counted, ``universe`` those in its total."""

    label: str
    match: Node
    universe: Node



def categories_node(codes: Sequence[str]) -> Node:
    """Papers listed in any of ``codes``; every paper when there are none."""
    if not codes:
        return EVERYTHING
    return AnyOf(tuple(InCategory(c) for c in codes))


def any_series(plans: Sequence[SeriesPlan]) -> Node:
    """Papers matching at least one of ``plans``."""
    return plans[0].match if len(plans) == 1 else AnyOf(tuple(p.match for p in plans))


def has_exact_phrase(node: Node) -> bool:
    """Whether ``node`` holds a case-sensitive phrase of several tokens (the term index confirms those on the
    stored text, so answering it needs the store)."""
    if isinstance(node, Phrase):
        return node.case_sensitive and len(node.tokens) > 1
    if isinstance(node, (AllOf, AnyOf)):
        return any(has_exact_phrase(i) for i in node.items)
    if isinstance(node, Negate):
        return has_exact_phrase(node.item)
    return False


def uses_has(node: Node) -> bool:
    """Whether ``node`` filters on artifact links (``has:``)."""
    if isinstance(node, HasKind):
        return True
    if isinstance(node, (AllOf, AnyOf)):
        return any(uses_has(i) for i in node.items)
    if isinstance(node, Negate):
        return uses_has(node.item)
    return False
