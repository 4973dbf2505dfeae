"""``uptake spark``: extraction and counting on Apache Spark (``pip install 'uptake[spark]'``)."""

from __future__ import annotations

import argparse
from typing import Any

from .common import (
    console,
    console_err,
    format_parent,
    range_parent,
    scope_for,
    write_json,
)


def _spark_parent() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--master", metavar="URL", default=None,
                   help="Spark master (default: spark-submit's, else local[*,4]: every core, 4 tries per task)")
    p.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE", help="a Spark setting; repeatable")
    p.add_argument("--storage-option", action="append", default=[], metavar="KEY=VALUE",
                   help="an fsspec storage option for s3a:// s3:// gs:// inputs and outputs (e.g. requester_pays=true, "
                   "endpoint_url=URL, anon=true); repeatable. Credentials come from the environment")
    return p


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    sp = _spark_parent()
    p = sub.add_parser("spark", help="extract and count on Apache Spark (a cluster, or local cores)",
                       description="The same extraction and the same counts as on this machine, on Spark: "
                       "`spark extract` writes section-tagged Parquet, `spark trend` answers a query over it, "
                       "`fulltext import` brings it into a local store. Also `python -m uptake.spark JOB`.",
                       allow_abbrev=False)
    ssub = p.add_subparsers(dest="spark_command", metavar="JOB")

    q = ssub.add_parser("extract", parents=[sp], allow_abbrev=False,
                        help="e-prints (or unarXive JSONL) into Parquet, partitioned by month",
                        description="Extract every input file (an e-print, a bulk arXiv_src_*.tar, a folder of "
                        "them, a glob; or unarXive .jsonl(.gz) with --format unarxive) on Spark into OUTPUT/run=…/"
                        "period=YYYY-MM/*.parquet, one row per paper with its section-tagged paragraphs. A run "
                        "appears whole when it succeeds (OUTPUT/_commits/run=….json, written last, lists its files). "
                        "Run again without --resume, it replaces OUTPUT's earlier runs at that commit (readers see "
                        "the old output until then); --resume adds to them, skipping inputs a previous run finished.")
    q.add_argument("--input", "-i", nargs="+", required=True, metavar="PATH",
                   help="files, folders or globs; or URLs of them (s3a:// s3:// gs://, quoted)")
    q.add_argument("--output", "-o", required=True, metavar="DIR", help="a folder or URL (s3:// gs://)")
    q.add_argument("--format", dest="input_format", choices=["eprints", "unarxive"], default="eprints",
                   help="what the inputs are (default eprints)")
    q.add_argument("--resume", action="store_true",
                   help="add to OUTPUT, skipping inputs already done (without it, a new run replaces OUTPUT's runs)")
    q.add_argument("--json", action="store_true", help="print the report as JSON")
    q.set_defaults(handler=cmd_extract)

    q = ssub.add_parser("trend", parents=[sp, range_parent(), format_parent("table", "csv", "json")],
                        allow_abbrev=False, help="a query's full-text trend over extracted Parquet",
                        description="Papers per period whose full text matches each series of QUERY, counted on "
                        "Spark with uptake's own tokenizer and matcher: the same numbers as `uptake trend --text "
                        "full` on a store holding the same full texts.")
    q.add_argument("query", metavar="QUERY")
    q.add_argument("--input", "-i", required=True, metavar="DIR", help="what `uptake spark extract` wrote")
    q.add_argument("--category", "-c", action="append", default=[], metavar="CAT",
                   help="only papers listed in CAT; 'cs' means every cs.*; repeatable")
    q.add_argument("--case-sensitive", action="store_true", help="compare tokens exactly instead of casefolded")
    q.add_argument("--measure", choices=["share", "count"], default="share", help="share (default) or count")
    q.add_argument("--smooth", type=int, default=1, metavar="N", help="centred moving average over N periods")
    q.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    q.set_defaults(handler=cmd_trend)

    q = ssub.add_parser("counts", parents=[sp], allow_abbrev=False,
                        help="papers per n-gram (n <= 3) x month x primary category x role, over extracted Parquet",
                        description="Count, for every n-gram of up to --max-n tokens (uptake's tokens, never across "
                        "a paragraph or a marker), the papers containing it per month, primary category and role "
                        "(and '*': anywhere); cells with fewer than --min-papers papers are dropped (written in "
                        "OUTPUT/_metadata.json). Also per-month totals of usable full texts. Run again into the same OUTPUT, it "
                        "replaces the counts once the new _metadata.json is written.")
    q.add_argument("--input", "-i", required=True, metavar="DIR", help="what `uptake spark extract` wrote")
    q.add_argument("--output", "-o", required=True, metavar="DIR", help="a new folder or URL")
    q.add_argument("--max-n", type=int, default=3, metavar="N", help="longest n-gram (default 3)")
    q.add_argument("--min-papers", type=int, default=1, metavar="K", help="drop cells with fewer papers (default 1)")
    q.set_defaults(handler=cmd_counts)

    q = ssub.add_parser("submit-args", allow_abbrev=False, help="print the spark-submit arguments that ship uptake",
                        description="Print `--py-files ZIP LAUNCHER` (the installed package zipped into the cache "
                        "folder, and a launcher script): spark-submit --master … $(uptake spark submit-args) "
                        "JOB ARGS…")
    q.add_argument("--dir", metavar="DIR", default=None, help="where to write them (default: uptake's cache folder)")
    q.set_defaults(handler=cmd_submit_args)
    p.set_defaults(handler=lambda args: (p.print_help(), 2)[1])

    q = sub.add_parser("import-counts", allow_abbrev=False, help="make a counts corpus from `uptake spark counts` output",
                       description="Copy what `uptake spark counts` wrote into a new counts corpus (a folder): "
                       "`uptake trend QUERY --text full --db FOLDER` then answers single terms and phrases (up to "
                       "the counted length, anywhere or in:ROLE) from it; AND/OR/NOT, categories, exact case, "
                       "wildcards and listing papers are refused.")
    q.add_argument("source", metavar="DIR", help="the folder or URL (s3://…, gs://…) `uptake spark counts` wrote")
    q.add_argument("--db", required=True, metavar="FOLDER", help="the counts corpus to create")
    q.add_argument("--storage-option", action="append", default=[], metavar="KEY=VALUE",
                   help="an fsspec storage option for a URL (e.g. requester_pays=true); repeatable")
    q.set_defaults(handler=cmd_import_counts)


