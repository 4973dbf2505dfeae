"""Fetch the arXiv e-prints of papers already in the store, extract them, and store their full texts.

Which papers: those whose metadata matches a query (as ``uptake papers`` lists them, newest first),
optionally in a month range and categories, at most ``limit`` of them. Where from:

- arXiv itself, ``https://arxiv.org/e-print/ID`` (or another base URL), one request per paper, politely:
  at least ``delay`` seconds between requests (3 s by default: arXiv's terms of use for its APIs ask for
  no more than one request every three seconds, https://info.arxiv.org/help/api/tou.html), honouring
  ``Retry-After``, retrying 5xx/429 answers and connection errors with jittered exponential back-off a
  bounded number of times, and naming uptake and a contact in the User-Agent;
- or copies of arXiv's bulk source tarballs (``arXiv_src_YYMM_NNN.tar``) in a folder or at a
  ``file://``, ``s3://`` or ``gs://`` URL (opened with fsspec), streamed member by member; only the
  members of wanted papers are read.

Every e-print is extracted with :func:`uptake.sources.eprint.extract_eprint` and ends ok, partial or
failed with its reasons. Definite answers are stored, failures included: an HTTP 404 or 410, another
4xx, an HTML page instead of a source, a corrupt or over-large file. ``uptake fulltext status`` lists
them. A paper that keeps failing *transiently* (5xx, connection errors) after every retry is not stored
(it is not known to be missing) and is tried again by the next run; three such papers in a row stop the
run with :class:`~uptake.errors.FetchError`, as does an HTTP 403 (the server refusing us).

Crash safety: each paper is committed in its own transaction as soon as it is extracted, and a run
skips every paper whose full text is already stored. So after ``kill -9`` at any moment, running the
same command again ends with exactly the full texts an uninterrupted run stores, none twice. Failed
papers are not fetched again unless ``retry_failed`` is set (``--retry-failed``): a 404 stays a 404, and
asking again costs arXiv a request.

The HTTP client, sleep, clock and random source are parameters, so tests drive a local server
without waiting.
"""

from __future__ import annotations

import posixpath
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import FetchError, SourceNotFoundError, UsageError
from .harvest import (
    DEFAULT_DELAY,
    DEFAULT_MAX_RETRIES,
    MAX_RETRY_AFTER,
    _retry_after,
    make_client,
)
from .index.fulltext import sync as sync_fulltext_index
from .records import FullText
from .sources.fsio import filesystem
from .store import Store

if TYPE_CHECKING:
    import httpx

    from .sources.latex import Limits

DEFAULT_BASE_URL = "https://arxiv.org/e-print"
#: Papers in a row that exhaust their retries before the run stops (the server is down, not the paper).
MAX_GIVE_UPS_IN_A_ROW = 3
KEEP_PROBLEMS = 1000
PURPOSE = "e-print fetcher"


@dataclass(frozen=True)
class FetchProgress:
    """Reported after every stored paper, and while waiting to retry (``note`` says why)."""

    done: int  # papers dealt with in this run (stored, or given up on)
    total: int  # papers this run has to deal with (those without a stored full text)
    statuses: dict[str, int]
    paper: str | None = None
    note: str | None = None


ProgressFn = Callable[[FetchProgress], None]


@dataclass
class FetchSummary:
    """What a fetch did: papers selected, skipped as already stored, stored by status, and every problem."""

    source: str
    selected: int = 0  # papers matching the query (after the limit)
    already: int = 0  # of those, skipped: a full text is stored
    to_fetch: int = 0
    stored: int = 0
    inserted: int = 0
    replaced: int = 0
    unchanged: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # (id, status, reason), first KEEP_PROBLEMS
    gave_up: list[tuple[str, str]] = field(default_factory=list)  # (id, last problem): not stored, retried next run
    missing: list[str] = field(default_factory=list)  # bulk: wanted papers in none of the tarballs
    source_problems: list[str] = field(default_factory=list)  # bulk: tarballs that could not be read (fully)
    requests: int = 0
    retries: int = 0
    waited: float = 0.0
    elapsed: float = 0.0
    complete: bool = False

    @property
    def failed(self) -> int:
        return self.statuses.get("failed", 0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "selected": self.selected, "already_stored": self.already,
            "to_fetch": self.to_fetch, "stored": self.stored, "inserted": self.inserted, "replaced": self.replaced,
            "unchanged": self.unchanged, "statuses": dict(self.statuses), "complete": self.complete,
            "problems": [{"paper": p, "status": s, "reason": r} for p, s, r in self.problems],
            "gave_up": [{"paper": p, "reason": r} for p, r in self.gave_up],
            "missing": list(self.missing), "source_problems": list(self.source_problems),
            "requests": self.requests, "retries": self.retries, "waited_seconds": round(self.waited, 3),
            "elapsed_seconds": round(self.elapsed, 3),
        }


