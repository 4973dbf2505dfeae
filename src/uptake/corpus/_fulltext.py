"""Trends and papers over full texts: the full-text index answers when fresh, else an exact scan that
tokenises the stored paragraphs (same counts, slower)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import NoCorpusError, StoreError, UsageError
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
    uses_has,
)
from ..records import HAS_KINDS, QUERY_ROLES
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
    return UsageError("has: with --text full reads the openness stored with each full text, which this engine "
                      "(Spark) does not see: count it in the store (uptake trend ... --text full)")


def refuse_sense() -> UsageError:
    return UsageError("sense: reads the expansions papers define in their abstracts; it does not combine with "
                      "--text full yet: drop --text full to count the sense in titles and abstracts, or search the "
                      "full texts for its long form as a phrase (e.g. '\"group relative policy optimization\"')")


def check_plan(node: Node) -> None:
    """Raise what :func:`matches` would raise on some paper for ``node`` (an engine that evaluates plans far
    away, e.g. on Spark executors, checks them first)."""
    if isinstance(node, Phrase) and node.fields != ("title", "abstract"):
        raise _refuse_fields()
    if isinstance(node, HasKind):
        raise _refuse_has()
    if isinstance(node, AmongPapers):
        raise refuse_sense()
    if isinstance(node, Negate):
        check_plan(node.item)
    if isinstance(node, (AllOf, AnyOf)):
        for i in node.items:
            check_plan(i)


def matches(node: Node, roles: dict[str, tuple[str, str]], cat_str: str,
            flags: dict[str, bool] | None = None) -> bool:
    """Whether a paper whose role token strings are ``roles``, whose categories are ``cat_str`` and whose
    full text's openness flags are ``flags`` matches ``node`` (the exact scan; the index gives the same answers
    for plans without ``has:``, which only the scan reads)."""
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
        return not matches(node.item, roles, cat_str, flags)
    if isinstance(node, AllOf):
        return all(matches(i, roles, cat_str, flags) for i in node.items)
    if isinstance(node, AnyOf):
        return any(matches(i, roles, cat_str, flags) for i in node.items)
    if isinstance(node, HasKind):
        if flags is None:
            raise _refuse_has()
        return flags.get(node.kind, False)
    if isinstance(node, AmongPapers):
        raise refuse_sense()
    raise TypeError(f"unknown plan node {node!r}")


def _docs(store: Store, categories: Sequence[str], lo: int, hi: int, *, with_flags: bool = False) -> Any:
    for batch in store.fulltext_documents(categories=categories, lo=lo, hi=hi):
        held = store.fulltext_flags_by_fdoc([b[0] for b in batch]) if with_flags else {}
        for fdoc, _pid, month, pub, cat_str, title, paragraphs in batch:
            flags = dict(zip(HAS_KINDS, held.get(fdoc, (False,) * len(HAS_KINDS)), strict=True)) if with_flags else None
            yield fdoc, month, pub, cat_str, role_token_strings(title, paragraphs), flags


def _uses_has(plans: Sequence[SeriesPlan], store: Store) -> bool:
    """Whether ``plans`` filter on ``has:`` (then the scan answers, reading each full text's openness; the
    store must hold it, computed by the current rules)."""
    if not any(uses_has(p.match) or uses_has(p.universe) for p in plans):
        return False
    from ..analytics.fulltext_openness import FULLTEXT_OPENNESS_VERSION

    if store.fulltext_openness_state(FULLTEXT_OPENNESS_VERSION) != "ok":
        raise StoreError(f"has: with --text full reads the openness of each full text, which {store.path} does not "
                         f"hold (or holds from older rules): run `uptake openness --refresh --db {store.path}` once")
    return True


def counts(store: Store, idx: FullTextIndex | None, plans: Sequence[SeriesPlan], *, categories: Sequence[str],
           lo: int, hi: int) -> tuple[list[dict[int, int]], list[dict[int, int]]]:
    """Per series: full texts per month matching it, and full texts per month in its universe."""
    with_flags = _uses_has(plans, store)
    if idx is not None and not with_flags:
        return idx.trend_counts(plans, categories=categories)
    found: list[dict[int, int]] = [{} for _ in plans]
    totals: list[dict[int, int]] = [{} for _ in plans]
    for _fdoc, month, _pub, cat_str, roles, flags in _docs(store, categories, lo, hi, with_flags=with_flags):
        for i, plan in enumerate(plans):
            if matches(plan.universe, roles, cat_str, flags):
                totals[i][month] = totals[i].get(month, 0) + 1
                if matches(plan.match, roles, cat_str, flags):
                    found[i][month] = found[i].get(month, 0) + 1
    return found, totals


def matching_fdocs(store: Store, idx: FullTextIndex | None, plans: Sequence[SeriesPlan], *,
                   categories: Sequence[str], lo: int, hi: int, want: int) -> tuple[int, list[int]]:
    """(full texts matching any series in months lo..hi, fdocs holding at least the newest ``want``)."""
    with_flags = _uses_has(plans, store)
    if idx is not None and not with_flags:
        return idx.matching(plans, categories=categories, lo=lo, hi=hi, want=want)
    node = any_series(plans)
    hits = [fdoc for fdoc, _m, _p, cat_str, roles, flags in _docs(store, categories, lo, hi, with_flags=with_flags)
            if matches(node, roles, cat_str, flags)]
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
