"""A counts corpus: the n-gram tables ``uptake spark counts`` writes, brought in with ``uptake import-counts``.

It answers ``trend --text full`` for series that are one term or phrase of at most ``max_n`` tokens, anywhere
or ``in:ONE_ROLE`` (formulas over such series too), with the numbers the embedded store gives for the same full
texts — as long as nothing was pruned (``min_papers`` 1). Everything that needs the papers themselves is refused
with the reason: AND, OR, NOT, categories (the counts know only each paper's primary category, a store matches
cross-lists too), exact case, wildcards, longer phrases, and listing papers.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..plans import AllOf, Node, Phrase
from ..scope import Scope

FORMAT = "uptake-counts/1"


def metadata(path: str | Path) -> dict[str, Any] | None:
    """The metadata of a counts corpus at ``path``, or None when it is not one."""
    meta = Path(path) / "_metadata.json"
    if not meta.is_file():
        return None
    data = json.loads(meta.read_text(encoding="utf-8"))
    return data if data.get("format") == FORMAT else None


def import_counts(source: str | Path, dest: str | Path) -> dict[str, Any]:
    """Copy the output of ``uptake spark counts`` at ``source`` into a counts corpus at ``dest`` (a new folder)."""
    src, out = Path(source), Path(dest)
    meta = metadata(src)
    if meta is None or not (src / "ngrams").is_dir() or not (src / "totals").is_dir():
        raise UsageError(f"{src} is not what `uptake spark counts` writes (ngrams/, totals/, _metadata.json)")
    if out.exists():
        raise UsageError(f"{out} exists: a counts corpus is imported into a new folder")
    tmp = out.with_name(out.name + ".importing")
    shutil.rmtree(tmp, ignore_errors=True)
    for part in ("ngrams", "totals"):
        shutil.copytree(src / part, tmp / part, ignore=shutil.ignore_patterns(".*", "_*"))
    shutil.copy(src / "_metadata.json", tmp / "_metadata.json")
    tmp.rename(out)
    return {"corpus": str(out), **meta}


def _phrase(node: Node) -> Phrase | None:
    while isinstance(node, AllOf) and len(node.items) == 1:
        node = node.items[0]
    return node if isinstance(node, Phrase) else None


def _refuse(what: str) -> UsageError:
    return UsageError(f"this corpus holds n-gram counts, not papers: {what} cannot be answered from them "
                      "(import the full texts into a store, or use `uptake spark trend`)")


def series_cells(path: str | Path, plans: Any, sc: Scope, meta: dict[str, Any]) -> list[tuple[str, str]]:
    """(n-gram, role) of each series, or the refusal."""
    if sc.categories:
        raise _refuse("--category (the counts know each paper's primary category only)")
    if sc.case_sensitive:
        raise _refuse("--case-sensitive (the counts are case-folded)")
    out = []
    for plan in plans:
        ph = _phrase(plan.match)
        if plan.universe != AllOf(()):
            raise _refuse(f"{plan.label!r} (cat: filters)")
        if ph is None:
            raise _refuse(f"{plan.label!r} (AND, OR, NOT and filters need the papers)")
        if ph.case_sensitive:
            raise _refuse(f"{plan.label!r} (=exact case; the counts are case-folded)")
        if len(ph.tokens) > int(meta["max_n"]):
            raise _refuse(f"{plan.label!r} (phrases longer than {meta['max_n']} tokens)")
        if len(ph.roles) > 1:
            raise _refuse(f"{plan.label!r} (several in: roles at once)")
        out.append((" ".join(ph.tokens), ph.roles[0] if ph.roles else "*"))
    return out


def month_sums(table: Any) -> dict[int, int]:
    out: dict[int, int] = {}
    for m, n in zip(table.column("month").to_pylist(), table.column("papers").to_pylist(), strict=True):
        out[int(m)] = out.get(int(m), 0) + int(n)
    return out


def trend_inputs(path: str | Path, plans: Any, sc: Scope) -> dict[str, Any]:
    """What :func:`~uptake.corpus.assemble_fulltext_trend` needs, read from the counts at ``path``."""
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    meta = metadata(path)
    assert meta is not None
    cells = series_cells(path, plans, sc, meta)
    totals_all = month_sums(ds.dataset(Path(path) / "totals", format="parquet").to_table(columns=["month", "papers"]))
    first_m, last_m = (min(totals_all), max(totals_all)) if totals_all else (None, None)
    lo, hi = sc.resolve(first_m, last_m)
    with_text = {m: n for m, n in totals_all.items() if lo <= m <= hi}
    grams = ds.dataset(Path(path) / "ngrams", format="parquet")
    counts = []
    for key, role in cells:
        t = grams.to_table(columns=["month", "papers"],
                           filter=(pc.field("ngram") == key) & (pc.field("role") == role))
        counts.append({m: n for m, n in month_sums(t).items() if lo <= m <= hi})
    last = meta.get("last_date")
    return {"lo": lo, "hi": hi, "counts": counts, "totals": [dict(with_text) for _ in cells], "with_text": with_text,
            "all_papers": {}, "n": sum(totals_all.values()), "first_m": first_m, "last_m": last_m,
            "last_date": date.fromisoformat(last) if last else None, "meta_last": None,
            "pruned": int(meta.get("min_papers", 1)) > 1, "min_papers": int(meta.get("min_papers", 1))}
