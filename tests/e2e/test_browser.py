"""End to end in a real headless browser: Debian's chromium driven by Playwright (no browser download).

The server is uvicorn on 127.0.0.1 (a free port), in a thread, over a small synthetic store.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, quote, urlparse

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
TIMEOUT = 20_000  # ms, for anything the page waits on


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from conftest import store_with

    from uptake.demo import DEMO_PLANTED
    from uptake.synthetic import SyntheticCorpus

    path = tmp_path_factory.mktemp("e2e") / "synth.duckdb"
    synth = SyntheticCorpus(n_papers=3000, start="2023-01", end="2025-06", end_day=14, seed=5, planted=DEMO_PLANTED,
                            vocabulary_size=5000, sentence_pool=1000)
    store_with(path, synth.papers())
    return path


@pytest.fixture(scope="module")
def server(store: Path) -> Iterator[str]:
    uvicorn = pytest.importorskip("uvicorn")
    from uptake.web import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(store), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    # uvicorn finishes the requests still running (adoption fits take a few seconds) before it stops;
    # waiting here means no DuckDB query is left running in a thread when the test process exits.
    srv.should_exit = True
    thread.join(timeout=300)


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (Debian: apt-get install -y chromium); browser tests need it")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT)
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    requests: list[str] = []
    pg.on("request", lambda r: requests.append(r.url))
    yield pg
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
    remote = [u for u in requests if not u.startswith((server, "blob:", "data:"))]
    assert not remote, f"the page fetched something that is not ours: {remote}"


def wait_for_series(page, n: int) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function(
        "n => document.querySelectorAll('#chart svg g.series').length === n && document.body.dataset.ready === '1'"
        " && !document.querySelector('#chart').classList.contains('busy')",
        arg=n,
    )


def test_query_hover_click_permalink_download(page, server, store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from uptake.corpus import Corpus

    page.goto(server + "/")
    wait_for_series(page, 3)  # the default query, GRPO, DPO, PPO
    assert page.locator("#legend button").count() == 3

    # Type a query and submit with the keyboard.
    q = page.get_by_label("Query")
    q.fill("GRPO, DPO")
    q.press("Enter")
    wait_for_series(page, 2)
    assert page.locator("#legend button").count() == 2
    assert page.locator("#legend button").first.inner_text().startswith("GRPO")
    labels = page.eval_on_selector_all("#chart svg g.series", "gs => gs.map(g => g.dataset.label)")
    assert labels == ["GRPO", "DPO"]

    # The last month is incomplete (the corpus ends on the 14th) and drawn hollow.
    last = page.locator('circle.pt[data-series="0"]').last
    assert last.get_attribute("fill") == "#ffffff"

    # Hover a point: the tooltip shows period, count / total and share.
    point = page.locator('circle.pt[data-series="0"]').nth(-4)
    period = point.get_attribute("data-period")
    point.hover()
    tip = page.locator("#tooltip")
    tip.wait_for(state="visible")
    text = tip.inner_text()
    assert period in text
    want = Corpus(store).trend("GRPO, DPO", start=page.input_value("#from")).to_json_dict()
    p0 = next(p for p in want["series"][0]["points"] if p["period"] == period)
    assert f"{p0['count']:,} / {p0['total']:,}" in text
    assert "%" in text and "95% CI" in text

    # Click it: the papers behind the point, linked to arXiv, with the term highlighted.
    point.click()
    page.locator("#paper-list li").first.wait_for()
    items = page.locator("#paper-list li")
    expected = Corpus(store).papers("GRPO", period=period, limit=50)
    assert items.count() == min(50, expected.total) > 0
    first_link = items.first.locator("a").first
    assert first_link.get_attribute("href") == f"https://arxiv.org/abs/{expected.papers[0].id}"
    marks = page.locator("#paper-list mark").all_inner_texts()
    assert marks and all(m.lower() == "grpo" for m in marks)
    head = page.locator("#papers .head").inner_text()
    assert f"{expected.total:,} paper" in head and period in head

    # Legend toggle hides a series and is part of the state.
    page.locator("#legend button").nth(1).click()
    wait_for_series(page, 1)

    # The URL encodes the full state; reloading it restores the same view.
    state = parse_qs(urlparse(page.url).query)
    assert state["q"] == ["GRPO, DPO"] and state["sel"] == [f"0:{period}"] and state["hide"] == ["1"]
    permalink = page.url
    page.goto("about:blank")
    page.goto(permalink)
    wait_for_series(page, 1)
    page.locator("#paper-list li").first.wait_for()
    assert page.input_value("#q") == "GRPO, DPO"
    assert page.locator("#legend button").nth(1).get_attribute("aria-pressed") == "false"
    assert page.locator("#papers .head").inner_text() == head
    assert page.locator("#paper-list li").count() == items.count()
    assert page.locator("circle.selected-ring").get_attribute("visibility") == "visible"

    # Download CSV: the same bytes as `uptake trend --format csv`.
    with page.expect_download() as info:
        page.click("#dl-csv")
    body = Path(info.value.path()).read_text(encoding="utf-8")
    assert body == Corpus(store).trend("GRPO, DPO", start=page.input_value("#from")).to_csv()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert {r["series"] for r in rows} == {"GRPO", "DPO"}


def test_other_downloads_and_options(page, server) -> None:  # type: ignore[no-untyped-def]
    page.goto(server + "/?q=GRPO,PPO&from=2023-06&by=quarter&measure=count")
    wait_for_series(page, 2)
    assert page.input_value("#by") == "quarter" and page.input_value("#measure") == "count"
    ticks = page.eval_on_selector_all("#chart svg .xticks text", "ts => ts.map(t => t.textContent)")
    assert ticks and all(re.fullmatch(r"\d{4}(-Q[1-4])?", t) for t in ticks)
    with page.expect_download() as info:
        page.click("#dl-json")
    import json

    data = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert data["filters"]["by"] == "quarter" and [s["label"] for s in data["series"]] == ["GRPO", "PPO"]
    with page.expect_download() as info:
        page.click("#dl-svg")
    svg = Path(info.value.path()).read_text(encoding="utf-8")
    assert svg.startswith("<svg") and "GRPO" in svg and "circle" in svg
    with page.expect_download() as info:
        page.click("#dl-png")
    png = Path(info.value.path()).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000

    # A change of option redraws; smoothing switches the tooltip to the moving average.
    page.select_option("#smooth", "3")
    page.wait_for_function("() => new URLSearchParams(location.search).get('smooth') === '3'")
    wait_for_series(page, 2)


def test_bad_query_shows_the_position(page, server) -> None:  # type: ignore[no-untyped-def]
    page.goto(server + "/?q=GRPO")
    wait_for_series(page, 1)
    page.fill("#q", "GRPO, (DPO")
    page.click("#draw")
    err = page.locator("#query-error")
    err.wait_for(state="visible")
    assert "unbalanced (" in err.inner_text()
    assert page.locator("#query-error mark").inner_text() == "("
    assert page.get_attribute("#q", "aria-invalid") == "true"
    # The previous chart stays; fixing the query clears the error.
    page.fill("#q", "GRPO, DPO")
    page.press("#q", "Enter")
    wait_for_series(page, 2)
    assert page.locator("#query-error").is_hidden()


def test_phone_width_and_keyboard(browser, server) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    try:
        page.goto(server + "/?q=GRPO,DPO")
        wait_for_series(page, 2)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, "the page scrolls sideways on a phone"
        box = page.locator("#chart svg").bounding_box()
        assert box and box["width"] <= 390 and box["height"] > 200
        # Keyboard: focus the chart, arrow to a point, Enter lists its papers.
        page.focus("#chart svg")
        page.keyboard.press("ArrowLeft")
        assert page.locator("#tooltip").is_visible()
        page.keyboard.press("Enter")
        page.locator("#papers .head").wait_for()
        assert "sel=" in page.url
    finally:
        context.close()


def test_analytics_panels(page, server) -> None:  # type: ignore[no-untyped-def]
    import importlib.util
    import json

    if importlib.util.find_spec("uptake.analytics.emerging") is None or importlib.util.find_spec("uptake.analytics.adoption") is None:
        pytest.skip("this uptake has no adoption/emerging analytics")
    # The emerging list comes from the real endpoint in the API tests; here a fixed answer, so the
    # click-to-add behaviour is tested whatever a small synthetic corpus happens to rank.
    fixed = {"recent": ["2025-01", "2025-05"], "baseline": ["2024-01", "2024-12"], "category": [],
             "terms": [{"term": "DPO", "ratio": 3.2, "recent": 40, "aliases": []},
                       {"term": "mixture of agents", "ratio": 12.0, "recent": 11, "aliases": []}]}
    page.route("**/api/emerging*", lambda route: route.fulfill(status=200, content_type="application/json",
                                                                body=json.dumps(fixed)))
    page.goto(server + "/?q=GRPO")
    wait_for_series(page, 1)
    buttons = page.locator("#emerging button")
    buttons.first.wait_for()
    assert buttons.count() == 2 and "×12" in buttons.nth(1).inner_text()
    buttons.nth(1).click()
    wait_for_series(page, 2)
    assert page.input_value("#q") == 'GRPO, "mixture of agents"'
    assert parse_qs(urlparse(page.url).query)["q"] == ['GRPO, "mixture of agents"']
    # The adoption panel: one card per series, with the library's numbers.
    page.wait_for_function("() => document.querySelectorAll('#adoption .series').length === 2", timeout=180_000)
    first = page.locator("#adoption .series").first
    assert first.locator("h3").inner_text() == "GRPO"
    assert "Introduced" in first.inner_text() and "Papers" in first.inner_text()


def test_ratio_series_get_their_own_axis_and_format(page, server, store) -> None:  # type: ignore[no-untyped-def]
    from uptake.corpus import Corpus

    page.goto(server + "/?q=" + quote("GRPO, GRPO / PPO") + "&from=2024-06")
    wait_for_series(page, 2)
    # shares stay on the left axis in %, the ratio gets a right-hand axis in ×
    assert page.locator("text.ratio-tick").count() >= 2
    ticks = page.eval_on_selector_all("text.ratio-tick", "ts => ts.map(t => t.textContent)")
    assert ticks and all(t.endswith("×") for t in ticks)
    want = Corpus(store).trend("GRPO, GRPO / PPO", start="2024-06").to_json_dict()
    ratio = want["series"][1]
    assert ratio["unit"].startswith("ratio")
    i, p = next((i, p) for i, p in enumerate(ratio["points"]) if p["share"] and p["complete"] and p["share"] > 1)
    page.locator(f'circle.pt[data-series="1"][data-index="{i}"]').hover()
    tip = page.locator("#tooltip")
    tip.wait_for(state="visible")
    assert "×" in tip.inner_text()
    # the ratio's point sits where the right axis says, not at ratio*100% of the share axis
    cy = float(page.locator(f'circle.pt[data-series="1"][data-index="{i}"]').get_attribute("cy"))
    box = page.evaluate("() => { const s = document.querySelector('#chart svg'); return s.viewBox.baseVal.height; }")
    assert 0 < cy < box


def test_a_busy_analytics_answer_is_retried_after_retry_after(page, server) -> None:  # type: ignore[no-untyped-def]
    import json

    fixed = {"recent": ["2025-01", "2025-05"], "baseline": ["2024-01", "2024-12"], "category": [],
             "terms": [{"term": "DPO", "ratio": 3.2, "recent": 40, "aliases": []}]}
    asked: list[str] = []

    def answer(route):  # type: ignore[no-untyped-def]
        asked.append(route.request.url)
        if len(asked) == 1:  # the server's "busy" answer: the page shows it and asks again after Retry-After
            route.fulfill(status=503, content_type="application/json", headers={"Retry-After": "1"},
                          body=json.dumps({"error": "the server is busy with another adoption or emerging computation "
                                           "(they run one at a time) and …: retry in a few seconds", "position": None}))
        else:
            route.fulfill(status=200, content_type="application/json", body=json.dumps(fixed))

    page.route("**/api/emerging*", answer)
    page.goto(server + "/?q=GRPO")
    wait_for_series(page, 1)
    page.locator("#emerging button").first.wait_for()
    assert len(asked) == 2
    assert page.locator("#emerging button").first.inner_text().startswith("DPO")
