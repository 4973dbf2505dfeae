"""Reproducible figure packages, corpus fingerprints, and corpus export.

``make_report`` writes a folder anyone can check: the figure (PNG and SVG), the
numbers (CSV and JSON), the adoption summary when :mod:`uptake.analytics.adoption` is
installed, a README in plain words, and ``manifest.json`` recording the uptake
version, the exact query and options, the matching-semantics version, the corpus
fingerprint and a SHA-256 of every file. ``reproduce`` re-runs a manifest against
a store and says, series by series, whether the numbers are identical.

The corpus fingerprint is the paper count, the first and last month, and a
SHA-256 over the sorted ``(id, content_hash)`` pairs of every live paper, computed
in the database. ``content_hash`` covers what describes a paper (id, title,
abstract, categories, dates, authors, comments, journal-ref, DOI) and not where
the record came from, so the fingerprint is the same on every machine and for
every import order, and an ``export`` then ``import`` gives the same fingerprint.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._version import __version__
from ..errors import InputError, StoreError, UsageError
from ..records import Fingerprint
from ..sources.export import CHECKSUMS, sha256_file
from ..scope import as_categories
from ..serialise import AsDict, to_jsonable
from .plot import _use_agg, plot_trend

if TYPE_CHECKING:
    from ..corpus import Corpus
    from ..store import Store
    from ..analytics.trends import Trend

MANIFEST = "manifest.json"
REPORT_FILES = ("figure.png", "figure.svg", "data.csv", "data.json", "adoption.json", "README.md", MANIFEST)
MANIFEST_FORMAT = 1
EXPORT_ROWS_PER_FILE = 100_000


# -- fingerprint -----------------------------------------------------------------------
def fingerprint(store: Store) -> Fingerprint:
    """The corpus fingerprint of ``store`` (see the module docstring)."""
    return store.fingerprint()


def corpus_fingerprint(corpus: Corpus) -> Fingerprint:
    return corpus.fingerprint()





# -- report ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ReportOptions(AsDict):
    """Everything that decides the numbers of a report (the resolved range, not the defaults)."""

    start: str
    end: str
    by: str = "month"
    category: tuple[str, ...] = ()
    measure: str = "share"
    smooth: int = 1
    case_sensitive: bool = False
    field: str = "any"

    @staticmethod
    def from_dict(d: dict[str, Any]) -> ReportOptions:
        return ReportOptions(
            start=d["start"], end=d["end"], by=d.get("by", "month"), category=tuple(d.get("category") or ()),
            measure=d.get("measure", "share"), smooth=int(d.get("smooth", 1)),
            case_sensitive=bool(d.get("case_sensitive", False)), field=d.get("field", "any"),
        )

    def trend(self, corpus: Corpus, query: str) -> Trend:
        return corpus.trend(
            query, start=self.start, end=self.end, by=self.by, category=list(self.category),  # type: ignore[arg-type]
            measure=self.measure, smooth=self.smooth, case_sensitive=self.case_sensitive,  # type: ignore[arg-type]
            field=self.field,  # type: ignore[arg-type]
        )

    def command(self, query: str) -> str:
        import shlex

        parts = ["uptake", "report", shlex.quote(query), "--from", self.start, "--to", self.end]
        if self.by != "month":
            parts += ["--by", self.by]
        for c in self.category:
            parts += ["--category", shlex.quote(c)]
        if self.measure != "share":
            parts += ["--measure", self.measure]
        if self.smooth != 1:
            parts += ["--smooth", str(self.smooth)]
        if self.case_sensitive:
            parts.append("--case-sensitive")
        if self.field != "any":
            parts += ["--field", self.field]
        return " ".join(parts)


@dataclass(frozen=True)
class Report:
    out_dir: Path
    manifest: dict[str, Any]
    files: tuple[str, ...]
    trend: Trend = field(repr=False)


def make_report(
    corpus: Corpus,
    query: str,
    out_dir: str | Path,
    *,
    start: str | None = None,
    end: str | None = None,
    by: str = "month",
    category: str | Sequence[str] = (),
    measure: str = "share",
    smooth: int = 1,
    case_sensitive: bool = False,
    field: str = "any",
    title: str | None = None,
    now: datetime | None = None,
    force: bool = False,
) -> Report:
    """Write a reproducible figure package for ``query`` into ``out_dir`` and return what was written.

    ``out_dir`` must be new or empty unless ``force``: an earlier report there is not overwritten by accident.
    """
    from ..analytics.openness import OPENNESS_VERSION
    from ..text import SEMANTICS_VERSION

    out = Path(out_dir).expanduser()
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} exists and is not a folder: choose another --out")
    if not force and out.is_dir() and any(out.iterdir()):
        raise UsageError(f"{out} is not empty (an earlier report?): choose another --out, or add --force to replace "
                         f"the report files in it")
    cats = as_categories(category)
    before = corpus_fingerprint(corpus)
    trend = corpus.trend(query, start=start, end=end, by=by, category=cats, measure=measure,  # type: ignore[arg-type]
                         smooth=smooth, case_sensitive=case_sensitive, field=field)  # type: ignore[arg-type]
    after = corpus_fingerprint(corpus)
    if before != after:
        raise StoreError("the store changed while the report was being made (an import is running?): "
                         "wait for it to finish and run the report again")
    options = ReportOptions(
        start=trend.filters["from"], end=trend.filters["to"], by=by, category=tuple(cats), measure=measure,
        smooth=smooth, case_sensitive=case_sensitive, field=field,
    )
    out.mkdir(parents=True, exist_ok=True)
    for stale in REPORT_FILES:  # a previous report in the same folder must not leave files this one did not write
        (out / stale).unlink(missing_ok=True)
    written: list[str] = []

    def write(name: str, data: str | bytes) -> None:
        path = out / name
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8", newline="\n")
        else:
            path.write_bytes(data)
        written.append(name)

    write("data.csv", trend.to_csv())
    write("data.json", _json(trend.to_json_dict()))
    _write_figures(trend, out, title)
    written += ["figure.png", "figure.svg"]
    adoption_status, adoption_data = _adoption_summary(trend)
    if adoption_data is not None:
        write("adoption.json", _json(adoption_data))
    created = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    write("README.md", _readme(query, options, after, trend, adoption_status, created))
    manifest = {
        "format": MANIFEST_FORMAT,
        "uptake_version": __version__,
        "semantics_version": SEMANTICS_VERSION,
        "openness_version": OPENNESS_VERSION,
        "created": created.isoformat().replace("+00:00", "Z"),
        "query": query,
        "options": options.as_dict(),
        "command": options.command(query),
        "store": str(Path(corpus.path).resolve()),
        "title": title,
        "corpus": after.as_dict(),
        "series": [{"label": s.label, "papers": s.total_count} for s in trend.series],
        "adoption": adoption_status,
        "files": {name: sha256_file(out / name) for name in sorted(written)},
    }
    (out / MANIFEST).write_text(_json(manifest), encoding="utf-8", newline="\n")
    return Report(out_dir=out, manifest=manifest, files=tuple(sorted(written)) + (MANIFEST,), trend=trend)


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False, allow_nan=False) + "\n"


def _write_figures(trend: Trend, out: Path, title: str | None) -> None:
    import matplotlib

    _use_agg()
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"svg.hashsalt": "uptake-report", "svg.fonttype": "path"}):
        ax = plot_trend(trend, title=title)
        fig = ax.figure
        assert isinstance(fig, Figure)  # plot_trend draws on a top-level figure
        try:
            fig.savefig(out / "figure.png", dpi=100, metadata={"Software": None})
            fig.savefig(out / "figure.svg", metadata={"Date": None, "Creator": None})
        finally:
            plt.close(fig)


def _adoption_summary(trend: Trend) -> tuple[str, dict[str, Any] | None]:
    """The adoption analytics of ``trend`` when :mod:`uptake.analytics.adoption` is available, and a status line."""
    try:
        from ..analytics import adoption
    except Exception as exc:  # not installed in this version, or broken: the report goes on without it
        return f"unavailable: uptake.analytics.adoption could not be imported ({type(exc).__name__})", None
    analyze = getattr(adoption, "analyze_trend", None)
    if analyze is None:
        return "unavailable: this uptake.analytics.adoption has no analyze_trend", None
    if trend.by != "month":
        return "not computed: adoption analytics need monthly periods (--by month)", None
    try:
        results = analyze(trend)
        data = {
            "rules": getattr(adoption, "RULES", None),
            "series": [to_jsonable(r) for r in results],
        }
        if len(trend.series) > 1 and hasattr(adoption, "rank_by_speed"):
            data["ranking"] = [r.as_dict() for r in adoption.rank_by_speed(results)]
        data = _finite(data)  # an unbounded estimate (inf) or an undefined one (nan) becomes null in JSON
        json.dumps(data, allow_nan=False)
    except Exception as exc:  # an analytics failure must not lose the figure and the numbers
        return f"failed: {type(exc).__name__}: {exc}", None
    return "included: adoption.json", data


def _finite(value: Any) -> Any:
    import math

    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _readme(query: str, o: ReportOptions, fp: Fingerprint, trend: Trend, adoption_status: str, created: datetime) -> str:
    lines = [
        f"# uptake report: {query}",
        "",
        f"Made {created.isoformat().replace('+00:00', 'Z')} with `{o.command(query)}`.",
        "",
        "## Files",
        "",
        "- `figure.png`, `figure.svg`: the figure.",
        "- `data.csv`: one row per period and series: `period,series,count,total,share,complete`"
        + (" (+ `smoothed`)" if o.smooth > 1 else "") + ".",
        "- `data.json`: the same numbers with 95% Wilson intervals and whether each period is complete.",
    ]
    if adoption_status.startswith("included"):
        lines.append("- `adoption.json`: onset, milestones, growth and fits per series (rules inside the file).")
    lines += [
        "- `manifest.json`: the uptake version, the exact query and options, the corpus fingerprint and a SHA-256 "
        "of every file here.",
        "",
        "## Method",
        "",
        f"Each series counts the papers whose title or abstract contains the series' words "
        f"({'in the ' + o.field + ' only' if o.field != 'any' else 'title or abstract'}), as whole words, "
        f"{'with exact case' if o.case_sensitive else 'ignoring case'}. A phrase matches when its words appear next "
        "to each other. `|` joins alternatives; `cat:` and `--category` restrict to arXiv categories "
        "(primary or cross-listed).",
        "",
        "Each paper counts once, in the month of its first version (v1), whatever its later versions.",
        "",
    ]
    if o.measure == "share":
        lines.append("The share is the number of matching papers divided by all papers of the same period in this "
                     "corpus under the same category filters. It removes the growth of arXiv itself.")
    else:
        lines.append("Values are counts of papers, which grow with arXiv itself: compare shares to remove that.")
    if o.smooth > 1:
        lines.append(f"A centred moving average over {o.smooth} periods smooths the line.")
    lines += [
        "",
        "## Caveats",
        "",
        f"- The corpus is what was imported into the store: {fp.papers:,} papers, {fp.first_month} to "
        f"{fp.last_month}. If it is a sample of arXiv, the shares describe the sample.",
        "- Words have several meanings (acronyms especially); a match means the word is there, not that the paper "
        "uses the idea. Check the papers behind a point with `uptake papers QUERY --month YYYY-MM`.",
        "- A period that ends after the corpus's last paper, or is cut by --from/--to, is incomplete; it is marked "
        "in `data.json` and drawn differently in the figure.",
        "- Small months give noisy shares: the 95% interval in `data.json` says how noisy.",
        f"- Adoption summary: {adoption_status}.",
        "",
        "## Reproduce",
        "",
        "```",
        f"uptake reproduce {MANIFEST} --db STORE",
        "```",
        "",
        "exits 0 when every number is identical, 1 with a per-series list of differences, 2 when the store's "
        "corpus is not the one this report was made from (it says how before comparing).",
        "",
        f"Corpus fingerprint: {fp.papers:,} papers, {fp.first_month} to {fp.last_month}, "
        f"content hash `{fp.content_hash}`.",
        "",
    ]
    return "\n".join(lines)


# -- reproduce -------------------------------------------------------------------------
@dataclass(frozen=True)
class SeriesCheck:
    label: str
    identical: bool
    differences: tuple[str, ...]  # "2025-05: count 163 -> 164; total 6455 -> 6456"


@dataclass(frozen=True)
class Reproduction:
    manifest: dict[str, Any]
    store: str
    fingerprint_identical: bool
    fingerprint_differences: tuple[str, ...]
    series: tuple[SeriesCheck, ...]
    files_changed: tuple[str, ...]  # report files whose hash no longer matches the manifest (if the folder is there)

    @property
    def numbers_identical(self) -> bool:
        return all(s.identical for s in self.series)

    @property
    def exit_code(self) -> int:
        """0 identical, 1 the numbers differ on the same corpus, 2 the corpus differs."""
        if not self.fingerprint_identical:
            return 2
        return 0 if self.numbers_identical else 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "exit_code": self.exit_code,
            "store": self.store,
            "fingerprint_identical": self.fingerprint_identical,
            "fingerprint_differences": list(self.fingerprint_differences),
            "numbers_identical": self.numbers_identical,
            "series": to_jsonable(self.series),
            "files_changed": list(self.files_changed),
        }


def load_manifest(path: str | Path) -> dict[str, Any]:
    p = Path(path).expanduser()
    if p.is_dir():
        p = p / MANIFEST
    if not p.is_file():
        raise InputError(f"{p}: no such manifest. Give the manifest.json written by `uptake report` (or its folder)")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{p} is not a valid manifest (not JSON: {exc})") from exc
    for key in ("query", "options", "corpus"):
        if not isinstance(data, dict) or key not in data:
            raise InputError(f"{p} is not an uptake report manifest (no {key!r}): give the manifest.json of a report")
    data["_path"] = str(p)
    return data


def reproduce(manifest_path: str | Path, corpus: Corpus) -> Reproduction:
    """Re-run a report's manifest against ``corpus`` and compare, series by series."""
    m = load_manifest(manifest_path)
    want = Fingerprint.from_dict(m["corpus"])
    have = corpus_fingerprint(corpus)
    options = ReportOptions.from_dict(m["options"])
    trend = options.trend(corpus, m["query"])
    expected = _expected_series(Path(m["_path"]).parent, m)
    checks = []
    for s in trend.series:
        old = expected.get(s.label)
        if old is None:
            checks.append(SeriesCheck(s.label, False, ("not in the report",)))
            continue
        diffs = []
        new = {p.period: (p.count, p.total) for p in s.points}
        for period in sorted(set(old) | set(new)):
            a, b = old.get(period), new.get(period)
            if a == b:
                continue
            if a is None or b is None:
                diffs.append(f"{period}: {'only in the store now' if a is None else 'missing from the store now'}")
                continue
            bits = []
            if a[0] != b[0]:
                bits.append(f"count {a[0]:,} -> {b[0]:,}")
            if a[1] != b[1]:
                bits.append(f"total {a[1]:,} -> {b[1]:,}")
            diffs.append(f"{period}: " + "; ".join(bits))
        checks.append(SeriesCheck(s.label, not diffs, tuple(diffs)))
    for label in expected:
        if label not in {s.label for s in trend.series}:
            checks.append(SeriesCheck(label, False, ("in the report but not produced now",)))
    return Reproduction(
        manifest=m, store=str(corpus.path), fingerprint_identical=(want == have),
        fingerprint_differences=tuple(want.differences(have)), series=tuple(checks),
        files_changed=tuple(_changed_files(Path(m["_path"]).parent, m)),
    )


