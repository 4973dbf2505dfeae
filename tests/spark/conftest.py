"""Spark tests: one local SparkSession (2 cores, each task tried up to 4 times) for the whole run; skipped with
the reason when Java or pyspark is missing. Every test here is slow (a JVM starts)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "fulltext"
EPRINTS = SHARED / "arxiv-src"
UNARXIVE = SHARED / "unarxive-sample" / "arXiv_src_2212_086.jsonl.gz"
#: The smallest real e-prints (extraction is the slow part): one old single-file source, two tarballs.
SMALL_EPRINTS = ("cond-mat_0104295.gz", "2507.02757.tar.gz", "2605.12850.tar.gz")


def require_shared() -> None:
    """Skip (with where they were looked for) when the shared real full-text samples are absent: a user's machine."""
    if not (UNARXIVE.is_file() and all((EPRINTS / name).is_file() for name in SMALL_EPRINTS)):
        pytest.skip(f"the shared full-text samples are not at {SHARED} (only on development machines and CI)")
MASTER = "local[2,4]"
CONF = {"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "4", "spark.default.parallelism": "2"}
CONF_ARGS = [a for k, v in CONF.items() for a in ("--conf", f"{k}={v}")]


def _why_not() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install 'uptake[spark]')"
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        return "no Java runtime (java not on PATH, JAVA_HOME unset): apt-get install default-jre-headless"
    return None


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    reason = _why_not()
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).parent == here:
            item.add_marker(pytest.mark.slow)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    from uptake.spark import session

    s = session(MASTER, app="uptake tests", conf=CONF)
    yield s
    s.stop()
