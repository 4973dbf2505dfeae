"""What ``uptake serve`` loads before its first chart: no module the first chart does not need.

Start-up time is mostly imports (``bench/serve_start.py`` measures it); this test keeps the heavy ones out of the
start-up path without timing anything. A fresh interpreter runs the real ``uptake serve`` command — argument
parsing, the corpus check, the app — with only the socket server swapped for an in-process ASGI call, then asks for
the page and for what the page asks for first (``/api/stats`` and ``/api/trend`` with the default query), and reports
``sys.modules``. Then it asks for the analytics too, to show the heavy modules are still there when needed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

FIXTURES = Path(__file__).parent / "fixtures"
SRC = Path(__file__).resolve().parents[1] / "src"

#: Modules the first chart does not need, each costing tens to hundreds of milliseconds of start-up.
HEAVY = (
    "numpy", "pandas", "scipy", "matplotlib", "pyarrow", "lxml", "httpx", "polars", "pyspark",
    "uptake.fulltext",  # full-text import: pyarrow, the LaTeX and PDF readers
    "uptake.sources.eprint", "uptake.sources.fulltext_parquet", "uptake.ingest",
    "uptake.analytics.adoption", "uptake.analytics.emerging", "uptake.analytics.openness",
    "uptake.analytics.fulltext_openness",
    "rich",  # the CLI's console: `uptake serve` prints its one line without it
)

DRIVER = r"""
import asyncio, json, sys
import uptake.cli.serve as serve
from uptake.cli import main

def call(app, path, query=""):
    sent = []
    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}
    async def send(message):
        sent.append(message)
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
             "headers": [(b"host", b"127.0.0.1")], "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 8000)}
    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body

def run_server(app, host, port):
    import html, re, urllib.parse
    import uvicorn, uvicorn.config  # what the real run_server loads before it listens
    status, page = call(app, "/")
    cfg = json.loads(html.unescape(re.search(rb'data-config="([^"]*)"', page).group(1).decode()))
    q = urllib.parse.urlencode({"q": cfg["default_query"], "from": cfg["default_from"], "by": "month",
                                "measure": "share", "smooth": "1"})
    stats_status = call(app, "/api/stats")[0]  # the page asks for it with the chart
    trend_status, trend = call(app, "/api/trend", q)
    first = sorted(sys.modules)
    later = {}
    for path, query in (("/api/emerging", ""), ("/api/adoption", "q=GRPO")):
        later[path] = call(app, path, query)[0]
    print(json.dumps({"page": status, "stats": stats_status, "trend": trend_status, "series": len(json.loads(trend)["series"]),
                      "first": first, "later": later, "after": sorted(sys.modules)}))

serve.run_server = run_server
main(["serve", "--db", sys.argv[1], "--port", "8000"])
"""


@pytest.fixture(scope="module")
def start(tmp_path_factory: pytest.TempPathFactory) -> dict:  # type: ignore[type-arg]
    from uptake.corpus import Corpus

    db = tmp_path_factory.mktemp("serve") / "store.duckdb"
    Corpus(db).import_files([FIXTURES / "kaggle_sample.jsonl"])  # store and term index, as a user's import
    out = subprocess.run([sys.executable, "-c", DRIVER, str(db)], capture_output=True, text=True,
                         env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin", "UPTAKE_DB": str(db)}, timeout=600)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_the_first_chart_is_answered(start: dict) -> None:  # type: ignore[type-arg]
    assert start["page"] == 200
    assert start["stats"] == 200
    assert start["trend"] == 200
    assert start["series"] == 3  # the default query, "GRPO, DPO, PPO"


def test_serve_loads_nothing_heavy_before_the_first_chart(start: dict) -> None:  # type: ignore[type-arg]
    loaded = set(start["first"])
    assert "uptake.web.app" in loaded and "uptake.index" in loaded  # the driver did run the real path
    assert [m for m in HEAVY if m in loaded] == []


def test_the_analytics_still_load_when_asked_for(start: dict) -> None:  # type: ignore[type-arg]
    assert start["later"] == {"/api/emerging": 200, "/api/adoption": 200}
    after = set(start["after"])
    assert {"numpy", "uptake.analytics.emerging", "uptake.analytics.adoption"} <= after
