"""A LaTeX source tree (one arXiv e-print) into a :class:`~uptake.records.FullText`.

Steps, each bounded so that one pathological paper cannot hang a batch:

1. **Main file**: among the ``.tex`` files, those with a ``\\documentclass`` (outside comments)
   that no other file ``\\input``s; if several remain, the one with ``\\begin{document}``, a
   ``.bbl`` of the same name, and the most text wins (``main.tex`` / ``ms.tex`` break ties).
2. **Comments**: ``%`` to end of line (not ``\\%``), ``comment`` environments and
   ``\\iffalse … \\fi`` blocks are dropped.
3. **Inputs**: ``\\input{f}``, ``\\input f``, ``\\include{f}``, ``\\subfile{f}``, ``\\import{dir}{f}``
   are replaced by the file (with or without ``.tex``; relative to the main file's folder, then
   the including file's). Depth ≤ :attr:`Limits.max_input_depth`; a cycle or a missing file is
   reported in ``problems`` (``2 \\input files missing: a.tex, b``) and skipped.
4. **Macros**: ``\\newcommand``, ``\\renewcommand``, ``\\providecommand``, ``\\def`` with no
   argument or ``#1``… arguments (no delimited-argument ``\\def``) are expanded in repeated
   passes, at most :attr:`Limits.max_macro_expansions` expansions and while the text stays under
   :attr:`Limits.max_tex_chars`; reaching a bound is a ``partial`` with the reason.
5. **Conversion** with pylatexenc (``LatexWalker`` in tolerant mode, ``LatexNodes2Text`` with
   our own rules): ``\\section``… ``\\paragraph`` become headings, ``\\appendix`` switches to the
   appendix role, ``\\cite{a,b}`` (and natbib/biblatex variants) become ``[cite:a] [cite:b]``,
   math (``$…$``, ``\\[…\\]``, ``\\(…\\)``, equation/align/… environments) becomes
   :data:`~uptake.records.FORMULA`, figures and tables keep only their captions (role
   ``captions``), ``abstract`` gives the abstract, the rest is plain text (accents to Unicode).
6. **Bibliography**: ``\\bibitem`` entries of an inline ``thebibliography`` or of the ``.bbl``
   files, else the entries of the ``.bib`` files (author, title, venue, year).

Time: there are no signals or threads. Work is bounded by sizes and counts (the text handed to
pylatexenc is at most :attr:`Limits.max_tex_chars`; pylatexenc's speed is roughly linear in it),
and a deadline (:attr:`Limits.max_seconds`) is checked between steps and inside the loops
above; past it, what has been extracted is returned as ``partial``.
"""

from __future__ import annotations

import posixpath
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..records import FORMULA, BibEntry, FullText, Paragraph
from ..sections import Role, Rules
from ._fulltext import (
    SectionState,
    apply_positional_roles,
    cite_marker,
    cites_in,
    clean_ws,
    outcome,
    squeeze_formulas,
)

EXTRACTOR_NAME = "latex-pylatexenc"
EXTRACTOR_VERSION = "2"  # 2: footnotes as their own paragraphs, \href keeps its link, title-page notes
EXTRACTOR = f"{EXTRACTOR_NAME}/{EXTRACTOR_VERSION}"


@dataclass(frozen=True)
class Limits:
    """Bounds on the work done for one paper. Defaults suit real arXiv papers with a wide margin."""

    max_bytes: int = 50_000_000
    """Uncompressed size of one e-print (all its files); larger ones fail without being read further."""
    max_tex_chars: int = 4_000_000
    """Characters of LaTeX after inputs and macros; the rest is cut (``partial``)."""
    max_files: int = 5_000
    max_input_depth: int = 20
    max_macro_expansions: int = 200_000
    max_macro_passes: int = 8
    max_seconds: float = 60.0
    """Deadline per paper, checked between steps (cooperative, no signals)."""


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def passed(self) -> bool:
        return time.monotonic() > self.end


# ---------------------------------------------------------------------------------------------- reading


_TEXLIKE = re.compile(rb"\\(documentclass|documentstyle|begin\{document\}|section|input\{)")


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


_COMMENT = re.compile(r"(?<!\\)((?:\\\\)*)%[^\n]*")
_COMMENT_ENV = re.compile(r"\\begin\{comment\}.*?\\end\{comment\}", re.DOTALL)
_IFFALSE = re.compile(r"\\iffalse\b.*?\\fi\b", re.DOTALL)
_VERBATIM = re.compile(r"\\begin\{(lstlisting|verbatim\*?|minted|Verbatim|alltt)\}.*?\\end\{\1\}", re.DOTALL)
_VERB = re.compile(r"\\verb\*?([^\sA-Za-z])(.*?)\1")


def strip_comments(text: str) -> str:
    """Drop ``%`` comments (keeping ``\\%``), ``comment`` environments and ``\\iffalse…\\fi`` blocks."""
    text = _COMMENT.sub(lambda m: m.group(1), text)
    text = _COMMENT_ENV.sub("", text)
    return _IFFALSE.sub("", text)


def strip_verbatim(text: str) -> str:
    """Drop verbatim environments (code, prompts) and turn ``\\verb|x|`` into ``x``: their braces and ``$`` are not LaTeX."""
    text = _VERBATIM.sub("\n\n", text)
    return _VERB.sub(lambda m: m.group(2).replace("\\", " ").replace("{", " ").replace("}", " ").replace("$", " "), text)


def read_group(text: str, i: int, open_: str = "{", close: str = "}") -> tuple[str, int] | None:
    """The balanced ``{…}`` starting at ``text[i]`` (after spaces): ``(content, index after it)``, or None."""
    n = len(text)
    while i < n and text[i] in " \t\n":
        i += 1
    if i >= n or text[i] != open_:
        return None
    depth = 0
    j = i
    while j < n:
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return text[i + 1 : j], j + 1
        j += 1
    return None


