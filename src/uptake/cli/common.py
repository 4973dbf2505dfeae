"""Options and output helpers shared by every command."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from ..corpus import Corpus
from ..scope import Scope

if TYPE_CHECKING:
    from rich.console import Console


def db_parent() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--db", metavar="PATH", help="the store (default: $UPTAKE_DB, else uptake.duckdb in your data directory)")
    return p


def query_parent() -> argparse.ArgumentParser:
    """Options that decide what matches; shared by trend, plot, papers and the analytics."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--category", "-c", action="append", default=[], metavar="CAT",
                   help="only papers listed in CAT (primary or cross-list); 'cs' means every cs.*; repeatable")
    p.add_argument("--case-sensitive", action="store_true", help="compare tokens exactly instead of casefolded")
    p.add_argument("--field", choices=["title", "abstract"], default=None,
                   help="match in one field only (default: title or abstract)")
    p.add_argument("--text", choices=["abstract", "full"], default="abstract",
                   help="what to search: titles and abstracts (default), or full texts where the store has them "
                        "(shares then divide by papers WITH a full text; sections with in:ROLE)")
    return p


def add_sense_option(p: argparse.ArgumentParser) -> None:
    """``--sense EXPANSION``: count an acronym only where papers use it in that sense (see ``uptake senses``)."""
    p.add_argument("--sense", metavar="EXPANSION",
                   help="count each series that is one acronym only in this sense, e.g. --sense 'group relative "
                   "policy optimization' (the same as GRPO sense:\"...\" in the query; see `uptake senses GRPO`)")


def query_of(args: argparse.Namespace) -> Any:
    """The query of ``args`` as text, or parsed with ``--sense`` applied to its one-acronym series."""
    sense = getattr(args, "sense", None)
    if not sense:
        return args.query
    from ..query import parse_query
    from ..query.parse import with_sense

    return with_sense(parse_query(args.query), sense)


def range_parent() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--from", dest="start", metavar="YYYY-MM", help="first month (default: the corpus's first)")
    p.add_argument("--to", dest="end", metavar="YYYY-MM", help="last month (default: the corpus's last)")
    p.add_argument("--by", choices=["month", "quarter", "year"], default="month", help="period length (default month)")
    return p


def format_parent(*choices: str, default: str = "table") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--format", "-f", dest="output_format", choices=list(choices), default=default,
                   help=f"output format (default {default})")
    return p


def corpus_for(args: argparse.Namespace) -> Corpus:
    return Corpus(args.db)


def scope_for(args: argparse.Namespace) -> Scope:
    """The :class:`~uptake.scope.Scope` of a command's shared options (those it has; defaults for the rest)."""
    return Scope.build(
        start=getattr(args, "start", None), end=getattr(args, "end", None), by=getattr(args, "by", "month"),
        category=getattr(args, "category", ()), case_sensitive=getattr(args, "case_sensitive", False),
        field=getattr(args, "field", None) or "any", text=getattr(args, "text", "abstract"),
    )


#: Width given to rich when stdout is a pipe or file: wide enough that no table is ever cut.
UNLIMITED_WIDTH = 100_000


def console() -> Console:
    """Standard output: the terminal's width on a terminal; piped or redirected, no width limit
    (a table is never truncated to 80 columns for ``uptake trend ... | less`` or ``> out.txt``)."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else UNLIMITED_WIDTH)


def console_err() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def write_text(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def write_json(data: Any) -> None:
    import orjson

    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode() + "\n")
    sys.stdout.flush()


def pct(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "–"
    v = value * 100
    if v == 0:
        return "0%"
    return f"{v:.{digits}g}%"