class _GiveUp(Exception):
    """A paper failed transiently on every attempt."""


# -- which papers -------------------------------------------------------------------------------
def select_ids(path: str | Path | None, query: str, *, start: str | None = None, end: str | None = None,
               category: str | Sequence[str] = (), limit: int | None = None, page: int = 5000) -> list[str]:
    """Ids of the stored papers matching ``query`` (title or abstract, as ``uptake papers``) in months
    ``start``..``end`` and ``category``, newest first; at most ``limit``."""
    from .corpus import Corpus
    from .scope import Scope

    if limit is not None and limit < 0:
        raise UsageError("--limit must be zero or more")
    corpus = Corpus(path)
    scope = Scope.build(start=start, end=end, category=category)
    ids: list[str] = []
    while True:
        want = page if limit is None else min(page, limit - len(ids))
        if want <= 0:
            break
        found = corpus.papers(query, scope=scope, limit=want, offset=len(ids))
        ids.extend(p.id for p in found.papers)
        if len(found.papers) < want:
            break
    return list(dict.fromkeys(ids))


# -- HTTP ------------------------------------------------------------------------------------------
class EprintClient:
    """Downloads e-prints one at a time, politely; see the module's docstring for the rules."""

    def __init__(self, client: httpx.Client, *, base_url: str = DEFAULT_BASE_URL, delay: float = DEFAULT_DELAY,
                 max_retries: int = DEFAULT_MAX_RETRIES, backoff_base: float = 2.0, backoff_cap: float = 300.0,
                 sleep: Callable[[float], None] | None = None, clock: Callable[[], float] | None = None,
                 rng: random.Random | None = None, limits: Limits | None = None,
                 summary: FetchSummary | None = None, note: Callable[[str], None] | None = None) -> None:
        if delay < 0 or max_retries < 0:
            raise UsageError("--delay and --max-retries cannot be negative")
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.delay = delay
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.sleep = sleep or time.sleep
        self.clock = clock or time.monotonic
        self.rng = rng or random.Random()
        from .sources.latex import Limits  # the LaTeX reader: loaded when e-prints are fetched

        self.limits = limits or Limits()
        self.summary = summary or FetchSummary(source=self.base_url)
        self.note = note
        self._last_request_end: float | None = None

    def url(self, paper_id: str) -> str:
        return f"{self.base_url}/{paper_id}"

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self.sleep(seconds)
            self.summary.waited += seconds

    def _backoff(self, attempt: int) -> float:
        """Exponential back-off with jitter: half fixed, half random, so clients spread out."""
        ceiling = min(self.backoff_cap, self.backoff_base * (2 ** attempt))
        return ceiling / 2 + self.rng.random() * ceiling / 2

    def get(self, paper_id: str) -> tuple[bytes | None, str | None]:
        """``(e-print bytes, None)``, or ``(None, why the paper has no e-print)`` for a definite failure.

        Raises :class:`_GiveUp` when transient failures outlast the retries, :class:`FetchError` on HTTP 403.
        """
        import httpx

        url = self.url(paper_id)
        attempt = 0
        while True:
            if self._last_request_end is not None:  # at least `delay` since the last request ended
                self._wait(self.delay - (self.clock() - self._last_request_end))
            self.summary.requests += 1
            wait: float | None = None
            try:
                with self.client.stream("GET", url) as resp:
                    status = resp.status_code
                    if status == 200:
                        return self._body(resp)
                    if status in (404, 410):
                        return None, (f"HTTP {status}: the server has no e-print of this paper (no such "
                                      f"paper, withdrawn, or no source made public)")
                    if status == 403:
                        raise FetchError(
                            f"{url} answered HTTP 403 (forbidden): the server refuses this client, perhaps for "
                            f"fetching too fast. Stop, wait, and check --delay and --contact; papers stored so far "
                            f"are kept and the same command resumes")
                    if status == 429 or status >= 500:
                        header = resp.headers.get("Retry-After")
                        ra = _retry_after(header)
                        problem = f"HTTP {status}" + (f" with Retry-After {header}" if ra is not None else "")
                        if ra is not None:
                            wait = min(ra, MAX_RETRY_AFTER)
                    else:
                        return None, f"HTTP {status} for the e-print"
            except httpx.TransportError as exc:
                problem = f"connection problem ({type(exc).__name__}: {exc or 'no detail'})"
            finally:
                self._last_request_end = self.clock()
            attempt += 1
            if attempt > self.max_retries:
                raise _GiveUp(f"gave up after {attempt} attempt(s): {problem}")
            self.summary.retries += 1
            pause = wait if wait is not None else self._backoff(attempt - 1)
            if self.note:
                self.note(f"{paper_id}: {problem}; retry {attempt}/{self.max_retries} in "
                          f"{max(pause, self.delay):.1f}s")
            self._wait(pause)  # the polite delay still applies after it (whichever is longer)

    def _body(self, resp: httpx.Response) -> tuple[bytes | None, str | None]:
        limit = self.limits.max_bytes
        declared = resp.headers.get("Content-Length")
        too_big = f"e-print larger than the size limit ({limit / 1e6:g} MB); not downloaded"
        if declared and declared.isdigit() and int(declared) > limit:
            return None, too_big
        chunks: list[bytes] = []
        size = 0
        for chunk in resp.iter_bytes():
            size += len(chunk)
            if size > limit:
                return None, too_big
            chunks.append(chunk)
        return b"".join(chunks), None