# ---------------------------------------------------------------------------------------------- main file

_DOCCLASS = re.compile(r"\\documentclass\b")
_INPUT = re.compile(r"\\(input|include|subfile|import|subimport|InputIfFileExists)\b\s*(\{)?")


def _input_targets(text: str) -> list[str]:
    out = []
    for m in _INPUT.finditer(text):
        got = _input_arg(text, m)
        if got:
            out.append(got[0])
    return out


def _input_arg(text: str, m: re.Match[str]) -> tuple[str, int] | None:
    """(target path, end index) of an input command matched at ``m``."""
    cmd = m.group(1)
    if cmd in ("import", "subimport"):
        first = read_group(text, m.end(1))
        if first is None:
            return None
        second = read_group(text, first[1])
        if second is None:
            return None
        return posixpath.join(first[0].strip(), second[0].strip()), second[1]
    if m.group(2):
        grp = read_group(text, m.end(1))
        if grp is None:
            return None
        return grp[0].strip(), grp[1]
    if cmd != "input":
        return None
    tail = re.match(r"[ \t]+([^\s{}\\%]+)", text[m.end(1) :])
    if tail is None:
        return None
    return tail.group(1), m.end(1) + tail.end()


def _lookup(files: Mapping[str, str], target: str, here: str) -> str | None:
    target = target.strip().strip('"')
    cands = [target] if target.endswith(".tex") else [target + ".tex", target]
    for base in ("", here):
        for c in cands:
            p = posixpath.normpath(posixpath.join(base, c)).lstrip("./") if base else posixpath.normpath(c)
            p = p.removeprefix("./")
            if p in files:
                return p
    return None


def find_main(files: Mapping[str, str], bbl_names: set[str] | None = None) -> tuple[str | None, list[str]]:
    """The main ``.tex`` of a tree (text already comment-free): ``(path or None, notes)``."""
    tex = {p: t for p, t in files.items() if p.lower().endswith((".tex", ".ltx", ".latex")) or "." not in posixpath.basename(p)}
    with_class = [p for p, t in tex.items() if _DOCCLASS.search(t)]
    notes: list[str] = []
    if not with_class:
        # no \documentclass: a single file with \begin{document} or \section may still be the paper
        cands = [p for p, t in tex.items() if "\\begin{document}" in t or "\\section" in t]
        if len(cands) >= 1:
            notes.append("no \\documentclass found; used the file with the document body")
            return max(cands, key=lambda p: len(tex[p])), notes
        return None, notes
    included: set[str] = set()
    for p, t in tex.items():
        here = posixpath.dirname(p)
        for target in _input_targets(t):
            found = _lookup(tex, target, here)
            if found and found != p:
                included.add(found)
    roots = [p for p in with_class if p not in included] or with_class
    bbl = bbl_names or set()

    def score(p: str) -> tuple[int, int, int, int]:
        stem = posixpath.splitext(p)[0]
        return (
            int("\\begin{document}" in tex[p]),
            int(stem + ".bbl" in bbl),
            int(posixpath.basename(stem) in ("main", "ms", "paper", "article")),
            len(tex[p]) + sum(len(tex[f]) for f in (_lookup(tex, x, "") for x in _input_targets(tex[p])) if f),
        )

    roots.sort(key=score, reverse=True)
    if len(roots) > 1:
        notes.append(f"{len(roots)} files with \\documentclass; used {roots[0]}")
    return roots[0], notes


# ---------------------------------------------------------------------------------------------- inputs


@dataclass
class _Resolve:
    files: Mapping[str, str]
    limits: Limits
    deadline: Deadline
    missing: list[str] = field(default_factory=list)
    cycles: list[str] = field(default_factory=list)
    truncated: bool = False
    size: int = 0

    def run(self, path: str, stack: tuple[str, ...] = ()) -> str:
        text = self.files[path]
        if len(stack) >= self.limits.max_input_depth:
            self.cycles.append(path)
            return ""
        here = posixpath.dirname(path)
        out: list[str] = []
        pos = 0
        for m in _INPUT.finditer(text):
            if m.start() < pos:
                continue
            got = _input_arg(text, m)
            if got is None:
                continue
            target, end = got
            out.append(text[pos : m.start()])
            pos = end
            found = _lookup(self.files, target, here)
            if found is None:
                if not target.endswith((".sty", ".cls", ".bbl", ".tikz", ".pgf", ".pdf_tex")):
                    self.missing.append(target)
                continue
            if found == path or found in stack:
                self.cycles.append(found)
                continue
            if self.deadline.passed() or self.size > self.limits.max_tex_chars:
                self.truncated = True
                continue
            sub = self.run(found, (*stack, path))
            self.size += len(sub)
            out.append("\n" + sub + "\n")
        out.append(text[pos:])
        return "".join(out)


# ---------------------------------------------------------------------------------------------- macros

# never redefined by a paper's macros: the structure the extraction relies on
_PROTECTED = frozenset(
    [
        "section", "subsection", "subsubsection", "paragraph", "subparagraph", "chapter", "part", "appendix",
        "cite", "citep", "citet", "caption", "title", "abstract", "begin", "end", "input", "include", "item",
        "bibitem", "label", "ref", "emph", "textbf", "textit", "documentclass", "usepackage", "maketitle",
        "bibliography", "newcommand", "renewcommand", "def",
    ]
)
_DEF_START = re.compile(r"\\(newcommand|renewcommand|providecommand|DeclareRobustCommand)\*?\s*|\\[egx]?def\s*(?=\\)")


@dataclass
class Macro:
    nargs: int
    body: str
    default: str | None = None


