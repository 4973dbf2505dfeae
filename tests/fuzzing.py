"""Fuzzing kept in the suite (tests/test_fuzz.py, bounded) and run longer by bench/fuzz.py.

Three targets, each with the property every input must satisfy:

* **import lines**: real records (tests/fixtures/kaggle_sample.jsonl and the normalised shape) mutated
  field by field (missing keys, wrong JSON types, hostile dates and ids, huge or control-character
  strings) and byte by byte (cut, flipped, inserted): reading a file of them yields, for every
  non-blank line, a Paper or a Rejection naming that line, never an exception; importing them all
  into a store commits the good ones and counts the rest.
* **queries**: tests/test_harden_query.py's generators: ``parse_query`` returns a query or raises
  ``QueryError`` with a position inside the text.
* **the HTTP API**: Schemathesis generates requests from ``/openapi.json``, valid and invalid: no 5xx,
  every status and content type as documented, every JSON body matching its schema.

Inputs that once broke something are kept in :data:`IMPORT_REGRESSIONS` and run every time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

FIXTURES = Path(__file__).parent / "fixtures"

#: Real records to mutate: arXiv's Kaggle snapshot shape and uptake's normalised shape.
SEEDS: list[dict[str, Any]] = [
    *(json.loads(line) for line in (FIXTURES / "kaggle_sample.jsonl").read_text().splitlines() if line.strip()),
    {"id": "2505.00001", "title": "GRPO for agents", "abstract": "We train agents with GRPO.",
     "categories": ["cs.AI", "cs.LG"], "published": "2025-05-02", "authors": ["A"], "comments": None},
]

HOSTILE_DATES = [
    "9999-12-31", "0001-01-01", "0001-01-01T00:00:00+01:00", "Fri, 31 Dec 9999 23:00:00 -0500",
    "Tue, 1 Jan 0001 00:00:00 +0100", "2024-02-30", "2024-13-01", "1990-12-31", "2100-01-01", "", " ", "yesterday",
    "2024-01-01T25:00:00Z", "Mon, 32 Jan 2024 00:00:00 GMT", "2024", "2024-01", "-2024-01-01", "2024-01-01T00:00:00+99:00",
    "Sun, 31 Dec 1899 23:59:59 GMT", "\x00", "2024-01-01\n", "٢٠٢٤-٠١-٠١",
]
HOSTILE_STRINGS = [
    "", " ", "\x00", "\u202e", "\ud7ff", "a" * 100_000, "GRPO " * 5_000, "<script>", "'; DROP TABLE papers; --",
    "../../etc/passwd", "cs.XX", "cs.CL,cs.LG", "math..NA", "1234.5678v", "arXiv:2401.00001v999999",
    "oai:arXiv.org:2401.00001", "2401.00001" * 50, "\t\n\r", "é" * 1000,
]
JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
              st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(HOSTILE_STRINGS + HOSTILE_DATES),
              st.text(max_size=40)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=8,
)
DATE_KEYS = ("published", "updated", "update_date")


@st.composite
def record_mutation(draw: st.DrawFn) -> dict[str, Any]:
    """One seed record with 1-4 of its fields removed or replaced by hostile values."""
    record = dict(draw(st.sampled_from(SEEDS)))
    keys = sorted(set(record) | {"id", "title", "abstract", "categories", "published", "versions"})
    for _ in range(draw(st.integers(1, 4))):
        key = draw(st.sampled_from(keys))
        action = draw(st.sampled_from(["drop", "value", "date", "string", "versions"]))
        if action == "drop":
            record.pop(key, None)
        elif action == "value":
            record[key] = draw(JSON_VALUES)
        elif action == "date":
            record[draw(st.sampled_from([*DATE_KEYS, key]))] = draw(st.sampled_from(HOSTILE_DATES))
        elif action == "string":
            record[key] = draw(st.sampled_from(HOSTILE_STRINGS))
        else:
            record["versions"] = draw(st.one_of(
                st.lists(st.fixed_dictionaries({"version": st.sampled_from(["v1", "v2", "", "x"]),
                                                "created": st.sampled_from(HOSTILE_DATES)}), max_size=3),
                JSON_VALUES))
    return record


def _bytes_of(record: dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode("utf-8", "surrogatepass")


@st.composite
def byte_mutation(draw: st.DrawFn) -> bytes:
    """A seed line cut, with bytes flipped, or with bytes inserted."""
    line = _bytes_of(draw(st.sampled_from(SEEDS)))
    action = draw(st.sampled_from(["cut", "flip", "insert"]))
    if action == "cut":
        return line[: draw(st.integers(0, len(line)))]
    data = bytearray(line)
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(data) - 1))
        if action == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=3))
    return bytes(data)


#: One import line (without its newline): a mutated record, or a mutated line of bytes.
IMPORT_LINES = st.one_of(record_mutation().map(_bytes_of), byte_mutation())

#: Lines that once broke the import (issue 14), kept as regressions.
IMPORT_REGRESSIONS: list[bytes] = [
    _bytes_of({**SEEDS[0], "update_date": "9999-12-31"}),
    _bytes_of({**SEEDS[0], "versions": [{"version": "v1", "created": "Fri, 31 Dec 9999 23:00:00 -0500"}]}),
    _bytes_of({**SEEDS[0], "versions": [{"version": "v1", "created": "Tue, 1 Jan 0001 00:00:00 +0100"}]}),
    _bytes_of({**SEEDS[-1], "published": "0001-01-01T00:00:00+01:00"}),
]


def clean(line: bytes) -> bytes:
    """``line`` as one physical line (a newline inside would make it two)."""
    return line.replace(b"\n", b" ").replace(b"\r", b" ")


def check_lines(lines: list[bytes], folder: Path, *, store: bool = False) -> None:
    """Read (and with ``store``, import) a JSONL file of ``lines``; assert the properties in the module doc."""
    from uptake.records import Paper, Rejection
    from uptake.sources import read_records

    path = folder / "fuzz.jsonl"
    body = [clean(x) for x in lines]
    path.write_bytes(b"\n".join(body) + b"\n")
    items = list(read_records(path, "jsonl"))
    papers = [i for _, i in items if isinstance(i, Paper)]
    rejected = [i for _, i in items if isinstance(i, Rejection)]
    assert len(papers) + len(rejected) == len(items)
    expected = sum(1 for x in body if x.strip())
    assert len(items) <= expected, (len(items), expected)  # blank-looking lines (e.g. only a BOM) may be skipped
    for p in papers:
        assert 1991 <= p.published.year and p.published <= p.updated
        assert p.id
    if store:
        from uptake.ingest import import_files
        from uptake.store import Store

        import os
        from unittest import mock

        with mock.patch.dict(os.environ, {"UPTAKE_NO_INDEX": "1"}), \
                Store.open(folder / "fuzz.duckdb", write=True) as s:  # the importer is under test, not the index
            summary = import_files(s, [path], fmt="jsonl")
            assert summary.rejected == len(rejected)
            assert summary.inserted + summary.updated + summary.unchanged == len(papers)
            assert s.paper_count() == len({p.id for p in papers})


#: API parameters for which an empty value means the default (``?smooth=``, a form's empty field): accepted
#: by design (tests/test_web_api.py::test_blank_parameters_mean_the_default), though the schema cannot say so.
BLANK_MEANS_DEFAULT = frozenset({"smooth", "case_sensitive", "field", "text", "limit", "offset", "senses", "by"})


def not_blank(context: Any, query: dict[str, Any] | None) -> bool:
    """Schemathesis ``filter_query`` hook: leave out requests giving one of those parameters an empty value."""
    return not query or not any(isinstance(query.get(k), str) and not query[k].strip() for k in BLANK_MEANS_DEFAULT)
