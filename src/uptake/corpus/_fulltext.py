"""Trends and papers over full texts: the full-text index answers when fresh, else an exact scan that
tokenises the stored paragraphs (same counts, slower)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import NoCorpusError, UsageError
from ..index.fulltext import FullTextIndex, open_fresh, role_token_strings
from ..plans import (
    AllOf,
    AmongPapers,
    AnyOf,
    HasKind,
    InCategory,
    Negate,
    Node,
    Phrase,
    SeriesPlan,
    any_series,
)
from ..records import QUERY_ROLES
from ..store import Store
from ..text import phrase_key


def require_fulltext(store: Store) -> None:
    if not store.has_fulltext():
        raise NoCorpusError(
            f"{store.path} holds no full texts yet: add some with `uptake fulltext import FILE.jsonl.gz` "
            f"(unarXive) or `uptake fulltext extract E-PRINTS` (arXiv sources), then use --text full")


def engine(store: Store) -> FullTextIndex | None:
    return open_fresh(store)


def _refuse_fields() -> UsageError:
    return UsageError("title: and abstract: (and --field) read the metadata; with --text full, "
                      "name the sections instead, e.g. GRPO in:method or GRPO in:abstract")


def _refuse_has() -> UsageError:
    return UsageError("has: filters read the metadata's links; they do not combine with --text full yet")


def _refuse_sense() -> UsageError:
    return UsageError("sense: reads the expansions papers define in their abstracts; it does not combine with "
                      "--text full yet")


def check_plan(node: Node) -> None:
    """Raise what :func:`matches` would raise on some paper for ``node`` (an engine that evaluates plans far
    away, e.g. on Spark executors, checks them first)."""
    if isinstance(node, Phrase) and node.fields != ("title", "abstract"):
        raise _refuse_fields()
    if isinstance(node, HasKind):
        raise _refuse_has()
    if isinstance(node, AmongPapers):
        raise _refuse_sense()
    if isinstance(node, Negate):
        check_plan(node.item)
    if isinstance(node, (AllOf, AnyOf)):
        for i in node.items:
            check_plan(i)


def matches(node: Node, roles: dict[str, tuple[str, str]], cat_str: str) -> bool:
    """Whether a paper whose role token strings are ``roles`` and whose categories are ``cat_str``
    matches ``node`` (the exact scan; the index gives the same answers)."""
    if isinstance(node, Phrase):
        if node.fields != ("title", "abstract"):
            raise _refuse_fields()
        key = phrase_key(list(node.tokens))
        which = 1 if node.case_sensitive else 0
        wanted = node.roles or tuple(r for r in QUERY_ROLES if r != "use")
        return any(key in roles[r][which] for r in wanted if r in roles)
    if isinstance(node, InCategory):
        code = node.code
        return f" {code} " in cat_str or ("." not in code and f" {code}." in cat_str)
    if isinstance(node, Negate):
        return not matches(node.item, roles, cat_str)
    if isinstance(node, AllOf):
        return all(matches(i, roles, cat_str) for i in node.items)
    if isinstance(node, AnyOf):
        return any(matches(i, roles, cat_str) for i in node.items)
    if isinstance(node, HasKind):
        raise _refuse_has()
    if isinstance(node, AmongPapers):
        raise _refuse_sense()
    raise TypeError(f"unknown plan node {node!r}")


def _docs(store: Store, categories: Sequence[str], lo: int, hi: int) -> Any:
    for batch in store.fulltext_documents(categories=categories, lo=lo, hi=hi):
        for fdoc, _pid, month, pub, cat_str, title, paragraphs in batch:
            yield fdoc, month, pub, cat_str, role_token_strings(title, paragraphs)


def counts(store: Store, idx: FullTextIndex | None, plans: Sequence[SeriesPlan], *, categories: Sequence[str],
           lo: int, hi: int) -> tuple[list[dict[int, int]], list[dict[int, int]]]:
    """Per series: full texts per month matching it, and full texts per month in its universe."""
    if idx is not None:
        return idx.trend_counts(plans, categories=categories)
    found: list[dict[int, int]] = [{} for _ in plans]
    totals: list[dict[int, int]] = [{} for _ in plans]
    for _fdoc, month, _pub, cat_str, roles in _docs(store, categories, lo, hi):
        for i, plan in enumerate(plans):
            if matches(plan.universe, roles, cat_str):
                totals[i][month] = totals[i].get(month, 0) + 1
                if matches(plan.match, roles, cat_str):
                    found[i][month] = found[i].get(month, 0) + 1
    return found, totals


def matching_fdocs(store: Store, idx: FullTextIndex | None, plans: Sequence[SeriesPlan], *,
                   categories: Sequence[str], lo: int, hi: int, want: int) -> tuple[int, list[int]]:
    """(full texts matching any series in months lo..hi, fdocs holding at least the newest ``want``)."""
    if idx is not None:
        return idx.matching(plans, categories=categories, lo=lo, hi=hi, want=want)
    node = any_series(plans)
    hits = [fdoc for fdoc, _m, _p, cat_str, roles in _docs(store, categories, lo, hi) if matches(node, roles, cat_str)]
    return len(hits), hits


def _phrases(node: Node, negated: bool = False) -> list[Phrase]:
    """The phrases whose presence makes ``node`` match (those under a negation cannot)."""
    if isinstance(node, Phrase):
        return [] if negated else [node]
    if isinstance(node, Negate):
        return _phrases(node.item, not negated)
    if isinstance(node, (AllOf, AnyOf)):
        return [p for i in node.items for p in _phrases(i, negated)]
    return []


def where_matched(paragraphs: Sequence[tuple[str, str, str]], plans: Sequence[SeriesPlan]) -> dict[str, str] | None:
    """The first sentence of ``(role, section, text)`` paragraphs where a phrase of ``plans`` occurs, with its
    section and role: what a reader checks to see whether the paper uses the idea or cites it."""
    from ..index.fulltext import MARKERS, SENTENCE_BREAK
    from ..text import token_strings

    phrases = [p for plan in plans for p in _phrases(plan.match)]
    for role, section, text in paragraphs:
        for sentence in SENTENCE_BREAK.split(text):
            pieces = [token_strings(x) for x in MARKERS.split(sentence)]
            folded = " ¶ ".join(f for f, _ in pieces)
            exact = " ¶ ".join(e for _, e in pieces)
            for ph in phrases:
                allowed = ph.roles or tuple(r for r in QUERY_ROLES if r != "use")
                in_role = role in allowed or ("use" in allowed and role in ("method", "experiments", "appendix",
                                                                            "captions") and "[cite:" not in sentence)
                if in_role and phrase_key(list(ph.tokens)) in (exact if ph.case_sensitive else folded):
                    return {"role": role, "section": section, "sentence": " ".join(sentence.split())[:600]}
    return None
