"""Parquet and CSV files with Kaggle or normalised column names."""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from ..records import Rejection
from .fields import BadRecord, paper_from_mapping

_LIST_COLUMNS = ("categories", "authors")


def parquet_rows(pf: Any, batch_size: int) -> Iterator[dict[str, Any]]:
    """The rows of the ``pyarrow.parquet.ParquetFile`` ``pf``, a row group at a time: damage in one row group
    raises only after the rows before it."""
    for group in range(pf.num_row_groups):
        for batch in pf.iter_batches(batch_size=batch_size, row_groups=[group]):
            yield from batch.to_pylist()


def damaged_parquet(exc: BaseException, rows_read: int) -> str:
    """Why a Parquet file stopped being read, for its rejection."""
    kept = "the rows before it were kept" if rows_read else "nothing in it was imported"
    return f"not a readable Parquet file: cut short or damaged ({exc}); {kept}"


def iter_parquet(path: Path, name: str, raw: IO[bytes]) -> Iterator[tuple[int, Any]]:
    """Rows of a Parquet file as papers or rejections; a damaged file (cut short, not Parquet) is one rejection
    saying so, after the rows read before the damage, never an exception."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    row = 0
    try:
        for rec in parquet_rows(pq.ParquetFile(raw), 8192):
            row += 1
            try:
                yield row, paper_from_mapping(rec, kaggle="versions" in rec or "update_date" in rec)
            except BadRecord as exc:
                yield row, Rejection(name, row, str(exc))
    except (pa.ArrowException, OSError) as exc:
        yield row + 1, Rejection(name, row + 1, damaged_parquet(exc, row))


def iter_csv(text: IO[str], name: str) -> Iterator[tuple[int, Any]]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    reader = csv.DictReader(text)
    for rec in reader:
        line = reader.line_num
        try:
            if None in rec:
                raise BadRecord("more fields than the header has")
            clean: dict[str, Any] = {k: (v if v != "" else None) for k, v in rec.items()}
            for col in _LIST_COLUMNS:
                value = clean.get(col)
                if isinstance(value, str) and value.startswith("["):
                    import orjson

                    try:
                        clean[col] = orjson.loads(value)
                    except orjson.JSONDecodeError as exc:
                        raise BadRecord(f"{col} starts like a JSON list but is not one") from exc
            yield line, paper_from_mapping(clean, kaggle="versions" in clean or "update_date" in clean)
        except BadRecord as exc:
            yield line, Rejection(name, line, str(exc))