def collect_macros(text: str) -> tuple[str, dict[str, Macro]]:
    """Take the simple macro definitions out of ``text``: ``(text without them, name → Macro)``."""
    macros: dict[str, Macro] = {}
    out: list[str] = []
    pos = 0
    for m in _DEF_START.finditer(text):
        if m.start() < pos:
            continue
        i = m.end()
        default: str | None = None
        if m.group(1):  # \newcommand{\name}[n][default]{body} or \newcommand\name...
            grp = read_group(text, i)
            if grp is not None:
                name, i = grp[0].strip(), grp[1]
            else:
                nm = re.match(r"\s*(\\[A-Za-z@]+|\\.)", text[i:])
                if nm is None:
                    continue
                name, i = nm.group(1), i + nm.end()
            nargs = 0
            na = re.match(r"\s*\[(\d)\]", text[i:])
            if na:
                nargs, i = int(na.group(1)), i + na.end()
                df = read_group(text, i, "[", "]")
                if df is not None:
                    default, i = df
            body = read_group(text, i)
            if body is None:
                continue
        else:  # \def\name#1#2{body}
            nm = re.match(r"(\\[A-Za-z@]+)((?:#\d)*)\s*(?=\{)", text[i:])
            if nm is None:
                continue
            name = nm.group(1)
            nargs = len(nm.group(2)) // 2
            i += nm.end()
            body = read_group(text, i)
            if body is None:
                continue
        out.append(text[pos : m.start()])
        pos = body[1]
        bare = name.lstrip("\\")
        if not re.fullmatch(r"[A-Za-z@]+", bare) or bare in _PROTECTED:
            continue
        if m.group(1) == "providecommand" and bare in macros:
            continue
        macros[bare] = Macro(nargs, body[0], default)
    out.append(text[pos:])
    return "".join(out), macros


_CS = re.compile(r"\\([A-Za-z@]+)")


def expand_macros(text: str, macros: Mapping[str, Macro], limits: Limits, deadline: Deadline) -> tuple[str, str | None]:
    """Expand ``macros`` in ``text`` in passes; ``(text, problem or None)`` when a bound was reached."""
    if not macros:
        return text, None
    budget = limits.max_macro_expansions
    for _ in range(limits.max_macro_passes):
        changed = False
        out: list[str] = []
        pos = 0
        for m in _CS.finditer(text):
            if m.start() < pos:
                continue
            mac = macros.get(m.group(1))
            if mac is None:
                continue
            # a control word is followed by a non-letter; \foobar must not match \foo
            end = m.end()
            args: list[str] = []
            ok = True
            if mac.nargs:
                k = 0
                if mac.default is not None:
                    opt = read_group(text, end, "[", "]") if text[end : end + 1] == "[" else None
                    if opt is not None:
                        args.append(opt[0])
                        end = opt[1]
                    else:
                        args.append(mac.default)
                    k = 1
                while k < mac.nargs:
                    grp = read_group(text, end)
                    if grp is None:
                        nxt = re.match(r"\s*(\\[A-Za-z@]+|[^\s{}])", text[end:])
                        if nxt is None:
                            ok = False
                            break
                        args.append(nxt.group(1))
                        end += nxt.end()
                    else:
                        args.append(grp[0])
                        end = grp[1]
                    k += 1
            if not ok:
                continue
            body = mac.body
            for n, a in enumerate(args, start=1):
                body = body.replace(f"#{n}", a)
            # keep a space after a control word that ate the following spaces in TeX
            out.append(text[pos : m.start()])
            out.append(body)
            if not mac.nargs and text[end : end + 1].isalpha():
                out.append(" ")
            pos = end
            changed = True
            budget -= 1
            if budget <= 0:
                break
        out.append(text[pos:])
        text = "".join(out)
        if budget <= 0:
            return text, f"macro expansion stopped after {limits.max_macro_expansions} expansions (recursive macro?)"
        if len(text) > limits.max_tex_chars:
            return text[: limits.max_tex_chars], f"text cut at {limits.max_tex_chars} characters after macro expansion"
        if deadline.passed():
            return text, "time limit reached while expanding macros"
        if not changed:
            return text, None
    return text, f"macros still expanding after {limits.max_macro_passes} passes (recursive macro?); the rest left as is"


# ---------------------------------------------------------------------------------------------- conversion

S, E = "\ue000", "\ue001"
_SENT = re.compile(f"{S}(.*?){E}", re.DOTALL)
# a footnote's text travels inside its paragraph between F and G; add_text puts it in a paragraph of its own
F, G = "\ue002", "\ue003"
_NOTE = re.compile(f"{F}(.*?){G}", re.DOTALL)
#: What a footnote's paragraph starts with (the full-text index never makes it a token; see index/fulltext.py).
FOOTNOTE_MARK = "[footnote]"
# font commands pylatexenc drops with their text (\texttt{\url{...}} lost the link)
_KEEP_TEXT = ["texttt", "textsf", "textup", "textmd", "mbox", "hbox", "textnormal"]


def _unescape_url(url: str) -> str:
    return re.sub(r"\\([_#%&~$])", r"\1", url).replace("\\", "").strip()


_PARBREAK = re.compile(r"\n[ \t]*\n\s*")

