"""Incremental, polite, resumable OAI-PMH harvesting of arXiv into the store.

One *window* is one ``ListRecords`` request (set, metadata format, ``from``, ``until``)
followed through its resumption tokens. After every page, the page's papers, its
deletions and the next resumption token are committed in ONE transaction, so a harvest
killed at any instant (Ctrl-C, ``kill -9``, power loss) resumes at exactly the page after
the last committed one: nothing is lost and nothing is written twice (and writing a
record twice would change nothing anyway: upserts are idempotent).

Per (endpoint, set, metadata format) the store keeps ``last_datestamp``: the day up to
which every change has been harvested. A later harvest without ``from`` starts there
(inclusive: OAI dates are days, so that day is fetched again rather than risk a gap).

The HTTP client, the sleep function, the clock and the random source are parameters,
so tests drive a real local server without really waiting.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from .errors import HarvestError, HarvestRefusedError, UsageError
from .records import Rejection
from .sources.oai import METADATA_PREFIXES, MalformedResponse, OAIPage, OAIProtocolError, parse_list_records
from .store import Store

if TYPE_CHECKING:
    import httpx

DEFAULT_ENDPOINT = "https://oaipmh.arxiv.org/oai"
DEFAULT_PREFIX = "arXivRaw"
DEFAULT_DELAY = 3.0  # arXiv asks for no more than one request every 3 seconds
DEFAULT_MAX_RETRIES = 6
MAX_RETRY_AFTER = 3600.0
MAX_WINDOW_RESTARTS = 3
KEEP_REJECTIONS = 20

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def user_agent(contact: str | None, purpose: str = "OAI-PMH harvester") -> str:
    """``uptake/VERSION (PURPOSE; mailto:CONTACT)``: who is fetching, what for, and how to reach them."""
    from ._version import __version__

    who = f"mailto:{contact}" if contact and "@" in contact and not contact.startswith("mailto:") else contact
    return f"uptake/{__version__} ({purpose}; {who or 'no contact given: set --contact or $UPTAKE_CONTACT'})"


def make_client(contact: str | None = None, *, timeout: float = 120.0,
                purpose: str = "OAI-PMH harvester") -> httpx.Client:
    """An ``httpx.Client`` with uptake's User-Agent (and ``From`` when the contact is an address)."""
    import httpx

    headers = {"User-Agent": user_agent(contact, purpose)}
    if contact and "@" in contact:
        headers["From"] = contact.removeprefix("mailto:")
    return httpx.Client(headers=headers, timeout=httpx.Timeout(timeout, connect=30.0), follow_redirects=True)


def check_day(value: str | None, what: str) -> str | None:
    """Validate an OAI day (``YYYY-MM-DD``, arXiv's granularity); returns it unchanged."""
    if value is None:
        return None
    text = value.strip()
    if not _DAY.match(text):
        raise UsageError(f"{what} {value!r} is not a day: write YYYY-MM-DD, e.g. 2024-01-01 (arXiv's OAI dates are days)")
    try:
        date.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(f"{what} {value!r} is not a real date: {exc}") from exc
    return text


@dataclass(frozen=True)
class HarvestProgress:
    """Reported after every committed page, and while waiting to retry (``note`` says why)."""

    set_spec: str
    pages: int  # pages committed in this window (across resumes)
    records: int  # records committed in this window (across resumes)
    done: int  # position in the complete list (cursor + page), for the progress bar
    total: int | None  # completeListSize, when the server sends it
    note: str | None = None


ProgressFn = Callable[[HarvestProgress], None]


