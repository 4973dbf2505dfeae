"""Match plans (:mod:`uptake.query.plan`) as SQL over the store's token strings: the exact scan.

Every value that came from the user travels as a bound parameter; the SQL text is built only
from fixed fragments. A phrase matches when its key (tokens joined by single spaces, padded with
spaces) is a substring of a field's token string, which is exactly "tokens occur contiguously".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..plans import AllOf, AmongPapers, AnyOf, HasKind, InCategory, Negate, Node, Phrase
from ..text import phrase_key

#: The store column behind each ``has:`` kind (column names come from this table, never from the user).
HAS_COLUMNS: dict[str, str] = {
    "code": "has_code", "weights": "has_weights", "data": "has_data", "demo": "has_demo",
    "code-released": "code_released", "promise": "promise",
}

#: Artifact-openness columns (see uptake.analytics.openness), filled at import; added to older stores on writable open.
OPENNESS_COLUMNS = ("has_code", "has_weights", "has_data", "has_demo", "promise", "links", "code_released")



def _token_sql(field: str, case_sensitive: bool) -> str:
    """A field's token string. Exact ones are stored; a folded one is stored only where the text is not
    ASCII (schema 2), else it is the SQL ``lower`` of the exact one (see :func:`uptake.text.folds_by_lower`).
    Stores of schema 1 hold every folded string: coalesce takes the stored one.
    """
    if case_sensitive:
        return f"{field}_tok_cs"
    return f"coalesce({field}_tok, lower({field}_tok_cs))"


#: SQL for each token string, by its schema-1 column name (read these, never the columns themselves).
TOKEN_SQL: dict[str, str] = {f"{f}_tok{'_cs' if cs else ''}": _token_sql(f, cs)
                             for f in ("title", "abstract") for cs in (False, True)}
TOKEN_SQL["title_tok || abstract_tok"] = f"({TOKEN_SQL['title_tok']} || {TOKEN_SQL['abstract_tok']})"

_TOKEN_COLUMNS = {("title", False): TOKEN_SQL["title_tok"], ("abstract", False): TOKEN_SQL["abstract_tok"],
                  ("title", True): TOKEN_SQL["title_tok_cs"], ("abstract", True): TOKEN_SQL["abstract_tok_cs"]}


@dataclass(frozen=True)
class Sql:
    text: str
    params: tuple[Any, ...] = ()


TRUE = Sql("TRUE")
FALSE = Sql("FALSE")


def category_sql(code: str) -> Sql:
    """A paper listed in ``code`` (primary or cross-list); an archive such as ``cs`` means every ``cs.*``."""
    if "." in code:
        return Sql("contains(cat_str, ?)", (f" {code} ",))
    return Sql("(contains(cat_str, ?) OR contains(cat_str, ?))", (f" {code} ", f" {code}."))


def categories_sql(codes: Sequence[str]) -> Sql:
    """Papers listed in any of ``codes`` (every paper when there are none)."""
    if not codes:
        return TRUE
    return _join([category_sql(c) for c in codes], " OR ")


def node_sql(node: Node) -> Sql:
    """The SQL predicate of one plan node."""
    if isinstance(node, Phrase):
        key = phrase_key(list(node.tokens))
        parts = [Sql(f"contains({_TOKEN_COLUMNS[(f, node.case_sensitive)]}, ?)", (key,)) for f in node.fields]
        return parts[0] if len(parts) == 1 else _join(parts, " OR ")
    if isinstance(node, InCategory):
        return category_sql(node.code)
    if isinstance(node, HasKind):
        return Sql(f"coalesce({HAS_COLUMNS[node.kind]}, false)")
    if isinstance(node, AmongPapers):
        return Sql("list_contains(?::VARCHAR[], id)", (list(node.ids),)) if node.ids else FALSE
    if isinstance(node, Negate):
        inner = node_sql(node.item)
        return Sql(f"(NOT {inner.text})", inner.params)
    if isinstance(node, AllOf):
        return _join([node_sql(i) for i in node.items], " AND ") if node.items else TRUE
    if isinstance(node, AnyOf):
        return _join([node_sql(i) for i in node.items], " OR ") if node.items else FALSE
    raise TypeError(f"unknown plan node {node!r}")


def _join(parts: Sequence[Sql], op: str) -> Sql:
    if len(parts) == 1:
        return parts[0]
    return Sql("(" + op.join(p.text for p in parts) + ")", tuple(v for p in parts for v in p.params))


def filtered(base: str, categories: Sequence[str] = (), lo: int | None = None, hi: int | None = None) -> Sql:
    """``base`` AND listed in any of ``categories`` AND month within lo..hi (open ends allowed)."""
    glob = categories_sql(categories)
    text = f"{base} AND {glob.text}"
    params: list[Any] = [*glob.params]
    if lo is not None:
        text += " AND month >= ?"
        params.append(lo)
    if hi is not None:
        text += " AND month <= ?"
        params.append(hi)
    return Sql(text, tuple(params))
