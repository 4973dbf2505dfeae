"""A real ``uptake serve`` under load from client threads while harvests write to its store.

Shared by ``tests/test_serve_concurrency.py`` (a short run, asserted) and ``bench/serve_harvest.py``
(a long one, measured). The server is a separate process (``python -m uptake serve``), as a user
runs it; harvests run in this process against :class:`oai_server.OAIServer`, page by page.

Every answer is checked against *snapshots* computed by brute force from the records served:
the store after each committed page holds the first papers of the harvest order, so a
correct answer equals one snapshot exactly (papers, GRPO matches), never a mix of two.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from oai_server import GeneratedRepository, GenPaper, OAIServer, generated_papers

TERM = "grpo"


def matches(p: GenPaper) -> bool:
    """Brute force: GRPO as a word of the title or abstract, any case (uptake's tokens are words)."""
    return TERM in re.findall(r"[a-z0-9]+", f"{p.title} {p.abstract}".lower())


def round_papers(r: int, k: int) -> list[GenPaper]:
    """``k`` new papers for harvest round ``r`` (1, 2, ...): new ids, v1 in 2025, datestamp day 2r-1 after 2025-01-31.

    Round r's harvest gets response date day 2r, so the next round's window (from that day on)
    holds only the next round's papers.
    """
    out = []
    for i, p in enumerate(generated_papers(k, seed=100 + r, start=date(2025, 1, 1))):
        p.id = f"25{(r % 12) + 1:02d}.{(r // 12) * 10000 + i:05d}"
        p.datestamp = _day(2 * r - 1)
        out.append(p)
    return out


def _day(n: int) -> str:
    return date.fromordinal(date(2025, 1, 31).toordinal() + n).isoformat()


@dataclass(frozen=True)
class Snapshot:
    papers: int
    grpo: int


@dataclass
class Record:
    """One request: what it asked, when, what came back."""

    kind: str
    started: float
    ended: float
    rounds_done: int  # harvest rounds finished before the request was sent
    status: int
    papers: int | None = None
    grpo: int | None = None
    error: str | None = None


class Serve:
    """``with Serve(db) as s: s.url`` — ``python -m uptake serve`` on a free loopback port."""

    def __init__(self, db: Path, *, budget: float = 10.0, ready_within: float = 120.0) -> None:
        self.db = db
        self.budget = budget
        self.ready_within = ready_within

    def __enter__(self) -> Serve:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        self.log = open(Path(str(self.db) + ".serve.log"), "w+")  # noqa: SIM115 - closed in __exit__
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uptake", "serve", "--db", str(self.db), "--port", str(port),
             "--budget", str(self.budget)], env=env, stdout=self.log, stderr=subprocess.STDOUT)
        until = time.monotonic() + self.ready_within
        while True:  # waiting for it to listen; the cap only stops a server that never starts
            try:
                if httpx.get(self.url + "/api/stats", timeout=30).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None or time.monotonic() > until:
                self.__exit__()
                raise RuntimeError(f"uptake serve did not start: {self.output()}")
            time.sleep(0.1)

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()[-4000:]

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@dataclass
class Load:
    """Client threads asking trend, stats and papers questions back to back until stopped."""

    url: str
    clients: int
    records: list[Record] = field(default_factory=list)
    rounds_done: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _progress: threading.Condition = field(default_factory=threading.Condition)
    _done: int = 0

    KINDS = ("trend", "stats", "papers")

    def start(self) -> None:
        self.threads = [threading.Thread(target=self._client, args=(i,), daemon=True) for i in range(self.clients)]
        for t in self.threads:
            t.start()

    def finish(self) -> list[Record]:
        self.stop.set()
        for t in self.threads:
            t.join()
        return self.records

    def completed(self) -> int:
        with self._progress:
            return self._done

    def wait_for(self, n: int, within: float = 300.0) -> None:
        """Block until ``n`` requests have completed in all (the cap only stops a hung run)."""
        with self._progress:
            if not self._progress.wait_for(lambda: self._done >= n, timeout=within):
                raise RuntimeError(f"the clients completed {self._done} requests, not {n}, in {within:g} s")

    def ask(self, client: httpx.Client, kind: str, rounds_done: int) -> Record:
        paths = {"trend": "/api/trend?q=GRPO&measure=count", "stats": "/api/stats",
                 "papers": "/api/papers?q=GRPO&limit=3"}
        t0 = time.monotonic()
        try:
            r = client.get(paths[kind])
        except httpx.HTTPError as exc:
            return Record(kind, t0, time.monotonic(), rounds_done, 0, error=f"{type(exc).__name__}: {exc}")
        rec = Record(kind, t0, time.monotonic(), rounds_done, r.status_code)
        if r.status_code != 200:
            rec.error = r.text[:300]
            return rec
        body = r.json()
        if kind == "trend":
            rec.papers = int(body["corpus"]["papers"])
            rec.grpo = sum(int(p["count"]) for p in body["series"][0]["points"])
        elif kind == "stats":
            rec.papers = int(body["papers"])
        else:
            rec.grpo = int(body["total"])
        return rec

    def _client(self, i: int) -> None:
        with httpx.Client(base_url=self.url, timeout=120) as client:
            n = i
            while not self.stop.is_set():
                rec = self.ask(client, self.KINDS[n % len(self.KINDS)], self.rounds_done)
                n += 1
                with self._lock:
                    self.records.append(rec)
                with self._progress:
                    self._done += 1
                    self._progress.notify_all()


