import gzip
import shutil
from datetime import date

import pytest

from conftest import FIXTURES, FORMATS
from uptake.errors import SourceNotFoundError, UnrecognisedFormatError
from uptake.records import Paper, Rejection
from uptake.sources import detect_format, read_records


def items(path, fmt=None):
    return list(read_records(path, fmt))


def test_kaggle_first_version_date_and_fields():
    got = [p for _, p in items(FIXTURES / "kaggle_sample.jsonl")]
    assert detect_format(FIXTURES / "kaggle_sample.jsonl") == "kaggle"
    grpo, old, lora = got
    assert grpo.id == "2402.03300"
    assert grpo.published == date(2024, 2, 5)  # v1, not v3 or update_date
    assert grpo.updated == date(2024, 4, 29)
    assert grpo.categories == ("cs.CL", "cs.AI", "cs.LG")
    assert grpo.authors == ("Zhihong Shao", "Peiyi Wang", "Qihao Zhu")
    assert old.journal_ref.startswith("Phys. Rev. D") and old.doi == "10.1103/PhysRevD.76.013009"
    assert lora.published == date(2024, 12, 31)  # v1 is what counts, even though the id says 2501


def test_real_kaggle_sample_lines():
    path = FORMATS / "kaggle-snapshot" / "arxiv-metadata-oai-snapshot.head3.jsonl"
    if not path.exists():
        pytest.skip("shared arxiv-formats samples are absent")
    got = items(path)
    assert [type(p) for _, p in got] == [Paper] * 3
    assert got[0][1].id == "0704.0002" and got[0][1].published == date(2007, 3, 31)


def test_malformed_lines_are_rejected_with_line_numbers():
    got = items(FIXTURES / "normalised_with_errors.jsonl")
    assert detect_format(FIXTURES / "normalised_with_errors.jsonl") == "jsonl"
    rejected = {r.line: r.reason for _, r in got if isinstance(r, Rejection)}
    papers = [p for _, p in got if isinstance(p, Paper)]
    assert set(rejected) == {2, 3, 6, 8}
    assert "date" in rejected[2] and "JSON" in rejected[3] and "id" in rejected[6] and "date" in rejected[8]
    assert [p.id for p in papers] == ["2505.00001", "2505.00003", "2505.00004"]
    assert papers[2].published == date(2025, 5, 31)


def test_gzip_and_csv_and_parquet(tmp_path):
    gz = tmp_path / "k.jsonl.gz"
    with open(FIXTURES / "kaggle_sample.jsonl", "rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    assert detect_format(gz) == "kaggle"
    assert len(items(gz)) == 3

    csv_items = items(FIXTURES / "sample.csv")
    assert detect_format(FIXTURES / "sample.csv") == "csv"
    first = csv_items[0][1]
    assert first.categories == ("cs.LG", "cs.AI") and first.authors == ("A", "B") and "line break" in first.abstract
    assert csv_items[1][1].comments == "5 pages"

    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({
        "id": ["2507.00001"], "title": ["T"], "abstract": ["GRPO"], "categories": [["cs.LG"]],
        "published": [date(2025, 7, 1)], "authors": [["X"]],
    })
    pq.write_table(table, tmp_path / "x.bin")
    assert detect_format(tmp_path / "x.bin") == "parquet"
    (_, paper), = items(tmp_path / "x.bin")
    assert paper.published == date(2025, 7, 1) and paper.categories == ("cs.LG",)


def test_truncated_gzip_keeps_earlier_records(tmp_path):
    data = b"".join(
        b'{"id": "2501.%05d", "title": "t", "abstract": "a", "categories": ["cs.LG"], "published": "2025-01-02"}\n' % i
        for i in range(2000)
    )
    gz = gzip.compress(data)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(gz[: len(gz) // 2])
    got = items(path, "jsonl")
    papers = [p for _, p in got if isinstance(p, Paper)]
    assert 0 < len(papers) < 2000
    assert isinstance(got[-1][1], Rejection) and "ends early" in got[-1][1].reason


def test_unknown_and_missing_files(tmp_path):
    with pytest.raises(SourceNotFoundError):
        read_records(tmp_path / "nope.jsonl")
    odd = tmp_path / "odd.txt"
    odd.write_text("hello world\n")
    with pytest.raises(UnrecognisedFormatError, match="Kaggle"):
        read_records(odd)


def test_a_damaged_parquet_file_is_one_rejection_not_an_exception(tmp_path):
    """A Parquet file cut short (no footer) or damaged inside a row group is reported with where it came from,
    after the rows read before the damage; the import goes on."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = 3000
    table = pa.table({
        "id": [f"2507.{i:05d}" for i in range(n)], "title": [f"T{i}" for i in range(n)],
        "abstract": [f"GRPO {i}" for i in range(n)], "categories": [["cs.LG"]] * n,
        "published": [date(2025, 7, 1)] * n,
    })
    good = tmp_path / "good.parquet"
    pq.write_table(table, good, row_group_size=1000, compression="none")
    data = good.read_bytes()
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(data[: len(data) // 2])  # no footer: nothing can be read
    got = items(cut)
    assert [type(x) for _, x in got] == [Rejection]
    assert "not a readable Parquet file" in got[0][1].reason and "nothing in it was imported" in got[0][1].reason

    meta = pq.ParquetFile(good).metadata
    second = meta.row_group(1).column(0)
    start = second.dictionary_page_offset or second.data_page_offset
    broken = bytearray(data)
    broken[start:start + 64] = b"\xff" * 64  # the second row group's first page is garbage; the footer is intact
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(bytes(broken))
    got = items(bad)
    papers = [x for _, x in got if isinstance(x, Paper)]
    rejections = [x for _, x in got if isinstance(x, Rejection)]
    assert len(papers) == 1000 and [p.id for p in papers] == [f"2507.{i:05d}" for i in range(1000)]
    assert len(rejections) == 1 and "rows before it were kept" in rejections[0].reason
    assert rejections[0].line == 1001
