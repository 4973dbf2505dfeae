"""Files by local path or by URL (``s3://``, ``s3a://``, ``gs://``, ``memory://``, …), the few calls uptake makes.

Local paths go through :class:`LocalFS` (the standard library: no extra package needed); URLs through fsspec
(``pip install 'uptake[cloud]'``, plus s3fs for ``s3://``, gcsfs for ``gs://``). Hadoop's spellings of S3
(``s3a://``, ``s3n://``, what Spark users write) are read as ``s3://``. Credentials come from the usual places
(``AWS_*`` variables and files, Google's application default credentials), never from uptake; storage options
(``requester_pays=true``, ``endpoint_url=…``, ``anon=true``) are passed as given.

Everything written through these calls is written whole by one ``open(…, "wb")``/``pipe`` — never renamed — so
it works on object stores, where a rename is a copy and a delete.
"""

from __future__ import annotations

import glob as globmod
import os
import posixpath
import shutil
from collections.abc import Iterable, Mapping
from typing import IO, Any

from ..errors import UsageError

#: Hadoop's names of S3 (Spark's ``s3a://``) → fsspec's.
ALIASES = {"s3a": "s3", "s3n": "s3"}


def is_url(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a URL (``scheme://…``) rather than a local path; ``file://`` counts as local."""
    s = str(path)
    return "://" in s and not s.startswith("file://")


def canonical(url: str) -> str:
    """``url`` with Hadoop's S3 scheme names replaced by ``s3://`` (local paths unchanged)."""
    scheme, sep, rest = url.partition("://")
    return f"{ALIASES.get(scheme.lower(), scheme)}://{rest}" if sep else url


def parse_storage_options(items: Iterable[str]) -> dict[str, Any]:
    """``KEY=VALUE`` strings → fsspec storage options; ``true``/``false``/``none`` and numbers are typed."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--storage-option takes KEY=VALUE (e.g. requester_pays=true), not {item!r}")
        low = value.strip().lower()
        typed: Any = value
        if low in ("true", "yes"):
            typed = True
        elif low in ("false", "no"):
            typed = False
        elif low in ("none", "null"):
            typed = None
        else:
            try:
                typed = int(value)
            except ValueError:
                try:
                    typed = float(value)
                except ValueError:
                    typed = value
        out[key.strip()] = typed
    return out


class LocalFS:
    """The subset of fsspec's file-system interface uptake uses, on local paths."""

    protocol = "file"

    def exists(self, path: str) -> bool:
        return os.path.exists(path)

    def isdir(self, path: str) -> bool:
        return os.path.isdir(path)

    def isfile(self, path: str) -> bool:
        return os.path.isfile(path)

    def glob(self, pattern: str, detail: bool = False) -> Any:
        hits = sorted(globmod.glob(pattern))
        return {h: self._info(h) for h in hits} if detail else hits

    def ls(self, path: str, detail: bool = False) -> Any:
        names = sorted(os.path.join(path, n) for n in os.listdir(path))
        return [self._info(n) for n in names] if detail else names

    @staticmethod
    def _info(path: str) -> dict[str, Any]:
        return {"name": path, "type": "directory" if os.path.isdir(path) else "file"}

    def find(self, path: str) -> list[str]:
        """Every file under the folder ``path`` (recursively), sorted."""
        out = []
        for d, _dirs, files in os.walk(path):
            out += [os.path.join(d, f) for f in files]
        return sorted(out)

    def open(self, path: str, mode: str = "rb") -> IO[Any]:
        if "w" in mode:
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        return open(path, mode)  # noqa: SIM115 - the caller closes it

    def cat(self, path: str) -> bytes:
        with open(path, "rb") as f:
            return f.read()

    def pipe(self, path: str, data: bytes) -> None:
        """Write ``data`` as the whole of ``path``, atomically (a reader sees the old file or the new one)."""
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        tmp = f"{path}.tmp{os.getpid()}"
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)  # local only; object stores write an object whole by themselves

    def rm(self, path: str, recursive: bool = False) -> None:
        if os.path.isdir(path):
            if not recursive:
                raise IsADirectoryError(path)
            shutil.rmtree(path)
        elif os.path.lexists(path):
            os.remove(path)

    def unstrip_protocol(self, path: str) -> str:
        return path

    def invalidate_cache(self, path: str | None = None) -> None:
        """Nothing cached here (fsspec's object-store file systems cache listings)."""


def filesystem(path: str | os.PathLike[str], storage_options: Mapping[str, Any] | None = None,
               *, what: str = "this") -> tuple[Any, str]:
    """``(fs, root)``: the file system of ``path`` and the path on it (absolute for local paths)."""
    s = str(path)
    if s.startswith("file://"):
        s = s[len("file://"):]
    if not is_url(s):
        return LocalFS(), os.path.abspath(os.path.expanduser(s))
    try:
        # fsspec is optional (the `cloud` extra); s3:// also needs s3fs, gs:// gcsfs
        import fsspec
    except ImportError:
        raise UsageError(f"{what} URL {s} needs fsspec: pip install 'uptake[cloud]' "
                         f"(s3fs for s3://, gcsfs for gs://)") from None
    try:
        fs, root = fsspec.core.url_to_fs(canonical(s), **dict(storage_options or {}))
    except (ImportError, ValueError, TypeError) as exc:
        raise UsageError(f"cannot open {s}: {exc} (s3:// needs s3fs, gs:// needs gcsfs; "
                         f"check --storage-option)") from None
    fs.invalidate_cache()  # listings cached earlier in this process may predate what other processes wrote
    return fs, str(root).rstrip("/") or str(root)


def fresh(fs: Any) -> Any:
    """``fs`` with its cached listings dropped: call before listing what Spark's tasks may have written."""
    fs.invalidate_cache()
    return fs


def url_of(fs: Any, path: str) -> str:
    """The URL of ``path`` on ``fs`` (a local path stays a path)."""
    return path if isinstance(fs, LocalFS) else str(fs.unstrip_protocol(path))


def join(root: str, *parts: str) -> str:
    return posixpath.join(root, *parts)


def basename(path: str) -> str:
    return posixpath.basename(path.rstrip("/"))


def relative(path: str, root: str) -> str:
    """``path`` relative to the folder ``root`` (both on one file system)."""
    return posixpath.relpath(path, root) if path.startswith("/") else path[len(root.rstrip("/")) + 1:]
