"""The parsed form of a query: series made of terms, filters and boolean operators."""

from __future__ import annotations

from collections.abc import Iterator
import dataclasses
from dataclasses import dataclass
from typing import Literal

Field = Literal["any", "title", "abstract"]
FIELDS: tuple[Field, ...] = ("any", "title", "abstract")


@dataclass(frozen=True)
class Term:
    """Words whose tokens must occur contiguously in one field.

    ``case_sensitive`` is ``None`` when the term follows the query-wide setting,
    ``True`` for the per-term ``=LoRA`` form.
    """

    text: str
    position: int
    field: Field = "any"
    case_sensitive: bool | None = None
    quoted: bool = False
    #: Full-text section roles the term must occur in (``GRPO in:method``); empty: anywhere.
    roles: tuple[str, ...] = ()
    #: ``GRPO sense:"group relative policy optimization"``: only papers that use the acronym in this sense.
    sense: str | None = None
    #: The ids of the papers carrying ``sense`` (defining it or inheriting it), filled in by the corpus
    #: before the query is planned (:func:`uptake.corpus._senses.resolve_senses`).
    sense_ids: tuple[str, ...] | None = dataclasses.field(default=None, repr=False)

    @property
    def wildcard(self) -> bool:
        """``GR*O`` or ``"* policy optimization"``: expands into the most frequent completions."""
        return "*" in self.text


@dataclass(frozen=True)
class Category:
    """``cat:cs.CL`` (exact) or ``cat:cs`` (every ``cs.*``): primary or cross-list."""

    code: str
    position: int


@dataclass(frozen=True)
class HasArtifact:
    """``has:code`` (weights, data, demo, promise): the paper links its own artifact of that kind.

    See :mod:`uptake.analytics.openness` for what counts.
    """

    kind: str
    position: int


@dataclass(frozen=True)
class And:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Not:
    item: Expr


Expr = Term | Category | HasArtifact | And | Or | Not


@dataclass(frozen=True)
class Operand:
    """One series inside arithmetic, e.g. ``DPO`` in ``(DPO + IPO) / PPO``."""

    expr: Expr
    label: str
    position: int


@dataclass(frozen=True)
class Arith:
    """``left op right`` on series values: ``+`` and ``-`` add or subtract, ``/`` divides paper counts."""

    op: str
    left: Formula
    right: Formula
    position: int


Formula = Operand | Arith


@dataclass(frozen=True)
class Series:
    """One line in the result: ``label`` is the series text as written, trimmed.

    For arithmetic (``GRPO / PPO``) ``formula`` holds the computation and ``expr`` is the
    OR of its operands (the papers behind the line).
    """

    label: str
    expr: Expr
    position: int
    formula: Formula | None = None


@dataclass(frozen=True)
class Query:
    text: str
    series: tuple[Series, ...]


def walk(expr: Expr) -> Iterator[Expr]:
    """Every node of ``expr``, depth first."""
    yield expr
    if isinstance(expr, (And, Or)):
        for item in expr.items:
            yield from walk(item)
    elif isinstance(expr, Not):
        yield from walk(expr.item)
