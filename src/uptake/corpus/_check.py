"""``uptake check``: verify a store and its indexes end to end; read-only, changes nothing."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import IndexDamagedWarning, StoreError
from ..store import Store, default_path

_RESTORE = ("restore the store from a backup, or re-import your files into a new --db "
            "(`uptake import FILES --db NEW`), then point --db at it")
_REBUILD = "run `uptake index --rebuild` (any import also repairs it); queries scan the store meanwhile"


@dataclass(frozen=True)
class CheckPart:
    name: str
    ok: bool
    problems: tuple[str, ...] = ()
    summary: str = ""
    advice: str = ""
    skipped: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "skipped": self.skipped, "summary": self.summary,
                "problems": list(self.problems), "advice": self.advice if not self.ok else ""}


@dataclass(frozen=True)
class CheckReport:
    path: str
    parts: tuple[CheckPart, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return all(p.ok for p in self.parts)

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "ok": self.ok, "parts": [p.as_dict() for p in self.parts]}


def check(path: str | Path | None = None) -> CheckReport:
    """Open the store, read every table back, and verify both indexes (files against their manifests,
    per-month counts against the store's). Nothing is written."""
    p = Path(path).expanduser() if path is not None else default_path()
    parts: list[CheckPart] = []
    try:
        store = Store.open(p, write=False)
    except StoreError as exc:
        parts.append(CheckPart("store", False, (str(exc),), advice=_RESTORE))
        return CheckReport(str(p), tuple(parts))
    with store:
        problems = store.verify()
        try:
            live = store.paper_count()
        except StoreError as exc:
            problems.append(str(exc))
            live = 0
        parts.append(CheckPart("store", not problems, tuple(problems), summary=f"{p}, {live:,} papers",
                               advice=_RESTORE))
        if problems:  # an index is never used over a damaged store: nothing to compare it with
            parts.append(CheckPart("term index", False, ("not checked: the store is damaged",), skipped=True,
                                   advice=_RESTORE))
            return CheckReport(str(p), tuple(parts))
        parts.append(_term_index(store))
        parts.append(_fulltext_index(store))
    return CheckReport(str(p), tuple(parts))


def _term_index(store: Store) -> CheckPart:
    from .. import index

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IndexDamagedWarning)
        info = index.status(store, full=True)
    if info.generation is None:
        return CheckPart("term index", True, summary="none yet (queries scan the store; `uptake index` builds it)",
                         skipped=True)
    problems = list(info.problems)
    summary = f"{info.generation}, {info.papers:,} papers"
    if info.reason and not problems:
        return CheckPart("term index", True, summary=f"{summary}; behind the store ({info.reason}): not used until "
                         f"`uptake index` updates it")
    return CheckPart("term index", not problems, tuple(problems), summary=summary, advice=_REBUILD)


def _fulltext_index(store: Store) -> CheckPart:
    from ..index import fulltext

    try:
        has_text = store.has_fulltext()
    except StoreError as exc:
        return CheckPart("full-text index", False, (str(exc),), advice=_RESTORE)
    gen, problems, fresh = fulltext.integrity(store)
    if gen is None:
        return CheckPart("full-text index", True, skipped=True,
                         summary="none" + ("" if not has_text else " (full-text queries scan the store)"))
    if not fresh and not problems:
        return CheckPart("full-text index", True, summary=f"{gen}; behind the store: not used until the next "
                         "full-text import updates it")
    return CheckPart("full-text index", not problems, tuple(problems), summary=gen,
                     advice="run any `uptake import` or `uptake fulltext import` (it rebuilds a damaged full-text "
                            "index); full-text queries scan the store meanwhile")
