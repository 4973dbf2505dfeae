"""``uptake spark trend`` gives byte-identical CSV and JSON to ``uptake trend --text full`` on a store holding the
same full texts: on the real samples, and on a few thousand synthetic papers (with failed, undated and
re-extracted ones) for every operator, in:ROLE, categories, periods, measures and formulas."""

from __future__ import annotations

import random
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from .conftest import CONF_ARGS, EPRINTS, MASTER, SMALL_EPRINTS, UNARXIVE, require_shared

from uptake.cli import main
from uptake.errors import UnknownCategoryError, UsageError
from uptake.records import ROLES, BibEntry, FullText, Paragraph
from uptake.scope import Scope
from uptake.sources.fulltext_parquet import to_batch, to_row

pytestmark = pytest.mark.slow  # a JVM starts: tests/spark/conftest.py skips them without Java or pyspark

SPARK = ["--master", MASTER, *CONF_ARGS]

WORDS = ["GRPO", "grpo", "PPO", "policy", "optimization", "reward", "model", "the", "LoRA", "lora", "we", "train",
         "Straße", "STRASSE", "naïve", "co-operate", "[cite:k1]", "[formula]", "[ref]", "x²", "ﬁne"]
CATS = [("cs.CL",), ("cs.LG", "cs.CL"), ("math.PR",), ("cs.LG",), ("stat.ML", "cs.LG"), ()]


def _text(rng: random.Random) -> str:
    sents = []
    for _ in range(rng.randint(1, 3)):
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 8)))
        sents.append("We " + words + (" [cite:k1]." if rng.random() < 0.3 else "."))
    return " ".join(sents)


def synthetic(seed: int, n: int, *, prefix: str = "2501") -> list[FullText]:
    """Deterministic full texts over 14 months: some failed, some undated, categories or none."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        paras = tuple(Paragraph(role := rng.choice(ROLES), role.title(), _text(rng)) for _ in range(rng.randint(0, 6)))
        status = rng.choices(["ok", "partial", "failed"], [8, 2, 1])[0]
        undated = rng.random() < 0.03
        month = rng.randint(0, 13)
        out.append(FullText(
            id=f"x-undated-{seed}-{i}" if undated else f"{prefix}.{seed:01d}{i:04d}",
            title=" ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 4))), abstract="",
            paragraphs=() if status == "failed" else paras, bibliography=(BibEntry("k1", "A cited work."),),
            source_kind="unarxive", extractor="test/1", status=status,
            problems=() if status == "ok" else (f"synthetic {status}",),
            categories=rng.choice(CATS),
            published=None if undated or rng.random() < 0.2 else date(2025 + month // 12, 1 + month % 12, 1 + i % 27)))
    return out


def write_run(out: Path, run: str, texts: list[FullText]) -> None:
    d = out / f"run={run}"
    d.mkdir(parents=True)
    for k in range(0, len(texts), 700):
        batch = to_batch([to_row(t, "synthetic") for t in texts[k:k + 700]])
        pq.write_table(pa.Table.from_batches([batch]), d / f"part-{k:05d}.parquet")


QUERIES = [
    ("GRPO, PPO, the", []),
    ('"policy optimization", reward model in:method, LoRA in:use', []),
    ("GRPO AND NOT PPO, GRPO | lora, (reward OR model) -the", []),
    ("=GRPO, =lora, strasse, naive, cooperate, fine", ["--case-sensitive"]),
    ("GRPO", ["--category", "cs.LG"]),
    ("GRPO cat:cs, PPO cat:math.PR", ["--by", "quarter"]),
    ("reward in:abstract, reward in:references, formula, cite", ["--from", "2025-03", "--to", "2025-11"]),
    ("GRPO / PPO, GRPO", ["--smooth", "3"]),
    ("GRPO, PPO in:related", ["--measure", "count"]),
    ("model", ["--by", "year", "--category", "cs", "--category", "math"]),
]


def _compare(tmp: Path, parquet: Path, db: Path, query: str, opts: list[str], fmts: tuple[str, ...] = ("json",),
             ) -> None:
    """The same command's output through `uptake trend --text full` and `uptake spark trend`."""
    for fmt in fmts:
        a, b = tmp / f"local.{fmt}", tmp / f"spark.{fmt}"
        assert main(["trend", query, "--text", "full", "--db", str(db), "--format", fmt, "-o", str(a), *opts]) == 0
        assert main(["spark", "trend", query, "--input", str(parquet), "--format", fmt, "-o", str(b), *opts,
                     *SPARK]) == 0
        assert b.read_text() == a.read_text(), (query, opts, fmt)


@pytest.fixture(scope="module")
def synthetic_corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("synthetic")
    out = tmp / "parquet"
    first = synthetic(1, 2500)
    write_run(out, "20250101T000000Z-a", first)
    # a later run extracted 300 of the same papers again, differently: the newest wins, as after import
    write_run(out, "20250102T000000Z-b", [replace_text(t, seed) for seed, t in enumerate(first[::8][:300])]
              + synthetic(2, 500, prefix="2502"))
    db = tmp / "store.duckdb"
    assert main(["fulltext", "import", str(out), "--db", str(db), "-q", "--json"]) == 1  # 1: some failed
    return out, db


def replace_text(t: FullText, seed: int) -> FullText:
    from dataclasses import replace

    other = synthetic(100 + seed, 1)[0]
    return replace(t, paragraphs=other.paragraphs, title=other.title, status="ok" if seed % 5 else "failed")


@pytest.mark.parametrize(("query", "opts"), QUERIES)
def test_synthetic_equals_store(query: str, opts: list[str], synthetic_corpus: tuple[Path, Path], tmp_path: Path,
                                spark: Any) -> None:
    out, db = synthetic_corpus
    _compare(tmp_path, out, db, query, opts, ("csv", "json") if query == QUERIES[0][0] else ("json",))


def test_refusals_are_the_stores(synthetic_corpus: tuple[Path, Path], spark: Any) -> None:
    from uptake.corpus import Corpus
    from uptake.spark.trend import spark_trend

    out, db = synthetic_corpus
    for query, scope, err in (("GRPO", Scope.build(text="full", category="cs.XX"), UnknownCategoryError),
                              ("GR*O", Scope.build(text="full"), UsageError),
                              ("title:GRPO", Scope.build(text="full"), UsageError)):
        with pytest.raises(err) as local:
            Corpus(db).trend(query, scope=scope)
        with pytest.raises(err) as remote:
            spark_trend(query, out, scope=scope, spark=spark)
        assert str(remote.value) == str(local.value)


def test_real_samples_equal_store(tmp_path: Path, spark: Any) -> None:
    require_shared()
    src = tmp_path / "eprints"
    src.mkdir()
    for name in SMALL_EPRINTS:
        shutil.copy(EPRINTS / name, src / name)
    out = tmp_path / "parquet"
    assert main(["spark", "extract", "--format", "unarxive", "--input", str(UNARXIVE), "--output", str(out),
                 *SPARK]) == 0
    assert main(["spark", "extract", "--input", str(src), "--output", str(out), "--resume", *SPARK]) == 0
    db = tmp_path / "store.duckdb"
    assert main(["fulltext", "import", str(out), "--db", str(db), "-q"]) == 0
    for query, opts in [("GRPO, LoRA, the, magnetic field", []), ("model in:method, theorem in:use", []),
                        ("energy", ["--category", "cond-mat", "--by", "year"]),
                        ("we", ["--from", "2022-11", "--to", "2022-12", "--measure", "count"])]:
        _compare(tmp_path, out, db, query, opts, ("csv", "json"))
