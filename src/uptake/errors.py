"""The exceptions uptake raises, all rooted at :class:`UptakeError`.

    UptakeError                 catch this to handle every uptake failure
    ├── UsageError              the user asked for something that cannot be done as asked
    │   ├── QueryError          a query that does not parse (carries .position)
    │   ├── PeriodError         a bad YYYY-MM, or --from after --to
    │   └── UnknownCategoryError
    ├── MissingDependencyError  an optional package (pandas) is not installed
    ├── InputError              a file uptake cannot read
    │   ├── SourceNotFoundError
    │   ├── UnrecognisedFormatError
    │   └── StrictImportError   --strict stopped at the first bad line
    ├── HarvestError            an OAI-PMH harvest could not finish (a rerun resumes it)
    ├── FetchError              fetching e-prints had to stop (a rerun resumes it)
    ├── DeadlineExceeded        the work took longer than the time it was given
    │   └── HarvestRefusedError the server refused a set (badArgument...): a rerun fails the same way
    └── StoreError              the database cannot be used right now
        ├── NoCorpusError       nothing imported yet
        ├── StoreLockedError    another process is writing
        ├── StoreWriteError     the disk is full (or failing): what was committed is intact
        ├── SchemaVersionError  the store was written by a newer uptake
        └── StoreDamagedError   the store file is damaged (truncated, corrupted): restore or re-import

    IndexNotUsedWarning         (a warning, not an error) an index exists but was not used; the scan answered
    └── IndexDamagedWarning     it failed its integrity checks

Every message says what to do next. Only the CLI turns these into exit codes.
"""

from __future__ import annotations


class UptakeError(Exception):
    """Root of every error uptake raises on purpose."""


class UsageError(UptakeError):
    """The request cannot be carried out as asked."""


class QueryError(UsageError):
    """A query that does not parse; ``position`` is the 0-based offset of the problem."""

    def __init__(self, message: str, *, query: str, position: int, hint: str | None = None) -> None:
        self.query = query
        self.position = max(0, min(position, len(query)))
        self.hint = hint
        self.reason = message
        super().__init__(self._render())

    def _render(self) -> str:
        text = f"{self.reason} at position {self.position}"
        if self.hint:
            text += f" ({self.hint})"
        return text

    def caret(self) -> str:
        """The query with a caret line under the problem, for terminals."""
        return f"  {self.query}\n  {' ' * self.position}^"


class PeriodError(UsageError):
    """A malformed period or an empty range."""


class UnknownCategoryError(UsageError):
    """A category that no paper in the corpus has."""


class MissingDependencyError(UptakeError):
    """An optional feature needs a package that is not installed; the message names the pip command."""


class InputError(UptakeError):
    """A file that cannot be read as records."""


class SourceNotFoundError(InputError):
    """The named file does not exist."""


class UnrecognisedFormatError(InputError):
    """The file's content does not look like any supported format."""


class StrictImportError(InputError):
    """``--strict`` met a bad line; nothing was written."""


class HarvestError(UptakeError):
    """An OAI-PMH harvest stopped: the server kept failing or refused the request.

    What was committed before is kept; running the same command again resumes.
    """


class FetchError(UptakeError):
    """Fetching e-prints stopped: the server kept failing or refused us.

    Every paper stored before is kept; running the same command again fetches the rest.
    """


class DeadlineExceeded(UptakeError):
    """The work ran past its :class:`~uptake.deadline.Deadline` and was stopped."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(
            f"this needed more than its {seconds:g} s time budget: narrow it (fewer series, a shorter date "
            f"range, a category) and try again"
        )


class HarvestRefusedError(HarvestError):
    """The server refused the request for a set (unknown set, dates out of range, unknown format).

    Running the same command again fails the same way: the message says what to change.
    """


class StoreError(UptakeError):
    """The store cannot be used right now."""


class NoCorpusError(StoreError):
    """No papers have been imported into this store yet."""


class StoreLockedError(StoreError):
    """Another process holds the store's write lock."""


class StoreWriteError(StoreError):
    """DuckDB could not write the store file (disk full, I/O error); earlier commits are intact."""


class SchemaVersionError(StoreError):
    """The store was created by a newer version of uptake."""


class StoreDamagedError(StoreError):
    """The store file cannot be read back: it is truncated or corrupted. Restore it or re-import."""


class IndexNotUsedWarning(UserWarning):
    """An index exists but cannot be used (unreadable, damaged): the exact scan answers instead."""


class IndexDamagedWarning(IndexNotUsedWarning):
    """An index failed its integrity checks and was not used: the exact scan answered instead.

    The message says what is wrong and what to do (``uptake index --rebuild``, or any import, repairs it).
    """
