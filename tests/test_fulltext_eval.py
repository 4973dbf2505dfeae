"""The full-text evaluation in docs/fulltext.md is what bench/fulltext_eval.py computes today."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "fulltext"


def _bench_module():
    spec = importlib.util.spec_from_file_location("fulltext_eval", ROOT / "bench" / "fulltext_eval.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_wilson_interval() -> None:
    ev = _bench_module()
    lo, hi = ev.wilson(12, 15)
    assert (round(lo, 2), round(hi, 2)) == (0.55, 0.93)
    assert ev.wilson(0, 0) == (0.0, 1.0)
    assert ev.wilson(5, 5)[1] == 1.0


def test_labels_cover_fifteen_papers_that_mention_a_term() -> None:
    ev = _bench_module()
    labels = ev.load_labels()
    assert sum(1 for p in labels.values() if p["terms"]) >= 15
    for pid, paper in labels.items():
        if paper.get("synthetic"):
            assert (ev.SYNTHETIC / f"{pid}.tex").is_file()
        for lab in paper["terms"].values():
            assert lab["uses"] in ("yes", "partial", "no")
            assert set(lab["roles"]) <= set(ev.ROLES)


@pytest.mark.skipif(not SHARED.is_dir(), reason="needs ../shared/data/fulltext (the real full-text samples)")
def test_doc_states_what_the_evaluation_computes() -> None:
    ev = _bench_module()
    # The 49 unArXive papers mention none of the terms, so leaving them out changes no number (and saves time).
    res = ev.run(SHARED, unarxive=False)
    doc = (ROOT / "docs" / "fulltext.md").read_text(encoding="utf-8")
    stated = doc.split(ev.BEGIN, 1)[1].split(ev.END, 1)[0].strip()
    assert stated == ev.markdown(res).strip(), "docs/fulltext.md is stale: rerun python bench/fulltext_eval.py"
    assert not [e for e in res["errors"] if e["cause"] == "UNEXPLAINED"]
