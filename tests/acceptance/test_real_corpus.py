"""Acceptance: the whole shared real corpus, checked against an independent scan of the JSONL."""

from __future__ import annotations

import gzip
import time
from collections import Counter

import orjson
import pytest

import uptake
from uptake.text import contains_phrase, tokens

pytestmark = pytest.mark.acceptance


@pytest.fixture(scope="module")
def real(real_corpus):
    return real_corpus


def brute_force_counts(files, needle: list[str], *, case_sensitive: bool) -> tuple[Counter, Counter]:
    """Months of papers whose title or abstract holds ``needle``, read straight from the JSONL."""
    hits: Counter = Counter()
    totals: Counter = Counter()
    seen: set[str] = set()
    for path in files:
        with gzip.open(path, "rb") as f:
            for line in f:
                rec = orjson.loads(line)
                assert rec["id"] not in seen
                seen.add(rec["id"])
                month = rec["published"][:7]
                totals[month] += 1
                if any(contains_phrase(tokens(rec[k] or "", case_sensitive=case_sensitive), needle)
                       for k in ("title", "abstract")):
                    hits[month] += 1
    return hits, totals


def test_import_all_of_it(real):
    corpus, files, summary, seconds = real
    assert summary.rejected == 0
    assert summary.inserted == 214_902
    assert corpus.stats().papers == 214_902
    print(f"\nimported {summary.inserted:,} papers in {seconds:.1f} s")


@pytest.mark.parametrize("query, needle, cs", [("GRPO", ["grpo"], False), ("=GRPO", ["GRPO"], True),
                                                ('"group relative policy optimization"',
                                                 ["group", "relative", "policy", "optimization"], False)])
def test_monthly_counts_match_an_independent_scan(real, query, needle, cs):
    corpus, files, _, _ = real
    expected, totals = brute_force_counts(files, needle, case_sensitive=cs)
    started = time.perf_counter()
    trend = corpus.trend(query)
    print(f"\ntrend {query!r}: {1000 * (time.perf_counter() - started):.0f} ms")
    got = {p.period: p.count for p in trend.series[0].points if p.count}
    assert got == dict(expected)
    assert {p.period: p.total for p in trend.series[0].points if p.total} == dict(totals)
    if query == "=GRPO":
        # the data's own README counts `\bGRPO\b` per month; token matching agrees within a paper or two
        assert abs(got["2025-05"] - 128) <= 2 and abs(got["2026-03"] - 108) <= 2


def test_grpo_figure(real, tmp_path):
    from PIL import Image

    from uptake.outputs.plot import save_figure

    corpus, *_ = real
    trend = corpus.trend("GRPO, PPO, DPO", start="2025-01", category="cs")
    path = save_figure(uptake.plot(trend), tmp_path / "grpo.png")
    assert Image.open(path).size == (1200, 600)
    last = trend.series[0].points[-1]
    assert last.period == "2026-07" and not last.complete
