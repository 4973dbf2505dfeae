"""`uptake index`: build, update or rebuild the term index that answers trend and papers queries."""

from __future__ import annotations

import argparse

from .common import console, console_err, db_parent, write_json


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "index", parents=[db_parent()], help="build or update the term index (imports keep it up to date)",
        description="The term index answers trend and papers queries in milliseconds with the same counts as a "
        "full scan. Imports update it; this command brings it up to date (building it if missing), "
        "--rebuild builds a new one from the store, --status only reports.",
    )
    p.add_argument("--rebuild", action="store_true", help="build a complete new index from the store")
    p.add_argument("--status", action="store_true", help="only say whether the index exists and is up to date")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(handler=cmd_index)


def cmd_index(args: argparse.Namespace) -> int:
    from .. import index
    from ..errors import StoreError, UptakeError
    from ..ingest import index_path_problem
    from ..store import Store

    problem = index_path_problem(_store_path(args.db))
    if problem and not args.status:
        raise StoreError(problem)

    if args.status:
        with Store.open(args.db, write=False) as store:
            info: index.IndexInfo | None = index.status(store)
    else:
        err = console_err()
        show = err.is_terminal and not args.json

        def progress(done: int, total: int) -> None:
            if show:
                err.print(f"\rindexed {done:,} of {total:,} papers", end="")

        with Store.open(args.db, write=True) as store:  # briefly: make sure the store has its identity
            store.require_papers()
            index.ensure_store_identity(store)
        # Indexing only reads the store: a read-only connection lets queries (and `uptake serve`) go on meanwhile,
        # answered by the old index generation, while imports wait.
        with Store.open(args.db, write=False) as store:
            try:
                info = index.rebuild(store, progress=progress) if args.rebuild else index.sync(store, progress=progress)
            except (OSError, ValueError) as exc:  # tantivy's IO errors (a full disk) arrive as ValueError
                raise UptakeError(
                    f"the term index could not be written ({str(exc).splitlines()[0][:200]}); nothing half-built "
                    f"is left and the previous index is used while it matches the store: free disk space (or fix "
                    f"permissions) and run `uptake index --rebuild` again") from exc
        if show:
            err.print()
    assert info is not None
    if args.json:
        write_json(info.as_dict())
        return 0
    out = console()
    if info.action == "none":
        out.print(f"no index at {info.path} yet: run `uptake index` to build it")
        return 0
    took = f" in {info.seconds:.1f} s" if info.seconds is not None else ""
    if info.problems:
        state = ("DAMAGED: " + "; ".join(info.problems[:3]) + " (queries scan the store, same counts, slower; "
                 "`uptake index --rebuild` repairs it)")
    elif info.fresh:
        state = "up to date"
    else:
        state = (f"not used: {info.reason or 'behind the store'} (queries scan the store until `uptake index` "
                 f"runs)")
    out.print(f"index {info.path} ({info.generation}): {info.papers:,} papers, "
              f"{info.size_bytes / 1e6:,.1f} MB, {state}; {info.action}{took}", markup=False)
    return 1 if info.problems else 0


def _store_path(db: str | None):  # type: ignore[no-untyped-def]
    from pathlib import Path

    from ..store import default_path

    return Path(db).expanduser() if db else default_path()
