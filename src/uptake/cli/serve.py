"""``uptake serve``: the web viewer and HTTP API on a local port."""

from __future__ import annotations

import argparse
import ipaddress
import sys

from .common import console_err, db_parent

LOOPBACK_NAMES = {"localhost", "ip6-localhost"}


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "serve", parents=[db_parent()], help="the web viewer and JSON API in your browser",
        description="Serve an interactive chart of trends (with the papers behind each point) and the JSON API "
        "(documented at /docs) over the store, opened read-only. Example: uptake serve --port 8000, "
        "then open http://127.0.0.1:8000/",
    )
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 means every interface)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--budget", type=float, default=10.0, metavar="SECONDS",
                   help="time budget per request before answering 503 (default 10)")
    p.set_defaults(handler=cmd_serve)


def binds_all_interfaces(host: str) -> bool:
    return host.strip() in ("", "0.0.0.0", "::", "[::]", "*")


def is_loopback(host: str) -> bool:
    h = host.strip().strip("[]")
    if h.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def cmd_serve(args: argparse.Namespace) -> int:
    from ..corpus import Corpus
    from ..errors import StoreLockedError, UsageError

    if not 0 < args.port < 65536:
        raise UsageError(f"--port must be between 1 and 65535, not {args.port}")
    if args.budget <= 0:
        raise UsageError("--budget must be a positive number of seconds")
    _check_port(args.host, args.port)
    corpus = Corpus(args.db)
    # fails here, with the CLI's message, if there is no corpus; only the count is shown, so no category counts
    # (they would add 40 ms on a 200k-paper store to the time to the first chart)
    try:
        serving = f"{corpus.stats(top_categories=0).papers:,} papers"
    except StoreLockedError:
        # An import or harvest is writing: serve anyway. Requests wait for the writer's turn (or answer 503,
        # "retry in a few seconds"), and the first answer after the writer is done has its papers.
        serving = "the store"
        print("note: another uptake process (an import or a harvest) is writing to the store; requests answer once "
              "it is done", file=sys.stderr, flush=True)
    if binds_all_interfaces(args.host):
        console_err().print(f"[bold yellow]warning:[/] --host {args.host or '(empty)'} listens on ALL network "
                            "interfaces: anyone who can reach this machine can query your corpus. Use --host 127.0.0.1 "
                            "to keep it local.")
    elif not is_loopback(args.host):
        console_err().print(f"[bold yellow]warning:[/] --host {args.host} is reachable from other machines on that "
                            "network; use --host 127.0.0.1 to keep it local.")
    from ..web import Limits, create_app

    # On loopback, answer only requests addressed to loopback names (no DNS rebinding from a web page).
    hosts = ["127.0.0.1", "localhost", "::1"] if is_loopback(args.host) else None
    app = create_app(corpus.path, limits=Limits(time_budget=args.budget), allowed_hosts=hosts)
    shown = f"[{args.host}]" if ":" in args.host and not args.host.startswith("[") else args.host
    if binds_all_interfaces(args.host):
        shown = "127.0.0.1"
    # plain text (no markup in it): rich, the CLI's console, would add its import to the time to the first chart
    print(f"uptake: serving {serving} from {corpus.path} (read-only)\n"
          f"  open http://{shown}:{args.port}/   ·   API docs http://{shown}:{args.port}/docs   ·   Ctrl+C stops",
          file=sys.stderr, flush=True)
    run_server(app, args.host, args.port)
    return 0


def _check_port(host: str, port: int) -> None:
    """Fail early, with advice, when the address is taken or unknown (uvicorn would only log it)."""
    import socket

    from ..errors import UsageError

    h = host.strip().strip("[]") or "0.0.0.0"
    try:
        infos = socket.getaddrinfo(h, port, type=socket.SOCK_STREAM)
    except OSError:
        raise UsageError(f"--host {host} is not an address of this machine: use 127.0.0.1 (or 0.0.0.0 for all)") from None
    family, _, _, _, addr = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(addr)
        except OSError as exc:
            raise UsageError(f"cannot listen on {host}:{port} ({exc.strerror}): another program (another "
                             f"uptake serve?) may use it; choose another --port") from None


def run_server(app, host: str, port: int) -> None:  # type: ignore[no-untyped-def]
    """Serve until Ctrl+C, then leave at once.

    The store is only read, so nothing is lost by not waiting for a long analytics query
    still running in a worker thread (DuckDB would otherwise finish it before the process ends).
    """
    import os
    import sys

    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, timeout_graceful_shutdown=2)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