def base_repository(n: int, page_size: int) -> GeneratedRepository:
    return GeneratedRepository(generated_papers(n, seed=7), page_size=page_size)


def snapshots(repo: GeneratedRepository, new: list[GenPaper], page_size: int, start: list[GenPaper]) -> list[Snapshot]:
    """The store after each page of one round's harvest: ``start`` plus the first pages of ``new``."""
    order = sorted(new, key=lambda p: (p.datestamp, p.id))
    held = list(start)
    out = []
    for i in range(0, len(order), page_size):
        held.extend(order[i:i + page_size])
        out.append(Snapshot(len(held), sum(map(matches, held))))
    return out


@dataclass
class Run:
    """What a run did: every request, the snapshots in order, where each round ended, page arrival times."""

    records: list[Record]
    snaps: list[Snapshot]
    round_end: list[int]  # index in snaps of the store after each round (0: before the first)
    page_served: list[tuple[float, int]]  # (time the OAI server handed out a page, snapshot index it leads to)
    harvest_seconds: list[float]
    harvest_errors: list[str]


def build(db: Path, oai: OAIServer) -> list[GenPaper]:
    """Harvest everything ``oai`` serves into ``db`` (the store the server will serve); the papers it holds."""
    from uptake.harvest import harvest, make_client

    with make_client("test@example.org") as client:
        harvest(db, client, [None], endpoint=oai.url, delay=0, sleep=lambda s: None)
    return list(oai.repo.papers)


