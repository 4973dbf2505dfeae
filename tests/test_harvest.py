"""The OAI-PMH harvester against a real HTTP server on 127.0.0.1: paging, formats, faults, crashes."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import make_paper, store_with
from oai_server import FixtureRepository, GeneratedRepository, OAIServer, generated_papers
from uptake.cli import main
from uptake.errors import HarvestError, UsageError
from uptake.harvest import harvest, make_client, user_agent
from uptake.store import Store


class FakeTime:
    """A clock that only moves when the harvester sleeps: records every wait, waits for nothing."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


def run(db: Path, server: OAIServer, sets: list[str | None], t: FakeTime | None = None, **kw: Any):  # type: ignore[no-untyped-def]
    t = t or FakeTime()
    kw.setdefault("delay", 0.0)
    kw.setdefault("rng", random.Random(1))
    with Store.open(db, write=True) as store, make_client("tests@example.org", timeout=10) as client:
        return harvest(store, client, sets, endpoint=server.url, sleep=t.sleep, clock=t.clock, **kw)


def rows(db: Path) -> list[tuple[Any, ...]]:
    """Every column of every paper except the row number ``doc``, sorted: the store's content."""
    with Store.open(db) as s:
        return s._rows("SELECT * EXCLUDE (doc) FROM papers ORDER BY id")


def states(db: Path) -> list[dict[str, Any]]:
    with Store.open(db) as s:
        return [{k: v for k, v in st.items() if k not in ("updated_at", "endpoint")} for st in s.harvest_states()]