@dataclass
class SetSummary:
    """What harvesting one set did in this run."""

    set_spec: str
    metadata_prefix: str
    window_from: str | None = None
    window_until: str | None = None
    resumed: bool = False
    complete: bool = False
    pages: int = 0
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    rejected: int = 0
    restarts: int = 0
    last_datestamp: str | None = None
    skipped: bool = False  # the requested window was already complete: nothing fetched
    refused: str | None = None  # the server refused this set (badArgument...): what is wrong, not "run again"

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass
class HarvestSummary:
    """What a harvest run did; ``rejections`` keeps the first few, ``SetSummary.rejected`` counts all."""

    endpoint: str
    sets: list[SetSummary] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    requests: int = 0
    retries: int = 0
    waited: float = 0.0  # seconds spent waiting (politeness delay, Retry-After, backoff)
    elapsed: float = 0.0

    def total(self, name: str) -> int:
        return sum(int(getattr(s, name)) for s in self.sets)

    def as_dict(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "sets": [s.as_dict() for s in self.sets],
            "read": self.total("read"), "inserted": self.total("inserted"), "updated": self.total("updated"),
            "unchanged": self.total("unchanged"), "deleted": self.total("deleted"), "rejected": self.total("rejected"),
            "pages": self.total("pages"), "requests": self.requests, "retries": self.retries,
            "waited_seconds": round(self.waited, 3), "elapsed_seconds": round(self.elapsed, 3),
            "rejections": [{"where": r.file, "line": r.line, "reason": r.reason} for r in self.rejections],
        }


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