def _conf(args: argparse.Namespace) -> dict[str, str]:
    from ..errors import UsageError

    out = {}
    for item in args.conf:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--conf takes KEY=VALUE, not {item!r}")
        out[key.strip()] = value
    return out


def _storage(args: argparse.Namespace) -> dict[str, Any]:
    from ..sources.fsio import parse_storage_options

    return parse_storage_options(args.storage_option)


def _session(args: argparse.Namespace, app: str) -> Any:
    from ..spark import session

    return session(args.master, app=app, conf=_conf(args))


def cmd_extract(args: argparse.Namespace) -> int:
    from ..spark.extract import expand_inputs, run_extract

    opts = _storage(args)
    expand_inputs(args.input, args.input_format, opts)  # input errors before Spark starts
    report = run_extract(args.input, args.output, fmt=args.input_format, resume=args.resume,
                         spark=_session(args, "uptake extract"), storage_options=opts)
    if args.json:
        write_json(report.as_dict())
    else:
        st = report.statuses
        console().print(
            f"[bold]Extracted[/] {report.inputs:,} input file(s) into {report.output}"
            + (f" ({report.run})" if report.run else " (nothing to do)")
            + (f"; {report.skipped:,} done before, skipped" if report.skipped else "")
            + (f"; replaced the {report.replaced:,} earlier run(s)" if report.replaced and report.run else "")
            + f"\n  ok {st.get('ok', 0):,} · partial {st.get('partial', 0):,} · failed {st.get('failed', 0):,}"
            + (f" · rejected lines {st['rejected']:,}" if st.get("rejected") else "")
            + f" · {report.seconds:.1f} s")
    return 1 if report.statuses.get("failed") else 0


def cmd_trend(args: argparse.Namespace) -> int:
    from ..spark.trend import spark_trend
    from .core import show_trend

    args.text = "full"
    trend = spark_trend(args.query, args.input, scope=scope_for(args), measure=args.measure, smooth=args.smooth,
                        master=args.master, conf=_conf(args), storage_options=_storage(args))  # input checked first
    return show_trend(trend, args)


def cmd_counts(args: argparse.Namespace) -> int:
    from ..spark.counts import run_counts

    write_json(run_counts(args.input, args.output, max_n=args.max_n, min_papers=args.min_papers,
                          master=args.master, conf=_conf(args), storage_options=_storage(args)))  # input checked first
    return 0


def cmd_import_counts(args: argparse.Namespace) -> int:
    from ..corpus._counts import import_counts

    write_json(import_counts(args.source, args.db, _storage(args)))
    return 0


def cmd_submit_args(args: argparse.Namespace) -> int:
    import shlex
    from pathlib import Path

    from ..spark.submit import submit_args

    print(" ".join(shlex.quote(a) for a in submit_args(Path(args.dir) if args.dir else None)))
    console_err().print("use: spark-submit --master URL $(uptake spark submit-args) JOB ARGS…  "
                        "(JOB: extract, trend, counts; the executors need uptake's dependencies installed, and s3fs or "
                        "gcsfs for s3a:// s3:// gs:// inputs and outputs)")
    return 0
