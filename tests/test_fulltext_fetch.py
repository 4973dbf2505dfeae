"""``uptake fulltext fetch``: e-prints of stored papers from a real HTTP server on 127.0.0.1 (with faults)
or from bulk tarballs; politeness, every outcome with its reason, resuming, and kill -9 at exact points
during ``fetch`` and ``extract`` (the rerun equals an uninterrupted run)."""

from __future__ import annotations

import gzip
import io
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import tarfile
import threading
import time
from collections import defaultdict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cloud import tex
from conftest import SHARED, make_paper, store_with

from uptake.cli import main
from uptake.errors import FetchError, PeriodError, SourceNotFoundError
from uptake.fetch import fetch_fulltexts, select_ids
from uptake.harvest import make_client
from uptake.sources.eprint import paper_id_from_name
from uptake.sources.latex import Limits
from uptake.store import Store

REAL_EPRINTS = SHARED / "data" / "fulltext" / "arxiv-src"
HTML_PAGE = b"<!DOCTYPE html><html><head><title>arXiv</title></head><body>Source not available</body></html>"
_CLI = "import sys; from uptake.cli import main; sys.exit(main(sys.argv[1:]))"


# -- e-prints made here ------------------------------------------------------------------------------
def gz_tex(i: int, idea: str = "GRPO") -> bytes:
    return gzip.compress(tex(i, idea).encode(), mtime=0)


def tar_gz(i: int) -> bytes:
    main_tex = tex(i).replace("\\section{Method}", "\\input{method}\n\\section{Results}")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, text in (("main.tex", main_tex), ("method.tex", f"\\section{{Method}}\nA tarred method {i}.\n")):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def pid(i: int) -> str:
    return f"2501.{i:05d}"


def store_papers(db: Path, n: int, *, other: int = 0) -> None:
    """``n`` stored papers about GRPO (ids 2501.00001..) and ``other`` about something else."""
    papers = [make_paper(pid(i), f"GRPO study {i}", "We use GRPO.", published=f"2025-01-{1 + i % 28:02d}")
              for i in range(1, n + 1)]
    papers += [make_paper(pid(1000 + i), f"Lattice study {i}", "Nothing about it.", categories=("math.CO",),
                          published="2025-01-10") for i in range(other)]
    store_with(db, papers)