# -- the fixture repository ---------------------------------------------------------------------
def test_multi_page_arxivraw_harvest_with_deleted_record(tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    store_with(db, [make_paper("2301.00002", "Soon withdrawn", published="2023-01-01"),
                    make_paper("2301.00003", "Stays", published="2023-01-01")])
    with OAIServer(FixtureRepository()) as server:
        summary = run(db, server, ["cs"], from_="2024-01-01")
    assert [s.params for s in server.seen] == [
        {"verb": "ListRecords", "metadataPrefix": "arXivRaw", "set": "cs", "from": "2024-01-01"},
        {"verb": "ListRecords", "resumptionToken": "raw-2"},
        {"verb": "ListRecords", "resumptionToken": "raw-3"},
    ]
    ua = server.seen[0].headers["User-Agent"]
    assert ua.startswith("uptake/") and "mailto:tests@example.org" in ua
    assert server.seen[0].headers["From"] == "tests@example.org"
    (s,) = summary.sets
    assert (s.pages, s.read, s.inserted, s.deleted, s.rejected, s.complete) == (3, 5, 4, 1, 0, True)
    with Store.open(db) as st:
        assert st._rows("SELECT id, deleted, published, month FROM papers ORDER BY id") == [
            ("2301.00002", True, date(2023, 1, 1), 2023 * 12),
            ("2301.00003", False, date(2023, 1, 1), 2023 * 12),
            ("2312.09999", False, date(2023, 12, 31), 2023 * 12 + 11),
            ("2401.00001", False, date(2024, 1, 1), 2024 * 12),
            ("2401.00003", False, date(2024, 1, 2), 2024 * 12),
            ("math/0601001", False, date(2006, 1, 1), 2006 * 12),
        ]
        assert st.paper_count() == 5  # the deleted one is not counted
    (state,) = states(db)
    assert state["last_datestamp"] == "2024-01-20"  # the server's responseDate day: complete through it
    assert not state["in_progress"] and state["token"] is None
    assert (state["records"], state["deleted"], state["rejected"], state["pages"]) == (4, 1, 0, 3)
    # Running it again changes nothing and the stats show the set.
    with OAIServer(FixtureRepository()) as server:
        again = run(db, server, ["cs"], from_="2024-01-01")
    assert (again.sets[0].inserted, again.sets[0].updated, again.sets[0].unchanged) == (0, 0, 4)


def test_every_metadata_format_and_a_persistently_bad_record(tmp_path: Path) -> None:
    db = tmp_path / "f.duckdb"
    with OAIServer(FixtureRepository()) as server:
        arxiv = run(db, server, ["stat"], metadata_prefix="arXiv")
        dc = run(db, server, ["physics:hep-th"], metadata_prefix="oai_dc")
    # the page with a bad record is fetched once more, then the good records are kept, the bad one reported
    assert [s.params.get("metadataPrefix") for s in server.seen] == ["arXiv", "arXiv", "oai_dc"]
    assert arxiv.sets[0].inserted == 2 and arxiv.sets[0].rejected == 1
    (rej,) = arxiv.rejections
    assert "2402.00012" in rej.reason and "created" in rej.reason and str(rej).startswith("stat page 1:")
    assert dc.sets[0].inserted == 2 and dc.rejections == []
    with Store.open(db) as st:
        assert st._rows("SELECT id, cat_str FROM papers ORDER BY id") == [
            ("2402.00010", " stat.ML cs.LG "), ("2402.00011", " stat.ME "),
            ("2403.00020", " hep-th hep-lat math.MP "), ("2403.00021", " hep-th "),
        ]
    assert {(s["set_spec"], s["metadata_prefix"], s["rejected"]) for s in states(db)} == {
        ("stat", "arXiv", 1), ("physics:hep-th", "oai_dc", 0)}


def test_no_records_match_is_an_empty_success(tmp_path: Path) -> None:
    with OAIServer(FixtureRepository()) as server:
        summary = run(tmp_path / "e.duckdb", server, ["cs"], from_="2099-01-01")
    assert summary.sets[0].complete and summary.sets[0].read == 0 and len(server.seen) == 1
    assert states(tmp_path / "e.duckdb")[0]["last_datestamp"] == "2024-01-20"


def test_oai_error_and_http_404_fail_cleanly_without_retrying(tmp_path: Path) -> None:
    with OAIServer(FixtureRepository()) as server:
        with pytest.raises(HarvestError, match="badArgument.*check --set"):
            run(tmp_path / "x.duckdb", server, ["nonsense"])
        assert len(server.seen) == 1
        server.faults.append(("status", 404))
        with pytest.raises(HarvestError, match="HTTP 404.*check --endpoint"):
            run(tmp_path / "x.duckdb", server, ["cs"])


def test_politeness_delay_between_every_request(tmp_path: Path) -> None:
    t = FakeTime()
    with OAIServer(FixtureRepository()) as server:
        run(tmp_path / "p.duckdb", server, ["cs"], t, delay=3.0)
    assert len(t.sleeps) == 2 and all(abs(s - 3.0) < 1e-6 for s in t.sleeps)  # 3 requests, 2 gaps of 3 s


def test_given_a_path_the_store_is_free_to_read_while_the_harvester_waits(tmp_path: Path) -> None:
    db = tmp_path / "r.duckdb"
    seen_by_reader: list[int] = []

    def sleep(seconds: float) -> None:  # runs between pages: another reader must get in now
        with Store.open(db) as reader:
            seen_by_reader.append(reader.paper_count())

    with OAIServer(FixtureRepository()) as server, make_client("t@example.org") as client:
        summary = harvest(db, client, ["cs"], endpoint=server.url, delay=5.0, sleep=sleep)
    assert seen_by_reader == [2, 3] and summary.sets[0].complete


def test_a_server_repeating_a_token_is_stopped_not_looped(tmp_path: Path) -> None:
    class Looping(FixtureRepository):
        TOKENS = {"raw-2": "arxivraw-1.xml"}  # page 2 hands out "raw-2" again

    with OAIServer(Looping()) as server, pytest.raises(HarvestError, match="twice"):
        run(tmp_path / "l.duckdb", server, ["cs"])
    assert len(server.seen) == 2


def test_bad_resumption_token_restarts_the_window(tmp_path: Path) -> None:
    db = tmp_path / "b.duckdb"
    with OAIServer(FixtureRepository()) as server:
        server.faults.extend([None, ("expire",)])  # page 1 fine, then the token is refused once
        summary = run(db, server, ["cs"], from_="2024-01-01")
    tokens = [s.params.get("resumptionToken") for s in server.seen]
    assert tokens == [None, "raw-2", None, "raw-2", "raw-3"]
    assert server.seen[2].params["from"] == "2024-01-01"  # the same window again, from its start
    assert summary.sets[0].restarts == 1 and summary.sets[0].complete
    with Store.open(db) as st:
        assert st.paper_count() == 4
    assert states(db)[0]["restarts"] == 1


# -- faults ------------------------------------------------------------------------------------
@pytest.mark.parametrize("fault", [
    ("status", 503, {"Retry-After": "7"}), ("reset",), ("truncate",), ("html",), ("status", 502), ("status", 429, {"Retry-After": "2"}),
])
def test_transient_faults_are_retried_and_nothing_is_lost(tmp_path: Path, fault: tuple[Any, ...]) -> None:
    t = FakeTime()
    db = tmp_path / "t.duckdb"
    with OAIServer(FixtureRepository()) as server:
        server.faults.extend([None, fault])  # the second request (page 2) fails once
        summary = run(db, server, ["cs"], t, max_retries=3)
    assert summary.retries == 1 and summary.requests == 4
    assert [s.params.get("resumptionToken") for s in server.seen] == [None, "raw-2", "raw-2", "raw-3"]
    if fault[0] == "status" and len(fault) > 2:
        assert t.sleeps == [float(fault[2]["Retry-After"])]  # Retry-After honoured exactly
    else:
        assert len(t.sleeps) == 1 and 1.0 <= t.sleeps[0] <= 2.0  # jittered backoff: base 2 s, half of it random
    with Store.open(db) as st:
        assert st.paper_count() == 4


def test_backoff_grows_with_jitter_then_gives_up_and_a_rerun_resumes(tmp_path: Path) -> None:
    db = tmp_path / "g.duckdb"
    t = FakeTime()
    with OAIServer(FixtureRepository()) as server:
        server.faults.extend([None] + [("status", 500)] * 4)
        with pytest.raises(HarvestError, match=r"gave up on cs page 2 .* after 4 attempt\(s\): HTTP 500.*run the same command again") as info:
            run(db, server, ["cs"], t, max_retries=3, from_="2024-01-01")
        assert len(t.sleeps) == 3
        for k, s in enumerate(t.sleeps):  # exponential, each in [ceiling/2, ceiling]
            assert 2.0 * 2 ** k / 2 <= s <= 2.0 * 2 ** k
        partial = info.value.summary  # type: ignore[attr-defined]
        assert partial.sets[0].pages == 1 and not partial.sets[0].complete
        (state,) = states(db)
        assert state["in_progress"] and state["token"] == "raw-2" and state["pages"] == 1
        with Store.open(db) as st:
            assert st.paper_count() == 2  # page 1 committed with its token
        server.seen.clear()
        resumed = run(db, server, ["cs"], from_="2024-01-01")
    assert [s.params.get("resumptionToken") for s in server.seen] == ["raw-2", "raw-3"]
    assert resumed.sets[0].resumed and resumed.sets[0].complete
    with OAIServer(FixtureRepository()) as server:
        reference = tmp_path / "ref.duckdb"
        run(reference, server, ["cs"], from_="2024-01-01")
    assert rows(db) == rows(reference)
    assert states(db) == states(reference)


def test_cli_gives_up_with_exit_2_then_resumes(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    real_sleep, main_thread = time.sleep, threading.main_thread()

    def recorded_sleep(seconds: float) -> None:
        # ``uptake.harvest.time`` is the time module itself: other threads (a JVM gateway, a server) keep sleeping
        if threading.current_thread() is main_thread:
            waits.append(seconds)
        else:
            real_sleep(seconds)

    monkeypatch.setattr("uptake.harvest.time.sleep", recorded_sleep)
    db = str(tmp_path / "c.duckdb")
    with OAIServer(FixtureRepository()) as server:
        server.faults.extend([None, ("status", 500), ("status", 500)])
        base = ["harvest", "--db", db, "--endpoint", server.url, "--set", "cs", "--from", "2024-01-01",
                "--delay", "0", "--max-retries", "1", "--quiet", "--contact", "me@example.org"]
        assert main(base) == 2
        captured = capsys.readouterr()
        assert "NOT complete: run again to resume" in captured.out
        assert "gave up on cs page 2" in captured.err and "run the same command again" in captured.err
        assert main(base) == 0
        out = capsys.readouterr().out
    assert "resumed" in out and "complete through 2024-01-20" in out and "inserted 2" in out
    assert len(waits) == 1
    assert main(["stats", "--db", db]) == 0
    stats_out = capsys.readouterr().out
    assert "OAI-PMH harvests" in stats_out and "2024-01-20" in stats_out and "arXivRaw" in stats_out
    assert main(["stats", "--db", db, "-f", "json"]) == 0
    import json

    (h,) = json.loads(capsys.readouterr().out)["harvest"]
    assert (h["set"], h["last_datestamp"], h["records"], h["deleted"], h["in_progress"]) == ("cs", "2024-01-20", 4, 1, False)


def test_bad_dates_are_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["harvest", "--db", str(tmp_path / "d.duckdb"), "--from", "2024-13-01", "--endpoint", "http://127.0.0.1:9/oai"]) == 2
    assert "not a real date" in capsys.readouterr().err
    assert main(["harvest", "--db", str(tmp_path / "d.duckdb"), "--from", "Jan 2024", "--endpoint", "http://127.0.0.1:9/oai"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err
    with OAIServer(FixtureRepository()) as server, pytest.raises(UsageError, match="after --until"):
        run(tmp_path / "d.duckdb", server, ["cs"], from_="2024-02-01", until="2024-01-01")
    assert "mailto:x@y.org" in user_agent("x@y.org")


def test_unreachable_endpoint_fails_after_retries(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t = FakeTime()
    with Store.open(tmp_path / "u.duckdb", write=True) as store, httpx.Client(timeout=2) as client:
        with pytest.raises(HarvestError, match="connection problem"):
            harvest(store, client, ["cs"], endpoint=f"http://127.0.0.1:{port}/oai", delay=0, max_retries=2,
                    sleep=t.sleep, clock=t.clock)
    assert len(t.sleeps) == 2


# -- generated repository: incremental harvests, expired tokens, crashes ---------------------------
def test_incremental_harvest_continues_from_the_last_datestamp(tmp_path: Path) -> None:
    papers = generated_papers(300, deleted_every=17)
    repo = GeneratedRepository(papers, page_size=40, response_date="2024-06-30T23:00:00Z")
    db = tmp_path / "i.duckdb"
    with OAIServer(repo) as server:
        first = run(db, server, ["cs", "stat"], from_="2024-01-01", until="2024-06-30")
        assert [s.last_datestamp for s in first.sets] == ["2024-06-30", "2024-06-30"]
        server.seen.clear()
        repo.response_date = "2024-12-31T23:00:00Z"
        second = run(db, server, ["cs", "stat"])
        assert server.seen[0].params == {"verb": "ListRecords", "metadataPrefix": "arXivRaw", "set": "cs", "from": "2024-06-30"}
        assert [s.last_datestamp for s in second.sets] == ["2024-12-31", "2024-12-31"]
        reference = tmp_path / "ref.duckdb"
        run(reference, server, ["cs", "stat"], from_="2024-01-01")
    assert rows(db) == rows(reference)
    expected_alive = {p.id for p in papers if not p.deleted and any(c[:3] in ("cs.", "sta") for c in p.categories.split())}
    with Store.open(db) as st:
        assert {r[0] for r in st._rows("SELECT id FROM papers WHERE NOT deleted")} == expected_alive


def test_rerun_after_a_failed_second_set_does_not_fetch_the_finished_set_again(tmp_path: Path) -> None:
    repo = GeneratedRepository(generated_papers(300), page_size=40)
    db = tmp_path / "m.duckdb"
    window = {"from_": "2024-01-01", "until": "2024-06-30"}
    with OAIServer(repo) as server:
        n_cs = len(repo._select("2024-01-01", "2024-06-30", "cs"))
        pages_cs = -(-n_cs // 40)
        server.faults.extend([None] * pages_cs + [("status", 500)] * 3)
        with pytest.raises(HarvestError, match="set stat"):
            run(db, server, ["cs", "stat"], max_retries=2, **window)
        server.seen.clear()
        again = run(db, server, ["cs", "stat"], **window)
        asked = [s.params.get("set") or s.params["resumptionToken"].split("|")[3] for s in server.seen]
        assert asked and set(asked) == {"stat"}  # cs: nothing fetched again
        assert again.sets[0].skipped and again.sets[0].complete and not again.sets[1].skipped
        server.seen.clear()
        later = run(db, server, ["cs"], from_="2024-03-01", until="2024-04-30")  # inside a finished window
        assert later.sets[0].skipped and server.seen == []
        reference = tmp_path / "ref.duckdb"
        run(reference, server, ["cs", "stat"], **window)
    assert rows(db) == rows(reference)


def test_json_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    with OAIServer(FixtureRepository()) as server:
        assert main(["harvest", "--db", str(tmp_path / "j.duckdb"), "--endpoint", server.url, "--set", "cs",
                     "--delay", "0", "--json", "--contact", "me@example.org"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["read"], data["inserted"], data["deleted"], data["pages"], data["requests"]) == (5, 4, 1, 3, 3)
    assert data["sets"][0]["set_spec"] == "cs" and data["sets"][0]["last_datestamp"] == "2024-01-20"


def test_interrupted_then_token_expired_restarts_the_window(tmp_path: Path) -> None:
    repo = GeneratedRepository(generated_papers(200), page_size=30)
    db = tmp_path / "x.duckdb"

    def stop_after_three(ev: Any) -> None:
        if ev.pages == 3 and not ev.note:
            raise KeyboardInterrupt

    with OAIServer(repo) as server:
        with pytest.raises(KeyboardInterrupt):
            run(db, server, ["cs"], from_="2024-01-01", progress=stop_after_three)
        assert states(db)[0]["pages"] == 3 and states(db)[0]["in_progress"]
        repo.generation += 1  # the server forgot every token it handed out
        server.seen.clear()
        resumed = run(db, server, ["cs"], from_="2024-01-01")
        assert server.seen[0].params.get("resumptionToken", "").startswith("1|")
        assert "resumptionToken" not in server.seen[1].params and resumed.sets[0].restarts == 1
        reference = tmp_path / "ref.duckdb"
        run(reference, server, ["cs"], from_="2024-01-01")
    assert rows(db) == rows(reference)


_HARVEST_CMD = "import sys; from uptake.cli import main; sys.exit(main(sys.argv[1:]))"


@pytest.mark.slow
def test_sigkill_at_random_moments_then_rerun_equals_an_uninterrupted_harvest(tmp_path: Path) -> None:
    papers = generated_papers(1500, seed=9, deleted_every=23)
    repo = GeneratedRepository(papers, page_size=25, latency=0.03)
    db = tmp_path / "crash.duckdb"
    rng = random.Random(20261129)
    env = {**os.environ, "UPTAKE_DB": str(db)}
    with OAIServer(repo) as server:
        cmd = [sys.executable, "-c", _HARVEST_CMD, "harvest", "--db", str(db), "--endpoint", server.url,
               "--set", "cs", "--from", "2024-01-01", "--delay", "0", "--quiet", "--contact", "crash@example.org"]
        killed_mid_harvest = 0
        finished_early = False
        pages_at_kill: list[int] = []
        for _ in range(6):
            # Kill after a random number of further page requests reached the server: the process has then
            # committed at least one page of this run, however slow the machine (no timing guesses).
            target = len(server.seen) + rng.randint(2, 6)
            proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            waited = 0.0
            while len(server.seen) < target and proc.poll() is None and waited < 300:
                time.sleep(0.01)
                waited += 0.01
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                if db.exists():
                    st = states(db)
                    if st and st[0]["in_progress"]:
                        killed_mid_harvest += 1
                        pages_at_kill.append(st[0]["pages"])
            else:
                finished_early = True
                break
        assert killed_mid_harvest >= 2, "the kills should land while pages remain"
        assert pages_at_kill == sorted(pages_at_kill), "each rerun resumes; none starts over"
        print(f"killed {killed_mid_harvest} times mid-harvest, after pages {pages_at_kill}; finished early: {finished_early}")
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        reference = tmp_path / "ref.duckdb"
        run(reference, server, ["cs"], from_="2024-01-01")
    assert rows(db) == rows(reference)
    ours, ref = states(db), states(reference)
    if finished_early:  # the final run then only asked for what changed since: compare what must agree
        keep = ("set_spec", "metadata_prefix", "last_datestamp", "token", "in_progress")
        ours, ref = ([{k: st[0][k] for k in keep}] for st in (ours, ref))
    assert ours == ref  # pages, window counts, lifetime totals, datestamps: as if never interrupted
    with Store.open(db) as st:
        n = st._rows("SELECT count(*), count(DISTINCT id) FROM papers")[0]
    assert n[0] == n[1] and n[0] > 0


def test_harvest_leaves_a_fresh_index_that_agrees_with_the_scan(tmp_path: Path) -> None:
    import os

    from uptake.corpus import Corpus
    from uptake.index import open_fresh

    db = tmp_path / "i.duckdb"
    store_with(db, [make_paper("2301.00002", "Soon withdrawn", published="2023-01-01")])
    with OAIServer(FixtureRepository()) as server:
        run(db, server, ["cs"], from_="2024-01-01")
    with Store.open(db) as st:
        assert open_fresh(st) is not None  # queries after a harvest answer from the index
    indexed = Corpus(db).trend("policy, the, cat:cs").to_json_dict()
    os.environ["UPTAKE_NO_INDEX"] = "1"
    try:
        scanned = Corpus(db).trend("policy, the, cat:cs").to_json_dict()
    finally:
        del os.environ["UPTAKE_NO_INDEX"]
    assert indexed == scanned
