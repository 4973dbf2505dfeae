"""The HTTP API, in-process: equality with the CLI's output, snippets, every error path, limits, safety."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

import warnings  # noqa: E402

with warnings.catch_warnings():  # starlette's notice about httpx versions, not ours
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient  # noqa: E402

from conftest import make_paper, store_with  # noqa: E402

from uptake.cli import main  # noqa: E402
from uptake.corpus import Corpus  # noqa: E402
from uptake.deadline import Deadline  # noqa: E402
from uptake.errors import QueryError  # noqa: E402
from uptake.query import parse_query  # noqa: E402
from uptake.text import tokens  # noqa: E402
from uptake.web import Limits, create_app  # noqa: E402


def _papers():
    ps = []
    n = 0

    def add(published: str, title: str, abstract: str, cats=("cs.LG",)):
        nonlocal n
        n += 1
        ps.append(make_paper(f"24{n:02d}.{n:05d}", title, abstract, categories=cats, published=published))

    add("2024-01-05", "Policy gradients revisited", "We study PPO on continuous control.")
    add("2024-01-20", "A survey of alignment", "We compare DPO and RLHF for language models.", ("cs.CL",))
    add("2024-02-11", "Direct preference optimization at scale", "DPO without a reward model.", ("cs.CL", "cs.LG"))
    add("2024-03-02", "Untitled", "Nothing relevant here at all.", ("math.AP",))
    add("2024-05-17", "GRPO for math reasoning", "Group relative policy optimization (GRPO) improves reasoning.", ("cs.CL",))
    add("2024-05-30", "LoRA adapters", "Low-rank adaptation (LoRA) for fine-tuning; not LoRaWAN.", ("cs.LG",))
    add("2024-06-03", "LoRa networks", "LoRa and LoRaWAN for sensors.", ("eess.SP",))
    add("2024-08-14", "Scaling GRPO-based training", "We scale GRPO-based reinforcement learning with verifiable rewards.", ("cs.LG",))
    add("2024-09-09", "PPO vs GRPO", "A head-to-head comparison of PPO and GRPO on reasoning benchmarks.", ("cs.LG", "cs.CL"))
    add("2024-11-21", "Image models", "Diffusion models for images.", ("cs.CV",))
    add("2025-01-07", "Critic-free RL", "Long abstract " + "filler words " * 40 + "and finally GRPO appears late " + "tail " * 30, ("cs.LG",))
    add("2025-02-14", "DPO revisited", "Direct preference optimization and its variants.", ("cs.CL",))
    add("2025-03-03", "GRPO survey", "Everything about GRPO.", ("cs.AI",))
    add("2025-04-22", "Reasoning", "We use GRPO and DPO together.", ("cs.CL",))
    add("2025-06-10", "Late paper", "GRPO again in June.", ("cs.LG",))
    return ps


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("web") / "web.duckdb"
    store_with(path, _papers())
    return path


@pytest.fixture(scope="module")
def client(db: Path) -> TestClient:
    return TestClient(create_app(db), raise_server_exceptions=False)


def cli_json(capsys: pytest.CaptureFixture[str], *argv: str):  # type: ignore[no-untyped-def]
    capsys.readouterr()
    code = main(list(argv))
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


# -- /api/trend equals `uptake trend --format json` ----------------------------------
TREND_CASES = [
    ({"q": "GRPO, DPO"}, []),
    ({"q": "GRPO, PPO | DPO", "from": "2024-03", "to": "2025-04"}, ["--from", "2024-03", "--to", "2025-04"]),
    ({"q": "GRPO", "by": "quarter", "measure": "count"}, ["--by", "quarter", "--measure", "count"]),
    ({"q": "GRPO, DPO", "smooth": "3"}, ["--smooth", "3"]),
    ({"q": "=LoRA, LoRa", "case_sensitive": "true"}, ["--case-sensitive"]),
    ({"q": "GRPO", "category": ["cs.CL", "cs.AI"]}, ["--category", "cs.CL", "--category", "cs.AI"]),
    ({"q": "GRPO", "field": "title", "by": "year"}, ["--field", "title", "--by", "year"]),
    ({"q": '"direct preference optimization" | DPO, GRPO cat:cs.CL'}, []),
]


@pytest.mark.parametrize(("params", "flags"), TREND_CASES)
def test_trend_equals_cli_json(client, db, capsys, params, flags) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/trend", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    expected = cli_json(capsys, "trend", params["q"], "--db", str(db), "--format", "json", *flags)
    assert r.json() == expected


def test_trend_csv_equals_cli_csv(client, db, capsys) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/trend.csv", params={"q": "GRPO, DPO", "by": "quarter", "smooth": "2"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    capsys.readouterr()
    assert main(["trend", "GRPO, DPO", "--db", str(db), "--format", "csv", "--by", "quarter", "--smooth", "2"]) == 0
    assert r.text == capsys.readouterr().out


def test_trend_marks_incomplete_last_month_and_has_wilson_bands(client) -> None:  # type: ignore[no-untyped-def]
    data = client.get("/api/trend", params={"q": "GRPO"}).json()
    pts = data["series"][0]["points"]
    assert pts[-1]["period"] == "2025-06" and pts[-1]["complete"] is False
    assert all(p["complete"] for p in pts[:-1])
    may = next(p for p in pts if p["period"] == "2024-05")
    assert (may["count"], may["total"]) == (1, 2)
    lo, hi = may["share_ci95"]
    assert lo < 0.5 < hi


def test_stats_equals_cli(client, db, capsys) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/stats")
    assert r.status_code == 200
    cli = cli_json(capsys, "stats", "--db", str(db), "--format", "json")
    assert r.json() == cli | {"path": "web.duckdb", "full_texts": 0}  # the file name, never the server's folders
    assert str(db.parent) not in r.text
    assert r.json()["papers"] == 15


# -- /api/papers ------------------------------------------------------------------------
def test_papers_match_library_and_carry_highlighted_snippets(client, db) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/papers", params={"q": "GRPO", "period": "2024-09"})
    assert r.status_code == 200
    body = r.json()
    lib = Corpus(db).papers("GRPO", period="2024-09")
    assert body["total"] == lib.total == 1
    assert [p["id"] for p in body["papers"]] == [p.id for p in lib.papers]
    p = body["papers"][0]
    assert p["url"] == f"https://arxiv.org/abs/{p['id']}"
    assert p["title"] == "PPO vs GRPO"
    assert [s["text"] for s in p["title_segments"] if s["hit"]] == ["GRPO"]
    assert "".join(s["text"] for s in p["title_segments"]) == "PPO vs GRPO"
    hits = [s["text"] for s in p["snippet"]["segments"] if s["hit"]]
    assert hits == ["GRPO"]
    assert p["snippet"]["field"] == "abstract"


def test_snippet_window_centres_on_a_late_match(client) -> None:  # type: ignore[no-untyped-def]
    body = client.get("/api/papers", params={"q": "GRPO", "period": "2025-01"}).json()
    sn = body["papers"][0]["snippet"]
    text = "".join(s["text"] for s in sn["segments"])
    assert sn["truncated_start"] and sn["truncated_end"]
    assert [s["text"] for s in sn["segments"] if s["hit"]] == ["GRPO"]
    assert len(text) < 320


def test_papers_series_selects_one_series(client) -> None:  # type: ignore[no-untyped-def]
    both = client.get("/api/papers", params={"q": "GRPO, DPO", "period": "2025-04"}).json()
    dpo = client.get("/api/papers", params={"q": "GRPO, DPO", "series": "1", "period": "2025-02"}).json()
    grpo = client.get("/api/papers", params={"q": "GRPO, DPO", "series": "0", "period": "2025-02"}).json()
    assert both["total"] == 1
    assert dpo["total"] == 1 and dpo["query"] == "DPO"
    assert grpo["total"] == 0 and grpo["papers"] == []


def test_papers_highlight_phrases_across_punctuation_and_skip_negated_terms(client) -> None:  # type: ignore[no-untyped-def]
    body = client.get("/api/papers", params={"q": '"group relative policy optimization" -PPO', "from": "2024-01"}).json()
    assert body["total"] == 1
    hits = [s["text"] for s in body["papers"][0]["snippet"]["segments"] if s["hit"]]
    assert hits == ["Group relative policy optimization"]
    body = client.get("/api/papers", params={"q": "GRPO -survey"}).json()
    for p in body["papers"]:
        for s in p["snippet"]["segments"] + p["title_segments"]:
            if s["hit"]:
                assert tokens(s["text"]) == ["grpo"]


def test_papers_case_sensitive_highlight(client) -> None:  # type: ignore[no-untyped-def]
    body = client.get("/api/papers", params={"q": "=LoRA"}).json()
    assert body["total"] == 1
    p = body["papers"][0]
    hits = [s["text"] for s in p["snippet"]["segments"] if s["hit"]]
    assert hits == ["LoRA"]  # not LoRaWAN (another token) and case-exact


def test_papers_limit_offset(client) -> None:  # type: ignore[no-untyped-def]
    all_ = client.get("/api/papers", params={"q": "GRPO", "limit": "100"}).json()
    page = client.get("/api/papers", params={"q": "GRPO", "limit": "2", "offset": "1"}).json()
    assert all_["total"] == page["total"] == 7
    assert [p["id"] for p in page["papers"]] == [p["id"] for p in all_["papers"]][1:3]
    dates = [p["date"] for p in all_["papers"]]
    assert dates == sorted(dates, reverse=True)


# -- errors -----------------------------------------------------------------------------
@pytest.mark.parametrize("q", ["GRPO(", 'GRPO, "open', "GRPO,,DPO", "foo:bar", "| DPO", "NOT"])
def test_bad_query_is_400_with_the_cli_message_and_position(client, db, capsys, q) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(QueryError) as info:
        parse_query(q)
    for path in ("/api/trend", "/api/trend.csv", "/api/papers"):
        r = client.get(path, params={"q": q})
        assert r.status_code == 400, (path, r.text)
        body = r.json()
        assert set(body) >= {"error", "position"}
        assert body["position"] == info.value.position
        assert body["error"] == str(info.value)
    capsys.readouterr()
    assert main(["trend", q, "--db", str(db)]) == 2
    assert str(info.value) in " ".join(capsys.readouterr().err.split())


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({}, "empty query"),
        ({"q": "   "}, "empty query"),
        ({"q": "GRPO", "by": "week"}, "--by must be one of"),
        ({"q": "GRPO", "measure": "ratio"}, "--measure must be one of"),
        ({"q": "GRPO", "smooth": "abc"}, "smooth must be a whole number"),
        ({"q": "GRPO", "smooth": "0"}, "smooth must be at least 1, not 0"),
        ({"q": "GRPO", "smooth": "1000"}, "smooth must be at most 60, not 1000"),
        ({"q": "GRPO", "case_sensitive": "maybe"}, "case_sensitive must be true or false"),
        ({"q": "GRPO", "field": "body"}, "field must be title, abstract or any"),
        ({"q": "GRPO", "from": "2024-13"}, "is not a month"),
        ({"q": "GRPO", "from": "2025-05", "to": "2024-01"}, "swap them"),
        ({"q": "GRPO", "category": "cs.XX"}, "no paper in this corpus is listed in category 'cs.XX'"),
        ({"q": "GRPO", "category": ",".join(f"cs.A{i}" for i in range(21))}, "at most 20 categories"),
    ],
)
def test_bad_trend_parameters_are_400(client, params, needle) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/trend", params=params)
    assert r.status_code == 400, r.text
    body = r.json()
    assert needle in body["error"]
    assert "position" in body
    assert "Traceback" not in r.text


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"q": "GRPO", "limit": "1001"}, "limit must be at most 1000, not 1001"),
        ({"q": "GRPO", "limit": "-1"}, "limit must be at least 0, not -1"),
        ({"q": "GRPO", "offset": "-5"}, "offset must be at least 0"),
        ({"q": "GRPO", "offset": "10000001"}, "offset must be at most 10000000"),
        ({"q": "GRPO", "series": "-1"}, "series must be at least 0"),
        ({"q": "GRPO", "limit": "ten"}, "limit must be a whole number"),
        ({"q": "GRPO", "period": "2025-13"}, "has no month 13"),
        ({"q": "GRPO", "period": "May 2025"}, "is not YYYY-MM"),
        ({"q": "GRPO, DPO", "series": "2"}, "series must be at most 1 (q has 2 series"),
    ],
)
def test_bad_papers_parameters_are_400(client, params, needle) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/papers", params=params)
    assert r.status_code == 400, r.text
    assert needle in r.json()["error"]


def test_limits_on_query_length_and_series(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/trend", params={"q": "GRPO " * 120})
    assert r.status_code == 400
    assert "up to 500" in r.json()["error"] and r.json()["position"] == 500
    q13 = ", ".join(f"t{i}" for i in range(13))
    r = client.get("/api/trend", params={"q": q13})
    assert r.status_code == 400
    body = r.json()
    assert "13 series; the limit is 12" in body["error"]
    assert q13[body["position"]:].startswith("t12")
    q12 = ", ".join(f"t{i}" for i in range(12))
    r = client.get("/api/trend", params={"q": q12})
    assert r.status_code == 200 and len(r.json()["series"]) == 12


def test_custom_limits(db) -> None:  # type: ignore[no-untyped-def]
    c = TestClient(create_app(db, limits=Limits(max_query_chars=10, max_series=2, max_limit=5)))
    assert c.get("/api/trend", params={"q": "GRPO, DPO, PPO"}).status_code == 400
    assert c.get("/api/trend", params={"q": "GRPO, DPO"}).status_code == 200
    assert c.get("/api/papers", params={"q": "GRPO", "limit": "6"}).status_code == 400


def test_unknown_route_and_method(client) -> None:  # type: ignore[no-untyped-def]
    for path in ("/nope", "/api/nope", "/api/trend/extra"):
        r = client.get(path)
        assert r.status_code == 404
        assert r.json()["error"].startswith("no such page or endpoint")
    r = client.post("/api/trend", params={"q": "GRPO"})
    assert r.status_code == 405 and "use GET" in r.json()["error"]


@pytest.mark.parametrize(
    "path",
    ["/static/../app.py", "/static/%2e%2e/app.py", "/static/..%2fapp.py", "/static/%2e%2e%2f%2e%2e%2fcorpus.py",
     "/static//etc/passwd", "/static/.", "/static/", "/static/nothing.js", "/static/..\\app.py",
     "/static/%2fetc%2fpasswd"],
)
def test_static_files_cannot_escape_their_folder(client, path) -> None:  # type: ignore[no-untyped-def]
    r = client.get(path)
    assert r.status_code == 404, (path, r.text[:200])
    assert "import" not in r.text


def test_page_and_assets_are_served_with_a_strict_policy(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    html = r.text
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html
    for name in ("app.js", "chart.js", "style.css", "api.js", "favicon.svg"):
        a = client.get(f"/static/{name}")
        assert a.status_code == 200, name
        text = a.text.replace("http://www.w3.org/2000/svg", "").replace("https://arxiv.org/abs/", "")
        assert "http://" not in text and "https://" not in text, f"{name} must not load anything remote"
    import html as html_mod
    import re as re_mod

    cfg = json.loads(html_mod.unescape(re_mod.search(r'<body data-config="([^"]*)">', html).group(1)))
    assert cfg == client.get("/api/config").json()
    assert cfg["default_query"] == "GRPO, DPO, PPO"
    assert cfg["default_from"] == "2024-01"  # three years before the last paper, but not before the first
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert {"/api/trend", "/api/papers", "/api/stats", "/api/adoption", "/api/emerging"} <= set(spec["paths"])


def test_host_check_refuses_other_names(db) -> None:  # type: ignore[no-untyped-def]
    app = create_app(db, allowed_hosts=["127.0.0.1", "localhost", "::1"])
    for base in ("http://127.0.0.1:8000", "http://localhost", "http://[::1]:9000"):
        assert TestClient(app, base_url=base).get("/api/stats").status_code == 200, base
    r = TestClient(app, base_url="http://evil.example:8000").get("/api/stats")
    assert r.status_code == 400 and "only answers requests addressed to" in r.json()["error"]
    r = TestClient(app, base_url="http://127.0.0.1.evil.example").get("/")
    assert r.status_code == 400


def test_no_corpus_is_503_with_advice(tmp_path) -> None:  # type: ignore[no-untyped-def]
    c = TestClient(create_app(tmp_path / "missing.duckdb"))
    for path in ("/api/stats", "/api/trend?q=GRPO", "/api/papers?q=GRPO"):
        r = c.get(path)
        assert r.status_code == 503
        assert "uptake import" in r.json()["error"]


def test_unexpected_error_is_500_json_without_internals(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def boom(self, *a, **k):  # type: ignore[no-untyped-def]
        raise RuntimeError("secret /etc/internal detail")

    monkeypatch.setattr(Corpus, "stats", boom)
    c = TestClient(create_app(db), raise_server_exceptions=False)
    r = c.get("/api/stats")
    assert r.status_code == 500
    assert r.json()["error"].startswith("internal error (RuntimeError)")
    assert "secret" not in r.text and "Traceback" not in r.text


# -- time budget ---------------------------------------------------------------------------
def test_time_budget_exceeded_is_503(db) -> None:  # type: ignore[no-untyped-def]
    c = TestClient(create_app(db, time_budget=0))
    for path in ("/api/trend?q=GRPO", "/api/papers?q=GRPO", "/api/stats"):
        r = c.get(path)
        assert r.status_code == 503, r.text
        assert "budget" in r.json()["error"]
    assert c.get("/api/trend?q=GRPO(").status_code == 400  # bad input is still reported as such


def test_budget_interrupts_a_running_duckdb_query(db) -> None:  # type: ignore[no-untyped-def]
    from uptake.store import Store

    budget = Deadline(0.3)
    store = Store.open(db)
    try:
        budget.watch(store)
        t = time.monotonic()
        with pytest.raises(Exception):  # noqa: B017 - DuckDB's interrupt exception
            store._rows("SELECT count(*) FROM range(10000000000000) a WHERE a.range % 7 = 3")
        assert time.monotonic() - t < 120  # interrupted: the statement alone would run for hours
        assert budget.expired
    finally:
        budget.cancel()
        store.close()


def test_slow_request_is_cut_off_by_the_budget(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from uptake.store import Store

    real_rows = Store._rows

    def slow_rows(self, sql, params=()):  # type: ignore[no-untyped-def]
        # Every read the request makes becomes one that would run for minutes.
        return real_rows(self, "SELECT count(*) FROM range(10000000000000) a WHERE a.range % 7 = 3", ())

    monkeypatch.setattr(Store, "_rows", slow_rows)
    monkeypatch.setenv("UPTAKE_NO_INDEX", "1")  # so the request reads the store, not the term index
    c = TestClient(create_app(db, time_budget=0.5))
    t = time.monotonic()
    r = c.get("/api/trend", params={"q": "GRPO"})
    assert r.status_code == 503 and "0.5 s budget" in r.json()["error"]
    assert time.monotonic() - t < 120  # cut off: each read alone would run for hours


def test_requests_from_many_threads(client, db) -> None:  # type: ignore[no-untyped-def]
    want = Corpus(db).trend("GRPO, DPO").to_json_dict()
    got: list[object] = []

    def worker() -> None:
        got.append(client.get("/api/trend", params={"q": "GRPO, DPO"}).json())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == [json.loads(json.dumps(want))] * 8


# -- analytics: optional modules -------------------------------------------------------------
def test_adoption_endpoint_matches_the_library(client, db) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/adoption", params={"q": "GRPO, DPO"})
    assert r.status_code == 200, r.text
    expected = Corpus(db).adoption("GRPO, DPO", with_senses=False).as_dict()
    assert r.json() == json.loads(json.dumps(expected))
    assert [s["label"] for s in r.json()["series"]] == ["GRPO", "DPO"]
    assert client.get("/api/adoption", params={"q": "GRPO("}).status_code == 400
    assert client.get("/api/adoption").status_code == 400


def test_emerging_endpoint_matches_the_library(client, db) -> None:  # type: ignore[no-untyped-def]
    params = {"recent": "2025-01:2025-06", "baseline": "2024-01:2024-12", "limit": "5"}
    r = client.get("/api/emerging", params=params)
    assert r.status_code == 200, r.text
    expected = Corpus(db).emerging(recent=params["recent"], baseline=params["baseline"], top=5).as_dict()
    got = r.json()
    timing = {"seconds", "stages"}
    assert {k: v for k, v in got.items() if k not in timing} == json.loads(
        json.dumps({k: v for k, v in expected.items() if k not in timing}, default=float))
    assert client.get("/api/emerging", params=params).json() == got  # memoised: the same answer
    bad = client.get("/api/emerging", params={"recent": "2024-01:2024-06", "baseline": "2025-01:2025-06"})
    assert bad.status_code == 400 and "--baseline must end before --recent" in bad.json()["error"]
    assert client.get("/api/emerging", params={"limit": "0"}).status_code == 400


def test_default_from() -> None:
    from datetime import date

    from uptake.web.routes.meta import default_from

    assert default_from(date(1992, 1, 1), date(2026, 7, 24)) == "2023-01"
    assert default_from(date(2024, 5, 2), date(2025, 6, 10)) == "2024-05"
    assert default_from(None, None) is None


def test_emerging_default_windows() -> None:
    from datetime import date

    from uptake.web.analytics import default_windows

    assert default_windows(date(2026, 7, 24)) == ("2026-01:2026-06", "2025-01:2025-12")
    assert default_windows(date(2026, 6, 30)) == ("2026-01:2026-06", "2025-01:2025-12")


# -- uptake serve ---------------------------------------------------------------------------------
def test_serve_warns_on_all_interfaces_and_runs_uvicorn(db, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from uptake.cli import serve

    calls: list[dict] = []
    monkeypatch.setattr(serve, "run_server", lambda app, host, port: calls.append({"app": app, "host": host, "port": port}))
    import socket

    from uptake.cli import build_parser

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert main(["serve", "--db", str(db), "--port", str(port)]) == 0
    err = capsys.readouterr().err
    assert "warning" not in err and f"http://127.0.0.1:{port}/" in err
    assert calls[-1]["host"] == "127.0.0.1" and calls[-1]["port"] == port
    assert main(["serve", "--db", str(db), "--host", "0.0.0.0", "--port", str(port)]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "warning" in err and "ALL network interfaces" in err
    assert calls[-1]["host"] == "0.0.0.0"
    defaults = build_parser().parse_args(["serve"])
    assert (defaults.host, defaults.port) == ("127.0.0.1", 8000)
    app = calls[-1]["app"]
    assert TestClient(app).get("/api/stats").json()["papers"] == 15  # all interfaces: any Host
    assert main(["serve", "--db", str(db), "--port", str(port)]) == 0
    local = calls[-1]["app"]
    assert TestClient(local).get("/api/stats").status_code == 400  # "testserver" is not a loopback name
    assert TestClient(local, base_url=f"http://127.0.0.1:{port}").get("/api/stats").json()["papers"] == 15


def test_serve_refuses_a_port_in_use(db, capsys) -> None:  # type: ignore[no-untyped-def]
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        assert main(["serve", "--db", str(db), "--port", str(port)]) == 2
    assert f"cannot listen on 127.0.0.1:{port}" in " ".join(capsys.readouterr().err.split())


def test_serve_without_a_corpus_exits_2(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["serve", "--db", str(tmp_path / "none.duckdb")]) == 2
    assert "no corpus" in capsys.readouterr().err
    assert main(["serve", "--db", str(tmp_path / "none.duckdb"), "--port", "70000"]) == 2


# -- budgets, concurrency, single flight (the redesign: every endpoint in a worker, under a Deadline) -------------
class _Told:
    """Stands in for a store the corpus watches: ``interrupt()`` is what a deadline does to a running statement."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def interrupt(self) -> None:
        self.event.set()