_LEVELS = {"part": 1, "chapter": 1, "section": 1, "subsection": 2, "subsubsection": 3, "paragraph": 4, "subparagraph": 5}
_CITES = [
    "cite", "citep", "citet", "citealp", "citealt", "citeauthor", "citeyear", "citeyearpar", "citenum",
    "parencite", "textcite", "autocite", "footcite", "smartcite", "supercite", "Cite", "Citep", "Citet",
    "Citealp", "Parencite", "Textcite", "Autocite", "citeps", "citets",
]
_MATH_ENVS = [
    "equation", "eqnarray", "align", "alignat", "gather", "multline", "flalign", "displaymath", "math",
    "split", "subequations", "dmath", "darray", "IEEEeqnarray",
]
_FLOATS = [
    "figure", "table", "figure*", "table*", "wrapfigure", "wraptable", "sidewaysfigure", "sidewaystable",
    "subfigure", "subtable",
]
# author blocks: names, affiliations, e-mails are not the paper's text
_FRONT_MATTER = [
    "author", "affiliation", "altaffiliation", "affil", "email", "correspondingauthor", "orcid", "institute",
    "address", "icmlauthor", "keywords", "received", "accepted", "submitjournal", "shorttitle",
    "shortauthors",
]
_DROP_ENVS = [
    "icmlauthorlist", "contribution", "tikzpicture", "pgfpicture", "picture", "lstlisting", "verbatim",
    "minted", "tabular", "tabular*", "tabularx", "longtable",
]


def _l2t_classes() -> tuple[Any, Any, Any]:
    from pylatexenc import latex2text, latexwalker, macrospec  # type: ignore[import-untyped]

    return latex2text, latexwalker, macrospec


def _index_specials(db: Any) -> None:
    """Make ``db.test_for_specials`` look only at specials starting with the character at hand.

    pylatexenc tries every known specials sequence at every position, a third of its parse time;
    the answer is the same (longest match; on equal length the earlier category wins).
    """
    by_first: dict[str, list[tuple[str, Any]]] = {}
    for cat in db.category_list:
        for chars, spec in db.d[cat]["specials"].items():
            by_first.setdefault(chars[:1], []).append((chars, spec))

    def test_for_specials(s: str, pos: int, parsing_state: Any = None) -> Any:
        best_len = 0
        best = None
        for chars, spec in by_first.get(s[pos : pos + 1], ()):
            if len(chars) > best_len and s.startswith(chars, pos):
                best, best_len = spec, len(chars)
        return best

    db.test_for_specials = test_for_specials


_CONVERTER: _Converter | None = None


def _converter() -> _Converter:
    """The one pylatexenc set-up of this process (building it costs more than converting a short paper)."""
    global _CONVERTER
    if _CONVERTER is None:
        _CONVERTER = _Converter()
    return _CONVERTER


