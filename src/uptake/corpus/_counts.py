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
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..plans import AllOf, Node, Phrase
from ..scope import Scope
from ..sources import fsio

FORMAT = "uptake-counts/1"


def metadata(path: str | Path) -> dict[str, Any] | None:
    """The metadata of a counts corpus at ``path``, or None when it is not one."""
    meta = Path(path) / "_metadata.json"
    if not meta.is_file():
        return None
    data = json.loads(meta.read_text(encoding="utf-8"))
    return data if data.get("format") == FORMAT else None


def import_counts(source: str | Path, dest: str | Path,
                  storage_options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Copy the output of ``uptake spark counts`` at ``source`` (a folder, or an ``s3://``/``gs://`` URL read with
    fsspec and ``storage_options``) into a counts corpus at ``dest`` (a new local folder).

    Only a committed output is read (its ``_metadata.json`` is written last), and exactly the files it lists;
    outputs from before that listing are read whole (``ngrams/`` and ``totals/`` minus hidden names)."""
    fs, root = fsio.filesystem(source, storage_options, what="the counts")
    out = Path(dest)
    meta_path = fsio.join(root, "_metadata.json")
    meta = json.loads(fs.cat(meta_path)) if fs.isfile(meta_path) else None
    if meta is None or meta.get("format") != FORMAT:
        raise UsageError(f"{source} is not what `uptake spark counts` writes (ngrams/, totals/, _metadata.json), "
                         f"or that run did not finish")
    listed = meta.pop("files", None)
    if listed is None:
        if not (fs.isdir(fsio.join(root, "ngrams")) and fs.isdir(fsio.join(root, "totals"))):
            raise UsageError(f"{source} is not what `uptake spark counts` writes (ngrams/, totals/, _metadata.json)")
        listed = {part: [{"path": fsio.relative(f, root)} for f in fs.find(fsio.join(root, part))
                         if not fsio.basename(f).startswith((".", "_"))] for part in ("ngrams", "totals")}
    if out.exists():
        raise UsageError(f"{out} exists: a counts corpus is imported into a new folder")
    tmp = out.with_name(out.name + ".importing")
    shutil.rmtree(tmp, ignore_errors=True)
    for part in ("ngrams", "totals"):
        (tmp / part).mkdir(parents=True)
        for i, entry in enumerate(listed[part]):
            with fs.open(fsio.join(root, entry["path"]), "rb") as src, (tmp / part / f"part-{i:05d}.parquet").open("wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
    (tmp / "_metadata.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    tmp.rename(out)  # the local corpus folder: renamed into place whole
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