HEAVY = [("/api/emerging", {"limit": "5"}, "emerging_json"), ("/api/adoption", {"q": "GRPO"}, "adoption_json")]


@pytest.mark.parametrize(("path", "params", "name"), HEAVY)
def test_heavy_endpoint_answers_503_within_its_budget_and_stops_the_worker(db, monkeypatch, path, params, name) -> None:  # type: ignore[no-untyped-def]
    """A computation that would run for minutes: the answer comes at the budget, and the worker is told to stop."""
    import uptake.web.analytics as bridge

    told, finished = _Told(), threading.Event()

    def endless(corpus, args):  # type: ignore[no-untyped-def]
        corpus.deadline.watch(told)  # as every store the corpus opens is watched
        assert told.event.wait(30), "the deadline never interrupted the computation"
        finished.set()
        raise corpus.deadline.error()

    monkeypatch.setattr(bridge, name, endless)
    c = TestClient(create_app(db, limits=Limits(analytics_budget=0.3)))
    t = time.monotonic()
    r = c.get(path, params=params)
    elapsed = time.monotonic() - t
    assert r.status_code == 503, r.text
    assert "0.3 s budget" in r.json()["error"]
    assert elapsed < 0.6, f"503 after {elapsed:.2f} s"
    assert told.event.is_set()  # expired before the answer was sent
    assert finished.wait(5)  # and the worker ended on its own