def run(db: Path, url: str, oai: OAIServer, *, base: list[GenPaper], rounds: int, per_round: int,
        page_size: int, clients: int, between_pages: int = 2,
        pause: Callable[[int], None] | None = None) -> Run:
    """``rounds`` harvests from ``oai`` (the server :func:`build` harvested ``base`` from: a harvest state is
    per endpoint) of ``per_round`` new papers each, while ``clients`` threads query the server.

    Before serving each page, the OAI server waits until the clients have completed ``between_pages``
    more requests, so requests and commits interleave whatever the machine's speed. ``pause(r)``
    runs before round ``r`` (the bench waits there to space harvests out).
    """
    from uptake.errors import UptakeError
    from uptake.harvest import harvest, make_client

    repo = oai.repo
    repo.page_size = page_size
    load = Load(url, clients)
    snaps = [Snapshot(len(base), sum(map(matches, base)))]
    round_end = [0]
    page_served: list[tuple[float, int]] = []
    harvest_seconds: list[float] = []
    harvest_errors: list[str] = []
    real = repo.respond
    state = {"next": 0, "seen": 0}

    def respond(params: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        load.wait_for(state["seen"] + between_pages)
        state["seen"] = load.completed()
        answer = real(params)
        page_served.append((time.monotonic(), state["next"]))
        state["next"] += 1
        return answer

    repo.respond = respond  # type: ignore[method-assign]
    held = list(base)
    load.start()
    try:
        with make_client("test@example.org") as client:
            for r in range(1, rounds + 1):
                if pause is not None:
                    pause(r)
                new = round_papers(r, per_round)
                repo.papers = sorted(repo.papers + new, key=lambda p: (p.datestamp, p.id))
                repo.response_date = _day(2 * r) + "T12:00:00Z"
                state["next"] = len(snaps)
                snaps.extend(snapshots(repo, new, page_size, held))
                held.extend(new)
                t0 = time.monotonic()
                try:
                    harvest(db, client, [None], endpoint=oai.url, delay=0, sleep=lambda s: None)
                except UptakeError as exc:  # reported by problems(): a harvest must never fail for the server
                    harvest_errors.append(f"harvest {r}: {exc}")
                harvest_seconds.append(time.monotonic() - t0)
                round_end.append(len(snaps) - 1)
                load.rounds_done = r
                load.wait_for(load.completed() + between_pages)  # some requests after the round, too
    finally:
        records = load.finish()
        repo.respond = real  # type: ignore[method-assign]
    return Run(records, snaps, round_end, page_served, harvest_seconds, harvest_errors)


def problems(result: Run) -> list[str]:
    """Every request that failed, mixed two snapshots, went back in time, or missed a finished round."""
    out: list[str] = list(result.harvest_errors)
    by_papers = {s.papers: i for i, s in enumerate(result.snaps)}
    for rec in result.records:
        if rec.status != 200:
            out.append(f"{rec.kind} answered {rec.status}: {rec.error}")
            continue
        floor = result.round_end[rec.rounds_done]
        if rec.papers is not None:
            k = by_papers.get(rec.papers)
            if k is None:
                out.append(f"{rec.kind} saw {rec.papers} papers, which no committed state ever held")
                continue
            if rec.grpo is not None and rec.grpo != result.snaps[k].grpo:
                out.append(f"trend saw {rec.papers} papers with {rec.grpo} GRPO matches; that state had "
                           f"{result.snaps[k].grpo}")
            if k < floor:
                out.append(f"{rec.kind} started after round {rec.rounds_done} finished but saw state {k} < {floor}")
        elif rec.grpo is not None:
            if not any(s.grpo == rec.grpo for s in result.snaps[floor:]):
                out.append(f"papers saw {rec.grpo} GRPO matches, which no state since round {rec.rounds_done} had")
    return out


def visibility(result: Run) -> list[float]:
    """Per page: seconds from the OAI server handing it out to the first answer showing it (started later)."""
    out = []
    by_papers = {s.papers: i for i, s in enumerate(result.snaps)}
    seen = sorted((rec.ended, by_papers[rec.papers]) for rec in result.records
                  if rec.status == 200 and rec.papers is not None and rec.papers in by_papers)
    for served, k in result.page_served:
        first = next((t for t, got in seen if t >= served and got >= k), None)
        if first is not None:
            out.append(first - served)
    return out


def wait(seconds: float) -> Callable[[int], None]:
    return lambda r: time.sleep(seconds) if r > 1 else None


def percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * (len(s) - 1) + 0.5))] if s else float("nan")


def summary(result: Run) -> dict[str, Any]:
    lat = [r.ended - r.started for r in result.records if r.status == 200]
    vis = visibility(result)
    return {
        "requests": len(result.records), "failed": sum(r.status != 200 for r in result.records),
        "latency_ms": {q: round(percentile(lat, p) * 1000, 1) for q, p in (("p50", .5), ("p95", .95), ("p99", .99),
                                                                            ("max", 1.0))},
        "visibility_s": {q: round(percentile(vis, p), 3) for q, p in (("p50", .5), ("p95", .95), ("max", 1.0))},
        "pages": len(result.page_served), "harvests": len(result.harvest_seconds),
        "harvest_s": {q: round(percentile(result.harvest_seconds, p), 2) for q, p in (("p50", .5), ("max", 1.0))},
        "harvest_failures": len(result.harvest_errors), "problems": problems(result)[:5],
    }