class _Converter:
    """pylatexenc set up with our rules. Holds no per-paper state, so one serves every paper."""

    def __init__(self) -> None:
        latex2text, latexwalker, macrospec = _l2t_classes()
        self.latexwalker = latexwalker
        ms = macrospec
        wdb = latexwalker.get_default_latex_context_db()
        wdb.add_context_category(
            "uptake",
            prepend=True,
            macros=[ms.MacroSpec(name, "*[{") for name in _LEVELS]
            + [ms.MacroSpec(name, "*[[{") for name in _CITES]
            + [
                ms.MacroSpec("nocite", "{"),
                ms.MacroSpec("caption", "*[{"),
                ms.MacroSpec("captionof", "*{[{"),
                ms.MacroSpec("subcaption", "*[{"),
                ms.MacroSpec("appendix", ""),
                ms.MacroSpec("bibliography", "{"),
                ms.MacroSpec("bibliographystyle", "{"),
                ms.MacroSpec("label", "{"),
                ms.MacroSpec("includegraphics", "*[[{"),
                ms.MacroSpec("footnote", "[{"),
                ms.MacroSpec("footnotetext", "[{"),
                *[ms.MacroSpec(name, "{") for name in _KEEP_TEXT],
                ms.MacroSpec("url", "{"),
                ms.MacroSpec("href", "{{"),
                ms.MacroSpec("hyperlink", "{{"),
                ms.MacroSpec("hypersetup", "{"),
                ms.MacroSpec("vspace", "*{"),
                ms.MacroSpec("hspace", "*{"),
                ms.MacroSpec("setlength", "{{"),
                ms.MacroSpec("addtolength", "{{"),
                ms.MacroSpec("setcounter", "{{"),
                ms.MacroSpec("addbibresource", "{"),
                ms.MacroSpec("printbibliography", "["),
                ms.MacroSpec("raisebox", "{[[{"),
                ms.MacroSpec("addtocounter", "{{"),
                ms.MacroSpec("inlineimage", "{"),
                ms.MacroSpec("rlap", "{"),
                ms.MacroSpec("llap", "{"),
                ms.MacroSpec("resizebox", "*{{{"),
                ms.MacroSpec("scalebox", "{[{"),
                ms.MacroSpec("thanks", "{"),
                ms.MacroSpec("icmltitlerunning", "{"),
                ms.MacroSpec("icmlaffiliation", "{{"),
                ms.MacroSpec("icmlcorrespondingauthor", "{{"),
                ms.MacroSpec("icmlkeywords", "{"),
                *[ms.MacroSpec(name, "*[{") for name in _FRONT_MATTER],
            ],
            environments=[ms.EnvironmentSpec(name, "[") for name in _FLOATS] + [ms.EnvironmentSpec("thebibliography", "{")],
        )
        _index_specials(wdb)
        self.wdb = wdb
        T = latex2text.MacroTextSpec
        V = latex2text.EnvironmentTextSpec
        tdb = latex2text.get_default_latex_context_db()
        tdb.add_context_category(
            "uptake",
            prepend=True,
            macros=[T(name, simplify_repl=self._heading) for name in _LEVELS]
            + [T(name, simplify_repl=self._cite) for name in _CITES]
            + [
                T("nocite", simplify_repl=""),
                T("caption", simplify_repl=self._caption),
                T("captionof", simplify_repl=self._caption),
                T("subcaption", simplify_repl=self._caption),
                T("appendix", simplify_repl=f"\n\n{S}APPX{E}\n\n"),
                T("bibliography", simplify_repl=f"\n\n{S}REFS{E}\n\n"),
                T("printbibliography", simplify_repl=f"\n\n{S}REFS{E}\n\n"),
                T("bibliographystyle", simplify_repl=""),
                T("label", simplify_repl=""),
                T("ref", simplify_repl="[ref]"),
                T("eqref", simplify_repl=FORMULA),
                T("autoref", simplify_repl="[ref]"),
                T("cref", simplify_repl="[ref]"),
                T("Cref", simplify_repl="[ref]"),
                T("includegraphics", simplify_repl=""),
                T("url", simplify_repl=self._url),
                T("path", simplify_repl=self._url),
                T("nolinkurl", simplify_repl=self._url),
                T("href", simplify_repl=self._href),
                T("hyperlink", simplify_repl="%(2)s"),  # a link inside the document: its text
                *[T(name, simplify_repl="%s") for name in _KEEP_TEXT],
                T("hypersetup", simplify_repl=""),
                T("maketitle", simplify_repl=""),
                T("tableofcontents", simplify_repl=""),
                T("vspace", simplify_repl=""),
                T("hspace", simplify_repl=" "),
                T("setlength", simplify_repl=""),
                T("addtolength", simplify_repl=""),
                T("setcounter", simplify_repl=""),
                T("addbibresource", simplify_repl=""),
                T("newpage", simplify_repl="\n\n"),
                T("clearpage", simplify_repl="\n\n"),
                T("par", simplify_repl="\n\n"),
                T("raisebox", simplify_repl="%(4)s"),
                T("resizebox", simplify_repl="%(4)s"),
                T("scalebox", simplify_repl="%(3)s"),
                T("addtocounter", simplify_repl=""),
                T("footnotemark", simplify_repl=""),
                T("xspace", simplify_repl=" "),
                T("inlineimage", simplify_repl=""),
                T("thanks", simplify_repl=""),
                T("icmltitlerunning", simplify_repl=""),
                T("icmlaffiliation", simplify_repl=""),
                T("icmlcorrespondingauthor", simplify_repl=""),
                T("icmlkeywords", simplify_repl=""),
                T("footnote", simplify_repl=self._footnote),
                T("footnotetext", simplify_repl=self._footnote),
                T("rlap", simplify_repl="%s"),
                *[T(name, simplify_repl="") for name in _FRONT_MATTER],
                T("llap", simplify_repl="%s"),
            ],
            environments=[V(name, simplify_repl=self._math_env) for name in _MATH_ENVS]
            + [V(name + "*", simplify_repl=self._math_env) for name in _MATH_ENVS]
            + [V(name, simplify_repl=self._float) for name in _FLOATS]
            + [V(name, simplify_repl="") for name in _DROP_ENVS]
            + [
                V("abstract", simplify_repl=self._abstract),
                V("thebibliography", simplify_repl=f"\n\n{S}REFS{E}\n\n"),
                V("comment", simplify_repl=""),
                V("appendices", simplify_repl=self._appendices),
                V("subappendices", simplify_repl=self._appendices),
            ],
        )

        conv = self

        class L2T(latex2text.LatexNodes2Text):  # type: ignore[misc, name-defined]
            def math_node_to_text(self, node: Any) -> str:
                return f" {FORMULA} "

        self.l2t = L2T(latex_context=tdb, math_mode="remove", keep_comments=False, strict_latex_spaces=False)
        self.conv = conv

    # ---- callbacks (pylatexenc passes the node)
    def _arg(self, node: Any, index: int = -1) -> str:
        args = node.nodeargd.argnlist if node.nodeargd is not None else []
        if not args:
            return ""
        arg = args[index]
        if arg is None:
            return ""
        return str(self.l2t.nodelist_to_text([arg]))

    def _verbatim(self, node: Any, index: int) -> str:
        args = node.nodeargd.argnlist if node.nodeargd is not None else []
        if len(args) <= index or args[index] is None:
            return ""
        return _unescape_url(args[index].latex_verbatim().strip().removeprefix("{").removesuffix("}"))

    def _url(self, node: Any) -> str:
        return self._verbatim(node, 0)  # as written: "~" and "_" are characters of the link, not LaTeX

    def _href(self, node: Any) -> str:
        """``\\href{url}{text}``: the text, and the link unless the text already spells it (or it is an e-mail
        address or a link inside the document)."""
        url = self._verbatim(node, 0)
        text = clean_ws(self._arg(node, 1))
        if not re.match(r"(?:https?|ftp)://|www\.", url, re.I):
            return text
        # the text converted as LaTeX turns "~" into a space: compare without either
        bare = re.sub(r"[\s~]", "", re.sub(r"^(?:https?://)?(?:www\.)?", "", text.strip().lower())).rstrip("/")
        if not bare or bare in url.lower().replace("~", ""):
            return f" {url} "
        return f"{text} ({url})"

    def _footnote(self, node: Any) -> str:
        text = clean_ws(self._arg(node)).replace(F, " ").replace(G, " ")
        return f" {F}{text}{G} " if text else " "

    def _heading(self, node: Any) -> str:
        level = _LEVELS.get(node.macroname, 1)
        title = clean_ws(_NOTE.sub(" ", self._arg(node))).replace(S, " ").replace(E, " ")
        return f"\n\n{S}H{level}|{title}{E}\n\n"

    def _cite(self, node: Any) -> str:
        args = node.nodeargd.argnlist if node.nodeargd is not None else []
        if not args or args[-1] is None:
            return ""
        keys_raw = args[-1].latex_verbatim().strip().strip("{}")
        keys = [k.strip() for k in keys_raw.split(",") if k.strip()]
        return " " + " ".join(cite_marker(k) for k in keys) + " "

    def _caption(self, node: Any) -> str:
        text = clean_ws(self._arg(node))
        return f"\n\n{S}CAP|{text}{E}\n\n" if text else ""

    def _math_env(self, node: Any) -> str:
        return f" {FORMULA} "

    def _float(self, node: Any) -> str:
        caps: list[str] = []

        def walk(nodes: Any) -> None:
            for n in nodes or ():
                if n is None:
                    continue
                if n.isNodeType(self.latexwalker.LatexMacroNode) and n.macroname in ("caption", "captionof", "subcaption"):
                    caps.append(self._caption(n))
                elif n.isNodeType(self.latexwalker.LatexEnvironmentNode) or n.isNodeType(self.latexwalker.LatexGroupNode):
                    walk(n.nodelist)

        walk(node.nodelist)
        return "".join(caps)

    def _appendices(self, node: Any) -> str:
        return f"\n\n{S}APPX{E}\n\n" + str(self.l2t.nodelist_to_text(node.nodelist))

    def _abstract(self, node: Any) -> str:
        text = str(self.l2t.nodelist_to_text(node.nodelist))
        return f"\n\n{S}ABS|{text}{E}\n\n"

    def to_text(self, latex: str) -> str:
        walker = self.latexwalker.LatexWalker(latex, latex_context=self.wdb, tolerant_parsing=True)
        nodes, _, _ = walker.get_latex_nodes()
        return str(self.l2t.nodelist_to_text(nodes))


