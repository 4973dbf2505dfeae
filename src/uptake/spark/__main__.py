"""``python -m uptake.spark JOB ARGS…``: the same as ``uptake spark JOB ARGS…`` (what spark-submit runs)."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from ..cli import main as cli_main

    args = list(sys.argv[1:] if argv is None else argv)
    return cli_main(["spark", *args])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
