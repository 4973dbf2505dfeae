"""Helpers for tests of object-store I/O: small e-prints made here, bulk tarballs of them, and an S3 server on
127.0.0.1 (moto's ThreadedMotoServer) with the storage options that reach it through s3fs."""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

IDEAS = ("GRPO", "PPO", "policy optimization", "LoRA")


def tex(i: int, idea: str = "GRPO", *, method: str = "a clipped objective", experiments: bool = False) -> str:
    """A small LaTeX e-print naming ``idea`` in its abstract and method (and LoRA in an experiments section)."""
    return (
        "\\documentclass{article}\n"
        f"\\title{{Paper {i}: {idea} on small tasks}}\n"
        "\\begin{document}\n\\maketitle\n"
        f"\\begin{{abstract}}We study {idea} in setting {i}.\\end{{abstract}}\n"
        "\\section{Introduction}\nLearning from feedback is popular \\cite{a}.\n"
        f"\\section{{Method}}\nWe train with {idea} and {method}, variant {i}.\n"
        + (f"\\section{{Experiments}}\nWe use LoRA adapters for {i} runs.\n" if experiments else "")
        + "\\begin{thebibliography}{9}\\bibitem{a} A. Author. A paper. 2020.\\end{thebibliography}\n"
        "\\end{document}\n"
    )


def bulk_tars(folder: Path) -> list[Path]:
    """Two arXiv-style bulk tarballs (months 2501 and 2502) of small e-prints, one of them junk (a failed paper)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for yymm, first in (("2501", 1), ("2502", 20)):
        path = folder / f"arXiv_src_{yymm}_001.tar"
        with tarfile.open(path, "w") as tar:
            members = {f"{yymm}/{yymm}.{first + k:05d}.gz": gzip.compress(
                tex(first + k, IDEAS[k % 4], method="a clipped reward model", experiments=True).encode(), mtime=0)
                for k in range(5)}
            members[f"{yymm}/{yymm}.{first + 9:05d}.gz"] = b"junk, not gzip"
            for name, data in members.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        out.append(path)
    return out


@contextmanager
def s3_server() -> Iterator[dict[str, Any]]:
    """An S3 server on a free port of 127.0.0.1; yields the fsspec storage options that reach it (test
    credentials given as options, because Spark's Python workers do not see variables set after they start)."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        pytest.skip("moto[server] is not installed (pip install -e '.[test]')")
    pytest.importorskip("s3fs", reason="s3fs is not installed (pip install -e '.[test]')")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield {"endpoint_url": f"http://{host}:{port}", "key": "testing", "secret": "testing"}
    finally:
        server.stop()


def option_args(options: dict[str, Any]) -> list[str]:
    """The options as ``--storage-option KEY=VALUE`` arguments."""
    return [a for k, v in options.items() for a in ("--storage-option", f"{k}={v}")]
