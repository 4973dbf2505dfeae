"""PDF full texts with pypdfium2 (text layer only; no OCR).

The text of each page is taken line by line. A line is a **heading** when it is short, has no
final period, and either is numbered (``1 Introduction``, ``3.2 Training``, ``IV. RESULTS``) or
is one of the unnumbered headings papers use (``Abstract``, ``References``, ``Acknowledgements``,
``Appendix…``). Headings go through :func:`uptake.sections.role_of` as for LaTeX. Other lines
are joined into paragraphs: a paragraph ends at an empty line or after a line ending in ``.``,
``?`` or ``!`` that is clearly shorter than the page's usual line (hyphenated line ends are
joined). Everything after a references heading is split into entries at ``[n]`` or ``n.``
line starts; bracketed numbers in the text (``[3]``, ``[2, 5–7]``) become citation markers
when such numbered entries exist.

A PDF with (next to) no text is ``failed`` with "no text layer (scanned?)". Formulas cannot be
told from text in a PDF text layer, so they stay as the characters the layer holds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..records import BibEntry, FullText, Paragraph
from ..sections import Role, Rules, decisive_role
from ._fulltext import SectionState, cite_marker, cites_in, clean_ws, outcome

EXTRACTOR = "pdf-pypdfium2/1"

_NUMBERED = re.compile(r"^(?P<num>(?:\d{1,2}(?:\.\d{1,2}){0,3}\.?)|(?:[IVX]{1,5}\.)|(?:[A-H](?:\.\d{1,2})*\.?))\s+(?P<title>[A-Z][^\n]{1,90})$")
_PLAIN_HEADINGS = re.compile(
    r"^(abstract|references|bibliography|acknowledg(e)?ments?|appendix( [A-Z])?|appendices|"
    r"introduction|related work|conclusions?|discussion|limitations|supplementary material)\s*:?$",
    re.IGNORECASE,
)
_REF_START = re.compile(r"^\s*(?:\[(\d{1,4})\]|(\d{1,4})\.)\s+")
_TEXT_CITE = re.compile(r"\[(\d{1,4}(?:\s*[,–-]\s*\d{1,4})*)\]")


def _heading(line: str) -> tuple[int, str] | None:
    s = line.strip()
    if not s or len(s) > 100 or s.endswith((".", ",", ";")) and not _PLAIN_HEADINGS.match(s.rstrip(".")):
        return None
    m = _PLAIN_HEADINGS.match(s)
    if m:
        return 1, s.rstrip(":")
    m = _NUMBERED.match(s)
    if m:
        title = m.group("title")
        words = title.split()
        if len(words) > 12 or sum(w[0].isupper() for w in words if w[0].isalpha()) == 0:
            return None
        num = m.group("num").rstrip(".")
        # a lettered line ("A. Smith and…") is a heading only when its words are decisive or it is "A.1"
        if num[0].isalpha() and not decisive_role(title) and not (num[0] in "ABCDEFGH" and len(num) > 1):
            return None
        if num.isdigit() and int(num) > 30:
            return None
        return num.count(".") + 1, s
    return None


def _expand(nums: str) -> list[str]:
    out: list[str] = []
    for part in re.split(r"\s*,\s*", nums):
        rng = re.split(r"\s*[–-]\s*", part)
        if len(rng) == 2 and rng[0].isdigit() and rng[1].isdigit() and 0 <= int(rng[1]) - int(rng[0]) <= 50:
            out.extend(str(i) for i in range(int(rng[0]), int(rng[1]) + 1))
        elif part.isdigit():
            out.append(part)
    return out


def extract_pdf(data: bytes, paper_id: str, *, rules: Rules | None = None, overrides: Mapping[str, Role] | None = None,
                source: str | None = None, max_pages: int = 300) -> FullText:
    """A PDF's bytes as a FullText; never raises on a bad PDF."""
    import pypdfium2 as pdfium  # type: ignore[import-untyped]

    def failed(reason: str) -> FullText:
        return outcome(paper_id=paper_id, title="", abstract="", paragraphs=(), bibliography=(), source_kind="pdf",
                       extractor=EXTRACTOR, fatal=reason, source=source)

    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        return failed(f"not a readable PDF ({exc})")
    problems: list[str] = []
    pages: list[list[str]] = []
    try:
        n = len(doc)
        if n > max_pages:
            problems.append(f"only the first {max_pages} of {n} pages read")
        for i in range(min(n, max_pages)):
            page = doc[i]
            tp = page.get_textpage()
            text = tp.get_text_range()
            tp.close()
            page.close()
            pages.append(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    except pdfium.PdfiumError as exc:
        problems.append(f"PDF damaged after page {len(pages)} ({exc})")
    finally:
        doc.close()
    chars = sum(len(line.strip()) for p in pages for line in p)
    if chars < max(50, 10 * len(pages)):
        return failed("no text layer (scanned?)")

    state = SectionState(rules=rules, overrides=overrides)
    paragraphs: list[Paragraph] = []
    abstract_parts: list[str] = []
    ref_lines: list[str] = []
    in_refs = False
    in_abstract = False
    title = ""
    buf: list[str] = []

    def flush() -> None:
        nonlocal buf
        if not buf:
            return
        text = ""
        for line in buf:
            if text.endswith("-") and line[:1].islower():
                text = text[:-1] + line
            else:
                text = f"{text} {line}" if text else line
        buf = []
        text = clean_ws(text)
        if not text:
            return
        if in_abstract:
            abstract_parts.append(text)
        else:
            paragraphs.append(Paragraph(state.role, state.section, text))

    for pno, lines in enumerate(pages):
        width = sorted(len(x.strip()) for x in lines if x.strip())
        typical = width[int(len(width) * 0.8)] if width else 80
        for line in lines:
            s = line.strip()
            if pno == 0 and not title and s:
                title = s
                continue
            if in_refs:
                ref_lines.append(s)
                continue
            head = _heading(s)
            if head is not None:
                flush()
                level, text = head
                role = decisive_role(text, rules=rules, overrides=overrides)
                in_abstract = role == "abstract"
                if role == "references":
                    in_refs = True
                    continue
                if role == "appendix" and level == 1:
                    state.appendix()
                state.heading(level, text)
                continue
            if not s:
                flush()
                continue
            buf.append(s)
            if s.endswith((".", "?", "!")) and len(s) < 0.75 * typical:
                flush()
        flush()

    bibliography: list[BibEntry] = []
    cur_key: str | None = None
    cur: list[str] = []
    for line in ref_lines:
        m = _REF_START.match(line)
        if m:
            if cur_key is not None:
                bibliography.append(BibEntry(cur_key, clean_ws(" ".join(cur))))
            cur_key = m.group(1) or m.group(2)
            cur = [line[m.end() :]]
        elif line:
            cur.append(line)
    if cur_key is not None:
        bibliography.append(BibEntry(cur_key, clean_ws(" ".join(cur))))
    if not bibliography and any(ref_lines):
        # unnumbered references: one entry per block separated by empty lines, else per line
        block: list[str] = []
        for line in [*ref_lines, ""]:
            if line:
                block.append(line)
            elif block:
                bibliography.append(BibEntry(f"ref{len(bibliography) + 1}", clean_ws(" ".join(block))))
                block = []
    if bibliography and all(b.key.isdigit() for b in bibliography):
        keys = {b.key for b in bibliography}

        def mark(m: re.Match[str]) -> str:
            nums = [n for n in _expand(m.group(1)) if n in keys]
            return " ".join(cite_marker(n) for n in nums) if nums else m.group(0)

        paragraphs = [Paragraph(p.role, p.section, t, cites_in(t)) for p in paragraphs
                      for t in [_TEXT_CITE.sub(mark, p.text)]]
    if not abstract_parts:
        problems.append("no abstract heading found")
    if not any(p.section for p in paragraphs):
        problems.append("no section headings found")
    abstract = " ".join(abstract_parts)
    if abstract:
        paragraphs.insert(0, Paragraph("abstract", "Abstract", abstract, cites_in(abstract)))
    return outcome(paper_id=paper_id, title=title, abstract=abstract, paragraphs=paragraphs, bibliography=bibliography,
                   source_kind="pdf", extractor=EXTRACTOR, problems=problems, source=source)
