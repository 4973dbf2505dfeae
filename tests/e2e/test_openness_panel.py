"""End to end in headless chromium: the 'Open artifacts' panel shows exactly what /api/openness answers."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from serving import CHROMIUM, LAUNCH_ARGS, serving

pytestmark = pytest.mark.browser

KINDS = ["code", "code-released", "code-promised", "weights", "data", "demo", "promise"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from conftest import store_with
    from test_web_openness import PAPERS  # papers whose abstracts and comments link code, weights, data, demos

    from uptake.web import create_app

    path = tmp_path_factory.mktemp("e2eopen") / "open.duckdb"
    store_with(path, PAPERS)
    with serving(create_app(path)) as url:
        yield url


@pytest.fixture
def page(server):  # type: ignore[no-untyped-def]
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (Debian: apt-get install -y chromium); browser tests need it")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        pg = browser.new_page(viewport={"width": 1280, "height": 900})
        pg.set_default_timeout(20_000)
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        # Adoption and emerging are tested elsewhere; fixed answers keep this test about openness.
        pg.route("**/api/adoption*", lambda r: r.fulfill(status=200, content_type="application/json",
                                                         body='{"series": []}'))
        pg.route("**/api/emerging*", lambda r: r.fulfill(status=200, content_type="application/json", body=json.dumps(
            {"recent": ["2024-01", "2024-05"], "baseline": ["2023-01", "2023-12"], "category": [], "terms": []})))
        yield pg
        browser.close()
        assert not errors, f"JavaScript errors on the page: {errors}"


def expected_cells(rows: list[dict], series: str) -> dict[str, tuple[int, int]]:  # type: ignore[type-arg]
    """Column -> (count, papers) summed over ``rows`` of one series, as the panel should show them."""
    mine = [r for r in rows if r["series"] == series]
    papers = sum(r["papers"] for r in mine)
    out = {k: (sum(r[k] for r in mine), papers) for k in KINDS if k != "code-promised"}
    out["code-promised"] = (out["code"][0] - out["code-released"][0], papers)
    return out


def pct(count: int, papers: int) -> str:
    if not count:
        return "0%"
    x = 100 * count / papers
    return f"{x:.2f}%" if x < 1 else f"{x:.1f}%"


def test_panel_shows_the_api_numbers(page, server) -> None:  # type: ignore[no-untyped-def]
    with page.expect_response(lambda r: "/api/openness?" in r.url) as answer:
        page.goto(server + "/?q=GRPO%2C%20DPO&from=2024-01&by=quarter")
    data = answer.value.json()
    page.wait_for_selector("#openness table")
    assert data["filters"]["by"] == "quarter" and data["incomplete_periods"] == ["2024-Q2"]

    summary = page.locator("#openness > table")
    labels = summary.locator("tbody tr").evaluate_all("trs => trs.map(t => t.dataset.series)")
    assert labels == ["GRPO", "DPO", "all papers"]
    for label in labels:
        want = expected_cells(data["rows"], label)
        row = summary.locator(f'tbody tr[data-series="{label}"]')
        assert row.locator("td.papers").inner_text() == f"{want['code'][1]:,}"
        for kind, (count, papers) in want.items():
            cell = row.locator(f'td[data-kind="{kind}"]')
            assert cell.locator(".pct").inner_text() == pct(count, papers), (label, kind)
            assert cell.locator(".n").inner_text() == f"{count:,}", (label, kind)
    # Code is split: released + promised at a link = code, and the test data has both.
    all_papers = expected_cells(data["rows"], "all papers")
    assert all_papers["code-released"][0] > 0 and all_papers["code-promised"][0] > 0
    assert "incomplete period 2024-Q2 (*)" in page.locator("#openness").inner_text()

    # Per period: the incomplete quarter is marked, and each cell is that period's numbers.
    page.click("#openness summary")
    period_rows = page.locator("#openness details tbody tr")
    assert period_rows.count() == 2 * 3
    marked = page.locator("#openness details th.period .inc")
    assert marked.count() == 1
    assert page.locator('#openness details tr[data-period="2024-Q2"] th.period').first.inner_text() == "2024-Q2 *"
    row = page.locator('#openness details tr[data-period="2024-Q1"][data-series="DPO"]')
    q1 = [r for r in data["rows"] if r["period"] == "2024-Q1"]
    for kind, (count, papers) in expected_cells(q1, "DPO").items():
        assert row.locator(f'td[data-kind="{kind}"] .n').inner_text() == f"{count:,}"
        assert row.locator(f'td[data-kind="{kind}"] .pct').inner_text() == pct(count, papers)


def test_panel_follows_the_query(page, server) -> None:  # type: ignore[no-untyped-def]
    page.goto(server + "/?q=GRPO&from=2024-01")
    page.wait_for_selector("#openness table")
    with page.expect_response(lambda r: "/api/openness?" in r.url and "diffusion" in r.url) as answer:
        q = page.get_by_label("Query")
        q.fill("diffusion")
        q.press("Enter")
    data = answer.value.json()
    page.wait_for_selector('#openness > table tr[data-series="diffusion"]')
    want = expected_cells(data["rows"], "diffusion")
    row = page.locator('#openness > table tr[data-series="diffusion"]')
    assert row.locator('td[data-kind="code"] .n').inner_text() == f"{want['code'][0]:,}"
