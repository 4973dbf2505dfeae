"""uptake on Apache Spark: the same extraction and the same counting, on a cluster.

The only package that imports :mod:`pyspark` (install it with ``pip install 'uptake[spark]'``).
Nothing here re-implements uptake: tasks call uptake's own extractors
(:func:`~uptake.sources.eprint.iter_eprints`, :func:`~uptake.sources.unarxive.read_unarxive`),
its tokenizer (:func:`~uptake.index.fulltext.role_token_strings`), its one query compiler
(:func:`~uptake.query.plan.plan_query`, run once on the driver) and its evaluator
(:func:`~uptake.corpus._fulltext.matches`), inside ``mapInArrow`` (Arrow batches, no row UDFs). Spark only
moves data and adds up counts, so its numbers are the laptop's.

Jobs (``uptake spark JOB …``, or ``python -m uptake.spark JOB …``, which is what ``spark-submit`` runs):

- ``extract``: e-prints or unarXive JSONL → section-tagged Parquet (:mod:`uptake.spark.extract`);
- ``trend``: a query's trend over that Parquet (:mod:`uptake.spark.trend`);
- ``submit-args``: the ``--py-files`` arguments that ship uptake to a cluster (:mod:`uptake.spark.submit`).
"""

from __future__ import annotations

import os
import shutil
from typing import Any

from ..errors import UsageError

#: Default master: every local core, each task tried up to 4 times (a crashed worker is retried).
DEFAULT_MASTER = "local[*,4]"


def require_spark() -> None:
    """Fail with what to install when pyspark or Java is missing."""
    try:
        import pyspark  # noqa: F401
    except ImportError as exc:
        raise UsageError("Spark jobs need pyspark: pip install 'uptake[spark]' (and a Java 17+ runtime)") from exc
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise UsageError("Spark needs a Java runtime (17 or newer): install one (e.g. apt-get install "
                         "default-jre-headless) or set JAVA_HOME")


def session(master: str | None = None, *, app: str = "uptake", conf: dict[str, str] | None = None) -> Any:
    """The active SparkSession, or a new one on ``master`` (default: whatever spark-submit set, else
    :data:`DEFAULT_MASTER`)."""
    require_spark()
    import warnings

    from pyspark.sql import SparkSession

    # PySpark warns about the installed pandas version whenever a job starts; uptake's jobs exchange Arrow batches,
    # not pandas frames, and under spark-submit the warning would land in the job's output (stderr goes to stdout).
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    b = SparkSession.builder.appName(app)
    if master:
        b = b.master(master)
    elif "PYSPARK_GATEWAY_PORT" not in os.environ and "spark.master" not in (conf or {}):
        b = b.master(DEFAULT_MASTER)  # under spark-submit (which starts the JVM first) its --master stands
    settings = {"spark.ui.showConsoleProgress": "false", "spark.sql.execution.arrow.pyspark.enabled": "true"}
    settings.update(conf or {})
    for k, v in settings.items():
        b = b.config(k, v)
    spark = b.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark
