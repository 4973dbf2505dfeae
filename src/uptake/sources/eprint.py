"""arXiv e-prints (one file per paper, or arXiv's bulk ``arXiv_src_YYMM_NNN.tar``) into full texts.

What an e-print is, is decided by its **content**, never its name (:func:`sniff`): a gzipped tar
(multi-file LaTeX), a gzipped single ``.tex``, a plain tar, a PDF, HTML (arXiv serves an HTML
page for withdrawn or unavailable sources), PostScript, empty, or garbage. LaTeX goes to
:func:`uptake.sources.latex.extract_latex`, PDF to :func:`uptake.sources.pdf.extract_pdf`;
everything else becomes a ``failed`` :class:`~uptake.records.FullText` with the reason, so a
batch always yields one record per e-print and keeps going.

Bulk tarballs are read with :mod:`tarfile` in streaming mode (``r|*``), member by member,
without unpacking to disk; each member (``2502/2502.01234.gz``, ``9901/hep-th9901001.gz``, or a
``.pdf``) is one paper. Sizes are bounded while decompressing (:attr:`Limits.max_bytes`, 50 MB
uncompressed by default): a larger e-print fails with the reason and is not read further.

Paper ids come from file names: new style ``2502.01234`` (optionally ``v2``), old style
``hep-th/9901001`` written ``hep-th_9901001`` or ``hep-th9901001``. :func:`id_year_month`
gives the year and month an id encodes.
"""

from __future__ import annotations

import io
import posixpath
import re
import tarfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

from ..errors import SourceNotFoundError
from ..periods import month_of
from ..records import FullText
from ..sections import Role, Rules
from ._fulltext import outcome
from .latex import EXTRACTOR as LATEX_EXTRACTOR
from .latex import Limits, extract_latex

EprintKind = Literal["tar", "tex", "pdf", "html", "postscript", "empty", "unknown"]

_NEW_ID = re.compile(r"^(\d{4}\.\d{4,5})(v\d+)?$")
_OLD_ID = re.compile(r"^([a-z][a-z\-]*)(?:\.[A-Za-z]{2})?[_/]?(\d{7})(v\d+)?$")
_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".gz", ".pdf", ".tex", ".ps", ".html")
# files whose content never matters to the text; not even read from a tar
_SKIP_EXT = (".png", ".jpg", ".jpeg", ".gif", ".eps", ".ps", ".pdf", ".svg", ".tif", ".tiff", ".mp4", ".zip",
             ".npy", ".npz", ".h5", ".fits", ".dat", ".csv", ".pkl", ".pt", ".ckpt")


def paper_id_from_name(name: str) -> str | None:
    """The arXiv id a file name stands for, or None.

    >>> paper_id_from_name("2502/2502.01234.gz")
    '2502.01234'
    >>> paper_id_from_name("hep-th_9901001.gz"), paper_id_from_name("9901/hep-th9901001.gz")
    ('hep-th/9901001', 'hep-th/9901001')
    >>> paper_id_from_name("MANIFEST.tsv") is None
    True
    """
    base = posixpath.basename(name.replace("\\", "/"))
    for suf in _SUFFIXES:
        if base.lower().endswith(suf):
            base = base[: -len(suf)]
            break
    m = _NEW_ID.match(base)
    if m:
        return m.group(1)
    m = _OLD_ID.match(base)
    if m:
        return f"{m.group(1)}/{m.group(2)}"
    return None


def id_year_month(paper_id: str) -> tuple[int, int] | None:
    """``(year, month)`` an arXiv id encodes (the month it was submitted), or None if it is not an id.

    >>> id_year_month("2502.01234"), id_year_month("hep-th/9901001"), id_year_month("math/0309136")
    ((2025, 2), (1999, 1), (2003, 9))
    """
    m = _NEW_ID.match(paper_id)
    if m:
        yy, mm = int(paper_id[:2]), int(paper_id[2:4])
    else:
        m2 = re.match(r"^[a-z][a-z\-]*(?:\.[A-Za-z]{2})?/(\d{2})(\d{2})\d{3}(v\d+)?$", paper_id)
        if not m2:
            return None
        yy, mm = int(m2.group(1)), int(m2.group(2))
        if not 1 <= mm <= 12:
            return None
        return (1900 + yy if yy >= 91 else 2000 + yy), mm
    if not 1 <= mm <= 12:
        return None
    return 2000 + yy, mm