def _expected_series(folder: Path, m: dict[str, Any]) -> dict[str, dict[str, tuple[int, int]]]:
    """The report's numbers, from its data.json (checked against the manifest's hash)."""
    path = folder / "data.json"
    if not path.is_file():
        raise InputError(f"{path} is missing: reproduce needs the report's data.json next to its manifest")
    recorded = (m.get("files") or {}).get("data.json")
    if recorded and sha256_file(path) != recorded:
        raise InputError(f"{path} was changed after the report was made (its SHA-256 does not match the manifest): "
                         f"restore it from the original report")
    data = json.loads(path.read_text(encoding="utf-8"))
    return {s["label"]: {p["period"]: (int(p["count"]), int(p["total"])) for p in s["points"]} for s in data["series"]}


def _changed_files(folder: Path, m: dict[str, Any]) -> list[str]:
    out = []
    for name, digest in (m.get("files") or {}).items():
        p = folder / name
        if not p.is_file() or sha256_file(p) != digest:
            out.append(name)
    return out


# -- export ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Export:
    out_dir: Path
    files: tuple[str, ...]
    fingerprint: Fingerprint
    papers: int


def export_corpus(corpus: Corpus, out_dir: str | Path, *, rows_per_file: int = EXPORT_ROWS_PER_FILE) -> Export:
    """Write every live paper as Parquet (one file per v1 year, split above ``rows_per_file``) plus checksums.

    ``uptake import DIR/*.parquet`` reads the files back into a store with the same fingerprint.
    """
    import pyarrow.parquet as pq

    from ..sources.export import export_schema

    out = Path(out_dir).expanduser()
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} exists and is not a folder: choose another --out")
    if out.is_dir() and any(out.glob("papers-*.parquet")):
        raise UsageError(f"{out} already holds an export: choose an empty folder (files there would be mixed)")
    out.mkdir(parents=True, exist_ok=True)
    files: list[str] = []
    with corpus._read() as store:
        store.require_papers()
        fp = fingerprint(store)
        # the rule version the store's artifact flags were detected with travels with them (see sources/export.py)
        schema = export_schema(store.get_meta("openness_version"))
        total = 0
        for year in store.export_years():
            table = store.export_year(year).cast(schema)
            for part, offset in enumerate(range(0, table.num_rows, rows_per_file)):
                name = f"papers-{year:04d}-{part}.parquet"
                pq.write_table(table.slice(offset, rows_per_file), out / name, compression="zstd",
                               row_group_size=20_000)
                files.append(name)
            total += table.num_rows
    sums = "".join(f"{sha256_file(out / name)}  {name}\n" for name in files)
    (out / CHECKSUMS).write_text(sums, encoding="utf-8", newline="\n")
    info = {
        "uptake_version": __version__,
        "created": datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "store": str(corpus.path),
        "corpus": fp.as_dict(),
        "files": {name: {"sha256": line.split()[0]} for name, line in zip(files, sums.splitlines(), strict=True)},
        "import": f"uptake import {out}/*.parquet --db NEW_STORE",
        "verify": f"cd {out} && sha256sum -c {CHECKSUMS}",
    }
    (out / "export.json").write_text(_json(info), encoding="utf-8", newline="\n")
    return Export(out_dir=out, files=tuple(files), fingerprint=fp, papers=total)
