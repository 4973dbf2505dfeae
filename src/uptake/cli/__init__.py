"""The command line: thin commands over the library.

Each module in ``COMMAND_MODULES`` adds its subcommands through ``register``;
handlers parse nothing themselves, call the library, and format the result.
Library errors become one-line messages and exit code 2 here, and only here.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings
from collections.abc import Sequence

COMMAND_MODULES = ("core", "serve", "harvest", "index", "report", "analytics", "fulltext", "check", "spark")


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
    _no_abbreviations(parser)
    return parser


def _unexpected(parser: argparse.ArgumentParser, args: argparse.Namespace, extra: list[str]) -> None:
    """Words left over after parsing: most often an unquoted query (``uptake trend GRPO DPO``)."""
    words = [w for w in extra if not w.startswith("-")]
    options = [w for w in extra if w.startswith("-")]
    if options:  # abbreviations are off: --form is not --format
        parser.error(f"unrecognized option {options[0]} (options must be spelled in full; "
                     f"`uptake {args.command or ''} --help` lists them)")
    if words and getattr(args, "query", None):
        whole = " ".join([args.query, *words])
        parser.exit(2, f"uptake {args.command}: error: unexpected {' '.join(words)!r} after the query {args.query!r}: "
                       f"quote the whole query, e.g. '{whole}' (one phrase) or '{', '.join([args.query, *words])}' "
                       f"(separate series)\n")
    parser.error(f"unrecognized arguments: {' '.join(extra)}")


def _no_abbreviations(parser: argparse.ArgumentParser) -> None:
    """Turn off prefix matching everywhere: ``--form`` must not silently mean ``--format``."""
    parser.allow_abbrev = False
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                _no_abbreviations(child)


#: What Ctrl-C leaves behind, per command; commands that only read say that nothing changed.
_WRITES = {
    "import": "interrupted: every committed batch is kept; run the same command again to finish the import",
    "harvest": "interrupted: every committed page is kept; run the same command again to resume the harvest",
    "index": "interrupted: the term index is incomplete; run `uptake index` again (queries scan the store until then)",
    "report": "interrupted: the report folder may be incomplete; run the same command again (with --force)",
    "export": "interrupted: the export folder may be incomplete; run the same command again",
}


def interrupted_message(command: str | None) -> str:
    if command in _WRITES:
        return _WRITES[command]  # type: ignore[index]
    if command == "serve":
        return "stopped the server"
    return f"interrupted: `uptake {command}` stopped; it only reads, so nothing was changed"


def main(argv: Sequence[str] | None = None) -> int:
    from .common import console_err

    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        _unexpected(parser, args, extra)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    with warnings.catch_warnings():
        _say_warnings_once(console_err)
        return _run(args)


def _say_warnings_once(console_err) -> None:  # type: ignore[no-untyped-def]
    """uptake's warnings (e.g. a damaged index, answered by the scan) as one stderr line each, once."""
    from ..errors import IndexNotUsedWarning

    said: set[str] = set()
    original = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):  # type: ignore[no-untyped-def]
        if not issubclass(category, IndexNotUsedWarning):
            return original(message, category, filename, lineno, file, line)
        text = str(message)
        if text not in said:
            said.add(text)
            console_err().print(f"warning: {text}", highlight=False, markup=False)

    warnings.simplefilter("always", IndexNotUsedWarning)
    warnings.showwarning = show


def _run(args: argparse.Namespace) -> int:
    from ..errors import QueryError, UptakeError
    from .common import console_err

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
        console_err().print(interrupted_message(args.command), highlight=False)
        return 130
    except RuntimeError as exc:  # DuckDB turns Ctrl-C during a query into "Query interrupted"
        if "interrupted" not in str(exc).lower():
            raise
        console_err().print(interrupted_message(args.command), highlight=False)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
