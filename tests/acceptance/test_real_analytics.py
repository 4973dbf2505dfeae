"""Acceptance: adoption, emerging and senses on the shared real corpus (what docs/analytics.md reports)."""

from __future__ import annotations

import pytest


pytestmark = [pytest.mark.acceptance, pytest.mark.slow]


@pytest.fixture(scope="module")
def real(real_corpus):  # type: ignore[no-untyped-def]
    return real_corpus[0]


def test_grpo_dpo_ppo_adoption(real) -> None:  # type: ignore[no-untyped-def]
    report = real.adoption("GRPO, DPO, PPO")
    grpo, dpo, ppo = report.series
    assert grpo.first_mention["id"] == "2402.03300"  # DeepSeekMath introduced GRPO
    assert grpo.matches_before_introduction >= 1  # and is shown, not hidden, before the sustained onset
    assert any(p["id"] == "2402.03300" for p in grpo.early_papers)
    assert grpo.senses["variants"][0]["form"] == "GRPO"
    assert grpo.senses["expansion"] == "group relative policy optimization"
    # GRPO overtook DPO within the family during 2025 and leads it in the last complete months
    last = [p for p in report.substitution.points if p.complete][-1]
    assert last.shares[0] > last.shares[1] > 0
    # only GRPO's introduction is inside what the corpus covers for it (absent in cs.CL before 2024-12): it is
    # the only one ranked; DPO and PPO were in use before their covered spans begin (left-censored)
    assert [(r.label, r.rank) for r in report.ranking][0] == ("GRPO", 1)
    assert not grpo.left_censored and dpo.left_censored and ppo.left_censored
    assert all(r.rank is None and r.caveat.startswith("not ranked") for r in report.ranking[1:])
    # the origin anchors the clock, before GRPO's covered span: left-censored, no months to N
    anchored = real.adoption("GRPO", origin="2402.03300", with_senses=False).series[0]
    assert anchored.introduction == "2024-02" and anchored.matches_before_introduction == 0
    assert anchored.left_censored and anchored.milestones.months_to_100 is None


def test_five_ideas_coverage_and_fits(real) -> None:  # type: ignore[no-untyped-def]
    rep = real.adoption('"chain of thought", convolutional, DPO, GRPO, LoRA', with_senses=False)
    ranked = [r.label for r in rep.ranking if r.rank is not None]
    assert ranked == ["GRPO"]  # the others predate what the corpus covers for them
    cot = rep.series[0]
    assert cot.left_censored and cot.introduction == "2023-01" and cot.milestones.months_to_100 is None
    grpo = rep.series[3]
    assert grpo.bass is not None and grpo.bass.p.status()[0] == "unbounded"  # the profile levels off
    assert grpo.logistic is not None and grpo.logistic.t0_label() == "not identified"
    assert any("spans a coverage change" in c for c in grpo.coverage_caveats)
    the = real.adoption("the", with_senses=False, fits=False).series[0]
    assert the.bursts == () and the.bursts_note.startswith("not computed")


def test_emerging_in_cs_cl(real) -> None:  # type: ignore[no-untyped-def]
    rep = real.emerging(recent="2026-01:2026-06", baseline="2025-04:2025-12", category="cs.CL", top=20)
    assert rep.terms
    names = {t.term for t in rep.terms} | {a for t in rep.terms for a in t.aliases}
    assert {"OpenClaw", "LoCoMo"} & names
    assert all(t.q_value <= 0.05 and t.recent >= 10 for t in rep.terms)


def test_lora_senses(real) -> None:  # type: ignore[no-untyped-def]
    rep = real.senses("LoRA")
    assert rep.variants[0].form == "LoRA" and rep.expansion == "low rank adaptation"


def test_grpo_senses_by_expansion(real) -> None:  # type: ignore[no-untyped-def]
    """docs/analytics.md "Senses by expansion": DeepSeekMath first spells out group relative policy optimization;
    2405.20304 is another sense, group robust preference optimization."""
    series = real.adoption("GRPO", fits=False).series[0]
    senses = {s["expansion"]: s for s in series.senses["senses"]}
    assert series.senses["senses"][0]["expansion"] == "group relative policy optimization"
    assert senses["group relative policy optimization"]["first_mention"]["id"] == "2402.03300"
    assert senses["group robust preference optimization"]["first_mention"]["id"] == "2405.20304"
    rep = real.senses("GRPO")
    assert "group robust preference optimization" in {s.expansion for s in rep.senses}
    one = real.trend('GRPO sense:"group relative policy optimization"', measure="count")
    robust = real.trend("GRPO sense:robust", measure="count")
    assert sum(p.count for p in robust.series[0].points) == 1
    assert sum(p.count for p in one.series[0].points) == senses["group relative policy optimization"]["papers"]
