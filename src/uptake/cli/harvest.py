"""``uptake harvest``: keep a local copy of arXiv metadata current over OAI-PMH."""

from __future__ import annotations

import argparse
import contextlib
import os
from typing import Any

from .common import console, console_err, db_parent, write_json


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from ..harvest import DEFAULT_DELAY, DEFAULT_ENDPOINT, DEFAULT_MAX_RETRIES, DEFAULT_PREFIX

    p = sub.add_parser(
        "harvest", parents=[db_parent()], help="fetch arXiv metadata over OAI-PMH, incrementally",
        description="Harvest arXiv records with OAI-PMH ListRecords into the store. Give --from on the first run "
        "(without it the set's whole history is fetched); later runs without --from fetch only what changed since the last completed harvest of each set. "
        "Interrupted harvests resume where they stopped when you run the same command again. "
        "Example: uptake harvest --set cs --from 2024-01-01 --contact you@example.org",
    )
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="SET",
                   help="an arXiv set such as cs, math, stat or physics:hep-th; repeatable (default: every set)")
    p.add_argument("--from", dest="from_", metavar="YYYY-MM-DD",
                   help="records changed on or after this day (default: the last completed harvest of the set)")
    p.add_argument("--until", metavar="YYYY-MM-DD", help="records changed on or before this day (default: today)")
    p.add_argument("--endpoint", default=os.environ.get("UPTAKE_OAI_ENDPOINT", DEFAULT_ENDPOINT), metavar="URL",
                   help=f"OAI-PMH base URL (default {DEFAULT_ENDPOINT})")
    p.add_argument("--metadata-prefix", default=DEFAULT_PREFIX, choices=["arXivRaw", "arXiv", "oai_dc"],
                   help="metadata format (default arXivRaw: it dates every version, so the v1 date is exact)")
    p.add_argument("--delay", type=float, default=DEFAULT_DELAY, metavar="SECONDS",
                   help=f"at least this long between requests (default {DEFAULT_DELAY:g}, arXiv's rule)")
    p.add_argument("--max-retries", type=int, default=DEFAULT_MAX_RETRIES, metavar="N",
                   help=f"retries of a failing page before giving up (default {DEFAULT_MAX_RETRIES})")
    p.add_argument("--contact", default=os.environ.get("UPTAKE_CONTACT"), metavar="EMAIL",
                   help="your e-mail, sent in the User-Agent so arXiv can reach you (default $UPTAKE_CONTACT)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(handler=cmd_harvest)


def cmd_harvest(args: argparse.Namespace) -> int:
    from ..errors import HarvestError
    from ..harvest import check_day, harvest, make_client
    from ..store import Store, default_path

    check_day(args.from_, "--from")
    check_day(args.until, "--until")
    if not args.contact and "arxiv.org" in args.endpoint:
        console_err().print("[yellow]note:[/] no --contact given; arXiv asks harvesters to identify themselves "
                            "(--contact you@example.org or $UPTAKE_CONTACT)")
    path = default_path() if args.db is None else args.db
    show = not args.quiet and console_err().is_terminal
    summary: Any = None
    # Fail now, not after the first request, if the store cannot be written. With a delay
    # between requests, let it go: the harvester opens it for each page only, so other
    # commands can read it meanwhile. With --delay 0 (a local mirror) hold it: faster.
    opened = Store.open(path, write=True)
    store: Any = opened
    if args.delay >= 1:
        opened.close()
        store = path
    with contextlib.ExitStack() as stack:
        if store is opened:
            stack.enter_context(opened)
        client = stack.enter_context(make_client(args.contact))
        kwargs: dict[str, Any] = dict(
            from_=args.from_, until=args.until, endpoint=args.endpoint, metadata_prefix=args.metadata_prefix,
            delay=args.delay, max_retries=args.max_retries,
        )
        try:
            if show:
                summary = _with_progress(store, client, args.sets, kwargs)
            else:
                summary = harvest(store, client, args.sets or [None], **kwargs)
        except HarvestError as exc:
            partial = getattr(exc, "summary", None)
            if partial is not None and not args.json:
                _print_summary(partial, str(path), failed=True)
            raise
    if args.json:
        write_json(summary.as_dict())
    else:
        _print_summary(summary, str(path))
        for note in date_notes(args.metadata_prefix, path):
            console_err().print(f"[yellow]note:[/] {note}", highlight=False)
    return 0


def date_notes(prefix: str, path: Any) -> list[str]:
    """Warnings about v1 dates: a format other than arXivRaw, or a store mixing formats."""
    from ..store import Store

    notes = []
    if prefix != "arXivRaw":
        notes.append(f"{prefix} records do not carry exact v1 dates (arXiv's `arXiv` format dates the current "
                     f"version), so revised papers land in later months; only arXivRaw (the default) is exact. "
                     f"See docs/harvest.md")
    with Store.open(path) as store:
        prefixes = sorted({s["metadata_prefix"] for s in store.harvest_states()})
    if len(prefixes) > 1:
        notes.append(f"this store holds sets harvested as {', '.join(prefixes)}: their papers are dated differently "
                     f"(only arXivRaw has exact v1 dates); harvest everything as arXivRaw into one store")
    return notes


def _with_progress(store: Any, client: Any, sets: list[str], kwargs: dict[str, Any]) -> Any:
    import time

    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from ..harvest import HarvestProgress, harvest

    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(),
        TextColumn("{task.completed:,.0f}/{task.fields[total_text]} records"),
        TextColumn("{task.fields[pages]} pages"), TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(), TextColumn("[dim]{task.fields[note]}"),
        console=console_err(), transient=False,
    ) as bar:
        tasks: dict[str, Any] = {}
        started: dict[str, tuple[float, int]] = {}

        def update(ev: HarvestProgress) -> None:
            name = ev.set_spec or "all"
            if name not in tasks:
                tasks[name] = bar.add_task(f"set {name}", total=None, total_text="?", pages=0, rate="", note="")
            task = tasks[name]
            if ev.note:
                bar.update(task, note=ev.note)
                return
            now = time.monotonic()
            first = started.setdefault(name, (now, ev.done))
            span = now - first[0]
            rate = f"{(ev.done - first[1]) / span:,.0f} rec/s" if span > 0 else ""
            bar.update(task, completed=ev.done, total=ev.total, pages=ev.pages, rate=rate, note="",
                       total_text=f"{ev.total:,}" if ev.total is not None else "?")

        return harvest(store, client, sets or [None], progress=update, **kwargs)