# ---------------------------------------------------------------------------------------------- bibliography

_BIBITEM = re.compile(r"\\bibitem\s*")
_BIB_ENTRY = re.compile(r"@([A-Za-z]+)\s*\{\s*([^,\s]+)\s*,")


def parse_bibitems(latex: str, to_text: Any) -> list[BibEntry]:
    """``\\bibitem[label]{key} text`` entries (of a ``.bbl`` or an inline ``thebibliography``)."""
    entries: list[BibEntry] = []
    starts = list(_BIBITEM.finditer(latex))
    for n, m in enumerate(starts):
        i = m.end()
        if latex[i : i + 1] == "[":
            opt = read_group(latex, i, "[", "]")
            if opt is not None:
                i = opt[1]
        key_grp = read_group(latex, i)
        if key_grp is None:
            continue
        key, i = key_grp[0].strip(), key_grp[1]
        end = starts[n + 1].start() if n + 1 < len(starts) else len(latex)
        body = latex[i:end]
        body = body.split("\\end{thebibliography}")[0]
        try:
            text = clean_ws(to_text(body))
        except Exception:  # noqa: BLE001 -- pylatexenc on a broken entry: keep the raw text
            text = clean_ws(re.sub(r"\\[A-Za-z@]+|[{}]", " ", body))
        if key:
            entries.append(BibEntry(key, text))
    return entries


def parse_bib(bib: str) -> list[BibEntry]:
    """Entries of a ``.bib`` file as ``author. title. venue. year`` (fields we can read simply)."""
    entries: list[BibEntry] = []
    for m in _BIB_ENTRY.finditer(bib):
        kind = m.group(1).lower()
        if kind in ("comment", "string", "preamble"):
            continue
        start = bib.rfind("{", 0, m.end())
        grp = read_group(bib, start)
        body = grp[0] if grp else bib[m.end() : m.end() + 2000]
        fields: dict[str, str] = {}
        for f in re.finditer(r"([A-Za-z]+)\s*=\s*", body):
            name = f.group(1).lower()
            if name not in ("author", "title", "journal", "booktitle", "year", "publisher"):
                continue
            j = f.end()
            if body[j : j + 1] == "{":
                g = read_group(body, j)
                value = g[0] if g else ""
            elif body[j : j + 1] == '"':
                k = body.find('"', j + 1)
                value = body[j + 1 : k] if k > 0 else ""
            else:
                vm = re.match(r"[^,}\n]+", body[j:])
                value = vm.group(0) if vm else ""
            fields.setdefault(name, clean_ws(re.sub(r"\\[A-Za-z@]+|[{}]", "", value)))
        parts = [fields.get(k, "") for k in ("author", "title", "journal", "booktitle", "publisher", "year")]
        entries.append(BibEntry(m.group(2), ". ".join(p for p in parts if p)))
    return entries


# ---------------------------------------------------------------------------------------------- paper

_BEGIN_DOC = re.compile(r"\\begin\s*\{document\}")
_END_DOC = re.compile(r"\\end\s*\{document\}")
_TITLE = re.compile(r"\\(?:icml)?title\s*(\[[^\]]*\])?\s*(?=\{)")
_ABSTRACT_MACRO = re.compile(r"\\abstract\s*(?=\{)")
_BEGIN_ENV = re.compile(r"\\begin\s*\{([^}]+)\}")
_END_ENV = re.compile(r"\\end\s*\{([^}]+)\}")


def _balance_problems(text: str) -> list[str]:
    probs = []
    stripped = re.sub(r"\\[{}\\]", "", text)
    depth = 0
    low = 0
    for c in stripped:
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            low = min(low, depth)
    if depth - low > 0:
        probs.append(f"unbalanced braces: {depth - low} '{{' never closed")
    elif low < 0:
        probs.append(f"unbalanced braces: {-low} '}}' without '{{'")
    begins: dict[str, int] = {}
    for m in _BEGIN_ENV.finditer(text):
        begins[m.group(1)] = begins.get(m.group(1), 0) + 1
    for m in _END_ENV.finditer(text):
        begins[m.group(1)] = begins.get(m.group(1), 0) - 1
    unclosed = sorted(k for k, v in begins.items() if v > 0 and k != "document")
    if unclosed:
        probs.append("environment never closed: " + ", ".join(unclosed[:5]))
    return probs


