"""End to end in a real headless browser: Debian's chromium driven by Playwright (no browser download).

The server is uvicorn on 127.0.0.1 (a free port), in a thread, over a small synthetic store.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, quote, urlparse

import pytest
from serving import CHROMIUM, LAUNCH_ARGS, serving

pytestmark = pytest.mark.browser

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
    from uptake.web import create_app

    with serving(create_app(store)) as url:
        yield url


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

    # This store has no full texts: the switch says so and stays off.
    page.wait_for_function("() => document.querySelector('#text-full-label').title.includes('no full texts')")
    assert page.locator("#text-full").is_disabled() and page.locator("#text-abstract").is_checked()
    assert page.locator("#roles").is_hidden() and page.locator("#coverage").is_hidden()

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
    assert "Covered span" in first.inner_text()  # what the corpus covers for the series (issue 11)


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


def test_the_share_axis_stops_at_100_percent(page, server, store) -> None:  # type: ignore[no-untyped-def]
    from uptake.corpus import Corpus

    # "the" is in every synthetic paper: a share of 100% whose Wilson band reaches 100% too
    want = Corpus(store).trend("the", start="2024-06").to_json_dict()
    assert max(p["share"] for p in want["series"][0]["points"]) == 1.0
    page.goto(server + "/?q=the&from=2024-06")
    wait_for_series(page, 1)
    labels = page.eval_on_selector_all("#chart svg .grid text:not(.ratio-tick)", "ts => ts.map(t => t.textContent)")
    values = [float(t.rstrip("%")) for t in labels]
    assert values and max(values) == 100.0, labels


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


# -- full text: the switch, section chips, the coverage strip, matched sentences -----------------------------------
@pytest.fixture(scope="module")
def ft_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Metadata for 30 papers a month (2024-01..2025-06), full texts for a few of them: thin (1 in 30) in the
    first three months, about half later; GRPO used in method/experiments sections or only cited in related work."""
    import random
    from datetime import date

    from conftest import make_paper, store_with

    from uptake.fulltext import store_fulltexts
    from uptake.records import BibEntry, FullText, Paragraph
    from uptake.store import Store

    rng = random.Random(3)
    papers, texts = [], []
    for k in range(18):
        year, month = 2024 + k // 12, k % 12 + 1
        for j in range(30):
            pid = f"{year % 100:02d}{month:02d}.{j:05d}"
            grpo = rng.random() < 0.3 + 0.02 * k
            papers.append(make_paper(pid, "GRPO for reasoning" if grpo else "A study of models",
                                     "We train language models." + (" We use GRPO." if grpo else ""),
                                     categories=("cs.LG",), published=f"{year}-{month:02d}-{1 + j % 27:02d}"))
            if (k < 3 and j > 0) or (k >= 3 and rng.random() < 0.5):
                continue
            kind = rng.random()
            paras = [Paragraph("introduction", "1 Introduction", "Reinforcement learning improves reasoning.")]
            if kind < 0.45:
                paras.append(Paragraph("method", "3 Method", "We optimise the policy with GRPO and a verifiable reward."))
            elif kind < 0.6:
                paras.append(Paragraph("experiments", "5 Experiments", "GRPO beats PPO on every benchmark we tried."))
            elif kind < 0.8:
                paras.append(Paragraph("related", "2 Related work", "GRPO [cite:k1] removes the critic of PPO."))
            paras.append(Paragraph("method", "3 Method", "We fine-tune with supervised learning."))
            texts.append(FullText(id=pid, title="t", abstract="", paragraphs=tuple(paras),
                                  bibliography=(BibEntry("k1", "A cited work."),), source_kind="unarxive",
                                  extractor="test/1", status="ok", published=date(year, month, 1 + j % 27)))
    path = tmp_path_factory.mktemp("e2eft") / "fulltext.duckdb"
    store_with(path, papers)
    with Store.open(path, write=True) as store:
        store_fulltexts(store, texts)
    return path