def _print_summary(summary: Any, path: str, *, failed: bool = False) -> None:
    out = console()
    out.print(f"[bold]{'Partly harvested' if failed else 'Harvested'}[/] {summary.endpoint} into {path}")
    for s in summary.sets:
        window = f"{s.window_from or 'the beginning'} to {s.window_until or 'now'}"
        flags = []
        if s.resumed:
            flags.append("resumed")
        if s.restarts:
            flags.append(f"window restarted {s.restarts}x")
        if s.skipped:
            flags.append("already harvested, nothing to fetch")
        if s.refused:
            flags.append("refused by the server (running again fails the same way; see the error below)")
        else:
            flags.append(f"complete through {s.last_datestamp}" if s.complete else "NOT complete: run again to resume")
        out.print(
            f"  set {s.set_spec or '(all)'} ({s.metadata_prefix}, {window}; {', '.join(flags)})\n"
            f"    pages {s.pages:,} · read {s.read:,} · inserted {s.inserted:,} · updated {s.updated:,} · "
            f"unchanged {s.unchanged:,} · deleted {s.deleted:,} · rejected {s.rejected:,}",
            markup=False,
        )
    out.print(f"  {summary.requests:,} requests · {summary.retries:,} retries · {summary.elapsed:.1f} s "
              f"({summary.waited:.1f} s waiting politely or to retry)", markup=False)
    rejected = sum(s.rejected for s in summary.sets)
    if rejected:
        shown = len(summary.rejections)
        out.print(f"[yellow]{rejected:,} record(s) rejected[/]" + (f" (the first {shown} listed)" if rejected > shown else "") + ":")
        for r in summary.rejections:
            out.print(f"  {r}", markup=False)