def _gate(monkeypatch, name: str):  # type: ignore[no-untyped-def]
    """Replace an analytics bridge with one that blocks until released (ignoring its deadline, like a model fit)."""
    import uptake.web.analytics as bridge

    gate = {"release": threading.Event(), "started": threading.Event(), "calls": [], "running": 0, "most": 0,
            "done": threading.Event()}
    lock = threading.Lock()

    def blocked(corpus, args):  # type: ignore[no-untyped-def]
        with lock:
            gate["calls"].append(args)
            gate["running"] += 1
            gate["most"] = max(gate["most"], gate["running"])
        gate["started"].set()
        gate["release"].wait(30)
        with lock:
            gate["running"] -= 1
        gate["done"].set()
        return {"args": repr(args)}

    monkeypatch.setattr(bridge, name, blocked)
    return gate


def _in_thread(fn):  # type: ignore[no-untyped-def]
    out: dict[str, object] = {}
    th = threading.Thread(target=lambda: out.setdefault("r", fn()))
    th.start()
    return th, out


def test_a_second_analytics_request_waits_or_is_told_the_server_is_busy(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    gate = _gate(monkeypatch, "emerging_json")
    c = TestClient(create_app(db, limits=Limits(analytics_budget=0.3)))
    first, out1 = _in_thread(lambda: c.get("/api/emerging", params={"limit": "5"}))
    assert gate["started"].wait(5)
    r = c.get("/api/emerging", params={"limit": "6"})  # another question while the first computation runs
    assert r.status_code == 503
    assert "busy" in r.json()["error"] and "one at a time" in r.json()["error"]
    assert r.headers["retry-after"] == "5"
    # The first request answers when its budget is spent, while its job still runs (the gate ignores deadlines):
    # wait for that answer before releasing the job, so the order never depends on how loaded the machine is.
    first.join(60)
    assert out1["r"].status_code == 503 and "budget" in out1["r"].json()["error"]  # type: ignore[attr-defined]
    gate["release"].set()
    assert gate["done"].wait(5)
    assert len(gate["calls"]) == 1  # the queued job never started: its request had gone


def test_queued_analytics_requests_run_one_after_another(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    gate = _gate(monkeypatch, "emerging_json")
    app = create_app(db, limits=Limits(analytics_budget=30))
    runner = app.state.service.runner
    waiting = {"limit": "6"}
    queued = threading.Event()
    runner.on_wait = lambda key, joined: queued.set() if key[1].limit == 6 else None
    c = TestClient(app)
    first, out1 = _in_thread(lambda: c.get("/api/emerging", params={"limit": "5"}))
    assert gate["started"].wait(5)
    second, out2 = _in_thread(lambda: c.get("/api/emerging", params=waiting))
    assert queued.wait(5)  # the second is waiting behind the first
    gate["release"].set()
    first.join(10)
    second.join(10)
    assert out1["r"].status_code == 200 and out2["r"].status_code == 200  # type: ignore[attr-defined]
    assert len(gate["calls"]) == 2 and gate["most"] == 1  # never two at once


def test_identical_concurrent_requests_share_one_computation(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    gate = _gate(monkeypatch, "adoption_json")
    app = create_app(db, limits=Limits(analytics_budget=30))
    joined = threading.Event()
    app.state.service.runner.on_wait = lambda key, j: joined.set() if j else None
    c = TestClient(app)
    params = {"q": "GRPO, DPO", "category": "cs.LG"}
    first, out1 = _in_thread(lambda: c.get("/api/adoption", params=params))
    assert gate["started"].wait(5)
    second, out2 = _in_thread(lambda: c.get("/api/adoption", params=params))
    assert joined.wait(5)  # the second request joined the first's computation
    gate["release"].set()
    first.join(10)
    second.join(10)
    assert out1["r"].status_code == out2["r"].status_code == 200  # type: ignore[attr-defined]
    assert out1["r"].json() == out2["r"].json()  # type: ignore[attr-defined]
    assert len(gate["calls"]) == 1
    assert c.get("/api/adoption", params=params).status_code == 200  # memoised: still one computation
    assert len(gate["calls"]) == 1


def test_memo_is_bounded_and_keyed_by_store_version(db, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from uptake.web.runner import Memo, store_version

    m = Memo(2)
    for k in "abc":
        m.put(k, k.upper())
    assert len(m) == 2 and m.get("b") == "B" and m.get("c") == "C"
    calls: list[object] = []
    import uptake.web.analytics as bridge

    monkeypatch.setattr(bridge, "emerging_json", lambda corpus, args: calls.append(args) or {"n": len(calls)})
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(db.read_bytes())
    c = TestClient(create_app(copy, limits=Limits(memo_size=1)))
    assert c.get("/api/emerging?limit=3").json() == {"n": 1}
    assert c.get("/api/emerging?limit=3").json() == {"n": 1}
    assert c.get("/api/emerging?limit=4").json() == {"n": 2}  # evicts limit=3 (size 1)
    assert c.get("/api/emerging?limit=3").json() == {"n": 3}
    before = store_version(copy)
    import os

    os.utime(copy, ns=(before[0] + 10**9, before[0] + 10**9))  # the store changed: an import ran
    assert c.get("/api/emerging?limit=3").json() == {"n": 4}


def test_every_endpoint_runs_under_a_budget(db) -> None:  # type: ignore[no-untyped-def]
    c = TestClient(create_app(db, limits=Limits(time_budget=0, analytics_budget=0)))
    for path in ("/api/trend?q=GRPO", "/api/trend.csv?q=GRPO", "/api/papers?q=GRPO", "/api/stats",
                 "/api/adoption?q=GRPO", "/api/emerging"):
        r = c.get(path)
        assert r.status_code == 503, (path, r.text)
        assert "budget" in r.json()["error"], path
    assert c.get("/").status_code == 200  # the page still loads (without its default range)


def test_a_store_being_written_is_503_with_retry_after(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from uptake.errors import StoreLockedError

    def locked(self, *a, **k):  # type: ignore[no-untyped-def]
        raise StoreLockedError(f"{db} is in use by another uptake process (...): wait for it to finish, stop it, "
                               "or use another --db")

    monkeypatch.setattr(Corpus, "trend", locked)
    monkeypatch.setattr(Corpus, "stats", locked)
    c = TestClient(create_app(db))
    for path in ("/api/trend?q=GRPO", "/api/stats"):
        r = c.get(path)
        assert r.status_code == 503
        assert r.json()["error"].startswith("the store is being updated")
        assert "retry in a few seconds" in r.json()["error"] and "--db" not in r.text and str(db) not in r.text
        assert r.headers["retry-after"] == "5"


def test_errors_never_show_the_servers_folders(tmp_path) -> None:  # type: ignore[no-untyped-def]
    r = TestClient(create_app(tmp_path / "missing.duckdb")).get("/api/stats")
    assert r.status_code == 503 and "missing.duckdb" in r.json()["error"]
    assert str(tmp_path) not in r.text


def test_host_header_with_userinfo_or_junk_is_refused(db) -> None:  # type: ignore[no-untyped-def]
    app = create_app(db, allowed_hosts=["127.0.0.1", "localhost", "::1"])
    c = TestClient(app, base_url="http://127.0.0.1:8765")
    assert c.get("/api/stats").status_code == 200
    for host in ("127.0.0.1:8765@evil.example", "127.0.0.1:80:90", "127.0.0.1 evil", "evil.example", "",
                 "localhost.evil.example", "[::2]:80"):
        r = c.get("/api/stats", headers={"host": host})
        assert r.status_code == 400, host
        assert "only answers requests addressed to" in r.json()["error"], host
    assert c.get("/api/stats", headers={"host": "[::1]:8765"}).status_code == 200
    assert c.get("/api/stats", headers={"host": "LOCALHOST"}).status_code == 200


def test_405_names_the_allowed_method(client) -> None:  # type: ignore[no-untyped-def]
    for path in ("/api/trend", "/api/emerging", "/api/stats"):
        r = client.request("DELETE", path)
        assert r.status_code == 405 and r.headers["allow"] == "GET", path
        assert "use GET" in r.json()["error"]


def test_openapi_documents_what_the_api_answers(client) -> None:  # type: ignore[no-untyped-def]
    spec = client.get("/openapi.json").json()
    assert '"422"' not in json.dumps(spec) and "HTTPValidationError" not in json.dumps(spec)
    for path, ops in spec["paths"].items():
        assert {"400", "503"} <= set(ops["get"]["responses"]), path
        assert ops["get"]["responses"]["400"]["content"]["application/json"]["schema"]["$ref"].endswith("ErrorBody")
    csv_ok = spec["paths"]["/api/trend.csv"]["get"]["responses"]["200"]["content"]
    assert list(csv_ok) == ["text/csv"]
    assert list(spec["paths"]["/api/trend"]["get"]["responses"]["200"]["content"]) == ["application/json"]

    def params(path: str) -> set[str]:
        return {p["name"] for p in spec["paths"][path]["get"]["parameters"]}

    assert params("/api/adoption") == {"q", "from", "to", "category", "case_sensitive", "field", "text", "introduced",
                                       "origin", "senses", "by"}
    assert params("/api/emerging") == {"recent", "baseline", "category", "limit"}
    assert {"q", "from", "to", "by", "measure", "smooth", "category", "case_sensitive", "field", "text"} == params(
        "/api/trend")
    assert "text" in params("/api/papers") and "text" in params("/api/trend.csv")
    limit = next(p for p in spec["paths"]["/api/papers"]["get"]["parameters"] if p["name"] == "limit")
    assert (limit["schema"]["minimum"], limit["schema"]["default"]) == (0, 20)
    assert {"/api/config", "/", "/docs"}.isdisjoint(spec["paths"])


def test_blank_parameters_mean_the_default(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/trend", params={"q": "GRPO", "smooth": "", "case_sensitive": "", "field": ""})
    assert r.status_code == 200, r.text
    assert r.json()["filters"]["smooth"] == 1 and r.json()["filters"]["field"] == "any"


def test_no_work_at_start_up_and_the_first_chart_answers_at_once(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import inspect

    import uptake.web.analytics as bridge
    from uptake.cli import serve

    assert "warm" not in inspect.signature(create_app).parameters
    computed: list[object] = []
    monkeypatch.setattr(bridge, "emerging_json", lambda corpus, args: computed.append(args) or {})
    monkeypatch.setattr(serve, "run_server", lambda app, host, port: computed.append("served") or None)
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    names_before = {t.name for t in threading.enumerate()}
    assert main(["serve", "--db", str(db), "--port", str(port)]) == 0
    started = {t.name for t in threading.enumerate()} - names_before
    assert not any("warm" in n or "analytics" in n for n in started), started
    assert computed == ["served"]
    c = TestClient(create_app(db))
    assert c.get("/").status_code == 200 and c.get("/api/trend", params={"q": "GRPO"}).status_code == 200
    assert [x for x in computed if x != "served"] == []  # emerging only when the page asks for it


def test_config_has_no_availability_flags(client) -> None:  # type: ignore[no-untyped-def]
    cfg = client.get("/api/config").json()
    assert set(cfg) == {"default_query", "default_from", "limits", "version"}
    assert cfg["limits"]["analytics_workers"] == 1


def test_every_answer_carries_the_security_headers(client) -> None:  # type: ignore[no-untyped-def]
    for path in ("/", "/static/app.js", "/api/stats", "/api/trend?q=GRPO(", "/nope", "/docs"):
        r = client.get(path)
        assert r.headers["x-content-type-options"] == "nosniff", path
        assert "default-src 'self'" in r.headers["content-security-policy"], path
    assert client.get("/static/app.js").headers["content-type"].startswith("text/javascript")


def test_too_many_waiting_analytics_questions_are_refused_at_once(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    gate = _gate(monkeypatch, "emerging_json")
    app = create_app(db, limits=Limits(analytics_budget=30, analytics_queue=1))
    queued = threading.Event()
    app.state.service.runner.on_wait = lambda key, joined: queued.set() if key[1].limit == 6 else None
    c = TestClient(app)
    first, out1 = _in_thread(lambda: c.get("/api/emerging", params={"limit": "5"}))
    assert gate["started"].wait(5)
    second, out2 = _in_thread(lambda: c.get("/api/emerging", params={"limit": "6"}))
    assert queued.wait(5)
    t = time.monotonic()
    r = c.get("/api/emerging", params={"limit": "7"})  # a third question: the queue (1) is full
    assert r.status_code == 503 and "already waiting" in r.json()["error"] and r.headers["retry-after"] == "5"
    assert time.monotonic() - t < 25  # at once, not after the 30 s budget
    gate["release"].set()
    first.join(10)
    second.join(10)
    assert out1["r"].status_code == out2["r"].status_code == 200  # type: ignore[attr-defined]
    assert len(gate["calls"]) == 2


# -- full text: text=full, in:ROLE, coverage, matched sentences ------------------------------------------------------
def _fulltexts():  # type: ignore[no-untyped-def]
    from uptake.records import BibEntry, FullText, Paragraph

    def ft(n: int, *paras: tuple[str, str, str]) -> FullText:
        return FullText(id=f"24{n:02d}.{n:05d}", title="t", abstract="", bibliography=(BibEntry("k1", "A work."),),
                        paragraphs=tuple(Paragraph(role, section, text) for role, section, text in paras),
                        source_kind="unarxive", extractor="test/1", status="ok")

    return [
        ft(2, ("method", "3 Training", "We train the model with DPO on pairs.")),
        ft(5, ("method", "3 Method", "We optimise the policy with GRPO and a verifiable reward."),
           ("related", "2 Related work", "PPO [cite:k1] is the usual choice.")),
        ft(8, ("related", "2 Background", "GRPO [cite:k1] removes the critic."),
           ("experiments", "5 Results", "We compare against PPO on three tasks.")),
        ft(9, ("experiments", "4 Experiments", "GRPO beats PPO on every benchmark we tried.")),
        ft(11, ("appendix", "A Hyper-parameters", "The settings of GRPO are listed in Table 3.")),
        ft(14, ("introduction", "1 Introduction", "GRPO is popular."),
           ("method", "3 Approach", "We combine DPO with rejection sampling.")),
    ]


@pytest.fixture(scope="module")
def ft_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from uptake.fulltext import store_fulltexts
    from uptake.store import Store

    path = tmp_path_factory.mktemp("webft") / "ft.duckdb"
    store_with(path, _papers())
    with Store.open(path, write=True) as store:
        store_fulltexts(store, _fulltexts())
    return path


@pytest.fixture(scope="module")
def ft_client(ft_db: Path) -> TestClient:
    return TestClient(create_app(ft_db), raise_server_exceptions=False)


FULLTEXT_CASES = [
    ({"q": "GRPO, GRPO in:method", "text": "full"}, ["--text", "full"]),
    ({"q": "(GRPO | DPO) in:experiments, DPO in:method", "text": "full", "by": "quarter"},
     ["--text", "full", "--by", "quarter"]),
    ({"q": "GRPO in:use, PPO", "text": "full", "measure": "count", "from": "2024-03"},
     ["--text", "full", "--measure", "count", "--from", "2024-03"]),
    ({"q": "GRPO", "text": "abstract"}, []),
]


@pytest.mark.parametrize(("params", "flags"), FULLTEXT_CASES)
def test_full_text_trend_equals_cli_json(ft_client, ft_db, capsys, params, flags) -> None:  # type: ignore[no-untyped-def]
    r = ft_client.get("/api/trend", params=params)
    assert r.status_code == 200, r.text
    expected = cli_json(capsys, "trend", params["q"], "--db", str(ft_db), "--format", "json", *flags)
    assert r.json() == expected
    if params["text"] == "full":
        f = r.json()["filters"]
        assert f["text"] == "full" and f["fulltext_coverage"]
        assert {tuple(c) for c in f["fulltext_coverage"]} == {("period", "with_full_text", "papers")}


def test_full_text_trend_csv_equals_cli(ft_client, ft_db, capsys) -> None:  # type: ignore[no-untyped-def]
    r = ft_client.get("/api/trend.csv", params={"q": "GRPO in:method, GRPO", "text": "full"})
    assert r.status_code == 200, r.text
    capsys.readouterr()
    assert main(["trend", "GRPO in:method, GRPO", "--db", str(ft_db), "--format", "csv", "--text", "full"]) == 0
    assert r.text == capsys.readouterr().out


def test_full_text_shares_divide_by_papers_with_a_full_text(ft_client) -> None:  # type: ignore[no-untyped-def]
    data = ft_client.get("/api/trend", params={"q": "GRPO", "text": "full", "from": "2024-01", "to": "2024-12"}).json()
    cov = {c["period"]: (c["with_full_text"], c["papers"]) for c in data["filters"]["fulltext_coverage"]}
    assert cov["2024-05"] == (1, 2) and cov["2024-03"] == (0, 1) and cov["2024-09"] == (1, 1)
    may = next(p for p in data["series"][0]["points"] if p["period"] == "2024-05")
    assert (may["count"], may["total"]) == (1, 1)  # of the one paper with a full text, not of both


def test_full_text_papers_carry_the_matched_sentence(ft_client, ft_db) -> None:  # type: ignore[no-untyped-def]
    r = ft_client.get("/api/papers", params={"q": "GRPO in:use", "text": "full", "limit": "50"})
    assert r.status_code == 200, r.text
    body = r.json()
    lib = Corpus(ft_db).papers("GRPO in:use", text="full", limit=50)
    assert body["total"] == lib.total == 3  # method, experiments, appendix; not the related-work mention
    assert [p["id"] for p in body["papers"]] == [p.id for p in lib.papers]
    assert [p["match"] for p in body["papers"]] == [p.match for p in lib.papers]
    first = body["papers"][0]
    assert first["match"] == {"role": "appendix", "section": "A Hyper-parameters",
                              "sentence": "The settings of GRPO are listed in Table 3."}
    assert "".join(s["text"] for s in first["match_segments"]) == first["match"]["sentence"]
    assert [s["text"] for s in first["match_segments"] if s["hit"]] == ["GRPO"]
    mention = ft_client.get("/api/papers", params={"q": "GRPO", "text": "full", "period": "2024-08"}).json()
    assert mention["papers"][0]["match"]["role"] == "related"
    plain = ft_client.get("/api/papers", params={"q": "GRPO", "period": "2024-08"}).json()
    assert "match" not in plain["papers"][0] and "match_segments" not in plain["papers"][0]


@pytest.mark.parametrize(
    ("path", "params", "needle"),
    [
        ("/api/trend", {"q": "GRPO in:method"}, "in:method looks at sections of full texts: add --text full"),
        ("/api/papers", {"q": "GRPO in:use"}, "in:use looks at sections of full texts: add --text full"),
        ("/api/trend.csv", {"q": "(GRPO | DPO) in:experiments"}, "add --text full"),
        ("/api/trend", {"q": "GRPO", "text": "body"}, "text must be abstract or full, not 'body'"),
        ("/api/papers", {"q": "GRPO", "text": "FULL"}, "text must be abstract or full, not 'FULL'"),
        ("/api/trend", {"q": "title:GRPO", "text": "full"}, "name the sections instead, e.g. GRPO in:method"),
        ("/api/trend", {"q": "GR*O", "text": "full"}, "wildcards are not supported with --text full"),
        ("/api/adoption", {"q": "GRPO", "by": "cites"}, "by must be mention or use, not 'cites'"),
    ],
)
def test_full_text_errors_are_400_with_the_cli_message(ft_client, path, params, needle) -> None:  # type: ignore[no-untyped-def]
    r = ft_client.get(path, params=params)
    assert r.status_code == 400, r.text
    assert needle in r.json()["error"] and "position" in r.json()


def test_full_text_without_full_texts_says_how_to_add_them(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/trend", params={"q": "GRPO", "text": "full"})
    assert r.status_code == 503 and "holds no full texts yet" in r.json()["error"]
    assert "fulltext import" in r.json()["error"] and "/" not in r.json()["error"].split(" holds")[0]
    assert client.get("/api/stats").json()["full_texts"] == 0


def test_stats_counts_full_texts(ft_client, ft_db, capsys) -> None:  # type: ignore[no-untyped-def]
    cli = cli_json(capsys, "stats", "--db", str(ft_db), "--format", "json")
    assert ft_client.get("/api/stats").json() == cli | {"path": "ft.duckdb", "full_texts": 6}
    assert Corpus(ft_db).fulltext_count() == 6


def test_adoption_by_use_and_full_text_match_the_library(ft_client, ft_db) -> None:  # type: ignore[no-untyped-def]
    r = ft_client.get("/api/adoption", params={"q": "GRPO", "by": "use"})
    assert r.status_code == 200, r.text
    want = Corpus(ft_db).adoption("GRPO", by="use", with_senses=False).as_dict()
    assert r.json() == json.loads(json.dumps(want))
    assert r.json()["filters"]["text"] == "full" and r.json()["series"][0]["total_matches"] == 3
    full = ft_client.get("/api/adoption", params={"q": "GRPO in:method", "text": "full"})
    assert full.status_code == 200, full.text
    assert full.json() == json.loads(json.dumps(Corpus(ft_db).adoption(
        "GRPO in:method", text="full", with_senses=False).as_dict()))