# -- the run -----------------------------------------------------------------------------------------
class _Run:
    """Stores fetched papers one transaction each, counts them, reports progress."""

    def __init__(self, store: Store | str | Path, summary: FetchSummary, progress: ProgressFn | None,
                 lock_wait: float = 120.0) -> None:
        self.store = store
        self.summary = summary
        self.progress = progress
        self.lock_wait = lock_wait
        self.done = 0

    @contextmanager
    def session(self) -> Iterator[Store]:
        """The store for writing: the one held, or the path opened for this write only (readers get turns)."""
        if isinstance(self.store, Store):
            yield self.store
            return
        with Store.open(self.store, write=True, wait=self.lock_wait) as store:
            yield store

    def save(self, ft: FullText) -> None:
        from .fulltext import content_hash, month_for, write_fulltexts  # pyarrow: only when something is saved

        with self.session() as store:
            counts = write_fulltexts(store, [(ft, month_for(ft), content_hash(ft))])
        s = self.summary
        s.stored += 1
        s.inserted += counts.inserted
        s.replaced += counts.replaced
        s.unchanged += counts.unchanged
        s.statuses[ft.status] = s.statuses.get(ft.status, 0) + 1
        if ft.status != "ok" and len(s.problems) < KEEP_PROBLEMS:
            s.problems.append((ft.id, ft.status, "; ".join(ft.problems) or "(no reason given)"))
        self.step(ft.id)

    def step(self, paper: str | None) -> None:
        self.done += 1
        if self.progress:
            self.progress(FetchProgress(self.done, self.summary.to_fetch, dict(self.summary.statuses), paper))

    def note(self, text: str) -> None:
        if self.progress:
            self.progress(FetchProgress(self.done, self.summary.to_fetch, dict(self.summary.statuses), None, text))


def _todo(run: _Run, ids: Sequence[str], retry_failed: bool) -> list[str]:
    with run.session() as store:
        held = store.fulltext_statuses()
    todo = [i for i in ids if i not in held or (retry_failed and held[i] == "failed")]
    run.summary.selected = len(ids)
    run.summary.already = len(ids) - len(todo)
    run.summary.to_fetch = len(todo)
    return todo