@pytest.fixture(scope="module")
def ft_server(ft_store: Path) -> Iterator[str]:
    from uptake.web import create_app

    with serving(create_app(ft_store)) as url:
        yield url


def test_full_text_switch_sections_coverage_and_matched_sentences(browser, ft_server, ft_store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os

    from uptake.corpus import Corpus

    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # The analytics panels have their own tests; fixed answers here keep this one fast.
    page.route("**/api/adoption*", lambda route: route.fulfill(status=200, content_type="application/json",
                                                               body='{"series": []}'))
    page.route("**/api/emerging*", lambda route: route.fulfill(
        status=200, content_type="application/json",
        body='{"recent": ["2025-01", "2025-05"], "baseline": ["2024-01", "2024-12"], "category": [], "terms": []}'))
    try:
        page.goto(ft_server + "/?q=GRPO")
        wait_for_series(page, 1)
        assert page.locator("#coverage").is_hidden() and page.locator("#roles").is_hidden()
        full = page.get_by_label("Full text")
        page.wait_for_function("() => !document.querySelector('#text-full').disabled")  # once /api/stats says so
        assert "full texts" in page.locator("#corpus-info").inner_text()

        # Switch to full text: the chart reads full texts and the coverage strip appears under it.
        full.check()
        page.wait_for_function("() => new URLSearchParams(location.search).get('text') === 'full'")
        page.locator("#coverage svg").wait_for()
        wait_for_series(page, 1)
        want = Corpus(ft_store).trend("GRPO", text="full", start=page.input_value("#from")).to_json_dict()
        cov = want["filters"]["fulltext_coverage"]
        cells = page.locator("#coverage rect.cov")
        assert cells.count() == len(cov)
        thin = page.eval_on_selector_all("#coverage rect.cov.thin", "rs => rs.map(r => r.dataset.period)")
        assert thin == [c["period"] for c in cov if c["papers"] and c["with_full_text"] / c["papers"] < 0.05]
        assert thin == ["2024-01", "2024-02", "2024-03"]
        note = page.locator("#coverage-note")
        assert "warn" in (note.get_attribute("class") or "") and "thin" in note.inner_text()
        assert "with a full text" in page.locator("#chart-title").inner_text()

        # The "Uses" chip writes in:use into the query, where the user can read and edit it.
        roles = page.locator("#roles")
        assert roles.is_visible()
        assert roles.get_by_role("button", name="Anywhere").get_attribute("aria-pressed") == "true"
        roles.get_by_role("button", name="Uses").click()
        page.wait_for_function("() => document.querySelector('#chart svg g.series')?.dataset.label === 'GRPO in:use'"
                               " && !document.querySelector('#chart').classList.contains('busy')")
        assert page.input_value("#q") == "GRPO in:use"
        assert roles.get_by_role("button", name="Uses").get_attribute("aria-pressed") == "true"
        want = Corpus(ft_store).trend("GRPO in:use", text="full", start=page.input_value("#from")).to_json_dict()
        i, point = next((i, p) for i, p in enumerate(want["series"][0]["points"])
                        if p["count"] >= 2 and p["period"] >= "2024-06")

        # Click a point: each paper shows the matched sentence, its section and role, the term marked.
        page.locator(f'circle.pt[data-series="0"][data-index="{i}"]').click()
        page.locator("#paper-list li .match").first.wait_for()
        expected = Corpus(ft_store).papers("GRPO in:use", text="full", period=point["period"], limit=50)
        items = page.locator("#paper-list li")
        assert items.count() == expected.total == point["count"]
        first = items.first
        assert first.locator(".role").inner_text() == expected.papers[0].match["role"]
        assert first.locator(".section").inner_text() == "§ " + expected.papers[0].match["section"]
        assert first.locator(".sentence").inner_text() == expected.papers[0].match["sentence"]
        assert first.locator(".sentence mark").all_inner_texts() == ["GRPO"]
        assert {r.inner_text() for r in page.locator("#paper-list .role").all()} <= {"method", "experiments"}
        assert "in their full text" in page.locator("#papers .head").inner_text()
        # What the docs show (UPTAKE_FULLTEXT_SCREENSHOT=docs/screenshot-fulltext.png): from the top to the strip.
        assert (page.locator("#coverage").bounding_box() or {}).get("height", 0) > 10
        box = page.locator("#chart-note").bounding_box()
        assert box
        shot = Path(os.environ.get("UPTAKE_FULLTEXT_SCREENSHOT") or tmp_path / "fulltext.png")
        page.screenshot(path=str(shot), full_page=True,
                        clip={"x": 0, "y": 0, "width": 1280, "height": box["y"] + box["height"] + 14})
        assert shot.stat().st_size > 20_000

        # The SVG download carries the coverage strip under the chart.
        with page.expect_download() as info:
            page.click("#dl-svg")
        svg = Path(info.value.path()).read_text(encoding="utf-8")
        assert svg.count('class="cov') == len(cov) and "with a full text" in svg

        # The permalink keeps full text, the section (in q) and the selected point.
        state = parse_qs(urlparse(page.url).query)
        assert state["text"] == ["full"] and state["q"] == ["GRPO in:use"] and state["sel"] == [f"0:{point['period']}"]
        permalink = page.url
        page.goto("about:blank")
        page.goto(permalink)
        page.locator("#paper-list li .match").first.wait_for()
        assert page.locator("#text-full").is_checked()
        assert page.locator("#roles").get_by_role("button", name="Uses").get_attribute("aria-pressed") == "true"

        # Keyboard: back to abstracts with the arrow keys; the section goes with it (abstracts have none).
        page.focus("#text-full")
        page.keyboard.press("ArrowLeft")
        page.wait_for_function("() => !new URLSearchParams(location.search).has('text')")
        wait_for_series(page, 1)
        assert page.input_value("#q") == "GRPO"
        assert page.locator("#coverage").is_hidden() and page.locator("#roles").is_hidden()
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


CHIP_CASES = [  # (query, with in:method, back to anywhere)
    ("GRPO, DPO", "GRPO in:method, DPO in:method", "GRPO, DPO"),
    ('DPO | "direct preference optimization"', '(DPO | "direct preference optimization") in:method',
     'DPO | "direct preference optimization"'),
    ("GRPO in:use", "GRPO in:method", "GRPO"),
    ("GRPO / PPO", "GRPO in:method / PPO in:method", "GRPO / PPO"),
    ("(GRPO + DPO) / PPO", "(GRPO in:method + DPO in:method) / PPO in:method", "(GRPO + DPO) / PPO"),
    ("agents -survey, =LoRA", "(agents -survey) in:method, =LoRA in:method", "agents -survey, =LoRA"),
    ("a | b in:experiments", "(a | b in:experiments) in:method", "a | b in:experiments"),
    ('"reward model" cat:cs.CL', '("reward model" cat:cs.CL) in:method', '"reward model" cat:cs.CL'),
]


def test_section_chips_rewrite_the_query_into_what_the_parser_reads(page, server) -> None:  # type: ignore[no-untyped-def]
    from uptake.query import parse_query
    from uptake.query.ast import Term, walk

    page.goto(server + "/?q=GRPO")
    wait_for_series(page, 1)
    got = page.evaluate("""async (qs) => {
        const m = await import('/static/fulltext.js');
        return qs.map((q) => { const w = m.withRole(q, 'method');
                               return [w, m.withRole(w, null), m.queryRole(q), m.queryRole(w)]; });
    }""", [q for q, _, _ in CHIP_CASES])
    for (q, want, back), (w, b, before, after) in zip(CHIP_CASES, got, strict=True):
        assert (w, b, after) == (want, back, "method"), q
        assert before == ("use" if "in:use" in q else "mixed" if "in:" in q else None), q
        for series in parse_query(w).series:  # every term the chip touched looks in the method only
            roles = {t.roles for t in walk(series.expr) if isinstance(t, Term)}
            assert roles <= {("method",), ("experiments",)} and ("method",) in roles, (q, w)