class Harvester:
    """Harvests windows of one endpoint and metadata format into a writable store.

    ``store`` is an open writable :class:`Store` (held for the whole harvest), or the path
    of one: then the store is opened for each page and closed again while the harvester
    waits, so other uptake commands can read it during a long, polite harvest.
    """

    def __init__(
        self,
        store: Store | str | Path,
        client: httpx.Client,
        *,
        endpoint: str = DEFAULT_ENDPOINT,
        metadata_prefix: str = DEFAULT_PREFIX,
        delay: float = DEFAULT_DELAY,
        max_retries: int = DEFAULT_MAX_RETRIES,
        backoff_base: float = 2.0,
        backoff_cap: float = 300.0,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
        rng: random.Random | None = None,
        progress: ProgressFn | None = None,
    ) -> None:
        if metadata_prefix not in METADATA_PREFIXES:
            raise UsageError(f"metadata format {metadata_prefix!r} is not supported: use one of {', '.join(METADATA_PREFIXES)}")
        if delay < 0 or max_retries < 0:
            raise UsageError("--delay and --max-retries cannot be negative")
        self.store = store
        self.lock_wait = 120.0  # seconds to wait for readers to let go before writing a page
        self.client = client
        self.endpoint = endpoint
        self.prefix = metadata_prefix
        self.delay = delay
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.sleep = sleep or time.sleep
        self.clock = clock or time.monotonic
        self.rng = rng or random.Random()
        self.progress = progress
        self.summary = HarvestSummary(endpoint=endpoint)
        self._last_request_end: float | None = None

    @contextmanager
    def _session(self) -> Iterator[Store]:
        if isinstance(self.store, Store):
            yield self.store
            return
        from .ingest import refresh_openness  # the importers: loaded when a harvest writes, not by `uptake --help`

        store = Store.open(self.store, write=True, wait=self.lock_wait)
        try:
            refresh_openness(store)
            yield store
        finally:
            store.close()

    # -- HTTP --------------------------------------------------------------------
    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self.sleep(seconds)
            self.summary.waited += seconds

    def _polite_pause(self) -> None:
        if self._last_request_end is None:
            return
        remaining = self.delay - (self.clock() - self._last_request_end)
        self._wait(remaining)

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter: half fixed, half random, so clients spread out."""
        ceiling = min(self.backoff_cap, self.backoff_base * (2 ** attempt))
        return ceiling / 2 + self.rng.random() * ceiling / 2

    def fetch(self, params: dict[str, str], *, set_spec: str, where: str) -> OAIPage:
        """GET one page, politely, retrying transient failures; parse it.

        Retries (up to ``max_retries``): connection errors and bodies cut short, HTTP 5xx
        and 429 (``Retry-After`` honoured), malformed XML or HTML instead of OAI-PMH, and
        once a page with bad records (a glitch may have cut them). OAI errors are raised
        as :class:`OAIProtocolError`; giving up raises :class:`HarvestError`.
        """
        import httpx

        attempt = 0
        bad_record_retry_left = 1
        while True:
            self._polite_pause()
            self.summary.requests += 1
            problem: str
            wait: float | None = None
            try:
                resp = self.client.get(self.endpoint, params=params)
            except httpx.TransportError as exc:
                problem = f"connection problem ({type(exc).__name__}: {exc or 'no detail'})"
            else:
                status = resp.status_code
                if status in (429, 503) or status >= 500:
                    ra = _retry_after(resp.headers.get("Retry-After"))
                    problem = f"HTTP {status}" + (f" with Retry-After {resp.headers.get('Retry-After')}" if ra is not None else "")
                    if ra is not None:
                        wait = min(ra, MAX_RETRY_AFTER)
                elif status >= 400:
                    try:
                        page = parse_list_records(resp.content, where=where)
                    except MalformedResponse:
                        raise HarvestError(
                            f"{self.endpoint} answered HTTP {status} to {resp.request.url}: check --endpoint "
                            f"(it must be an OAI-PMH base URL such as {DEFAULT_ENDPOINT})"
                        ) from None
                    raise HarvestError(f"{self.endpoint} answered HTTP {status} without an OAI error")  # pragma: no cover
                else:
                    try:
                        page = parse_list_records(resp.content, where=where)
                    except MalformedResponse as exc:
                        problem = str(exc)
                    else:
                        if page.rejections and bad_record_retry_left > 0 and attempt < self.max_retries:
                            bad_record_retry_left -= 1
                            problem = f"{len(page.rejections)} bad record(s) on the page; fetching it once more"
                            wait = 0.0  # a content glitch, not an overloaded server: the polite delay is enough
                        else:
                            return page
            finally:
                self._last_request_end = self.clock()
            attempt += 1
            if attempt > self.max_retries:
                raise HarvestError(
                    f"gave up on {where} of set {set_spec or '(all)'} after {attempt} attempt(s): {problem}. "
                    f"Everything harvested before it is kept; run the same command again later to resume "
                    f"(or raise --max-retries)"
                )
            self.summary.retries += 1
            pause = wait if wait is not None else self._backoff(attempt - 1)
            if self.progress:
                self.progress(HarvestProgress(set_spec, 0, 0, 0, None, note=f"{problem}; retry {attempt}/{self.max_retries} in {pause:.1f}s"))
            self._wait(pause)
            self._last_request_end = self.clock()

    # -- one set ---------------------------------------------------------------------
    def harvest_set(self, set_spec: str | None, *, from_: str | None = None, until: str | None = None) -> SetSummary:
        """Harvest one set (``None``/``""``: the whole repository) into the store, resuming if possible."""
        spec = set_spec or ""
        from_ = check_day(from_, "--from")
        until = check_day(until, "--until")
        if from_ and until and from_ > until:
            raise UsageError(f"--from {from_} is after --until {until}")
        with self._session() as store:
            stored = store.harvest_state(self.endpoint, spec, self.prefix)
        state = stored or {
            "endpoint": self.endpoint, "set_spec": spec, "metadata_prefix": self.prefix, "in_progress": False,
            "pages": 0, "window_records": 0, "records": 0, "deleted": 0, "rejected": 0, "restarts": 0,
        }
        result = SetSummary(set_spec=spec, metadata_prefix=self.prefix)
        self.summary.sets.append(result)
        resume = bool(state.get("in_progress")) and (
            (from_ is None and until is None)
            or (from_ == state.get("window_from") and until == state.get("window_until"))
        )
        if resume:
            token: str | None = state.get("token")
            result.resumed = True
        else:
            token = None
            covered = _covered(state, from_, until)
            if covered == "all":  # this exact closed window (or a wider one) is already complete
                result.window_from, result.window_until = from_, until
                result.complete = result.skipped = True
                result.last_datestamp = state.get("last_datestamp")
                return result
            if covered == "head":  # [from_, last_datestamp) is complete: fetch only what came after
                from_ = max(from_ or "", state["last_datestamp"])
            state.update(
                window_from=from_ if from_ is not None else state.get("last_datestamp"),
                window_until=until, window_started=None, token=None, in_progress=False,
                pages=0, window_records=0, complete_list_size=None,
            )
        result.window_from = state.get("window_from")
        result.window_until = state.get("window_until")
        restarts = 0
        used_tokens: set[str] = set()
        while True:
            if token:
                params = {"verb": "ListRecords", "resumptionToken": token}
            else:
                params = {"verb": "ListRecords", "metadataPrefix": self.prefix}
                if spec:
                    params["set"] = spec
                if state.get("window_from"):
                    params["from"] = state["window_from"]
                if state.get("window_until"):
                    params["until"] = state["window_until"]
            where = f"{spec or 'all'} page {int(state.get('pages') or 0) + 1}"
            try:
                page = self.fetch(params, set_spec=spec, where=where)
            except OAIProtocolError as exc:
                if exc.code == "badResumptionToken" and token:
                    restarts += 1
                    result.restarts += 1
                    state["restarts"] = int(state.get("restarts") or 0) + 1
                    if restarts > MAX_WINDOW_RESTARTS:
                        raise HarvestError(
                            f"the server rejected resumption tokens {restarts} times in a row ({exc}); "
                            f"run the command again later"
                        ) from exc
                    if self.progress:
                        self.progress(HarvestProgress(spec, 0, 0, 0, None, note=f"resumption token refused ({exc.code}); restarting the window"))
                    token = None
                    used_tokens.clear()
                    state.update(window_started=None, pages=0, window_records=0)
                    continue
                result.refused = _explain_oai_error(exc, spec, self.prefix)
                raise HarvestRefusedError(result.refused) from exc
            self._commit_page(page, state, result)
            if self.progress:
                done = (page.cursor + page.records) if page.cursor is not None else int(state["window_records"])
                total = page.complete_list_size if page.complete_list_size is not None else state.get("complete_list_size")
                self.progress(HarvestProgress(spec, int(state["pages"]), int(state["window_records"]), done, total))
            if page.token is None:
                result.complete = True
                result.last_datestamp = state.get("last_datestamp")
                return result
            if page.token in used_tokens:  # a server bug that would otherwise loop for ever
                raise HarvestError(
                    f"the server handed out resumption token {page.token!r} twice for set {spec or '(all)'}; "
                    f"the pages so far are kept. Try again later, or report it to the repository"
                )
            used_tokens.add(page.token)
            token = page.token

    def _commit_page(self, page: OAIPage, state: dict[str, Any], result: SetSummary) -> None:
        """Write the page's records and the resumption state in one transaction."""
        state["pages"] = int(state.get("pages") or 0) + 1
        state["window_records"] = int(state.get("window_records") or 0) + page.records
        if page.complete_list_size is not None:
            state["complete_list_size"] = page.complete_list_size
        if not state.get("window_started"):
            state["window_started"] = page.response_date or (page.max_datestamp or "")
        state["records"] = int(state.get("records") or 0) + len(page.papers)
        state["deleted"] = int(state.get("deleted") or 0) + len(page.deleted)
        state["rejected"] = int(state.get("rejected") or 0) + len(page.rejections)
        state["updated_at"] = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        if page.token is None:
            reached = state.get("window_until") or (state.get("window_started") or "")[:10] or page.max_datestamp
            previous = state.get("last_datestamp")
            if reached and (previous is None or reached > previous):
                state["last_datestamp"] = reached
            state.update(token=None, in_progress=False)
        else:
            state.update(token=page.token, in_progress=True)
        from .ingest import upsert

        with self._session() as store:
            store.begin()
            try:
                counts = upsert(store, page.papers)
                store.mark_deleted(page.deleted)
                store.save_harvest_state(state)
                store.commit()
            except BaseException:
                store.rollback()
                raise
        result.pages += 1
        result.read += page.records
        result.inserted += counts.inserted
        result.updated += counts.updated
        result.unchanged += counts.unchanged
        result.deleted += len(page.deleted)
        result.rejected += len(page.rejections)
        for r in page.rejections:
            if len(self.summary.rejections) < KEEP_REJECTIONS:
                self.summary.rejections.append(r)