def fetch_fulltexts(
    store: Store | str | Path,
    ids: Sequence[str],
    *,
    client: httpx.Client | None = None,
    base_url: str = DEFAULT_BASE_URL,
    source: str | None = None,
    contact: str | None = None,
    delay: float = DEFAULT_DELAY,
    max_retries: int = DEFAULT_MAX_RETRIES,
    retry_failed: bool = False,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
    rng: random.Random | None = None,
    limits: Limits | None = None,
    progress: ProgressFn | None = None,
) -> FetchSummary:
    """Fetch, extract and store the e-prints of ``ids`` that have no stored full text (also the failed
    ones with ``retry_failed``), from ``base_url`` or, with ``source``, from bulk tarballs there; then
    update the full-text index.

    ``store`` is an open writable store (held throughout) or a path: then it is opened for each paper
    only, so other commands can read it during a long polite fetch. A ``client`` is made (User-Agent
    naming uptake and ``contact``) when not given. On :class:`FetchError` every paper stored so far is
    kept and the summary is attached as ``exc.summary``.
    """
    clock = clock or time.monotonic
    started = clock()
    summary = FetchSummary(source=source or base_url.rstrip("/"))
    run = _Run(store, summary, progress)
    todo = _todo(run, ids, retry_failed)
    run.note(f"{summary.to_fetch:,} to fetch; {summary.already:,} already stored")
    try:
        if source is not None:
            from .sources.latex import Limits

            _from_bulk(run, todo, source, limits or Limits())
        elif todo:
            own = client is None
            http = client if client is not None else make_client(contact, purpose=PURPOSE)
            try:
                _from_http(run, todo, EprintClient(http, base_url=base_url, delay=delay, max_retries=max_retries,
                                                   sleep=sleep, clock=clock, rng=rng, limits=limits,
                                                   summary=summary, note=run.note))
            finally:
                if own:
                    http.close()
    except FetchError as exc:
        summary.elapsed = clock() - started
        exc.summary = summary  # type: ignore[attr-defined]
        _sync(run)
        raise
    summary.complete = not summary.gave_up and not summary.missing and not summary.source_problems
    _sync(run)
    summary.elapsed = clock() - started
    return summary


def _sync(run: _Run) -> None:
    """Bring the full-text index up to date with what was stored (as an extraction does)."""
    with run.session() as store:
        sync_fulltext_index(store)


def _from_http(run: _Run, todo: Sequence[str], http: EprintClient) -> None:
    from .sources.eprint import extract_eprint

    in_a_row = 0
    for pid in todo:
        try:
            data, reason = http.get(pid)
        except _GiveUp as exc:
            run.summary.gave_up.append((pid, str(exc)))
            run.step(pid)
            in_a_row += 1
            if in_a_row >= MAX_GIVE_UPS_IN_A_ROW:
                raise FetchError(
                    f"{in_a_row} papers in a row failed on every retry (the last, {pid}: {exc}); the server "
                    f"seems down. Papers stored so far are kept: run the same command again later") from None
            continue
        in_a_row = 0
        url = http.url(pid)
        if data is None:
            ft = _failed(pid, reason or "no e-print", url)
        else:
            ft = extract_eprint(data, pid, limits=http.limits, source=url)
        run.save(ft)


def _failed(paper_id: str, reason: str, source: str) -> FullText:
    """A failed full text with ``reason`` (what extract_eprint makes of an unusable e-print)."""
    from .sources._fulltext import outcome
    from .sources.latex import EXTRACTOR

    return outcome(paper_id=paper_id, title="", abstract="", paragraphs=(), bibliography=(), source_kind="latex",
                   extractor=EXTRACTOR, fatal=reason, source=source)


# -- bulk tarballs ---------------------------------------------------------------------------------
def bulk_tarballs(source: str) -> list[tuple[str, Callable[[], Any]]]:
    """``(name, open)`` of every ``arXiv_src_*.tar`` in a folder or URL (or the one file named), sorted.

    URLs (``file://``, ``s3://``, ``gs://``) are opened with fsspec (:mod:`uptake.sources.fsio`)."""
    fs, root = filesystem(source, what="--source")
    if fs.isdir(root):
        names = sorted(fs.glob(posixpath.join(root, "arXiv_src_*.tar")))
    elif fs.exists(root):
        names = [root]
    else:
        raise SourceNotFoundError(f"{source} does not exist: give a folder or URL of arXiv_src_*.tar tarballs")
    return [(posixpath.basename(n), partial(fs.open, n, "rb")) for n in names]


def _from_bulk(run: _Run, todo: Sequence[str], source: str, limits: Limits) -> None:
    from .sources.eprint import iter_bulk_tar

    tarballs = bulk_tarballs(source)
    if not tarballs:
        raise SourceNotFoundError(f"no arXiv_src_*.tar tarballs in {source}")
    wanted = set(todo)
    done: set[str] = set()
    for name, opener in tarballs:
        if len(done) == len(wanted):
            break
        run.note(f"reading {name}")
        with opener() as stream:
            for ft in iter_bulk_tar(stream, limits=limits, name=name,
                                    keep=lambda pid: pid in wanted and pid not in done):
                if ft.id not in wanted or ft.id in done:  # the tarball itself could not be read (further)
                    run.summary.source_problems.append(f"{name}: {'; '.join(ft.problems)}")
                    continue
                done.add(ft.id)
                run.save(ft)
    run.summary.missing = [i for i in todo if i not in done]
