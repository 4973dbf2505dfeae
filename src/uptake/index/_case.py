"""Case-sensitive matching from a small field: what both term indexes (metadata and full text) store about case.

Most tokens are written in lower case, so an exact (case-sensitive) copy of every token would repeat the
folded field. The exact field of a text holds only what the folded field cannot say (:func:`case_terms`):
every distinct token that casefolding changes (``LoRA``, ``We``) and, for each, its folded form when the text
also holds that as written (``lora``), else :data:`CASED_MARK` + the folded form (``~lora``: the folded field's
``lora`` is only another case). It records which papers hold a token, not where: :func:`exact_term_query`
answers an exact token from the two fields; an exact phrase is the folded phrase with every exact token,
confirmed on the stored text by the index that asks.
"""

from __future__ import annotations

from itertools import filterfalse
from collections.abc import Sequence
from typing import Any

import tantivy

#: Marks, in an exact field, the folded form of a token the text holds in another case (never a token itself).
CASED_MARK = "~"


def case_terms(exact: str) -> str:
    """What a text's exact field holds, given its exact tokens (separated by runs of spaces): every distinct
    token that casefolding changes and, for each, its folded form when the text also holds that as written,
    else ``~`` + the folded form. Tokens casefolding leaves alone (``lora``, ``2024``) are otherwise not
    repeated: the folded field already says which papers hold them. So an exact token ``t`` is in the text
    when the exact field holds ``t``, or when ``t`` is its own casefold, the folded field holds it and the
    exact field does not hold ``~t`` (:func:`exact_term_query`)."""
    seen = set(exact.split())
    # ASCII: only a token with a capital changes (str.islower() is true of one without, and false of digits alone)
    candidates = filterfalse(str.islower, seen) if exact.isascii() else seen
    out: set[str] = set()
    for t in candidates:  # not only capitals outside ASCII: casefolding changes "ß" to "ss"
        f = t.casefold()
        if f != t:
            out.add(t)
            out.add(f if f in seen else CASED_MARK + f)
    return " ".join(sorted(out))


def exact_term_query(schema: Any, folded_field: str, exact_field: str, token: str) -> tantivy.Query:
    """The tantivy query for the papers whose text holds ``token`` exactly as written (see :func:`case_terms`)."""
    held = tantivy.Query.term_query(schema, exact_field, token)
    if token.casefold() != token:
        return held
    only_this_case = tantivy.Query.boolean_query([
        (tantivy.Occur.Must, tantivy.Query.term_query(schema, folded_field, token)),
        (tantivy.Occur.MustNot, tantivy.Query.term_query(schema, exact_field, CASED_MARK + token))])
    return tantivy.Query.boolean_query([(tantivy.Occur.Should, held), (tantivy.Occur.Should, only_this_case)])


def exact_phrase_candidates(schema: Any, fields: Sequence[tuple[str, str]], tokens: Sequence[str]) -> tantivy.Query:
    """The papers that may hold the case-sensitive phrase ``tokens`` in one of ``fields`` ((folded, exact) field
    pairs): the folded phrase and every exact token in the same field. Where, the exact fields do not say: the
    index that asks confirms each candidate on its stored text."""
    folded: list[str | tuple[int, str]] = [t.casefold() for t in tokens]
    parts = [tantivy.Query.boolean_query(
        [(tantivy.Occur.Must, tantivy.Query.phrase_query(schema, f, folded))]
        + [(tantivy.Occur.Must, exact_term_query(schema, f, c, t)) for t in set(tokens)])
        for f, c in fields]
    return parts[0] if len(parts) == 1 else tantivy.Query.boolean_query([(tantivy.Occur.Should, p) for p in parts])