def extract_latex(files: Mapping[str, bytes], paper_id: str, *, limits: Limits | None = None,
                  rules: Rules | None = None, overrides: Mapping[str, Role] | None = None,
                  source: str | None = None) -> FullText:
    """One e-print's files (path → bytes) as a FullText; never raises on bad LaTeX."""
    limits = limits or Limits()
    deadline = Deadline(limits.max_seconds)
    problems: list[str] = []

    def failed(reason: str) -> FullText:
        return outcome(paper_id=paper_id, title="", abstract="", paragraphs=(), bibliography=(), source_kind="latex",
                       extractor=EXTRACTOR, problems=problems, fatal=reason, source=source)

    texts: dict[str, str] = {}
    others: dict[str, str] = {}
    for path, data in files.items():
        p = posixpath.normpath(path.replace("\\", "/")).lstrip("/")
        low = p.lower()
        if low.endswith((".tex", ".ltx", ".latex")) or (
            "." not in posixpath.basename(p) and len(data) < 10_000_000 and _TEXLIKE.search(data[:100_000])
        ):
            texts[p] = strip_comments(decode(data))
        elif low.endswith((".bbl", ".bib")):
            others[p] = decode(data)
    if not texts:
        return failed("no .tex file in the e-print")
    main, notes = find_main(texts, {p for p in others if p.endswith(".bbl")})
    if main is None:
        return failed("no LaTeX main file (no \\documentclass or document body)")
    problems_notes = [n for n in notes if n.startswith("no \\documentclass")]
    problems.extend(problems_notes)

    resolver = _Resolve(texts, limits, deadline)
    full = resolver.run(main)
    if resolver.missing:
        miss = sorted(set(resolver.missing))
        problems.append(f"{len(miss)} \\input file(s) missing: " + ", ".join(miss[:5]))
    if resolver.cycles:
        problems.append("\\input cycle skipped: " + ", ".join(sorted(set(resolver.cycles))[:3]))
    if resolver.truncated:
        problems.append("some \\input files skipped (size or time limit)")
    if len(full) > limits.max_tex_chars:
        full = full[: limits.max_tex_chars]
        problems.append(f"LaTeX cut at {limits.max_tex_chars} characters")

    full = strip_verbatim(full)
    full, macros = collect_macros(full)
    full, problem = expand_macros(full, macros, limits, deadline)
    if problem:
        problems.append(problem)

    # title and abstract may live in the preamble
    title_src = ""
    tm = _TITLE.search(full)
    if tm:
        grp = read_group(full, tm.end())
        if grp:
            title_src = grp[0]
    bm = _BEGIN_DOC.search(full)
    if bm:
        preamble, body = full[: bm.start()], full[bm.end() :]
        em = _END_DOC.search(body)
        if em:
            body = body[: em.start()]
        else:
            problems.append("\\end{document} missing")
    else:
        preamble, body = "", full
        if "\\documentclass" in full:
            problems.append("\\begin{document} missing")
    abstract_src = None
    am = _ABSTRACT_MACRO.search(preamble)
    if am:
        grp = read_group(preamble, am.end())
        if grp:
            abstract_src = grp[0]
    problems.extend(_balance_problems(body))

    conv = _converter()

    def safe(latex: str) -> str:
        try:
            return conv.to_text(latex)
        except RecursionError:
            raise
        except Exception:  # noqa: BLE001 -- a pylatexenc failure on a fragment must not end the paper
            return re.sub(r"\\[A-Za-z@]+\*?|[{}]", " ", latex)

    title_text = safe(title_src) if title_src else ""
    title_notes = [clean_ws(n) for n in _NOTE.findall(title_text)]
    title = clean_ws(_SENT.sub(" ", _NOTE.sub(" ", title_text))) if title_src else ""
    title = re.sub(r"\s*\\\\\s*", " ", title)
    title_notes += _title_page_notes(full, safe)
    try:
        converted = conv.to_text(body)
    except RecursionError:
        problems.append("LaTeX nested too deeply for the parser; text taken without structure")
        converted = re.sub(r"\\[A-Za-z@]+\*?|[{}$]", " ", body)
    except Exception as exc:  # noqa: BLE001 -- pylatexenc is tolerant, but a bug there must not end a batch
        problems.append(f"LaTeX parser error ({type(exc).__name__}); text taken without structure")
        converted = re.sub(r"\\[A-Za-z@]+\*?|[{}$]", " ", body)
    if deadline.passed():
        problems.append(f"time limit ({limits.max_seconds:g} s) reached")

    # paragraphs
    state = SectionState(rules=rules, overrides=overrides)
    paragraphs: list[Paragraph] = []
    abstract_parts: list[str] = []
    abstract_notes: list[str] = []  # footnotes anchored in the abstract
    if abstract_src is not None:
        converted_abstract = safe(abstract_src)
        a = _finish(_NOTE.sub(lambda m: _inline_note(m, abstract_notes), converted_abstract))
        if a:
            abstract_parts.append(a)
    saw_refs = False

    tops: list[int | None] = []  # top-level section of each paragraph

    def add(role: str, text: str) -> None:
        """A paragraph, then one paragraph per footnote anchored in it (same role and section)."""
        notes: list[str] = []
        t = _finish(_NOTE.sub(lambda m: _inline_note(m, notes), text))
        if t and _has_words(t):
            paragraphs.append(Paragraph(role, state.section, t, cites_in(t)))
            tops.append(state.top)
        for n in _footnote_texts(notes):
            paragraphs.append(Paragraph(role, state.section, n, cites_in(n)))
            tops.append(state.top)

    def add_text(chunk: str) -> None:
        for block in _PARBREAK.split(chunk):
            add(state.role, block)

    pos = 0
    for m in _SENT.finditer(converted):
        add_text(converted[pos : m.start()])
        pos = m.end()
        tag, _, value = m.group(1).partition("|")
        if tag.startswith("H") and tag[1:].isdigit():
            state.heading(int(tag[1:]), value)
        elif tag == "APPX":
            state.appendix()
        elif tag == "CAP":
            add("captions", value)
        elif tag == "ABS":
            a = _finish(_NOTE.sub(lambda m: _inline_note(m, abstract_notes), value))
            if a:
                abstract_parts.append(a)
        elif tag == "REFS":
            saw_refs = True
    add_text(converted[pos:])
    paragraphs = apply_positional_roles(paragraphs, tops, state.top_roles)
    # the first page: the abstract, its footnotes, then the title page's notes (\thanks, links by the authors)
    first: list[Paragraph] = [Paragraph("abstract", "Abstract", a, cites_in(a)) for a in reversed(abstract_parts)]
    first += [Paragraph("abstract", "Abstract", n, cites_in(n)) for n in _footnote_texts(abstract_notes)]
    first += [Paragraph("other", "", n, cites_in(n)) for n in _footnote_texts(title_notes)]
    paragraphs[:0] = first

    # bibliography: inline thebibliography, else .bbl files, else .bib files
    def bib_to_text(s: str) -> str:
        return _finish(safe(s))

    bibliography: list[BibEntry] = []
    if "\\bibitem" in full:
        bibliography = parse_bibitems(full, bib_to_text)
    if not bibliography:
        main_stem = posixpath.splitext(main)[0]
        bbls = sorted((p for p in others if p.endswith(".bbl")), key=lambda p: (p != main_stem + ".bbl", p))
        for p in bbls:
            bibliography = parse_bibitems(others[p], bib_to_text)
            if bibliography:
                break
    if not bibliography:
        for p in sorted(p for p in others if p.endswith(".bib")):
            bibliography.extend(parse_bib(others[p]))
        if bibliography:
            # a .bib holds more than the paper cites: keep the cited ones when the citations are known
            cited = {k for para in paragraphs for k in para.cites}
            kept = [b for b in bibliography if b.key in cited]
            if kept:
                bibliography = kept
            else:
                problems.append("bibliography taken from .bib (no .bbl)")
    if saw_refs and not bibliography:
        problems.append("no bibliography found (\\bibliography without .bbl or .bib)")
    return outcome(
        paper_id=paper_id,
        title=title,
        abstract=" ".join(abstract_parts),
        paragraphs=paragraphs,
        bibliography=bibliography,
        source_kind="latex",
        extractor=EXTRACTOR,
        problems=problems,
        source=source,
    )


