"""The two reads the web needs that :class:`~uptake.corpus.Corpus` does not offer by name (yet).

Everything else goes through ``Corpus`` methods and the analytics entry points. When the corpus
gains ``paper_texts(ids)`` and ``span()``, these shims call them and their fallbacks can go.
"""

from __future__ import annotations

from typing import Any

from ..corpus import Corpus


def paper_texts(corpus: Corpus, ids: list[str]) -> dict[str, tuple[str, str]]:
    """``{id: (title, abstract)}`` for ``ids``, read through the corpus (and so under its deadline)."""
    if not ids:
        return {}
    named = getattr(corpus, "paper_texts", None)
    if named is not None:
        return dict(named(ids))
    with corpus._read() as store:
        if hasattr(store, "paper_texts"):
            return dict(store.paper_texts(ids))
        marks = ", ".join("?" for _ in ids)  # until Store.paper_texts exists: bound parameters only
        rows = store.query(f"SELECT id, title, abstract FROM papers WHERE id IN ({marks})", ids)
    return {r[0]: (r[1], r[2]) for r in rows}


def span(corpus: Corpus) -> tuple[Any, Any]:
    """The dates of the corpus's first and last paper (:class:`~uptake.errors.NoCorpusError` if it has none)."""
    named = getattr(corpus, "span", None)
    if named is not None:
        return named()  # type: ignore[no-any-return]
    with corpus._read() as store:
        store.require_papers()
        return store.span()