def fulltext_month(ft: FullText) -> int | None:
    """The month a full text counts in before its metadata is imported (months since year 0): its v1
    date, else what its id encodes, else None."""
    if ft.published is not None:
        return month_of(ft.published)
    ym = id_year_month(ft.id)
    return ym[0] * 12 + ym[1] - 1 if ym else None


class TooLarge(Exception):
    pass


def gunzip_bounded(data: bytes, limit: int) -> bytes:
    """Decompress gzip data, at most ``limit`` bytes; raises :class:`TooLarge` beyond it, zlib.error if corrupt."""
    d = zlib.decompressobj(wbits=47)
    out = d.decompress(data, limit + 1)
    if len(out) > limit:
        raise TooLarge
    if not d.eof:
        if d.unconsumed_tail:
            raise TooLarge
        raise zlib.error("the gzip stream ends early (truncated file?)")
    return out


def _looks_html(head: bytes) -> bool:
    h = head.lstrip()[:200].lower()
    return h.startswith((b"<!doctype html", b"<html", b"<?xml")) and b"html" in h


def _is_tar(data: bytes) -> bool:
    return len(data) >= 262 and data[257:262] == b"ustar"


def _looks_tex(data: bytes) -> bool:
    head = data[:200_000]
    return any(tok in head for tok in (b"\\documentclass", b"\\documentstyle", b"\\begin{", b"\\section", b"\\input", b"\\title"))


def sniff(data: bytes) -> EprintKind:
    """What an (already decompressed) e-print is, by content."""
    if not data.strip():
        return "empty"
    if data[:5] == b"%PDF-":
        return "pdf"
    if data[:4] == b"%!PS":
        return "postscript"
    if _is_tar(data):
        return "tar"
    if _looks_html(data[:1024]):
        return "html"
    if _looks_tex(data):
        return "tex"
    return "unknown"


def _failed(paper_id: str, reason: str, source: str | None) -> FullText:
    return outcome(paper_id=paper_id, title="", abstract="", paragraphs=(), bibliography=(), source_kind="latex",
                   extractor=LATEX_EXTRACTOR, fatal=reason, source=source)


def _read_tar(data: bytes, limits: Limits) -> tuple[dict[str, bytes], list[str]]:
    files: dict[str, bytes] = {}
    problems: list[str] = []
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            for member in tar:
                if not member.isfile():
                    continue
                if member.name.lower().endswith(_SKIP_EXT):
                    continue
                if len(files) >= limits.max_files:
                    problems.append(f"more than {limits.max_files} files; the rest skipped")
                    break
                total += member.size
                if total > limits.max_bytes:
                    raise TooLarge
                f = tar.extractfile(member)
                if f is not None:
                    files[member.name] = f.read()
    except tarfile.TarError as exc:
        problems.append(f"tar archive damaged after {len(files)} files ({exc})")
    return files, problems