_WORD = re.compile(r"[^\W\d_]{2,}")
_LINKISH = re.compile(r"https?://|www\.|github\.(?:com|io)|huggingface\.co|gitlab\.com|zenodo\.org", re.I)
# the macros of a title page whose words can carry links: title, authors and their notes
_TITLE_PAGE = re.compile(r"\\(?:icml)?(?:title|author|thanks|" + "|".join(_FRONT_MATTER) + r")\*?\s*(?:\[[^\]]*\])?\s*(?=\{)")
_THANKS = re.compile(r"\\thanks\s*(?=\{)")
_MAX_TITLE_PAGE_GROUPS = 64


def _inline_note(m: re.Match[str], notes: list[str]) -> str:
    """A footnote that is only a link stays where its mark is, ``(``:data:`FOOTNOTE_MARK` ``link)``, so the
    sentence it belongs to says what the link is; any other footnote goes to ``notes`` (a paragraph of its own)."""
    note = _finish(m.group(1))
    if _LINKISH.search(note) and not _WORD.search(re.sub(r"\S*(?:https?://|www\.|\.(?:com|org|io|co|net)\b)\S*", " ", note)):
        return f" ({FOOTNOTE_MARK} {note}) "
    notes.append(note)
    return " "


def _footnote_texts(notes: list[str]) -> list[str]:
    out = []
    for note in notes:
        n = _finish(note)
        if n and _has_words(n) and f"{FOOTNOTE_MARK} {n}" not in out:
            out.append(f"{FOOTNOTE_MARK} {n}")
    return out


def _title_page_notes(latex: str, to_text: Any) -> list[str]:
    """The notes of a title page: every ``\\thanks{}``, and the lines of the title and author blocks that hold a
    link ("Code \\& Models: \\url{...}", "Website: \\url{...}"); names, affiliations and e-mails are left out."""
    notes: list[str] = []
    for n, m in enumerate(_TITLE_PAGE.finditer(latex)):
        if n >= _MAX_TITLE_PAGE_GROUPS:
            break
        grp = read_group(latex, m.end())
        if grp is None:
            continue
        body = grp[0]
        if m.group(0).lstrip("\\").startswith("thanks"):
            notes.append(clean_ws(to_text(body)))
            continue
        rest, pos = [], 0
        for t in _THANKS.finditer(body):  # \thanks inside a title or author block: a note of its own (seen above)
            inner = read_group(body, t.end())
            if inner is None:
                continue
            rest.append(body[pos : t.start()])
            pos = inner[1]
        rest.append(body[pos:])
        if not _LINKISH.search("".join(rest)):
            continue
        for line in re.split(r"\\\\(?:\[[^\]]*\])?|\n\s*\n", "".join(rest)):
            text = clean_ws(_NOTE.sub(" ", _SENT.sub(" ", to_text(line))))
            if _LINKISH.search(text):
                notes.append(text)
    return notes


def _has_words(text: str) -> bool:
    return bool(_WORD.search(text.replace(FORMULA, "").replace("[ref]", "")))


_SPACE_BEFORE_PUNCT = re.compile(r"(?<=[\]\w)]) +(?=[.,;:)])")


def _finish(text: str) -> str:
    text = text.replace(S, " ").replace(E, " ").replace(F, " ").replace(G, " ")
    return _SPACE_BEFORE_PUNCT.sub("", squeeze_formulas(clean_ws(text)))
