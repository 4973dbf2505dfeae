"""Wildcards: ``GR*O`` (within a word) and ``"* policy optimization"`` (a whole word in a phrase).

A wildcard series becomes up to ``k`` series, one per completion, the completions
that occur in the most papers first (ties alphabetical), as the Ngram Viewer does.
Completions are words under the matching semantics: casefolded unless the term
is case-sensitive. Counts behind the ranking are exact: from the term index when
it is fresh (its vocabulary proposes candidates, each counted exactly), else
from a scan of the store's token strings.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from ..errors import QueryError, UsageError
from ..plans import EVERYTHING, AllOf, Phrase, TextField
from ..text import normalize, tokens
from .ast import And, Expr, Field, Not, Or, Query, Series, Term, walk

DEFAULT_EXPAND = 10
#: Most completions one wildcard may become (a figure with more lines is unreadable).
MAX_EXPAND = 20
#: Candidates from the index vocabulary counted exactly before choosing the top k.
_CANDIDATES = 200
#: At most this many distinct words may fit a wildcard's literal prefix (the index vocabulary read to rank them).
MAX_VOCABULARY = 100_000
#: A phrase wildcard reads every paper holding its fixed words; past this many the words are too
#: common (``"* the"``) and the expansion would take many seconds, so it is refused instead.
MAX_PHRASE_PAPERS = 20_000


class _TooCommon(Exception):
    def __init__(self, n: int) -> None:
        self.n = n


def has_wildcards(query: Query) -> bool:
    return any(isinstance(n, Term) and n.wildcard for s in query.series for n in walk(s.expr))


def _slot_regex(word: str, cs: bool) -> str:
    pieces = normalize(word).split("*")
    if not cs:
        pieces = [p.casefold() for p in pieces]
    return "[^ ]*".join(re.escape(p) for p in pieces)


def _replace(expr: Expr, old: Term, new: Term) -> Expr:
    if expr is old:
        return new
    if isinstance(expr, (And, Or)):
        return type(expr)(tuple(_replace(e, old, new) for e in expr.items))
    if isinstance(expr, Not):
        return Not(_replace(expr.item, old, new))
    return expr


def expand_query(query: Query, *, k: int, case_sensitive: bool, field: Field, index: Any = None,
                 store: Any = None) -> tuple[Query, dict[str, list[str]]]:
    """``query`` with every wildcard series replaced by its top-``k`` completions, and what each became."""
    if k < 1:
        raise UsageError("--expand must be 1 or more")
    if k > MAX_EXPAND:
        raise UsageError(f"--expand is at most {MAX_EXPAND} completions per wildcard")
    out: list[Series] = []
    expansions: dict[str, list[str]] = {}
    for s in query.series:
        wild = [n for n in walk(s.expr) if isinstance(n, Term) and n.wildcard]
        if not wild:
            out.append(s)
            continue
        term = wild[0]
        cs = term.case_sensitive if term.case_sensitive is not None else case_sensitive
        where = term.field if term.field != "any" else field
        words = term.text.split()
        wi = next(i for i, w in enumerate(words) if "*" in w)
        left = [t for w in words[:wi] for t in tokens(w, case_sensitive=cs)]
        right = [t for w in words[wi + 1 :] for t in tokens(w, case_sensitive=cs)]
        slot = _slot_regex(words[wi], cs)
        if not left and not right and not words[wi].strip("*"):  # `*`, `=*`: every word of the corpus
            raise QueryError(f"a wildcard alone ({term.text!r}) would expand to every word in the corpus",
                             query=query.text, position=term.position,
                             hint='give it some letters, e.g. GR* or *PO, or words around it: "* policy optimization"')
        if left or right:
            try:
                ranked = _phrase_completions(left, right, slot, cs=cs, where=where, k=k, index=index, store=store)
            except _TooCommon as exc:
                raise QueryError(
                    f"the words around the wildcard in {term.text!r} occur in {exc.n:,}+ papers, too many to complete",
                    query=query.text, position=term.position,
                    hint=f'add a rarer word, e.g. "* policy optimization" (the limit is {MAX_PHRASE_PAPERS:,} papers)',
                ) from None
        else:
            ranked = _word_completions(words[wi], slot, cs=cs, where=where, k=k, index=index, store=store)
        if not ranked:
            raise QueryError(f"no word in this corpus completes {term.text!r}", query=query.text,
                             position=term.position, hint="try a shorter pattern, e.g. GR* instead of GR*PO")
        labels = []
        for completion in ranked:
            new_words = list(words)
            new_words[wi] = completion
            new_term = replace(term, text=" ".join(new_words), quoted=term.quoted or len(words) > 1)
            label = s.label.replace(words[wi], completion, 1)
            labels.append(label)
            out.append(Series(label=label, expr=_replace(s.expr, term, new_term), position=s.position))
        expansions[s.label] = labels
    return Query(text=query.text, series=tuple(out)), expansions


def _fields(where: Field) -> tuple[TextField, ...]:
    return ("title", "abstract") if where == "any" else (where,)


def _columns(where: Field, cs: bool) -> list[str]:
    return [f"{f}_tok{'_cs' if cs else ''}" for f in _fields(where)]


def _word_completions(word: str, slot: str, *, cs: bool, where: Field, k: int, index: Any, store: Any) -> list[str]:
    rx = re.compile(slot)
    if index is not None:
        prefix = normalize(word).split("*")[0]
        prefix = prefix if cs else prefix.casefold()
        vocab = index.vocabulary(prefix, case_sensitive=cs, field=where)
        if len(vocab) > MAX_VOCABULARY:
            raise UsageError(f"{word!r} fits more than {MAX_VOCABULARY:,} different words in this corpus: "
                             f"start it with more letters (e.g. {word.split('*')[0] or 'GR'}…*)")
        cands = sorted((t for t in vocab if rx.fullmatch(t)), key=lambda t: (-vocab[t], t))[: max(_CANDIDATES, 3 * k)]
        counted = []
        for tok in cands:
            n = index.count(index.node_query(Phrase((tok,), _fields(where), cs)))
            if n:
                counted.append((n, tok))
        counted.sort(key=lambda x: (-x[0], x[1]))
        return [t for _, t in counted[:k]]
    return [t for t, _ in store.token_frequencies(slot, columns=_columns(where, cs), k=k)]


def _phrase_completions(left: list[str], right: list[str], slot: str, *, cs: bool, where: Field, k: int,
                        index: Any, store: Any) -> list[str]:
    cols = _columns(where, cs)
    fixed = AllOf(tuple(Phrase(tuple(part), _fields(where), cs) for part in (left, right) if part))
    if index is not None:
        q = index.node_query(fixed)
        n = index.count(q)
        if n > MAX_PHRASE_PAPERS:
            raise _TooCommon(n)
        docs = [d for _, d in index.docs(q, max(1, n))]
        if not docs:
            return []
        rows = store.token_rows(EVERYTHING, columns=cols, docs=docs)
    else:
        rows = store.token_rows(fixed, columns=cols, limit=MAX_PHRASE_PAPERS + 1)
        if len(rows) > MAX_PHRASE_PAPERS:
            raise _TooCommon(MAX_PHRASE_PAPERS)
    before = re.escape(" ".join(left) + " ") if left else ""
    after = re.escape(" " + " ".join(right)) if right else ""
    # Zero-width, so overlapping occurrences all count: " a x x " holds both "a x" and "x x".
    rx = re.compile(r"(?<= )(?=" + before + "(" + slot + ")" + after + r" )")
    found: dict[str, int] = {}
    for row in rows:
        seen: set[str] = set()
        for text in row:
            seen.update(m.group(1) for m in rx.finditer(text))
        for tok in seen:
            if tok:
                found[tok] = found.get(tok, 0) + 1
    return [t for t, _ in sorted(found.items(), key=lambda x: (-x[1], x[0]))[:k]]
