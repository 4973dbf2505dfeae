"""arXiv API (``export.arxiv.org/api/query``) Atom responses, as saved files, into papers.

Each ``<entry>`` is one paper: ``published`` is the v1 date (it decides the month),
``updated`` the latest version's date, ``arxiv:primary_category`` comes first among the
categories. The API reports errors as an entry titled ``Error`` whose id points into
``/api/errors``; such entries become rejections carrying the API's message.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from ..records import Paper, Rejection
from .fields import BadRecord, paper_from_mapping

ATOM_NS = "http://www.w3.org/2005/Atom"
ARXIV_ATOM_NS = "http://arxiv.org/schemas/atom"

_A = "{%s}" % ATOM_NS
_X = "{%s}" % ARXIV_ATOM_NS

Item = tuple[int, "Paper | Rejection"]


def looks_like_atom(head: str) -> bool:
    """Whether the start of a file is an Atom feed (what the arXiv API returns)."""
    return "<feed" in head and ATOM_NS in head


def iter_atom(stream: IO[bytes], name: str) -> Iterator[Item]:
    """Yield ``(line, Paper | Rejection)`` for every entry of an Atom feed read from ``stream``."""
    from lxml import etree

    try:
        data = stream.read()
    except (EOFError, OSError) as exc:
        yield 1, Rejection(name, 1, f"file ends early or is corrupt ({exc}); nothing could be read from it")
        return
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True, recover=False)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or 1
        yield line, Rejection(name, line, f"not well-formed Atom XML ({exc.msg}); is the file complete?")
        return
    if root.tag != f"{_A}feed":
        yield 1, Rejection(name, 1, f"not an Atom feed (root element is <{etree.QName(root).localname}>)")
        return
    for entry in root.iterchildren(f"{_A}entry"):
        line = entry.sourceline or 0
        try:
            yield line, paper_from_entry(entry)
        except BadRecord as exc:
            yield line, Rejection(name, line, str(exc))


def _t(el: Any, path: str) -> str | None:
    found = el.find(path)
    if found is None:
        return None
    return "".join(found.itertext())


def paper_from_entry(entry: Any) -> Paper:
    """A Paper from one Atom ``<entry>`` element; raises :class:`BadRecord` with the reason."""
    ident = (_t(entry, f"{_A}id") or "").strip()
    title = " ".join((_t(entry, f"{_A}title") or "").split())
    if "/api/errors" in ident or (title == "Error" and entry.find(f"{_A}published") is None):
        message = " ".join((_t(entry, f"{_A}summary") or "").split()) or ident
        raise BadRecord(f"the arXiv API answered with an error: {message}")
    primary_el = entry.find(f"{_X}primary_category")
    primary = primary_el.get("term") if primary_el is not None else None
    cats: list[str] = [primary] if primary else []
    for c in entry.iterchildren(f"{_A}category"):
        term = (c.get("term") or "").strip()
        if term and term not in cats:
            cats.append(term)
    authors = [" ".join((_t(a, f"{_A}name") or "").split()) for a in entry.iterchildren(f"{_A}author")]
    record = {
        "id": ident,
        "title": title,
        "abstract": _t(entry, f"{_A}summary"),
        "categories": cats,
        "published": _t(entry, f"{_A}published"),
        "updated": _t(entry, f"{_A}updated"),
        "authors": [a for a in authors if a],
        "comments": _t(entry, f"{_X}comment"),
        "journal_ref": _t(entry, f"{_X}journal_ref"),
        "doi": _t(entry, f"{_X}doi"),
    }
    return paper_from_mapping(record, kaggle=False)