def extract_eprint(data: bytes, paper_id: str, *, limits: Limits | None = None, rules: Rules | None = None,
                   overrides: Mapping[str, Role] | None = None, source: str | None = None) -> FullText:
    """One e-print file's bytes (as arXiv serves it) as a FullText; never raises on bad content."""
    limits = limits or Limits()
    if len(data) > limits.max_bytes:
        return _failed(paper_id, f"e-print larger than the size limit ({limits.max_bytes / 1e6:g} MB)", source)
    if data[:2] == b"\x1f\x8b":
        try:
            data = gunzip_bounded(data, limits.max_bytes)
        except TooLarge:
            return _failed(paper_id, f"e-print larger than the size limit ({limits.max_bytes / 1e6:g} MB uncompressed)", source)
        except (zlib.error, EOFError) as exc:
            return _failed(paper_id, f"corrupt gzip ({exc})", source)
    kind = sniff(data)
    if kind == "tar":
        try:
            files, problems = _read_tar(data, limits)
        except TooLarge:
            return _failed(paper_id, f"e-print larger than the size limit ({limits.max_bytes / 1e6:g} MB uncompressed)", source)
        # a tar holding one gzipped file (seen in old e-prints): look inside it
        if not any(n.lower().endswith((".tex", ".ltx")) for n in files) and len(files) == 1:
            (only,) = files.values()
            if only[:2] == b"\x1f\x8b" or sniff(only) == "tex":
                return extract_eprint(only, paper_id, limits=limits, rules=rules, overrides=overrides, source=source)
        ft = extract_latex(files, paper_id, limits=limits, rules=rules, overrides=overrides, source=source)
        if problems and ft.status != "failed":
            return _with_problems(ft, problems)
        return ft
    if kind == "tex":
        name = paper_id.replace("/", "_") + ".tex"
        return extract_latex({name: data}, paper_id, limits=limits, rules=rules, overrides=overrides, source=source)
    if kind == "pdf":
        from .pdf import extract_pdf

        return extract_pdf(data, paper_id, rules=rules, overrides=overrides, source=source)
    reasons = {
        "html": "the e-print is an HTML page, not a source (withdrawn, or source not available)",
        "postscript": "PostScript e-print: not supported (convert it to PDF first)",
        "empty": "empty file",
        "unknown": "unrecognised content: not LaTeX, PDF, gzip or tar",
    }
    return _failed(paper_id, reasons[kind], source)


def _with_problems(ft: FullText, extra: list[str]) -> FullText:
    return outcome(paper_id=ft.id, title=ft.title, abstract=ft.abstract, paragraphs=ft.paragraphs,
                   bibliography=ft.bibliography, source_kind=ft.source_kind, extractor=ft.extractor,
                   problems=[*ft.problems, *extra], source=ft.source)


def _read_bounded(path: Path, limit: int) -> bytes | None:
    with path.open("rb") as f:
        data = f.read(limit + 1)
    return None if len(data) > limit else data


def read_eprint(path: str | Path, *, limits: Limits | None = None, rules: Rules | None = None,
                overrides: Mapping[str, Role] | None = None) -> FullText:
    """One e-print file; the paper id comes from the file name (else the name itself)."""
    p = Path(path)
    if not p.is_file():
        raise SourceNotFoundError(f"{p} is not a file; give the path of an arXiv e-print (ID.gz, ID.tar.gz, ID.pdf)")
    limits = limits or Limits()
    pid = paper_id_from_name(p.name) or p.name.split(".")[0]
    data = _read_bounded(p, limits.max_bytes)
    if data is None:
        return _failed(pid, f"e-print larger than the size limit ({limits.max_bytes / 1e6:g} MB)", p.name)
    return extract_eprint(data, pid, limits=limits, rules=rules, overrides=overrides, source=p.name)


def iter_bulk_tar(stream_or_path: str | Path | IO[bytes], *, limits: Limits | None = None,
                  rules: Rules | None = None, overrides: Mapping[str, Role] | None = None,
                  keep: Callable[[str], bool] | None = None, name: str | None = None) -> Iterator[FullText]:
    """Every paper of an arXiv bulk source tarball, streamed member by member (nothing unpacked to disk).

    Accepts a path or an open binary stream (e.g. from ``fsspec.open("s3://…")``); ``.tar.gz`` works too.
    ``keep(paper_id)`` false skips a member without reading or extracting it; ``name`` labels a stream's
    members in ``FullText.source``.
    """
    if isinstance(stream_or_path, (str, Path)):
        with Path(stream_or_path).open("rb") as f:
            yield from _iter_bulk(f, name or Path(stream_or_path).name, limits or Limits(), rules, overrides, keep)
    else:
        yield from _iter_bulk(stream_or_path, name or "stream", limits or Limits(), rules, overrides, keep)


