"""The synthetic full texts: deterministic, arXiv-like sections, and a truth that matches their text."""

from __future__ import annotations

import re

from uptake.sources.unarxive import fulltext_from_json
from uptake.synthetic import SyntheticFullTexts


def test_same_arguments_same_texts() -> None:
    a = list(SyntheticFullTexts(n_papers=20, seed=3).records())
    b = list(SyntheticFullTexts(n_papers=20, seed=3).records())
    assert a == b


def test_truth_counts_what_the_texts_hold() -> None:
    gen = SyntheticFullTexts(n_papers=150)
    found: dict[tuple[str, str], int] = {}
    sizes = []
    for rec in gen.records():
        ft = fulltext_from_json(rec)
        assert ft.status == "ok"
        assert {p.role for p in ft.paragraphs} == {"abstract", "introduction", "related", "method", "experiments", "discussion",
                                                   "appendix", "references"}
        sizes.append(ft.text_chars())
        for term in ("GRPO", "PPO", "DPO", "LoRA"):
            word = re.compile(rf"(?i)\b{term}\b")
            roles = {p.role for p in ft.paragraphs if word.search(p.text)}
            if word.search(ft.abstract):
                roles.add("abstract")
            uses = any(word.search(s) and "[cite:" not in s for p in ft.paragraphs
                       if p.role in ("method", "experiments", "appendix") for s in re.split(r"(?<=\.) ", p.text))
            for role in (*roles, *(("use",) if uses else ()), *(("any",) if roles else ())):
                found[(term, role)] = found.get((term, role), 0) + 1
    assert {k: v for k, v in gen.truth.items() if v} == found
    assert 20_000 < sum(sizes) / len(sizes) < 40_000
