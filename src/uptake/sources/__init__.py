"""Readers that turn outside formats into :class:`~uptake.records.Paper` records.

Each reader yields ``(location, Paper | Rejection)`` pairs in file order and never
touches the store. ``read_records`` picks the reader by content unless told.
"""

from __future__ import annotations

from .detect import FORMATS, SourceFormat, detect_format, read_records

__all__ = ["FORMATS", "SourceFormat", "detect_format", "read_records"]
