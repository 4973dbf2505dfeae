"""The cluster path: ``spark-submit $(uptake spark submit-args) JOB …`` ships uptake as a zip and runs the job
through the launcher. Run here with pyspark's own ``spark-submit`` in local mode, it gives what ``uptake spark``
gives; the zip alone (not the installed package) is what the job imports."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from .test_spark_trend import synthetic, write_run

from uptake.cli import main
from uptake.spark.submit import submit_args

pytestmark = pytest.mark.slow


def _spark_submit() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent / "bin" / "spark-submit"


def test_submit_args_ship_a_zip_the_job_imports(tmp_path: Path) -> None:
    flag, zip_path, launcher = submit_args(tmp_path / "ship")
    assert flag == "--py-files" and Path(zip_path).suffix == ".zip" and launcher.endswith(".py")
    names = zipfile.ZipFile(zip_path).namelist()
    assert "uptake/spark/extract.py" in names and "uptake/sources/fsio.py" in names and "uptake/web/static/app.js" in names
    # the launcher with only the zip on the path of uptake: the job's help, imported from the zip
    probe = ("import runpy, sys; sys.path.insert(0, sys.argv[1]); import uptake; assert uptake.__file__.startswith("
             "sys.argv[1]), uptake.__file__; sys.argv = [sys.argv[2], '-m', 'uptake.spark', 'trend', '--help']; "
             "runpy.run_path(sys.argv[0], run_name='__main__')")
    done = subprocess.run([sys.executable, "-c", probe, zip_path, launcher], capture_output=True, text=True,
                          timeout=300, env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert done.returncode == 0, done.stderr
    assert "usage: uptake spark trend" in done.stdout


def test_spark_submit_runs_the_job_as_uptake_spark_does(tmp_path: Path, spark: Any,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "parquet"
    write_run(src, "20250101T000000Z-a", synthetic(5, 60))
    query = "GRPO, PPO in:method"
    assert main(["spark", "trend", query, "--input", str(src), "--format", "csv", "--master", "local[1]"]) == 0
    want = capsys.readouterr().out
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYSPARK_GATEWAY_PORT",
                                                             "PYSPARK_GATEWAY_SECRET")}
    env["PYSPARK_PYTHON"] = env["PYSPARK_DRIVER_PYTHON"] = sys.executable
    done = subprocess.run([str(_spark_submit()), "--master", "local[1]", "--conf", "spark.ui.enabled=false",
                           *submit_args(tmp_path / "ship"), "-m", "uptake.spark", "trend", query,
                           "--input", str(src), "--format", "csv"],
                          capture_output=True, text=True, timeout=900, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout == want
