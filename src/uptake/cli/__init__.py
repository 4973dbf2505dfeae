"""The command line: thin commands over the library.

Each module in ``COMMAND_MODULES`` adds its subcommands through ``register``;
handlers parse nothing themselves, call the library, and format the result.
Library errors become one-line messages and exit code 2 here, and only here.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMAND_MODULES = ("core", "serve", "harvest", "index", "report", "analytics", "fulltext", "spark")


def build_parser() -> argparse.ArgumentParser:
    from .._version import __version__

    parser = argparse.ArgumentParser(
        prog="uptake",
        description="How fast do research ideas spread? Monthly trends of terms in arXiv papers.",
        epilog="Every command takes --db PATH (default: $UPTAKE_DB, else a store in your data directory). "
        "Run `uptake COMMAND --help` for its options.",
    )
    parser.add_argument("--version", action="version", version=f"uptake {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f".{name}", __name__).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from ..errors import QueryError, UptakeError
    from .common import console_err

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except QueryError as exc:
        err = console_err()
        err.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
        err.print(exc.caret(), highlight=False, markup=False)
        return 2
    except UptakeError as exc:
        console_err().print(f"[bold red]error:[/] {exc}", highlight=False)
        return 2
    except KeyboardInterrupt:
        console_err().print("interrupted: what was committed is kept; run the same command again to finish")
        return 130
    except RuntimeError as exc:  # DuckDB turns Ctrl-C during a query into "Query interrupted"
        if "interrupted" not in str(exc).lower():
            raise
        console_err().print("interrupted: what was committed is kept; run the same command again to finish")
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
