"""OAI-PMH ``ListRecords`` responses from arXiv, parsed into papers, deletions and rejections.

Three metadata formats are understood, recognised by the metadata element itself:

* ``arXivRaw`` (the harvester's default): every version with its date, so the v1 date is exact;
* ``arXiv``: authors are structured, but arXiv's server writes ``created`` from the *current*
  version, so a revised paper is dated too late (see docs/harvest.md);
* ``oai_dc``: Dublin Core; subjects are names (mapped back to codes), the first ``dc:date`` is v1.

The OAI datestamp of a record is its last-modified time. It never decides a paper's
month (the v1 date does); it only raises ``Paper.updated`` so a re-harvested record that
changed without a new version still replaces the stored one.

Nothing here does I/O: :func:`parse_list_records` takes the bytes of one response.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..records import Paper, Rejection
from .fields import BadRecord, normalise_id, paper_from_mapping, parse_date
from .taxonomy import archives_of_set_specs, category_for_set_spec, category_for_subject

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
ARXIVRAW_NS = "http://arxiv.org/OAI/arXivRaw/"
ARXIV_NS = "http://arxiv.org/OAI/arXiv/"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"

METADATA_PREFIXES = ("arXivRaw", "arXiv", "oai_dc")

_O = "{%s}" % OAI_NS


class OAIProtocolError(Exception):
    """The server answered with an OAI-PMH ``<error code=...>`` (other than ``noRecordsMatch``)."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}" if message else code)


class MalformedResponse(Exception):
    """The body is not a usable OAI-PMH document (HTML page, truncated or broken XML...)."""


@dataclass
class OAIPage:
    """One ``ListRecords`` response."""

    papers: list[Paper] = field(default_factory=list)
    deleted: list[tuple[str, date]] = field(default_factory=list)  # (arXiv id, datestamp)
    rejections: list[Rejection] = field(default_factory=list)
    token: str | None = None  # None: this was the last page
    cursor: int | None = None
    complete_list_size: int | None = None
    response_date: str | None = None
    max_datestamp: str | None = None
    no_records: bool = False  # the server said noRecordsMatch

    @property
    def records(self) -> int:
        """Records on the page, good, deleted or rejected."""
        return len(self.papers) + len(self.deleted) + len(self.rejections)


def _parser() -> Any:
    from lxml import etree

    # No DTDs, no entities from outside, no network: the body comes from a server we do not control.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _ns(tag: Any) -> str:
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""


def _text(el: Any) -> str | None:
    if el is None:
        return None
    text = "".join(el.itertext())
    return text


def _oai_id(identifier: str) -> str:
    ident = identifier.strip()
    low = ident.lower()
    if low.startswith("oai:arxiv.org:"):
        ident = ident[len("oai:arxiv.org:"):]
    return normalise_id(ident)