# -- the server --------------------------------------------------------------------------------------
class EprintServer:
    """Serves ``content[id]`` at ``/e-print/ID``: bytes (200) or an int status. ``faults[id]`` are used
    up first, one per request: ``("status", code, headers)`` or ``("drop",)`` (reset mid-body).
    ``block_at=N`` holds the N-th request until the test ends (it sets ``blocked`` first)."""

    def __init__(self, content: dict[str, bytes | int], faults: dict[str, list[tuple[Any, ...]]] | None = None,
                 block_at: int | None = None) -> None:
        self.content = content
        self.faults: dict[str, deque[tuple[Any, ...]]] = defaultdict(deque, {k: deque(v) for k, v in (faults or {}).items()})
        self.block_at = block_at
        self.blocked = threading.Event()
        self.release = threading.Event()
        self.seen: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()

    def __enter__(self) -> EprintServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                ident = self.path.split("/e-print/", 1)[-1]
                with owner._lock:
                    owner.seen.append((ident, dict(self.headers.items())))
                    n = len(owner.seen)
                    fault = owner.faults[ident].popleft() if owner.faults[ident] else None
                if owner.block_at is not None and n == owner.block_at:
                    owner.blocked.set()
                    owner.release.wait(120)
                    self.close_connection = True
                    return
                if fault and fault[0] == "status":
                    self._send(fault[1], {"Content-Type": "text/html", **(fault[2] if len(fault) > 2 else {})},
                               b"<html><body>busy</body></html>")
                    return
                body = owner.content.get(ident, 404)
                if isinstance(body, int):
                    self._send(body, {"Content-Type": "text/html"}, b"<html><body>not found</body></html>")
                    return
                if fault and fault[0] == "drop":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/gzip")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body[: len(body) // 3])
                    self.wfile.flush()
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                    self.close_connection = True
                    return
                kind = "text/html" if body.lstrip().startswith(b"<") else "application/x-eprint-tar"
                self._send(200, {"Content-Type": kind}, body)

            def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class Quiet(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass

        self._httpd = Quiet(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/e-print"

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self._httpd.shutdown()
        self._httpd.server_close()


class FakeTime:
    """A clock that moves only when the fetcher sleeps; records every wait and each request's moment."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self.requests: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


def fetch(db: Path | Store, ids: list[str], server: EprintServer, t: FakeTime | None = None, **kw: Any):  # type: ignore[no-untyped-def]
    t = t or FakeTime()
    kw.setdefault("delay", 0.0)
    kw.setdefault("rng", random.Random(1))
    with make_client("tests@example.org", timeout=10, purpose="e-print fetcher") as client:
        client.event_hooks["request"] = [lambda request: t.requests.append(t.now)]
        return fetch_fulltexts(db, ids, client=client, base_url=server.url, sleep=t.sleep, clock=t.clock, **kw)


def stored(db: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(content hash, status) of every stored full text, by id: what two runs must agree on."""
    with Store.open(db) as s:
        return s.fulltext_hashes(), s.fulltext_statuses()


def problems_of(db: Path) -> dict[str, str]:
    with Store.open(db) as s:
        return {i: "; ".join(p) for i, _, p in s.fulltext_failures()}


# -- every outcome, politely -------------------------------------------------------------------------
def test_every_outcome_is_stored_with_its_reason_politely(tmp_path: Path) -> None:
    db = tmp_path / "f.duckdb"
    store_papers(db, 9)
    content: dict[str, bytes | int] = {pid(1): gz_tex(1), pid(2): tar_gz(2), pid(3): 404, pid(4): HTML_PAGE,
                                       pid(5): gz_tex(5)[:60], pid(6): gz_tex(6), pid(7): gz_tex(7),
                                       pid(8): gz_tex(8), pid(9): 410}
    faults = {pid(6): [("status", 503, {"Retry-After": "7"})], pid(7): [("status", 500)], pid(8): [("drop",)]}
    t = FakeTime()
    ids = [pid(i) for i in range(1, 10)]
    with EprintServer(content, faults) as server:
        summary = fetch(db, ids, server, t, delay=3.0)
    assert summary.statuses == {"ok": 5, "failed": 4}
    assert (summary.selected, summary.to_fetch, summary.stored, summary.inserted) == (9, 9, 9, 9)
    assert (summary.requests, summary.retries, summary.gave_up, summary.complete) == (12, 3, [], True)
    reasons = {p: r for p, _, r in summary.problems}
    assert reasons[pid(3)].startswith("HTTP 404: the server has no e-print of this paper") and reasons[pid(9)].startswith("HTTP 410")
    assert "HTML page" in reasons[pid(4)] and "corrupt gzip" in reasons[pid(5)]
    assert problems_of(db) == reasons  # what `fulltext status` lists
    # politeness: every request at least 3 s after the one before; Retry-After honoured (7 s), and the
    # 500 and the dropped connection waited a jittered back-off
    gaps = [b - a for a, b in zip(t.requests, t.requests[1:])]
    assert len(t.requests) == 12 and min(gaps) >= 3.0
    assert 7.0 in t.sleeps
    # User-Agent names uptake, what it does, and whom to contact
    ua = server.seen[0][1]["User-Agent"]
    assert ua.startswith("uptake/") and "e-print fetcher" in ua and "mailto:tests@example.org" in ua
    assert server.seen[0][1]["From"] == "tests@example.org"
    with Store.open(db) as s:
        assert s.fulltext_statuses() == {pid(i): ("failed" if i in (3, 4, 5, 9) else "ok") for i in range(1, 10)}
        ((doc,),) = s.fulltext_documents(ids=[pid(2)])
    assert doc[5] == "Paper 2: GRPO on small tasks" and ("method", "A tarred method 2.") in doc[6]


def test_backoff_is_jittered_and_bounded_then_the_rerun_fetches_what_was_given_up(tmp_path: Path) -> None:
    db = tmp_path / "g.duckdb"
    store_papers(db, 3)
    content: dict[str, bytes | int] = {pid(i): gz_tex(i) for i in range(1, 4)}
    faults = {pid(2): [("status", 502)] * 3}
    t = FakeTime()
    with EprintServer(content, faults) as server:
        summary = fetch(db, [pid(1), pid(2), pid(3)], server, t, max_retries=2)
        assert [p for p, _ in summary.gave_up] == [pid(2)] and "gave up after 3 attempt(s): HTTP 502" in summary.gave_up[0][1]
        assert summary.statuses == {"ok": 2} and not summary.complete
        backoffs = [s for s in t.sleeps if s > 0]
        assert len(backoffs) == 2 and 1.0 <= backoffs[0] <= 2.0 and 2.0 <= backoffs[1] <= 4.0
        assert stored(db)[1] == {pid(1): "ok", pid(3): "ok"}  # not stored: it is not known to be missing
        again = fetch(db, [pid(1), pid(2), pid(3)], server)
    assert (again.already, again.to_fetch, again.statuses, again.complete) == (2, 1, {"ok": 1}, True)
    assert [i for i, _ in server.seen[-1:]] == [pid(2)]


def test_a_server_down_stops_the_run_and_403_stops_at_once(tmp_path: Path) -> None:
    db = tmp_path / "d.duckdb"
    store_papers(db, 5)
    content: dict[str, bytes | int] = {pid(i): gz_tex(i) for i in range(1, 6)}
    faults = {pid(i): [("status", 503)] * 5 for i in range(2, 6)}
    with EprintServer(content, faults) as server, pytest.raises(FetchError, match="3 papers in a row") as info:
        fetch(db, [pid(i) for i in range(1, 6)], server, max_retries=1)
    assert info.value.summary.stored == 1 and len(info.value.summary.gave_up) == 3  # type: ignore[attr-defined]
    assert stored(db)[1] == {pid(1): "ok"}
    with EprintServer(content, {pid(2): [("status", 403)]}) as server, pytest.raises(FetchError, match="HTTP 403"):
        fetch(db, [pid(i) for i in range(1, 6)], server)
    assert [i for i, _ in server.seen] == [pid(2)]  # nothing more was asked after the refusal


def test_rerun_skips_stored_papers_and_retry_failed_fetches_the_failed_again(tmp_path: Path) -> None:
    db = tmp_path / "r.duckdb"
    store_papers(db, 4)
    content: dict[str, bytes | int] = {pid(1): gz_tex(1), pid(2): 404, pid(3): HTML_PAGE, pid(4): gz_tex(4)}
    ids = [pid(i) for i in range(1, 5)]
    with EprintServer(content) as server:
        first = fetch(db, ids, server)
        assert first.statuses == {"ok": 2, "failed": 2}
        again = fetch(db, ids, server)
        assert (again.already, again.to_fetch, again.requests) == (4, 0, 0)
        content[pid(2)] = gz_tex(2)  # the source became available
        retried = fetch(db, ids, server, retry_failed=True)
    assert (retried.to_fetch, retried.replaced, retried.unchanged, retried.statuses) == (2, 1, 1, {"ok": 1, "failed": 1})
    assert [i for i, _ in server.seen[-2:]] == [pid(2), pid(3)]
    assert stored(db)[1] == {pid(1): "ok", pid(2): "ok", pid(3): "failed", pid(4): "ok"}


def test_size_limit_and_a_path_store_opened_per_paper(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    store_papers(db, 2)
    content: dict[str, bytes | int] = {pid(1): gz_tex(1), pid(2): b"\\documentclass{article}" + b"x" * 5000}
    with EprintServer(content) as server:
        summary = fetch(str(db), [pid(1), pid(2)], server, limits=Limits(max_bytes=2000))
    assert summary.statuses == {"ok": 1, "failed": 1}
    assert "larger than the size limit" in summary.problems[0][2]
    with Store.open(db) as s:  # a path: opened for each paper, closed between; the index is brought up to date
        assert s.fulltext_position()[1] == 2


def test_selection_by_query_months_categories_and_limit(tmp_path: Path) -> None:
    db = tmp_path / "q.duckdb"
    store_papers(db, 6, other=3)
    assert select_ids(db, "GRPO") == [pid(i) for i in (6, 5, 4, 3, 2, 1)]  # newest first, as `uptake papers`
    assert select_ids(db, "GRPO", limit=2) == [pid(6), pid(5)]
    assert select_ids(db, "lattice", category="math") == [pid(1002), pid(1001), pid(1000)]
    assert select_ids(db, "GRPO", category="math") == []
    assert select_ids(db, "GRPO", start="2025-01", end="2025-01") == [pid(i) for i in (6, 5, 4, 3, 2, 1)]
    with pytest.raises(PeriodError):  # as `uptake papers`: a range after the corpus' last month is an error
        select_ids(db, "GRPO", start="2025-02")
    assert len(select_ids(db, "study", page=2)) == 9  # paged reads lose nothing


# -- the command line -----------------------------------------------------------------------------------
def test_cli_fetch_json_then_status_lists_the_failures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    db = tmp_path / "c.duckdb"
    store_papers(db, 3, other=2)
    content: dict[str, bytes | int] = {pid(1): gz_tex(1), pid(2): 404, pid(3): tar_gz(3)}
    with EprintServer(content) as server:
        code = main(["fulltext", "fetch", "GRPO", "--db", str(db), "--base-url", server.url, "--delay", "0",
                     "--json", "--contact", "cli@example.org"])
        out = json.loads(capsys.readouterr().out)
        assert code == 1  # a paper failed
        assert (out["selected"], out["stored"], out["statuses"]) == (3, 3, {"ok": 2, "failed": 1})
        assert out["problems"][0]["paper"] == pid(2) and "HTTP 404" in out["problems"][0]["reason"]
        assert sorted(i for i, _ in server.seen) == [pid(1), pid(2), pid(3)]  # the lattice papers are not asked for
        assert main(["fulltext", "status", "--db", str(db)]) == 0
        status = capsys.readouterr().out
        assert f"{pid(2)}: failed: HTTP 404: the server has no e-print of this paper" in status
        code = main(["fulltext", "fetch", "GRPO", "--db", str(db), "--base-url", server.url, "--delay", "0"])
        text = capsys.readouterr().out
    assert code == 0 and "3 already had a full text" in text and "stored now: ok 0" in text


# -- bulk tarballs ---------------------------------------------------------------------------------------
def bulk_tar(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_bulk_tarballs_from_a_folder_and_a_file_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "bulk"
    src.mkdir()
    bulk_tar(src / "arXiv_src_2501_001.tar", {"2501/2501.00001.gz": gz_tex(1), "2501/2501.01000.gz": gz_tex(1000),
                                              "2501/2501.00002.gz": tar_gz(2), "2501/MANIFEST.txt": b"x"})
    bulk_tar(src / "arXiv_src_2501_002.tar", {"2501/2501.00003.gz": HTML_PAGE, "2501/2501.01001.gz": b"junk"})
    (src / "notes.txt").write_text("not a tarball")
    extracted: list[str] = []
    import uptake.sources.eprint as eprint_mod  # uptake.fetch imports it when a bulk fetch starts

    real = eprint_mod.iter_bulk_tar

    def spy(*a: Any, **kw: Any) -> Any:
        for ft in real(*a, **kw):
            extracted.append(ft.id)
            yield ft

    monkeypatch.setattr(eprint_mod, "iter_bulk_tar", spy)
    for where in (str(src), src.as_uri()):
        db = tmp_path / f"b{len(extracted)}.duckdb"
        store_papers(db, 4, other=2)  # paper 4 is in no tarball; the lattice ones are not wanted
        summary = fetch_fulltexts(db, select_ids(db, "GRPO"), source=where)
        assert summary.statuses == {"ok": 2, "failed": 1} and summary.missing == [pid(4)] and not summary.complete
        assert stored(db)[1] == {pid(1): "ok", pid(2): "ok", pid(3): "failed"}
        assert summary.source.endswith("bulk")
        again = fetch_fulltexts(db, select_ids(db, "GRPO"), source=where)
        assert (again.already, again.stored, again.missing) == (3, 0, [pid(4)])
    assert sorted(set(extracted)) == [pid(1), pid(2), pid(3)]  # the unwanted members were never extracted
    with pytest.raises(SourceNotFoundError):
        fetch_fulltexts(db, [pid(4)], source=str(tmp_path / "nowhere"))


def test_bulk_tarball_of_the_real_eprints(tmp_path: Path) -> None:
    files = sorted(REAL_EPRINTS.glob("*.gz"))
    if not files:
        pytest.skip(f"the real e-prints are not at {REAL_EPRINTS} (only on development machines)")
    files = sorted(files, key=lambda f: f.stat().st_size)[:4]  # the smallest four keep it quick
    members = {f"{f.name[:4]}/{f.name}": f.read_bytes() for f in files}
    bulk_tar(tmp_path / "arXiv_src_mixed_001.tar", members)
    ids = sorted(str(paper_id_from_name(n)) for n in members)
    db = tmp_path / "real.duckdb"
    store_with(db, [make_paper(i, "Real paper", "text") for i in ids])
    wanted = ids[::2]
    summary = fetch_fulltexts(db, wanted, source=str(tmp_path))
    assert summary.stored == len(wanted) and summary.missing == []
    assert summary.statuses.get("failed", 0) == 0, summary.problems
    assert sorted(stored(db)[1]) == wanted


# -- kill -9 ------------------------------------------------------------------------------------------
def _cli(db: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", _CLI, *args, "--db", str(db), "--quiet"],
                            env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert proc.returncode == -signal.SIGKILL


def _wait_for(path: Path, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Until the process has reached its crash point (it then blocks for ever): no race with its work."""
    end = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "exited"
        assert time.monotonic() < end, "the crash point was never reached"
        time.sleep(0.02)


def _crash_content(n: int) -> dict[str, bytes | int]:
    content: dict[str, bytes | int] = {}
    for i in range(1, n + 1):
        content[pid(i)] = (404 if i % 7 == 0 else HTML_PAGE if i % 11 == 0 else gz_tex(i)[:50] if i % 13 == 0
                           else tar_gz(i) if i % 2 else gz_tex(i))
    return content


def test_kill_9_during_fetch_then_the_same_command_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    n = 30
    content = _crash_content(n)
    reference = tmp_path / "ref.duckdb"
    store_papers(reference, n, other=2)
    with EprintServer(content) as server:
        fetch(reference, select_ids(reference, "GRPO"), server)
    expected = stored(reference)
    assert len(expected[0]) == n and set(expected[1].values()) == {"ok", "failed"}

    db = tmp_path / "crash.duckdb"
    store_papers(db, n, other=2)
    args = ["fulltext", "fetch", "GRPO", "--delay", "0", "--contact", "crash@example.org"]
    marks: list[int] = []
    # 1) killed while its 9th request is in flight: 8 papers committed, no transaction open
    with EprintServer(content, block_at=9) as server:
        proc = _cli(db, *args, "--base-url", server.url)
        assert server.blocked.wait(60), proc.stderr.read().decode() if proc.stderr else ""
        _kill(proc)
    marks.append(len(stored(db)[0]))
    # 2) killed inside the transaction of its 5th paper (written, not committed): it is rolled back
    flag = tmp_path / "in-transaction"
    with EprintServer(content) as server:
        proc = _cli(db, *args, "--base-url", server.url, env={"UPTAKE_CRASHPOINT": f"fulltext-transaction:5:{flag}"})
        _wait_for(flag, proc)
        _kill(proc)
        asked = [i for i, _ in server.seen]
    marks.append(len(stored(db)[0]))
    assert marks == [8, 12]
    assert pid(1) not in asked  # the rerun skipped what the killed run had stored
    # 3) the same command again finishes the job
    with EprintServer(content) as server:
        done = subprocess.run([sys.executable, "-c", _CLI, *args, "--base-url", server.url, "--db", str(db), "--quiet"],
                              capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 1, done.stderr  # 1: some papers failed, as in the reference
        assert len(server.seen) == n - 12
    assert stored(db) == expected
    with Store.open(db) as s:
        assert s.fulltext_position()[1] == n  # rows stored: none twice


def test_kill_9_during_extract_then_the_same_command_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    folder = tmp_path / "eprints"
    folder.mkdir()
    for i in range(1, 41):
        body = (HTML_PAGE if i % 11 == 0 else gz_tex(i)[:50] if i % 13 == 0 else tar_gz(i) if i % 2 else gz_tex(i))
        (folder / (f"{pid(i)}.tar.gz" if i % 2 and i % 11 and i % 13 else f"{pid(i)}.gz")).write_bytes(body)
    reference = tmp_path / "ref.duckdb"
    assert main(["fulltext", "extract", str(folder), "--db", str(reference), "--quiet"]) == 1
    expected = stored(reference)
    assert len(expected[0]) == 40

    db = tmp_path / "crash.duckdb"
    cmd = ["fulltext", "extract", str(folder), "--batch", "4"]
    # killed right after its 3rd batch (12 papers) was committed; then the rerun is killed inside the
    # transaction of its 4th batch (papers 13-16 written, not committed)
    for point, count, left in (("fulltext-commit", 12, 12), ("fulltext-transaction", 16, 12)):
        flag = tmp_path / f"{point}.flag"
        proc = _cli(db, *cmd, env={"UPTAKE_CRASHPOINT": f"{point}:{count}:{flag}"})
        _wait_for(flag, proc)
        _kill(proc)
        assert len(stored(db)[0]) == left
    done = subprocess.run([sys.executable, "-c", _CLI, *cmd, "--db", str(db), "--quiet"], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 1, done.stderr
    assert stored(db) == expected
    with Store.open(db) as s:
        assert s.fulltext_position()[1] == 40  # rows stored: none twice
