"""``/api/openness``: the CLI's JSON, counts equal to brute force over each paper's own flags, errors as 400."""

from __future__ import annotations

import json
import random
import warnings
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

with warnings.catch_warnings():  # starlette's notice about httpx versions, not ours
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient  # noqa: E402

from conftest import make_paper, store_with  # noqa: E402

from uptake.analytics.openness import detect  # noqa: E402
from uptake.cli import main  # noqa: E402
from uptake.records import HAS_KINDS  # noqa: E402
from uptake.text import tokens  # noqa: E402
from uptake.web import create_app  # noqa: E402

# Availability statements as papers write them: released, promised at a link, promised without one, other kinds.
SENTENCES = [
    "Our code is available at https://github.com/acme/{n}-net.",
    "Code will be released at https://github.com/acme/{n}-rl upon acceptance.",
    "We will release the code soon.",
    "Pretrained weights are on https://huggingface.co/acme/{n}-7b.",
    "The dataset is released at https://huggingface.co/datasets/acme/{n}-bench.",
    "A demo and videos: https://acme.github.io/{n}-demo/.",
    "Code, data and models are available at https://github.com/acme/{n}-all.",
    "",
    "",
]
COMMENTS = [None, None, "Accepted at NeurIPS 2024. Project page: https://acme.github.io/p{n}/", "12 pages, 4 figures"]
TERMS = ["GRPO", "DPO", "diffusion"]


def _papers():  # type: ignore[no-untyped-def]
    rng = random.Random(16)
    ps = []
    for n in range(240):
        month = 1 + n % 6
        day = 1 + rng.randrange(28 if month < 6 else 14)  # the corpus ends on 2024-06-14: June is incomplete
        term = rng.choice(TERMS)
        abstract = f"We study {term} for reasoning. " + rng.choice(SENTENCES).format(n=n)
        comments = rng.choice(COMMENTS)
        ps.append(make_paper(f"24{month:02d}.{n:05d}", f"On {term}", abstract, published=f"2024-{month:02d}-{day:02d}",
                             comments=comments.format(n=n) if comments else None,
                             categories=(rng.choice(["cs.LG", "cs.CL"]),)))
    ps.append(make_paper("2406.09999", "Last", "We study GRPO.", published="2024-06-14"))
    return ps


PAPERS = _papers()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("webopen") / "open.duckdb"
    store_with(path, PAPERS)
    return path


@pytest.fixture(scope="module")
def client(db: Path) -> TestClient:
    return TestClient(create_app(db), raise_server_exceptions=False)


def brute(term: str | None, *, category: str | None = None, by: str = "month") -> dict[tuple[str, str], list[int]]:
    """(period, series) -> [papers, *counts per HAS_KINDS], from each paper's own flags (detect on its texts)."""
    out: dict[tuple[str, str], list[int]] = {}
    for p in PAPERS:
        if category and category not in p.categories:
            continue
        assert p.published is not None
        period = f"{p.published.year}-Q{(p.published.month - 1) // 3 + 1}" if by == "quarter" else \
            f"{p.published.year}-{p.published.month:02d}"
        flags = detect(p.abstract, p.comments).flags()
        labels = ["all papers"]
        if term and term.lower() in tokens(p.title) + tokens(p.abstract):
            labels.append(term)
        for label in labels:
            acc = out.setdefault((period, label), [0] * (1 + len(HAS_KINDS)))
            acc[0] += 1
            for j, k in enumerate(HAS_KINDS):
                acc[1 + j] += flags[k]
    return out


@pytest.mark.parametrize(("params", "term", "category", "by"), [
    ({"q": "GRPO"}, "GRPO", None, "month"),
    ({"q": "DPO", "by": "quarter"}, "DPO", None, "quarter"),
    ({"q": "diffusion", "category": "cs.CL"}, "diffusion", "cs.CL", "month"),
])
def test_openness_counts_equal_brute_force(client, params, term, category, by) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/openness", params=params)
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["kinds"] == list(HAS_KINDS)
    expected = brute(term, category=category, by=by)
    got = {(row["period"], row["series"]): [row["papers"], *(row[k] for k in HAS_KINDS)] for row in data["rows"]}
    for key, counts in got.items():
        assert counts == expected.get(key, [0] * (1 + len(HAS_KINDS))), key
    assert set(expected) <= set(got)
    # The synthetic texts exercise every kind, and the split between released and promised code.
    total = {k: sum(row[k] for row in data["rows"] if row["series"] == "all papers") for k in HAS_KINDS}
    assert all(total[k] > 0 for k in HAS_KINDS), total
    assert total["code-released"] < total["code"]
    # Shares are counts over papers; the corpus ends mid-June, so the last period is marked incomplete.
    for row in data["rows"]:
        for k in HAS_KINDS:
            assert row[f"{k}_share"] == (row[k] / row["papers"] if row["papers"] else None)
    assert data["incomplete_periods"] == (["2024-Q2"] if by == "quarter" else ["2024-06"])


def test_openness_equals_cli_json(client, db, capsys) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/openness", params={"q": "GRPO, DPO", "from": "2024-02", "to": "2024-05", "by": "quarter"})
    assert r.status_code == 200, r.text
    capsys.readouterr()
    assert main(["openness", "GRPO, DPO", "--db", str(db), "--from", "2024-02", "--to", "2024-05", "--by", "quarter",
                 "--format", "json"]) == 0
    assert r.json() == json.loads(capsys.readouterr().out)
    assert r.json()["incomplete_periods"] == ["2024-Q1", "2024-Q2"]  # --from/--to cut both quarters


@pytest.mark.parametrize(("params", "needle"), [
    ({"q": ""}, "empty query"),
    ({"q": "GRPO("}, ""),  # the parser's message, with its position
    ({"q": "GRPO", "by": "week"}, "week"),
    ({"q": "GRPO", "from": "2024-13"}, "2024-13"),
    ({"q": "GRPO", "text": "full"}, "--text full"),
    ({"q": "GRPO", "field": "body"}, "field"),
    ({"q": "GRPO", "category": "xx.YY"}, "xx.YY"),
])
def test_bad_openness_parameters_are_400(client, params, needle) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/openness", params=params)
    assert r.status_code == 400, r.text
    body = r.json()
    assert set(body) >= {"error", "position"} and needle in body["error"]


def test_openness_is_documented_with_its_errors(client) -> None:  # type: ignore[no-untyped-def]
    op = client.get("/openapi.json").json()["paths"]["/api/openness"]["get"]
    names = {p["name"] for p in op["parameters"]}
    assert {"q", "from", "to", "by", "category", "case_sensitive", "field"} <= names
    assert "400" in op["responses"] and "422" not in op["responses"]
    assert "uptake openness --format json" in op["description"]
