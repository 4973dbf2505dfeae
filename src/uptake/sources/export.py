"""Folders written by ``uptake export``: Parquet files plus a ``SHA256SUMS`` file, verified before import."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..errors import InputError

#: The checksum file of an export folder (the format of ``sha256sum``).
CHECKSUMS = "SHA256SUMS"


def sha256_file(path: str | Path) -> str:
    """The SHA-256 of a file's bytes, as hex."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def verify_export(folder: str | Path) -> list[str]:
    """Files of an export whose checksum does not match (empty when everything is intact)."""
    root = Path(folder).expanduser()
    sums = root / CHECKSUMS
    if not sums.is_file():
        raise InputError(f"{sums}: no checksum file; is {root} a folder written by `uptake export`?")
    bad = []
    for line in sums.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        digest, name = line.split(None, 1)
        p = root / name.strip()
        if not p.is_file() or sha256_file(p) != digest:
            bad.append(name.strip())
    return bad


def export_file_intact(path: str | Path) -> bool | None:
    """Whether one file of an export folder matches its line in the folder's ``SHA256SUMS``.

    ``None`` when the file is not part of an export (no checksum file beside it, or not listed in it):
    a file imported on its own (``snap/*.parquet``) is checked as carefully as the whole folder.
    """
    p = Path(path).expanduser()
    sums = p.parent / CHECKSUMS
    if not sums.is_file():
        return None
    for line in sums.read_text(encoding="utf-8").splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2 and parts[1].strip() == p.name:
            return sha256_file(p) == parts[0]
    return None
