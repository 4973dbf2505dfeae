"""The openness measurement (bench/openness_measure.py, round 2): the committed samples and judgements are complete
and follow the sampling design, the draw is a pure function of its seed, and the scores match hand computation."""

from __future__ import annotations

import csv
import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MEASURE = ROOT / "docs" / "openness-measure"


@pytest.fixture(scope="module")
def om():
    spec = importlib.util.spec_from_file_location("openness_measure_under_test", ROOT / "bench" / "openness_measure.py")
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[spec.name] = mod  # type: ignore[union-attr]
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def _csv(name: str) -> list[dict[str, str]]:
    with open(MEASURE / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_committed_round2_files_follow_the_design():
    samples, judgements, strata = _csv("round2-samples.csv"), _csv("round2-judgements.csv"), _csv("round2-strata.csv")
    per_stratum = Counter((r["kind"], r["stratum"]) for r in samples)
    for kind in ("code", "weights", "data", "demo"):
        assert per_stratum[(kind, "flagged-old")] == 100
        assert per_stratum[(kind, "flagged-new")] == 100
        for detector in ("old", "new"):
            for stratum, n in (("link-kind", 40), ("link-other", 20), ("host", 10), ("words", 10)):
                assert per_stratum[(kind, f"unflagged-{detector}-{stratum}")] == n
    assert per_stratum[("code_released", "flagged-new")] == 100
    assert per_stratum[("code_promised", "flagged-new")] == 40
    assert sum(n for (_k, s), n in per_stratum.items() if s.startswith("changed-")) == 20
    # one judgement per sampled (paper, kind), with a verdict and a reason; no judgement of anything not sampled
    keys = [(r["id"], r["kind"]) for r in judgements]
    assert len(keys) == len(set(keys))
    assert set(keys) == {(r["id"], r["kind"]) for r in samples}
    assert all(r["verdict"] in ("yes", "no") and r["reason"].strip() for r in judgements)
    # a stratum size for every kind, stratum and detector
    assert len(strata) == 4 * 4 * 2 and all(int(r["unflagged_papers"]) > 0 for r in strata)


def _flags(rows: dict[str, dict[str, bool]]) -> dict[str, dict[str, bool]]:
    kinds = ("code", "weights", "data", "demo", "promise", "code_released")
    return {i: {k: bool(f.get(k)) for k in kinds} for i, f in rows.items()}


def test_draw_is_seeded_and_samples_only_what_each_detector_flags(om):
    ids = [f"p{n:03d}" for n in range(300)]
    old = _flags({i: {"code": n % 3 == 0, "code_released": n % 3 == 0, "weights": n % 13 == 0, "data": n % 9 == 0,
                      "demo": n % 5 == 0} for n, i in enumerate(ids)})
    new = _flags({i: {"code": n % 2 == 0, "code_released": n % 4 == 0, "weights": n % 11 == 0, "data": n % 7 == 0,
                      "demo": n % 6 == 0} for n, i in enumerate(ids)})
    text = {i: ("Code is available at https://github.com/a/b" if n % 2 else "We release the data.")
            for n, i in enumerate(ids)}
    rows, sizes = om.draw_round2(old, new, text, seed="s1", n=10, n_promised=5)
    again, sizes_again = om.draw_round2(old, new, text, seed="s1", n=10, n_promised=5)
    assert rows == again and sizes == sizes_again
    other, _ = om.draw_round2(old, new, text, seed="s2", n=10, n_promised=5)
    assert [r for r in other if r[2] == "flagged-new"] != [r for r in rows if r[2] == "flagged-new"]
    flags = {"old": old, "new": new}
    for i, kind, stratum in rows:
        if stratum.startswith("flagged-"):
            detector = stratum.split("-")[1]
            if kind == "code_promised":
                assert new[i]["code"] and not new[i]["code_released"]
            else:
                assert flags[detector][i][kind]
        elif stratum.startswith("unflagged-"):
            assert not flags[stratum.split("-")[1]][i][kind]
        else:
            assert old[i][kind] != new[i][kind]
    # stratum sizes count the papers each detector leaves unflagged there: odd papers have a GitHub link next to
    # a code word ("link-kind"), even ones only availability words; the new detector flags every even paper
    assert sizes[("code", "link-kind", "new")] == 150
    assert sizes[("code", "words", "new")] == 0
    assert sizes[("code", "link-kind", "old")] == sum(1 for n in range(300) if n % 2 and n % 3)


def test_scores_match_hand_computation(om):
    ids = [f"q{n}" for n in range(200)]
    # new flags code on q0..q9 (10 papers), old on q0..q4 (5)
    new = _flags({i: {"code": n < 10} for n, i in enumerate(ids)})
    old = _flags({i: {"code": n < 5} for n, i in enumerate(ids)})
    samples = [{"id": f"q{n}", "kind": "code", "stratum": "flagged-new"} for n in range(4)]
    samples += [{"id": f"q{n}", "kind": "code", "stratum": "flagged-old"} for n in range(4)]
    samples += [{"id": f"q{n}", "kind": "code", "stratum": f"unflagged-{d}-link-kind"} for d in ("old", "new")
                for n in (20, 21)]
    for d in ("old", "new"):
        for stratum in ("link-other", "host", "words"):
            samples.append({"id": "q30", "kind": "code", "stratum": f"unflagged-{d}-{stratum}"})
    for kind in ("weights", "data", "demo"):  # the other kinds: one correct flag, no miss
        new.update({"q0": {**new["q0"], kind: True}})
        old.update({"q0": {**old["q0"], kind: True}})
        samples += [{"id": "q0", "kind": kind, "stratum": f"flagged-{d}"} for d in ("old", "new")]
        samples += [{"id": "q30", "kind": kind, "stratum": f"unflagged-{d}-{s}"} for d in ("old", "new")
                    for s in ("link-kind", "link-other", "host", "words")]
    judgements = [{"id": "q0", "kind": "code", "verdict": "yes", "reason": "r"},
                  {"id": "q1", "kind": "code", "verdict": "yes", "reason": "r"},
                  {"id": "q2", "kind": "code", "verdict": "yes", "reason": "r"},
                  {"id": "q3", "kind": "code", "verdict": "no", "reason": "a dataset"},
                  {"id": "q20", "kind": "code", "verdict": "yes", "reason": "missed"},
                  {"id": "q21", "kind": "code", "verdict": "no", "reason": "r"},
                  {"id": "q30", "kind": "code", "verdict": "no", "reason": "r"}]
    judgements += [{"id": i, "kind": k, "verdict": v, "reason": "r"} for k in ("weights", "data", "demo")
                   for i, v in (("q0", "yes"), ("q30", "no"))]
    strata = [{"kind": k, "stratum": s, "detector": d, "unflagged_papers": "100" if s == "link-kind" else "50"}
              for k in ("code", "weights", "data", "demo") for s in ("link-kind", "link-other", "host", "words")
              for d in ("old", "new")]
    lines = om.score_round2(old, new, samples, strata, judgements)
    text = "\n".join(lines)
    assert "code           new: 3/4 = 75.0%" in text
    assert "code           old: 3/4 = 75.0%" in text
    # new: 10 flagged x 3/4 = 7.5 right; missed 100 x 1/2 = 50 -> recall 7.5 / 57.5 = 13.0%
    assert "code     new: flagged 10, about 8 right; missed about 50" in text
    assert "recall 13.0%" in text
    # old: 5 x 3/4 = 3.75 right; same misses -> 3.75 / 53.75 = 7.0%
    assert "recall 7.0%" in text
    assert "q3 code flagged-new: a dataset" in text and "q20 code unflagged-new-link-kind: missed" in text
    missing = [r for r in judgements if r["id"] != "q21"]
    with pytest.raises(SystemExit):
        om.score_round2(old, new, samples, strata, missing)