def parse_list_records(body: bytes, *, where: str = "response") -> OAIPage:
    """Parse one ``ListRecords`` response body.

    Raises :class:`MalformedResponse` when the body is not an OAI-PMH document (worth
    retrying) and :class:`OAIProtocolError` for an OAI error other than ``noRecordsMatch``,
    which is returned as an empty last page. ``where`` names the page in rejections.
    """
    from lxml import etree

    stripped = body.lstrip()
    if not stripped:
        raise MalformedResponse("the server sent an empty body")
    if stripped[:15].lower().startswith((b"<!doctype html", b"<html")):
        raise MalformedResponse("the server sent an HTML page instead of OAI-PMH XML")
    try:
        root = etree.fromstring(body, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise MalformedResponse(f"the response is not well-formed XML (truncated or corrupt): {exc}") from exc
    if root.tag != f"{_O}OAI-PMH":
        what = "an HTML page" if _local(root.tag).lower() == "html" else f"a <{_local(root.tag)}> document"
        raise MalformedResponse(f"the server sent {what}, not an OAI-PMH response")
    page = OAIPage()
    rd = root.find(f"{_O}responseDate")
    page.response_date = (rd.text or "").strip() if rd is not None else None
    errors = root.findall(f"{_O}error")
    if errors:
        codes = [(e.get("code") or "unknown", " ".join((e.text or "").split())) for e in errors]
        if all(c == "noRecordsMatch" for c, _ in codes):
            page.no_records = True
            return page
        code, message = next((c, m) for c, m in codes if c != "noRecordsMatch")
        raise OAIProtocolError(code, message)
    lr = root.find(f"{_O}ListRecords")
    if lr is None:
        raise MalformedResponse("the response has neither ListRecords nor an error element")
    index = 0
    for rec in lr.iterchildren(f"{_O}record"):
        index += 1
        _parse_record(rec, page, where=where, index=index)
    tok = lr.find(f"{_O}resumptionToken")
    if tok is not None:
        text = (tok.text or "").strip()
        page.token = text or None
        page.cursor = _int(tok.get("cursor"))
        page.complete_list_size = _int(tok.get("completeListSize"))
    return page


def _int(raw: str | None) -> int | None:
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def _parse_record(rec: Any, page: OAIPage, *, where: str, index: int) -> None:
    header = rec.find(f"{_O}header")
    line = rec.sourceline or index
    label = f"record {index}"
    try:
        if header is None:
            raise BadRecord("record has no header")
        ident_raw = (header.findtext(f"{_O}identifier") or "").strip()
        if not ident_raw:
            raise BadRecord("record header has no identifier")
        label = ident_raw
        ident = _oai_id(ident_raw)
        stamp_raw = (header.findtext(f"{_O}datestamp") or "").strip()
        stamp = parse_date(stamp_raw, what="datestamp")
        if page.max_datestamp is None or stamp_raw[:10] > page.max_datestamp:
            page.max_datestamp = stamp_raw[:10]
        if header.get("status") == "deleted":
            page.deleted.append((ident, stamp))
            return
        meta = rec.find(f"{_O}metadata")
        body = next((c for c in meta.iterchildren() if isinstance(c.tag, str)), None) if meta is not None else None
        if body is None:
            raise BadRecord("record has no metadata")
        ns = _ns(body.tag)
        if ns == ARXIVRAW_NS:
            mapping = _arxivraw(body)
        elif ns == ARXIV_NS:
            mapping = _arxiv(body)
        elif ns == OAI_DC_NS:
            mapping = _oai_dc(body, header)
        else:
            raise BadRecord(f"metadata format {body.tag!r} is not arXivRaw, arXiv or oai_dc")
        if not mapping.get("id"):
            mapping["id"] = ident
        paper = paper_from_mapping(mapping, kaggle=False)
        if paper.id != ident:
            raise BadRecord(f"metadata id {paper.id} differs from header identifier {ident}")
        if stamp > paper.updated:
            paper = _with_updated(paper, stamp)
        page.papers.append(paper)
    except BadRecord as exc:
        page.rejections.append(Rejection(where, line, f"{label}: {exc}"))


def _with_updated(paper: Paper, updated: date) -> Paper:
    from dataclasses import replace

    return replace(paper, updated=updated)


_LOCAL_NAMES: dict[str, dict[str, str]] = {}


def _children(el: Any, ns: str) -> Iterator[tuple[str, Any]]:
    names = _LOCAL_NAMES.setdefault(ns, {})
    prefix = "{" + ns + "}"
    for child in el.iterchildren():
        tag = child.tag
        if not isinstance(tag, str):
            continue
        name = names.get(tag)
        if name is None:
            if not tag.startswith(prefix):
                continue
            name = names[tag] = tag[len(prefix):]
        yield name, child


def _arxivraw(el: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    versions: list[tuple[int, str]] = []
    for name, child in _children(el, ARXIVRAW_NS):
        if name == "version":
            raw = (child.get("version") or "").strip().lower().lstrip("v")
            num = int(raw) if raw.isdigit() else 10**6 + len(versions)
            d = child.find(f"{{{ARXIVRAW_NS}}}date")
            if d is not None and (d.text or "").strip():
                versions.append((num, d.text.strip()))
        elif name in ("id", "title", "abstract", "authors", "categories", "comments", "doi"):
            out[name] = _text(child)
        elif name == "journal-ref":
            out["journal-ref"] = _text(child)
    if not versions:
        raise BadRecord("arXivRaw record lists no version dates (the v1 date decides the paper's month)")
    versions.sort()
    first = parse_date(versions[0][1], what=f"version v{versions[0][0]}")
    last = parse_date(versions[-1][1], what=f"version v{versions[-1][0]}") if len(versions) > 1 else first
    out["published"] = first
    out["updated"] = max(first, last)
    return out


def _arxiv(el: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, child in _children(el, ARXIV_NS):
        if name == "authors":
            names = []
            for _, author in _children(child, ARXIV_NS):
                parts = {k: " ".join((_text(v) or "").split()) for k, v in _children(author, ARXIV_NS)}
                full = " ".join(x for x in (parts.get("forenames"), parts.get("keyname"), parts.get("suffix")) if x)
                if full:
                    names.append(full)
            out["authors"] = names
        elif name == "created":
            out["published"] = _text(child)
        elif name in ("id", "title", "abstract", "categories", "comments", "doi", "updated"):
            out[name] = _text(child)
        elif name == "journal-ref":
            out["journal-ref"] = _text(child)
    if not out.get("published"):
        raise BadRecord("arXiv record has no <created> date (the v1 date decides the paper's month)")
    if out.get("updated"):
        first = parse_date(out["published"], what="created")
        upd = parse_date(out["updated"], what="updated")
        out["updated"] = max(first, upd)
    return out


def _oai_dc(el: Any, header: Any) -> dict[str, Any]:
    titles: list[str] = []
    descriptions: list[str] = []
    creators: list[str] = []
    subjects: list[str] = []
    dates: list[str] = []
    identifiers: list[str] = []
    for name, child in _children(el, DC_NS):
        text = " ".join((_text(child) or "").split())
        if not text:
            continue
        {"title": titles, "description": descriptions, "creator": creators, "subject": subjects,
         "date": dates, "identifier": identifiers}.get(name, []).append(text)
    out: dict[str, Any] = {"title": titles[0] if titles else None}
    # The abstract is the first description; later ones are comments, with or without a "Comment:" prefix
    # (arXiv's public feed writes the prefix, its OAI server code does not).
    abstract = [d for d in descriptions if not d.startswith("Comment:")]
    comments = [d[len("Comment:"):].strip() for d in descriptions if d.startswith("Comment:")]
    comments += abstract[1:]
    out["abstract"] = abstract[0] if abstract else ""
    out["comments"] = " ".join(c for c in comments if c) or None
    out["authors"] = [_dc_name(c) for c in creators]
    specs = [(spec.text or "").strip() for spec in header.findall(f"{_O}setSpec")]
    archives = archives_of_set_specs(specs)
    cats: list[str] = []
    unknown: list[str] = []
    for s in subjects:
        code = category_for_subject(s, archives)
        if code is None:
            unknown.append(s)
        elif code not in cats:
            cats.append(code)
    if not cats:  # names arXiv added after this table: fall back to sets that name a category
        for spec in specs:
            code = category_for_set_spec(spec)
            if code and code not in cats:
                cats.append(code)
    if not cats and unknown:
        raise BadRecord(f"subject(s) {', '.join(repr(u) for u in unknown)} name no arXiv category uptake knows, "
                        f"and no set names one; harvest with --metadata-prefix arXivRaw (it carries category codes)")
    out["categories"] = cats
    parsed = sorted(parse_date(d, what="dc:date") for d in dates)
    if not parsed:
        raise BadRecord("oai_dc record has no dc:date (the v1 date decides the paper's month)")
    out["published"] = parsed[0]
    out["updated"] = parsed[-1]
    for ident in identifiers:
        if "arxiv.org/abs/" in ident:
            out["id"] = ident
        elif ident.lower().startswith("doi:"):
            out["doi"] = ident[4:].strip()
        elif not ident.startswith("http"):
            out.setdefault("journal-ref", ident)
    return out


def _dc_name(creator: str) -> str:
    """``'Liepins, Vilnis'`` -> ``'Vilnis Liepins'``."""
    if creator.count(",") == 1:
        last, first = (p.strip() for p in creator.split(","))
        return f"{first} {last}".strip()
    return creator


def looks_like_oai(head: str) -> bool:
    """Whether the start of a file is an OAI-PMH response (a saved ListRecords page)."""
    return "<OAI-PMH" in head and OAI_NS in head


def iter_oai_file(stream: Any, name: str) -> Iterator[tuple[int, Paper | Rejection]]:
    """``uptake import`` of a saved ListRecords response: its papers, and rejections for the rest."""
    try:
        page = parse_list_records(stream.read(), where=name)
    except (MalformedResponse, OAIProtocolError, EOFError, OSError) as exc:
        yield 1, Rejection(name, 1, f"not a usable OAI-PMH ListRecords response ({exc})")
        return
    items: list[tuple[int, Paper | Rejection]] = [(0, p) for p in page.papers]
    items += [(r.line, r) for r in page.rejections]
    for ident, _ in page.deleted:
        items.append((0, Rejection(name, 0, f"{ident}: marked deleted by arXiv; not imported")))
    yield from items
