"""Readers and writers take turns at a store (src/uptake/store/_gate.py), across processes.

DuckDB never waits: a writer finds the file open for reading and fails, so against a server
that always has a request in flight it could retry for ever. These tests fix the order of
events with pipes and the gate's own state (no sleeps decide anything): a writer waiting
for a connected reader keeps new readers out until it has committed, and those readers
wait for it instead of failing; a writer kept waiting long lets waiting readers in.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from uptake.errors import StoreLockedError
from uptake.store import Store, _gate

READER = """
import sys
from uptake.store import Store
store = Store.open(sys.argv[1], wait=120)
print(store.get_meta("mark"), flush=True)
sys.stdin.readline()  # hold the store open until told
store.close()
"""


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))


def _reader(db: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", READER, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, env=_env())


def _gate_held_exclusively(db: Path) -> bool:
    fd = os.open(_gate.gate_path(db), os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _until(condition, what: str, within: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    """Wait for a state (the cap only stops a hung test; it decides nothing)."""
    import time

    end = time.monotonic() + within
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.005)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "g.duckdb"
    with Store.open(path, write=True) as store:
        store.set_meta("mark", "before")
    return path


def _writer(db: Path, done: list[str], wait: float = 120.0) -> threading.Thread:
    def write() -> None:
        try:
            with Store.open(db, write=True, wait=wait) as store:
                store.set_meta("mark", "after")
            done.append("written")
        except StoreLockedError as exc:
            done.append(f"locked: {exc}")

    t = threading.Thread(target=write)
    t.start()
    return t


def test_a_waiting_writer_goes_before_new_readers_who_wait_for_its_commit(db: Path) -> None:
    first = _reader(db)  # a request in flight: the store is open for reading
    assert first.stdout.readline().strip() == "before"
    done: list[str] = []
    writer = _writer(db, done)
    _until(lambda: _gate_held_exclusively(db), "the writer holds the gate while it waits for the reader")
    second = _reader(db)  # a new request arrives now: it must wait for the write, not overtake it
    try:
        assert not done
        first.stdin.write("\n")
        first.stdin.flush()
        assert first.wait(60) == 0
        writer.join(60)
        assert done == ["written"]
        assert second.stdout.readline().strip() == "after"  # it waited for the commit, and saw it
    finally:
        for p in (first, second):
            if p.poll() is None:
                p.stdin.write("\n")
                p.stdin.flush()
                p.wait(60)
    assert second.returncode == 0


def test_a_writer_kept_waiting_lets_waiting_readers_in_meanwhile(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_gate, "DRAIN", 0.05)  # how long a writer keeps new readers out while one reader stays
    slow = _reader(db)  # a long computation holding the store
    assert slow.stdout.readline().strip() == "before"
    done: list[str] = []
    writer = _writer(db, done)
    _until(lambda: _gate_held_exclusively(db), "the writer holds the gate")
    quick = _reader(db)
    try:
        assert quick.stdout.readline().strip() == "before"  # got its turn although the writer still waits
        assert not done
    finally:
        for p in (quick, slow):
            p.stdin.write("\n")
            p.stdin.flush()
            assert p.wait(60) == 0
    writer.join(60)
    assert done == ["written"]
    with Store.open(db) as store:
        assert store.get_meta("mark") == "after"


def test_readers_stop_waiting_with_the_stores_message(db: Path) -> None:
    done: list[str] = []
    fd = os.open(_gate.gate_path(db), os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # a writer in the middle of a long import
    try:
        with pytest.raises(StoreLockedError, match="in use by another uptake process"):
            Store.open(db, wait=0.05)
        t = _writer(db, done, wait=0.05)
        t.join(60)
        assert done and done[0].startswith("locked: ")
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    with Store.open(db, wait=0) as store:  # the gate free again: no wait at all
        assert store.get_meta("mark") == "before"


def test_a_reader_creates_no_lock_file_and_works_without_one(tmp_path: Path) -> None:
    db = tmp_path / "n.duckdb"
    with Store.open(db, write=True) as store:
        store.set_meta("mark", "x")
    _gate.gate_path(db).unlink()
    with Store.open(db) as store:
        assert store.get_meta("mark") == "x"
    assert not _gate.gate_path(db).exists()


def test_serve_starts_while_a_writer_holds_the_store_and_answers_once_it_is_done(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """``uptake serve`` started during an import used to exit after the reader's wait; it now serves, answers 503
    ("retry in a few seconds") while the writer holds the store, and the store's answers once the writer is done."""
    from fastapi.testclient import TestClient

    from uptake.cli import main
    from uptake.cli import serve as serve_cli

    from conftest import make_paper, store_with

    db = store_with(tmp_path / "s.duckdb", [make_paper("2501.00001", "GRPO for reasoning", "We train with GRPO.",
                                                        published="2025-01-15")]).path
    apps: list[object] = []
    monkeypatch.setattr(serve_cli, "_check_port", lambda host, port: None)
    monkeypatch.setattr(serve_cli, "run_server", lambda app, host, port: apps.append(app))
    fd = os.open(_gate.gate_path(db), os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # a writer in the middle of a long import
    try:
        assert main(["serve", "--db", str(db), "--port", "8123", "--budget", "0.5"]) == 0
        err = capsys.readouterr().err
        assert "is writing to the store" in err and "serving the store from" in err
        client = TestClient(apps[0], base_url="http://127.0.0.1", raise_server_exceptions=False)  # type: ignore[arg-type]
        busy = client.get("/api/trend", params={"q": "GRPO"})
        assert busy.status_code == 503, busy.text
        assert "retry in a few seconds" in busy.json()["error"]
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    done = client.get("/api/trend", params={"q": "GRPO"})
    assert done.status_code == 200, done.text
    assert sum(c["count"] for s in done.json()["series"] for c in s["points"]) == 1
