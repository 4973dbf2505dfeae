"""Opening a file, recognising its format by content, and streaming its records."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal, get_args

import orjson

from ..errors import SourceNotFoundError, UnrecognisedFormatError
from ..records import Paper, Rejection
from .fields import BadRecord, is_kaggle_shape, paper_from_mapping

SourceFormat = Literal["kaggle", "jsonl", "parquet", "csv", "atom", "oai"]
FORMATS: tuple[str, ...] = get_args(SourceFormat)
FORMAT_HELP = (
    "uptake reads the Kaggle arxiv-metadata-oai-snapshot JSON Lines, uptake's normalised JSON Lines "
    "(id, title, abstract, categories, published), Parquet or CSV with those columns, arXiv API Atom responses "
    "and saved OAI-PMH ListRecords responses, plain or gzip'd"
)

Item = tuple[int, "Paper | Rejection"]


class RecordFile:
    """One input file: its format and an iterator over ``(line, Paper | Rejection)``.

    ``bytes_done()`` reports how far into the file (on disk, compressed) reading has got,
    for progress bars.
    """

    def __init__(self, path: str | Path, fmt: SourceFormat | None = None) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise SourceNotFoundError(f"{self.path}: no such file. Check the path, or use a shell glob like data/*.jsonl.gz")
        self.total_bytes = self.path.stat().st_size
        self._raw: IO[bytes] | None = None
        self.gzipped = _is_gzip(self.path)
        self.format: SourceFormat = fmt or detect_format(self.path)

    def bytes_done(self) -> int:
        if self._raw is None or self._raw.closed:
            return 0
        try:
            return self._raw.tell()
        except (OSError, ValueError):
            return 0

    def __iter__(self) -> Iterator[Item]:
        name = str(self.path)
        if self.format == "parquet":
            from .tabular import iter_parquet

            self._raw = open(self.path, "rb")
            try:
                yield from iter_parquet(self.path, name, self._raw)
            finally:
                self._raw.close()
            return
        self._raw = open(self.path, "rb")
        try:
            stream: IO[bytes] = gzip.GzipFile(fileobj=self._raw) if self.gzipped else self._raw  # type: ignore[assignment]  # typeshed: GzipFile is a BufferedIOBase, not IO[bytes]
            if self.format in ("atom", "oai"):
                from .atom import iter_atom
                from .oai import iter_oai_file

                yield from (iter_atom if self.format == "atom" else iter_oai_file)(stream, name)
            elif self.format == "csv":
                from .tabular import iter_csv

                yield from iter_csv(io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline=""), name)
            else:
                yield from _iter_json_lines(stream, name, kaggle=self.format == "kaggle")
        finally:
            self._raw.close()


def read_records(path: str | Path, fmt: SourceFormat | None = None) -> RecordFile:
    """Open ``path`` for reading records, detecting the format by content unless ``fmt`` is given."""
    return RecordFile(path, fmt)


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b"


def _head(path: Path, n: int = 65536) -> bytes:
    with open(path, "rb") as f:
        start = f.read(4)
        f.seek(0)
        if start[:2] == b"\x1f\x8b":
            try:
                with gzip.GzipFile(fileobj=f) as g:
                    return g.read(n)
            except (OSError, EOFError) as exc:
                raise UnrecognisedFormatError(f"{path}: looks gzip'd but cannot be decompressed ({exc})") from exc
        return f.read(n)


def detect_format(path: str | Path) -> SourceFormat:
    """Recognise a file's format by its content, not its name."""
    p = Path(path)
    if not p.is_file():
        raise SourceNotFoundError(f"{p}: no such file")
    with open(p, "rb") as f:
        if f.read(4) == b"PAR1":
            return "parquet"
    head = _head(p)
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("{"):
            try:
                obj = orjson.loads(stripped)
            except orjson.JSONDecodeError:
                continue  # the first line may be cut by the sniff window or be malformed; try the next
            if isinstance(obj, dict) and "id" in obj:
                return "kaggle" if is_kaggle_shape(obj) else "jsonl"
            continue
        if stripped.startswith("<"):
            from .atom import looks_like_atom
            from .oai import looks_like_oai

            if looks_like_atom(text):
                return "atom"
            if looks_like_oai(text):
                return "oai"
            break
        header = [h.strip().strip('"').lower() for h in stripped.split(",")]
        if "id" in header and "title" in header:
            return "csv"
        break
    raise UnrecognisedFormatError(f"{p}: unrecognised format. {FORMAT_HELP}; or pass --format {'|'.join(FORMATS)}")


def _iter_json_lines(stream: IO[bytes], name: str, *, kaggle: bool) -> Iterator[Item]:
    line_no = 0
    try:
        for raw in stream:
            line_no += 1
            item = parse_json_line(raw, name, line_no, kaggle=kaggle)
            if item is not None:
                yield line_no, item
    except (EOFError, OSError, gzip.BadGzipFile) as exc:
        yield line_no + 1, _ends_early(name, line_no + 1, exc)


def _ends_early(name: str, line_no: int, exc: BaseException) -> Rejection:
    return Rejection(name, line_no, f"file ends early or is corrupt ({exc}); records before it were kept")


def parse_json_line(raw: bytes, name: str, line_no: int, *, kaggle: bool) -> Paper | Rejection | None:
    """One line of a JSON Lines file as a Paper, or the Rejection saying why not; None for a blank line."""
    if not raw.strip():
        return None
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return Rejection(name, line_no, f"not valid JSON ({str(exc).split(':')[0]})")
    try:
        return paper_from_mapping(obj, kaggle=kaggle if kaggle else None)
    except BadRecord as exc:
        return Rejection(name, line_no, str(exc))


@dataclass(slots=True)
class LineChunk:
    """Up to ``n`` non-blank lines of a JSON Lines file, unparsed: the lines, their line numbers, and how far
    into the file (on disk) reading had got. ``ends_early`` is the rejection of a file that ends inside it."""

    lines: list[bytes]
    line_numbers: list[int]
    bytes_done: int
    ends_early: Rejection | None = None


def json_line_chunks(source: RecordFile, n: int) -> Iterator[LineChunk]:
    """The non-blank lines of a JSON Lines ``source`` (format ``kaggle`` or ``jsonl``) in chunks of ``n``,
    unparsed, so that :func:`parse_json_line` can run elsewhere (the import's worker processes) on exactly
    the lines, and with the line numbers, that iterating ``source`` itself would parse."""
    if source.format not in ("kaggle", "jsonl"):
        raise ValueError(f"{source.path} is {source.format}, not JSON Lines")
    name = str(source.path)
    source._raw = raw_file = open(source.path, "rb")
    try:
        stream: IO[bytes] = gzip.GzipFile(fileobj=raw_file) if source.gzipped else raw_file  # type: ignore[assignment]  # as in RecordFile.__iter__
        lines: list[bytes] = []
        numbers: list[int] = []
        line_no = 0
        try:
            for raw in stream:
                line_no += 1
                if not raw.strip():
                    continue
                lines.append(raw)
                numbers.append(line_no)
                if len(lines) >= n:
                    yield LineChunk(lines, numbers, source.bytes_done())
                    lines, numbers = [], []
        except (EOFError, OSError, gzip.BadGzipFile) as exc:
            yield LineChunk(lines, numbers, source.bytes_done(), _ends_early(name, line_no + 1, exc))
            return
        yield LineChunk(lines, numbers, source.total_bytes)
    finally:
        raw_file.close()