def _covered(state: dict[str, Any], from_: str | None, until: str | None) -> str | None:
    """How much of the window [from_, until] the last completed window already holds.

    ``"all"``: a closed window inside the completed one (nothing to fetch: datestamps in a
    past window do not change). ``"head"``: an open window starting inside the completed open
    one (fetch from its ``last_datestamp`` on). So rerunning a multi-set command after a
    failure does not fetch again the sets that had finished.
    """
    last, wf, wu = state.get("last_datestamp"), state.get("window_from"), state.get("window_until")
    if from_ is None or state.get("in_progress") or not last or wf is None or from_ < wf:
        return None
    if until is not None and wu is not None and until <= wu:
        return "all"
    if until is None and wu is None:
        return "head"
    return None


def _explain_oai_error(exc: OAIProtocolError, spec: str, prefix: str) -> str:
    hints = {
        "badArgument": "the request was refused; check --set (arXiv sets look like cs, math, physics:hep-th) and the dates",
        "cannotDisseminateFormat": f"the server does not offer metadata format {prefix!r}; try --metadata-prefix oai_dc",
        "noSetHierarchy": "the server has no sets; leave out --set",
        "badVerb": "the endpoint does not understand ListRecords; check --endpoint",
    }
    hint = hints.get(exc.code, "check --endpoint, --set and --metadata-prefix")
    return f"the OAI-PMH server refused set {spec or '(all)'}: {exc} ({hint})"