def _iter_bulk(fileobj: IO[bytes], name: str, limits: Limits, rules: Rules | None,
               overrides: Mapping[str, Role] | None, keep: Callable[[str], bool] | None = None,
               ) -> Iterator[FullText]:
    seen = 0
    try:
        with tarfile.open(fileobj=fileobj, mode="r|*") as tar:
            for member in tar:
                seen += 1
                if not member.isfile():
                    continue
                pid = paper_id_from_name(member.name)
                if pid is None:
                    continue  # manifests and the like
                if keep is not None and not keep(pid):
                    continue  # streaming mode skips the member's bytes unread
                src = f"{name}:{member.name}"
                if member.size > limits.max_bytes:
                    yield _failed(pid, f"e-print larger than the size limit ({limits.max_bytes / 1e6:g} MB)", src)
                    continue
                f = tar.extractfile(member)
                data = f.read() if f is not None else b""
                yield extract_eprint(data, pid, limits=limits, rules=rules, overrides=overrides, source=src)
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        if seen == 0:
            yield _failed(name, f"not a tar archive ({exc})", name)
        else:
            yield _failed(name, f"bulk tarball damaged after {seen} members; those before were read ({exc})", name)


def iter_eprints(path: str | Path, *, limits: Limits | None = None, rules: Rules | None = None,
                 overrides: Mapping[str, Role] | None = None) -> Iterator[FullText]:
    """Full texts from a folder of e-prints, a bulk ``arXiv_src_*.tar``, or one e-print file.

    In a folder, files whose names are not arXiv ids (READMEs, manifests) are skipped.
    """
    p = Path(path)
    if not p.exists():
        raise SourceNotFoundError(f"{p} does not exist; give a folder of e-prints, an arXiv_src_*.tar, or one e-print")
    if p.is_dir():
        for child in sorted(p.iterdir()):
            if child.is_file() and paper_id_from_name(child.name) is not None:
                yield read_eprint(child, limits=limits, rules=rules, overrides=overrides)
        return
    yield from iter_eprint_file(p.name, lambda: p.open("rb"), limits=limits, rules=rules, overrides=overrides)


def iter_eprint_file(name: str, opener: Callable[[], IO[bytes]], *, limits: Limits | None = None,
                     rules: Rules | None = None, overrides: Mapping[str, Role] | None = None) -> Iterator[FullText]:
    """Full texts of one e-print or bulk tarball named ``name`` (its file name), read through ``opener`` (which
    opens it as a binary stream: a local file, or ``fsspec``'s for ``s3://…``). A bulk tarball is streamed
    member by member; an e-print is read up to the size limit."""
    if name.startswith("arXiv_src_") or _is_bulk(opener):
        with opener() as f:
            yield from iter_bulk_tar(f, limits=limits, rules=rules, overrides=overrides, name=name)
        return
    limits = limits or Limits()
    pid = paper_id_from_name(name) or name.split(".")[0]
    with opener() as f:
        data = f.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        yield _failed(pid, f"e-print larger than the size limit ({limits.max_bytes / 1e6:g} MB)", name)
        return
    yield extract_eprint(data, pid, limits=limits, rules=rules, overrides=overrides, source=name)


def _is_bulk(opener: Callable[[], IO[bytes]]) -> bool:
    """A plain tar whose first file member is ``YYMM/ID.gz``-like: arXiv's bulk layout."""
    with opener() as f:
        head = f.read(1024)
    if not _is_tar(head):
        return False
    try:
        with opener() as f, tarfile.open(fileobj=f, mode="r|") as tar:
            for member in tar:
                if member.isfile():
                    return paper_id_from_name(member.name) is not None and "/" in member.name
    except tarfile.TarError:
        return False
    return False


@dataclass
class ExtractionSummary:
    """Counts of outcomes over a batch, and the reasons of the ones not ``ok``."""

    statuses: Counter[str] = field(default_factory=Counter)
    reasons: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)

    def add(self, ft: FullText) -> FullText:
        self.statuses[ft.status] += 1
        if ft.status != "ok":
            self.reasons.append((ft.id, ft.status, ft.problems))
        return ft

    @classmethod
    def of(cls, texts: Iterable[FullText]) -> ExtractionSummary:
        s = cls()
        for t in texts:
            s.add(t)
        return s
