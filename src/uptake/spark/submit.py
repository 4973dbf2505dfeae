"""What ``spark-submit`` needs to run uptake on a cluster: the package as a zip for ``--py-files``, and a tiny
launcher script (spark-submit runs a ``.py`` file, not ``-m MODULE``).

``uptake spark submit-args`` prints ``--py-files ZIP LAUNCHER``; the rest of the command line is the job::

    spark-submit --master yarn $(uptake spark submit-args) extract --input 's3a://…/arXiv_src_*.tar' --output …

The zip is built from the installed package at run time into uptake's cache folder (named by the package's
version and a digest of its files, so it is rebuilt only when the code changes). uptake's own dependencies
(pyarrow, orjson, pylatexenc, duckdb, tantivy, …) must be installed on the executors: see docs/scale.md.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

LAUNCHER = '''"""Run an uptake Spark job under spark-submit: the arguments are those of `python -m uptake.spark`
(a leading `-m uptake.spark`, as in `spark-submit … $(uptake spark submit-args) -m uptake.spark JOB …`, is allowed)."""
import sys

from uptake.spark.__main__ import main

args = sys.argv[1:]
if args[:2] == ["-m", "uptake.spark"]:
    args = args[2:]
sys.exit(main(args))
'''


def cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(os.environ.get("UPTAKE_CACHE") or user_cache_dir("uptake")) / "spark"


def _package_files() -> list[Path]:
    root = Path(__file__).resolve().parents[1]
    return sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                  and p.suffix not in (".pyc", ".pyo"))


def build_zip(dest: Path | None = None) -> Path:
    """A zip of the installed ``uptake`` package (``uptake/…`` at its root), built once per code version."""
    from .._version import __version__

    root = Path(__file__).resolve().parents[1]
    files = _package_files()
    digest = hashlib.sha256()
    for f in files:
        digest.update(str(f.relative_to(root)).encode())
        digest.update(f.read_bytes())
    folder = dest or cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"uptake-{__version__}-{digest.hexdigest()[:12]}.zip"
    if out.exists():
        return out
    tmp = out.with_suffix(f".tmp{os.getpid()}")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for f in files:
            z.write(f, Path("uptake") / f.relative_to(root))
    os.replace(tmp, out)
    return out


def write_launcher(dest: Path | None = None) -> Path:
    folder = dest or cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "uptake_spark_launcher.py"
    if not out.exists() or out.read_text(encoding="utf-8") != LAUNCHER:
        out.write_text(LAUNCHER, encoding="utf-8")
    return out


def submit_args(dest: Path | None = None) -> list[str]:
    """``["--py-files", ZIP, LAUNCHER]``: put before the job's own arguments on spark-submit's command line."""
    return ["--py-files", str(build_zip(dest)), str(write_launcher(dest))]
