"""unarXive (2022 and 2024 layout) and S2ORC-style JSON lines into :class:`~uptake.records.FullText` records.

One JSON object per line, ``.jsonl`` or ``.jsonl.gz`` (gzip is recognised by content).

unarXive: ``paper_id``, ``metadata`` (arXiv's Kaggle-snapshot fields: title, categories,
versions…), ``abstract`` (``{"text": …}`` with raw LaTeX), ``body_text`` (paragraphs with
``section``, ``sec_number``, ``sec_type``, ``text``), ``bib_entries`` (UUID → ``bib_entry_raw``)
and ``ref_entries`` (UUID → formula / figure / table). In the text, ``{{cite:UUID}}`` becomes
``[cite:UUID]`` (the key of the bibliography entry), ``{{formula:UUID}}`` becomes
:data:`~uptake.records.FORMULA`, and ``{{figure:UUID}}`` / ``{{table:UUID}}`` are taken out of the
paragraph: the caption follows it as a paragraph of role ``captions``. Captions of figures and
tables never referenced from the text come last.

S2ORC-style (``body_text`` with ``cite_spans`` holding offsets and ``ref_id`` such as
``BIBREF3``; ``bib_entries`` with ``raw_text`` or ``title``/``authors``/``year``; possibly
nested under ``pdf_parse`` or ``latex_parse``): citations are turned into the same markers
from their offsets.

Roles: each paragraph's heading goes through :func:`uptake.sections.role_of`; the parent is
found through ``sec_number`` (``3.2``'s parent is ``3``), and a lettered number (``A``, ``B.1``)
means the appendix.

A line that is not JSON, or not an object with a paper id, becomes a
:class:`~uptake.records.Rejection` with ``file:line``; reading goes on.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator, Mapping
from datetime import date
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import IO, Any

import orjson

from ..errors import SourceNotFoundError
from ..records import FORMULA, BibEntry, FullText, Paragraph, Rejection
from ..sections import Role, Rules, role_of
from ._fulltext import (
    apply_positional_roles,
    cite_marker,
    cites_in,
    clean_ws,
    outcome,
    squeeze_formulas,
)

EXTRACTOR = "unarxive/1"

_MARK = re.compile(r"\{\{(cite|formula|figure|table|ref):([^}]*)\}\}")
_TEX_MATH = re.compile(r"\$\$.*?\$\$|\$[^$]+\$|\\\[.*?\\\]|\\\(.*?\\\)", re.DOTALL)

Item = tuple[int, "FullText | Rejection"]


def _open(path: Path) -> IO[bytes]:
    return maybe_gunzip(path.open("rb"))


def maybe_gunzip(raw: IO[bytes]) -> IO[bytes]:
    """``raw`` (a seekable binary stream), decompressed on the fly when it is gzip."""
    head = raw.read(2)
    raw.seek(0)
    if head == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=raw)  # type: ignore[return-value]
    return raw


def read_unarxive(path: str | Path, *, rules: Rules | None = None,
                  overrides: Mapping[str, Role] | None = None) -> Iterator[Item]:
    """Yield ``(line, FullText | Rejection)`` for every line of a unarXive / S2ORC JSONL file (gzip or plain)."""
    p = Path(path)
    if not p.exists():
        raise SourceNotFoundError(f"{p} does not exist; give the path of a unarXive .jsonl or .jsonl.gz file")
    with _open(p) as stream:
        yield from iter_unarxive(stream, p.name, rules=rules, overrides=overrides)


def iter_unarxive(stream: IO[bytes], name: str, *, rules: Rules | None = None,
                  overrides: Mapping[str, Role] | None = None) -> Iterator[Item]:
    """Like :func:`read_unarxive`, from an open binary stream; ``name`` is used in rejections."""
    lineno = 0
    while True:
        try:
            line = stream.readline()
        except (EOFError, OSError, gzip.BadGzipFile) as exc:
            yield lineno + 1, Rejection(name, lineno + 1, f"file ends early or is corrupt ({exc}); lines before it were read")
            return
        if not line:
            return
        lineno += 1
        if not line.strip():
            continue
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield lineno, Rejection(name, lineno, f"not valid JSON ({exc}); skipped this line")
            continue
        if not isinstance(obj, dict):
            yield lineno, Rejection(name, lineno, "not a JSON object; skipped this line")
            continue
        try:
            yield lineno, fulltext_from_json(obj, source=f"{name}:{lineno}", rules=rules, overrides=overrides)
        except BadFullText as exc:
            yield lineno, Rejection(name, lineno, str(exc))


class BadFullText(ValueError):
    """A JSON object that is not a full-text record; the message says why."""


def _published(meta: Mapping[str, Any]) -> date | None:
    versions = meta.get("versions")
    if isinstance(versions, list) and versions and isinstance(versions[0], dict):
        created = versions[0].get("created")
        if isinstance(created, str):
            try:
                return parsedate_to_datetime(created).date()
            except (TypeError, ValueError):
                pass
    for key in ("update_date", "published", "year"):
        value = meta.get(key)
        if isinstance(value, str) and len(value) >= 10:
            try:
                return date.fromisoformat(value[:10])
            except ValueError:
                pass
    return None


def _latex_abstract(text: str) -> str:
    return squeeze_formulas(clean_ws(_TEX_MATH.sub(f" {FORMULA} ", text)))


def _bib_text(entry: Mapping[str, Any]) -> str:
    for key in ("bib_entry_raw", "raw_text"):
        raw = entry.get(key)
        if isinstance(raw, str) and raw.strip():
            return squeeze_formulas(clean_ws(_MARK.sub(lambda m: f" {FORMULA} " if m.group(1) == "formula" else " ", raw)))
    parts: list[str] = []
    authors = entry.get("authors")
    if isinstance(authors, list):
        names = []
        for a in authors:
            if isinstance(a, dict):
                names.append(" ".join(str(x) for x in (a.get("first"), a.get("last")) if x))
            elif isinstance(a, str):
                names.append(a)
        if names:
            parts.append(", ".join(names))
    for key in ("title", "venue", "year"):
        if entry.get(key):
            parts.append(str(entry[key]))
    return clean_ws(". ".join(parts))


def _apply_spans(text: str, spans: list[Any], bib_keys: set[str]) -> str:
    """S2ORC-style: replace each cite span (by offsets) with a citation marker."""
    good = []
    for s in spans:
        if isinstance(s, dict) and isinstance(s.get("start"), int) and isinstance(s.get("end"), int):
            good.append(s)
    for s in sorted(good, key=lambda s: s["start"], reverse=True):
        ref = s.get("ref_id")
        start, end = s["start"], s["end"]
        if not (0 <= start <= end <= len(text)):
            continue
        if isinstance(ref, str) and ref in bib_keys:
            text = text[:start] + cite_marker(ref) + text[end:]
    return text


def fulltext_from_json(obj: Mapping[str, Any], *, source: str | None = None, rules: Rules | None = None,
                       overrides: Mapping[str, Role] | None = None) -> FullText:
    """One unarXive / S2ORC JSON object as a FullText; raises :class:`BadFullText` when it is not one."""
    inner: Mapping[str, Any] = obj
    for nested in ("latex_parse", "pdf_parse"):
        if isinstance(obj.get(nested), dict) and obj[nested].get("body_text"):
            inner = obj[nested]
            break
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    assert isinstance(meta, dict)
    pid = obj.get("paper_id") or meta.get("id") or obj.get("id") or meta.get("arxiv_id")
    if not isinstance(pid, (str, int)) or not str(pid).strip():
        raise BadFullText("no paper id (paper_id / metadata.id); is this a unarXive or S2ORC file?")
    pid = str(pid).strip()
    body = inner.get("body_text")
    if body is not None and not isinstance(body, list):
        raise BadFullText(f"paper {pid}: body_text is not a list")
    body = body or []

    title = clean_ws(str(meta.get("title") or obj.get("title") or ""))
    cats_raw = meta.get("categories") or obj.get("categories") or ""
    categories = tuple(cats_raw.split()) if isinstance(cats_raw, str) else tuple(str(c) for c in cats_raw)

    bib_raw = inner.get("bib_entries") if isinstance(inner.get("bib_entries"), dict) else {}
    assert isinstance(bib_raw, dict)
    bibliography = [BibEntry(str(k), _bib_text(v)) for k, v in bib_raw.items() if isinstance(v, dict)]
    bib_keys = {b.key for b in bibliography}
    refs_raw = inner.get("ref_entries") if isinstance(inner.get("ref_entries"), dict) else {}
    assert isinstance(refs_raw, dict)

    paragraphs: list[Paragraph] = []
    abstract_raw = inner.get("abstract", obj.get("abstract"))
    if isinstance(abstract_raw, dict):
        abstract_parts = [str(abstract_raw.get("text") or "")]
    elif isinstance(abstract_raw, list):
        abstract_parts = [str(a.get("text") if isinstance(a, dict) else a) for a in abstract_raw]
    elif isinstance(abstract_raw, str):
        abstract_parts = [abstract_raw]
    else:
        abstract_parts = [str(meta.get("abstract") or "")]
    abstract_parts = [_latex_abstract(a) for a in abstract_parts if a and a.strip()]
    for a in abstract_parts:
        paragraphs.append(Paragraph("abstract", "Abstract", a, cites_in(a)))

    unresolved = 0
    used_refs: set[str] = set()
    roles_by_number: dict[str, Role] = {}
    last_top: Role | None = None
    tops: list[int | None] = [None] * len(paragraphs)  # top-level section of each paragraph
    top_index: dict[str, int] = {}
    top_roles: list[Role] = []
    current_top: int | None = None
    known_roles: dict[tuple[str, bool, Role | None], Role] = {}

    def caption_of(ref_id: str) -> str | None:
        entry = refs_raw.get(ref_id)
        if not isinstance(entry, dict):
            return None
        for key in ("caption", "text"):
            text = entry.get(key)
            if isinstance(text, str) and text.strip():
                return text
        return None

    def render(text: str, section: str, pending_captions: list[str]) -> str:
        nonlocal unresolved

        def sub(m: re.Match[str]) -> str:
            nonlocal unresolved
            kind, ref = m.group(1), m.group(2)
            if kind == "cite":
                if ref not in bib_keys:
                    unresolved += 1
                return f" {cite_marker(ref)} "
            if kind == "formula":
                return f" {FORMULA} "
            if kind in ("figure", "table"):
                if ref not in used_refs:
                    used_refs.add(ref)
                    cap = caption_of(ref)
                    if cap is not None:
                        pending_captions.append(cap)
                return " "
            return " "

        return squeeze_formulas(clean_ws(_MARK.sub(sub, text)))

    for para in body:
        if not isinstance(para, dict):
            continue
        raw_text = str(para.get("text") or "")
        if "{{" not in raw_text and para.get("cite_spans"):
            raw_text = _apply_spans(raw_text, para["cite_spans"], bib_keys)
        section_raw = str(para.get("section") or "")
        section = clean_ws(_MARK.sub(lambda m: FORMULA if m.group(1) == "formula" else " ", section_raw))
        number = str(para.get("sec_number") or "").strip().rstrip(".")
        in_appendix = bool(number) and number[0].isalpha() and number[0].isupper()
        parent: Role | None = None
        if number and number != "-":
            head, _, _ = number.rpartition(".")
            parent = roles_by_number.get(head) if head else None
        elif para.get("sec_type") in ("subsection", "subsubsection"):
            parent = last_top
        if not section:
            role: Role = "appendix" if in_appendix else "other"
        elif (section, in_appendix, parent) in known_roles:  # the paragraphs of one section share its heading
            role = known_roles[(section, in_appendix, parent)]
        else:
            role = known_roles[(section, in_appendix, parent)] = role_of(
                section, in_appendix=in_appendix, parent=parent, rules=rules, overrides=overrides)
        if number and number != "-":
            roles_by_number.setdefault(number, role)
        if para.get("sec_type") == "section" or (number and "." not in number and number != "-"):
            last_top = role
        if number and number != "-":
            key = number.split(".")[0]
        elif para.get("sec_type") == "section" and section:
            key = "-" + section
        else:
            key = None
        if key is not None:
            if key not in top_index:
                top_index[key] = len(top_roles)
                top_roles.append(roles_by_number.get(key, role))
            current_top = top_index[key]
        captions: list[str] = []
        text = render(raw_text, section, captions)
        if text:
            paragraphs.append(Paragraph(role, section, text, cites_in(text)))
            tops.append(current_top if section else None)
        for cap in captions:
            ctext = render(cap, section, [])
            if ctext:
                paragraphs.append(Paragraph("captions", section, ctext, cites_in(ctext)))
                tops.append(current_top)
    for ref_id in refs_raw:
        if ref_id in used_refs:
            continue
        entry = refs_raw[ref_id]
        if isinstance(entry, dict) and entry.get("type") in ("figure", "table"):
            leftover = caption_of(ref_id)
            if leftover:
                ctext = render(leftover, "", [])
                if ctext:
                    paragraphs.append(Paragraph("captions", "", ctext, cites_in(ctext)))
                    tops.append(None)
    paragraphs = apply_positional_roles(paragraphs, tops, top_roles)

    problems: list[str] = []
    if not abstract_parts:
        problems.append("no abstract")
    if unresolved:
        problems.append(f"{unresolved} citation(s) point to no bibliography entry")
    return outcome(
        paper_id=pid,
        title=title,
        abstract=" ".join(abstract_parts),
        paragraphs=paragraphs,
        bibliography=bibliography,
        source_kind="unarxive",
        extractor=EXTRACTOR,
        problems=problems,
        categories=categories,
        published=_published(meta),
        source=source,
    )