def harvest(
    store: Store | str | Path,
    client: httpx.Client,
    sets: Sequence[str | None],
    *,
    from_: str | None = None,
    until: str | None = None,
    endpoint: str = DEFAULT_ENDPOINT,
    metadata_prefix: str = DEFAULT_PREFIX,
    delay: float = DEFAULT_DELAY,
    max_retries: int = DEFAULT_MAX_RETRIES,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
    rng: random.Random | None = None,
    progress: ProgressFn | None = None,
) -> HarvestSummary:
    """Harvest each of ``sets`` (``[None]``: everything) into ``store``; see :class:`Harvester`.

    On failure raises :class:`HarvestError` after committing every page it could; the
    summary of what was done so far is attached as ``exc.summary``.
    """
    check_day(from_, "--from")
    check_day(until, "--until")
    clock = clock or time.monotonic
    started = clock()
    h = Harvester(store, client, endpoint=endpoint, metadata_prefix=metadata_prefix, delay=delay,
                  max_retries=max_retries, sleep=sleep, clock=clock, rng=rng, progress=progress)
    try:
        refused: list[str] = []
        for spec in sets or [None]:
            try:
                h.harvest_set(spec, from_=from_, until=until)
            except HarvestRefusedError as exc:  # the other sets may be fine: harvest them, report this one
                refused.append(str(exc))
        if refused:
            raise HarvestRefusedError(
                "; ".join(refused) + (" (the other sets were harvested)" if len(refused) < len(sets or [None]) else "")
            )
    except HarvestError as exc:
        h.summary.elapsed = clock() - started
        exc.summary = h.summary  # type: ignore[attr-defined]
        _sync_index(store, h.lock_wait)  # the pages committed so far are searchable through the index too
        raise
    _sync_index(store, h.lock_wait)
    h.summary.elapsed = clock() - started
    return h.summary


def _sync_index(store: Store | str | Path, wait: float) -> None:
    """Bring the term index up to date with the harvested pages, as an import does."""
    from .ingest import sync_index

    if isinstance(store, Store):
        sync_index(store)
        return
    with Store.open(store, write=True, wait=wait) as opened:
        sync_index(opened)
