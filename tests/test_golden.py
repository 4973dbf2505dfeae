"""Golden outputs: the same commands on the same corpora print the same bytes as before the redesign.

Every command of ``tests/golden/cases.py`` runs on a freshly built store (``uptake.cli.main`` in process, stdout
captured) and its normalised output must equal its file under ``tests/golden/demo/`` or ``tests/golden/real/``
byte for byte. ``normalise`` (in cases.py) says what it removes: temporary paths, timestamps, timings,
version strings and figure hashes.

The demo part runs everywhere (a few seconds of store building, then the commands). The real part needs
``../shared/data/arxiv-real`` and reuses the session's one import of it (the ``real_corpus`` fixture of
``conftest.py``, shared with the other acceptance tests).
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
from golden.cases import (
    CASES,
    DEMO_CASES,
    GOLDEN,
    IMPORT_GOLDEN,
    REAL_CASES,
    Case,
    build_demo,
    run_case,
)

MAX_DIFF_LINES = 60


def assert_golden(path: Path, got: str, corpus: str) -> None:
    regenerate = (f"If, and only if, this change of output is intended, regenerate with "
                  f"`PYTHONPATH=src python tests/golden/make_golden.py --{corpus}` and explain the change in the "
                  f"commit message; otherwise the change is a regression.")
    rel = path.relative_to(GOLDEN)
    if not path.exists():
        pytest.fail(f"no golden file {rel}. {regenerate}", pytrace=False)
    want = path.read_bytes().decode("utf-8")
    if got == want:
        return
    diff = list(difflib.unified_diff(want.splitlines(keepends=True), got.splitlines(keepends=True),
                                     fromfile=f"golden/{rel}", tofile="now", n=2))
    shown = "".join(diff[:MAX_DIFF_LINES])
    more = f"\n... {len(diff) - MAX_DIFF_LINES} more diff lines" if len(diff) > MAX_DIFF_LINES else ""
    if not diff:  # differs only in bytes splitlines does not show (line endings, a final newline)
        shown = f"golden {len(want)} chars, now {len(got)} chars; they differ in line endings or a final newline"
    pytest.fail(f"output differs from golden/{rel}:\n{shown}{more}\n{regenerate}", pytrace=False)


def check_case(case: Case, corpus: str, db: Path, workdir: Path) -> None:
    outputs = run_case(case, db, workdir)
    assert sorted(outputs) == sorted(p.relative_to(GOLDEN / corpus) for p in case.golden_files(corpus))
    for rel, text in outputs.items():
        assert_golden(GOLDEN / corpus / rel, text, corpus)


# -- demo corpus ---------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    db = tmp_path_factory.mktemp("golden-demo") / "demo.duckdb"
    return db, build_demo(db)


def test_demo_import(demo_store: tuple[Path, str]) -> None:
    assert_golden(GOLDEN / "demo" / IMPORT_GOLDEN, demo_store[1], "demo")


@pytest.mark.parametrize("case", DEMO_CASES, ids=lambda c: c.name)
def test_demo(case: Case, demo_store: tuple[Path, str], tmp_path: Path) -> None:
    check_case(case, "demo", demo_store[0], tmp_path)


# -- the shared real corpus ------------------------------------------------------------------------------------------
@pytest.mark.acceptance
@pytest.mark.parametrize("case", REAL_CASES, ids=lambda c: c.name)
def test_real(case: Case, real_corpus, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    corpus = real_corpus[0]  # skips with the reason when ../shared/data/arxiv-real is absent
    check_case(case, "real", Path(corpus.path), tmp_path)


# -- the golden folders hold exactly what the cases write ------------------------------------------------------------
@pytest.mark.parametrize("corpus", sorted(CASES))
def test_no_stray_or_missing_golden_files(corpus: str) -> None:
    expected = {p for case in CASES[corpus] for p in case.golden_files(corpus)}
    if corpus == "demo":
        expected.add(GOLDEN / "demo" / IMPORT_GOLDEN)
    on_disk = {p for p in (GOLDEN / corpus).rglob("*") if p.is_file()}
    if corpus == "real" and not on_disk:
        pytest.skip("no real-corpus golden files yet: run tests/golden/make_golden.py --real")
    assert sorted(on_disk - expected) == [], "golden files no case produces: delete them or add their case"
    assert sorted(expected - on_disk) == [], "cases without a golden file: run tests/golden/make_golden.py"
    total = sum(p.stat().st_size for p in (GOLDEN / corpus).rglob("*") if p.is_file())
    assert total < 1_000_000, f"golden/{corpus} holds {total:,} bytes: limit the outputs (--limit, --from)"
