"""Readers that turn outside formats into :class:`~uptake.records.Paper` records.

Each reader yields ``(location, Paper | Rejection)`` pairs in file order and never
touches the store. ``read_records`` picks the reader by content unless told.

Full texts (:class:`~uptake.records.FullText`) come from :mod:`.unarxive` (unArXive / S2ORC JSONL),
:mod:`.eprint` (arXiv e-prints and bulk source tarballs, LaTeX through :mod:`.latex`) and :mod:`.pdf`;
see docs/fulltext-extraction.md.
"""

from __future__ import annotations

from .detect import FORMATS, SourceFormat, detect_format, read_records

__all__ = ["FORMATS", "SourceFormat", "detect_format", "read_records"]
