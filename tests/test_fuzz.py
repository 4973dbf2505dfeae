"""The fuzzers of tests/fuzzing.py with a bounded budget (bench/fuzz.py runs them longer; counts in
docs/reliability.md). Derandomized: the same cases every run, so a failure reproduces."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fuzzing


@settings(derandomize=True, max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(fuzzing.IMPORT_LINES, min_size=1, max_size=5))
def test_mutated_import_lines_are_papers_or_rejections(lines: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        fuzzing.check_lines(lines, Path(tmp))


@settings(derandomize=True, max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(fuzzing.IMPORT_LINES, min_size=20, max_size=60))
def test_mutated_import_files_import_what_is_good_and_count_the_rest(lines: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        fuzzing.check_lines(lines, Path(tmp), store=True)


@pytest.mark.parametrize("line", fuzzing.IMPORT_REGRESSIONS, ids=range(len(fuzzing.IMPORT_REGRESSIONS)))
def test_import_lines_that_once_broke_the_import(line: bytes, tmp_path: Path) -> None:
    fuzzing.check_lines([line, fuzzing.IMPORT_REGRESSIONS[0]], tmp_path, store=True)


schemathesis = pytest.importorskip("schemathesis", reason="the API fuzzer needs schemathesis (the test extra)")
pytest.importorskip("fastapi")


def _api_schema():  # type: ignore[no-untyped-def]
    from conftest import make_paper, store_with
    from uptake.web import create_app

    folder = Path(tempfile.mkdtemp(prefix="uptake-fuzz-"))
    db = folder / "api.duckdb"
    words = ["GRPO", "DPO", "LoRA", "policy optimization", "diffusion", "transformer"]
    store_with(db, [make_paper(f"24{m:02d}.{i:05d}", f"{words[i % 6]} study", f"We use {words[(i + m) % 6]} here.",
                               categories=(("cs.LG",), ("cs.CL", "cs.LG"), ("math.PR",))[i % 3],
                               published=f"2024-{m:02d}-{1 + i:02d}") for m in range(1, 13) for i in range(8)])
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(db))
    schema.hooks.hook("filter_query")(fuzzing.not_blank)
    return schema


API = _api_schema()


@API.parametrize()
@settings(derandomize=True, max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_answers_every_generated_request_as_documented(case) -> None:  # type: ignore[no-untyped-def]
    # A request the schema allows may still be refused with 400 (an empty or unparsable query, a period out of
    # range): the schema cannot say what a query means, so that check is left out; every other check runs.
    case.call_and_validate(excluded_checks=[schemathesis.checks.positive_data_acceptance])


def test_json_answers_are_declared_as_objects_in_the_schema() -> None:  # found by Schemathesis
    spec = API.raw_schema
    for path, ops in spec["paths"].items():
        body = ops["get"]["responses"]["200"]["content"].get("application/json")
        if body is not None:
            assert body["schema"] == {"type": "object"}, path


def test_an_app_started_again_still_answers(tmp_path: Path) -> None:  # found by Schemathesis: 500 after a restart
    from fastapi.testclient import TestClient

    from conftest import make_paper, store_with
    from uptake.web import create_app

    db = tmp_path / "r.duckdb"
    store_with(db, [make_paper("2401.00001", "GRPO", "GRPO.", published="2024-01-02")])
    app = create_app(db)
    for n in (1, 2):
        with TestClient(app) as client:  # each `with` runs the app's lifespan: start, then shut down
            assert client.get(f"/api/trend?q=GRPO&smooth={n}").status_code == 200  # a new question each time
