"""Acronym senses: case variants, their categories and the expansion, checked against the synthetic ground truth
(LoRA is planted in cs with "low-rank adaptation"; LoRa is planted in eess.SP / cs.NI without it)."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from uptake.errors import UsageError
from uptake.analytics.senses import find_expansions, initials_match
from uptake.text import tokens


def test_lora_splits_into_its_two_meanings(synthetic_corpus) -> None:  # type: ignore[no-untyped-def]
    corpus, synth = synthetic_corpus
    rep = corpus.senses("LoRA")
    # brute force: papers per exact case variant of the token "lora"
    want: Counter[str] = Counter()
    total = 0
    for p in synth.papers():
        forms = {t for t in tokens(p.title, case_sensitive=True) + tokens(p.abstract, case_sensitive=True)
                 if t.casefold() == "lora"}
        total += bool(forms)
        want.update(forms)
    assert rep.papers == total
    got = {v.form: v.papers for v in rep.variants}
    assert got == dict(want)
    assert {"LoRA", "LoRa"} <= set(got)
    by = {v.form: v for v in rep.variants}
    radio_cats = {c for c, _ in by["LoRa"].top_categories[:2]}
    assert radio_cats <= {"eess.SP", "cs.NI"} and radio_cats
    assert by["LoRA"].top_categories[0][0].startswith("cs.")
    assert rep.expansion == "low rank adaptation" and rep.expansion_source == "detected"
    assert by["LoRA"].with_expansion > 0.3 * by["LoRA"].papers
    assert by["LoRa"].with_expansion == 0
    json.dumps(rep.as_dict())


def test_given_expansion_and_filters(synthetic_corpus) -> None:  # type: ignore[no-untyped-def]
    corpus, _ = synthetic_corpus
    rep = corpus.senses("LoRA", expansion="low-rank adaptation", category="eess.SP")
    assert rep.expansion_source == "given"
    assert all(v.with_expansion == 0 for v in rep.variants if v.form == "LoRa")
    assert sum(v.papers for v in rep.variants) >= rep.papers > 0
    with pytest.raises(UsageError):
        corpus.senses("!!!")


def test_expansion_detection() -> None:
    assert find_expansions("We use Group Relative Policy Optimization (GRPO) here.", "GRPO") == [
        "group relative policy optimization"]
    assert find_expansions("low-rank adaptation (LoRA) adapters", "LoRA") == ["low rank adaptation"]
    assert find_expansions("a sparse mixture of experts (MoE) layer", "MoE") == ["mixture of experts"]
    assert find_expansions("we run things (GRPO) quickly", "GRPO") == []
    assert initials_match(["group", "relative", "policy", "optimization"], "grpo")
    assert not initials_match(["relative", "policy"], "grpo")


def test_cli_senses(synthetic_corpus, capsys) -> None:  # type: ignore[no-untyped-def]
    from uptake.cli import main

    corpus, _ = synthetic_corpus
    assert main(["senses", "LoRA", "--db", str(corpus.path)]) == 0
    out = capsys.readouterr().out
    assert "LoRa" in out and "low rank adaptation" in out and "eess.SP" in out
    assert main(["senses", "LoRA", "--db", str(corpus.path), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["variants"][0]["form"] in ("LoRA", "LoRa")
