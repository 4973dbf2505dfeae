"""``uptake spark counts``: the papers counted for an n-gram in a month (role ``*`` = anywhere, or one role)
equal ``uptake trend --text full --measure count`` of that term or phrase, for random n-grams up to 3 tokens."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from .conftest import CONF_ARGS, MASTER
from .test_spark_trend import WORDS, synthetic, write_run

from uptake.cli import main
from uptake.corpus import Corpus
from uptake.scope import Scope
from uptake.text import tokens

pytestmark = pytest.mark.slow  # a JVM starts: tests/spark/conftest.py skips them without Java or pyspark


@pytest.fixture(scope="module")
def counted(tmp_path_factory: pytest.TempPathFactory, spark: Any) -> tuple[Path, Path, Path]:
    tmp = tmp_path_factory.mktemp("counts")
    src = tmp / "parquet"
    write_run(src, "20250101T000000Z-a", synthetic(3, 400))
    db = tmp / "store.duckdb"
    assert main(["fulltext", "import", str(src), "--db", str(db), "-q", "--json"]) in (0, 1)
    out = tmp / "counts"
    assert main(["spark", "counts", "--input", str(src), "--output", str(out), "--max-n", "3",
                 "--master", MASTER, *CONF_ARGS]) == 0
    cdb = tmp / "counts-corpus"
    assert main(["import-counts", str(out), "--db", str(cdb)]) == 0
    return db, out, cdb


def test_ngram_counts_equal_the_embedded_engine(counted: tuple[Path, Path, Path]) -> None:
    db, out, _ = counted
    meta = json.loads((out / "_metadata.json").read_text())
    assert meta["max_n"] == 3 and meta["min_papers"] == 1
    cells: dict[tuple[str, str], dict[int, int]] = {}
    for r in pq.read_table(out / "ngrams").to_pylist():
        per = cells.setdefault((r["ngram"], r["role"]), {})
        per[r["month"]] = per.get(r["month"], 0) + r["papers"]
    totals: dict[int, int] = {}
    for r in pq.read_table(out / "totals").to_pylist():
        totals[r["month"]] = totals.get(r["month"], 0) + r["papers"]
    corpus = Corpus(db)
    rng = random.Random(5)
    words = [w for w in WORDS if tokens(w)]
    found = 0
    for _ in range(25):
        phrase = " ".join(rng.choice(words) for _ in range(rng.randint(1, 3)))
        key = " ".join(tokens(phrase))
        if not key or len(key.split()) > 3:
            continue
        for role in ("*", "method", "use"):
            query = f'"{phrase}"' + ("" if role == "*" else f" in:{role}")
            trend = corpus.trend(query, scope=Scope.build(text="full"), measure="count")
            got = {m: n for m, n in cells.get((key, role), {}).items()}
            months = trend.filters["fulltext_coverage"]
            want = {i: p.count for i, p in enumerate(trend.series[0].points) if p.count}
            first = int(months[0]["period"][:4]) * 12 + int(months[0]["period"][5:]) - 1
            assert {m - first: n for m, n in got.items()} == want, (query, got, want)
            found += bool(want)
    assert found >= 10  # most random n-grams do occur: the comparison is not vacuous
    assert sum(totals.values()) == trend.corpus.papers


def test_counts_corpus_answers_trend_like_the_store(counted: tuple[Path, Path, Path], tmp_path: Path) -> None:
    db, _, cdb = counted
    for query, opts in [("GRPO, PPO, the", []), ('"policy optimization", reward model in:method, LoRA in:use', []),
                        ("GRPO / PPO, straße", ["--by", "quarter", "--from", "2025-03"]),
                        ("we train", ["--measure", "count", "--smooth", "3"])]:
        a, b = tmp_path / "a.json", tmp_path / "b.json"
        assert main(["trend", query, "--text", "full", "--db", str(db), "-f", "json", "-o", str(a), *opts]) == 0
        assert main(["trend", query, "--text", "full", "--db", str(cdb), "-f", "json", "-o", str(b), *opts]) == 0
        assert b.read_text() == a.read_text(), (query, opts)


@pytest.mark.parametrize(("query", "opts", "why"), [
    ("GRPO AND PPO", [], "AND, OR, NOT"), ("GRPO | PPO", [], "AND, OR, NOT"), ("GRPO -PPO", [], "AND, OR, NOT"),
    ("GRPO cat:cs", [], "cat:"), ("GRPO", ["--category", "cs.LG"], "primary category"),
    ("=GRPO", [], "exact case"), ("GRPO", ["--case-sensitive"], "case-folded"),
    ('"we train the model"', [], "longer than 3"), ("GR*O", [], "wildcards"), ("GRPO", ["--text", "abstract"], "--text full"),
])
def test_counts_corpus_refusals(counted: tuple[Path, Path, Path], query: str, opts: list[str], why: str,
                                capsys: pytest.CaptureFixture[str]) -> None:
    _, _, cdb = counted
    full = [] if "--text" in opts else ["--text", "full"]
    assert main(["trend", query, *full, "--db", str(cdb), "-f", "json", *opts]) == 2
    assert why in capsys.readouterr().err
    assert main(["papers", "GRPO", "--text", "full", "--db", str(cdb)]) == 2
    assert "n-gram counts, not papers" in capsys.readouterr().err


def test_running_again_replaces_the_counts_at_the_new_commit(counted: tuple[Path, Path, Path],
                                                             tmp_path: Path) -> None:
    """A second run into a finished output replaces it: the new ``_metadata.json`` lists only the new files, the
    old ones are gone, and the rows are the first run's cells with at least --min-papers papers."""
    import shutil

    _, out, _ = counted
    again = tmp_path / "counts"
    shutil.copytree(out, again)
    (again / "ngrams" / "part-stray-crashed.parquet").write_bytes(b"a crashed run's file")  # never listed
    assert main(["spark", "counts", "--input", str(json.loads((out / "_metadata.json").read_text())["source"]),
                 "--output", str(again), "--max-n", "3", "--min-papers", "2", "--master", MASTER, *CONF_ARGS]) == 0
    meta = json.loads((again / "_metadata.json").read_text())
    assert meta["min_papers"] == 2
    listed = {f["path"] for group in meta["files"].values() for f in group}
    on_disk = {str(f.relative_to(again)) for f in again.rglob("*.parquet")}
    assert on_disk == listed
    old = {str(f.relative_to(out)) for f in out.rglob("*.parquet")}
    assert not listed & old

    def cells(folder: Path, files: set[str]) -> set[tuple[Any, ...]]:
        rows = [r for f in sorted(files) if f.startswith("ngrams/") for r in pq.read_table(folder / f).to_pylist()]
        return {(r["ngram"], r["n"], r["month"], r["category"], r["role"], r["papers"]) for r in rows}

    assert cells(again, listed) == {c for c in cells(out, old) if c[-1] >= 2}
