"""Acronym sense checks: which papers mean what by the same letters.

For a term, the papers that match it case-insensitively are split by the exact
case variant they write (``LoRA`` / ``LoRa`` / ``LORA``), each variant's top
categories are listed, and the spelled-out expansion (given, or detected from
"words (ACRONYM)" patterns in the abstracts) is checked for co-occurrence. So a
user sees that "LoRa" in eess.SP and cs.NI is the radio protocol and can restrict
a query (``=LoRA``, ``--case-sensitive``, ``--category``) with evidence.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import UsageError
from ..text import normalize, phrase_key, tokens

#: Small words that may be skipped when matching an expansion's initials ("mixture of experts" -> MoE or ME).
_GLUE = frozenset("of for and the a an in on to with via by".split())


@dataclass(frozen=True)
class Variant:
    form: str
    papers: int
    fraction: float  # of the term's papers
    top_categories: tuple[tuple[str, int], ...]
    with_expansion: int  # papers of this variant that also contain the expansion

    def as_dict(self) -> dict[str, Any]:
        return {
            "form": self.form, "papers": self.papers, "fraction": self.fraction,
            "top_categories": [{"category": c, "papers": n} for c, n in self.top_categories],
            "with_expansion": self.with_expansion,
            "expansion_rate": self.with_expansion / self.papers if self.papers else None,
        }


@dataclass(frozen=True)
class SensesReport:
    term: str
    papers: int
    variants: tuple[Variant, ...]
    top_categories: tuple[tuple[str, int], ...]
    expansion: str | None
    expansion_source: str | None  # "given" | "detected" | None
    expansion_candidates: tuple[tuple[str, int], ...]
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "term": self.term, "papers": self.papers,
            "variants": [v.as_dict() for v in self.variants],
            "top_categories": [{"category": c, "papers": n} for c, n in self.top_categories],
            "expansion": self.expansion, "expansion_source": self.expansion_source,
            "expansion_candidates": [{"expansion": e, "papers": n} for e, n in self.expansion_candidates],
            "notes": list(self.notes),
        }


def acronym_letter_sets(form: str) -> list[str]:
    """Letter sequences an expansion's initials may spell: the capitals (LoRA -> lra), and all letters (MoE -> moe)."""
    letters = [c for c in form if c.isalpha()]
    out = []
    caps = "".join(c for c in letters if c.isupper()).lower()
    if len(caps) >= 2:
        out.append(caps)
    allf = "".join(letters).lower()
    if allf not in out and len(allf) >= 2:
        out.append(allf)
    return out


def initials_match(words: Sequence[str], letters: str) -> bool:
    """Do ``words`` spell ``letters`` with their initials, optionally skipping glue words (of, for, ...)?"""
    def rec(i: int, j: int) -> bool:
        if j == len(letters):
            return i == len(words)
        if i == len(words):
            return False
        w = words[i]
        if w[:1] == letters[j] and rec(i + 1, j + 1):
            return True
        # Hyphenated compounds count once ("low-rank" is one word in writing but two tokens).
        return w in _GLUE and rec(i + 1, j)

    return bool(words) and bool(letters) and words[0][:1] == letters[0] and rec(0, 0)


def find_expansions(text: str, form: str, *, max_words: int = 8) -> list[str]:
    """Expansions written as ``words (FORM)`` in ``text`` whose initials spell the acronym ``form``."""
    letter_sets = acronym_letter_sets(form)
    norm = normalize(text)
    found = []
    for m in re.finditer(r"\(\s*" + re.escape(form) + r"s?\s*[\),;]", norm):
        words = tokens(norm[: m.start()])[-max_words:]
        hit = next((" ".join(words[-k:]) for letters in letter_sets for k in range(2, len(words) + 1)
                    if initials_match(words[-k:], letters)), None)
        if hit:
            found.append(hit)
    return found


def check_term(term: str) -> list[str]:
    """The casefolded tokens of ``term``, or a :class:`UsageError` for what senses cannot split."""
    toks_cf = tokens(term)
    if not toks_cf:
        raise UsageError(f"{term!r} has no letters or digits to match: give an acronym such as LoRA")
    if len(toks_cf) > 6:
        raise UsageError("senses looks at one acronym or short term at a time, e.g. `uptake senses LoRA`")
    return toks_cf


def summarise(term: str, rows: Sequence[tuple[Any, ...]], *, expansion: str | None = None,
              top_categories: int = 5) -> SensesReport:
    """Split the papers matching ``term`` by case variant, category and expansion use.

    ``rows`` are the matching papers' ``(title_tok_cs, abstract_tok_cs, title_tok || abstract_tok,
    categories, title, abstract)``.
    """
    toks_cf = check_term(term)
    n = len(toks_cf)
    per_variant: dict[str, list[int]] = {}
    all_cats: Counter[str] = Counter()
    exp_counter: Counter[str] = Counter()
    for i, (tcs, acs, _, pcats, title, abstract) in enumerate(rows):
        forms: set[str] = set()
        for field_tok in (tcs, acs):
            cs = field_tok.split()
            cf = [t.casefold() for t in cs]
            for j in range(len(cs) - n + 1):
                if cf[j : j + n] == toks_cf:
                    forms.add(" ".join(cs[j : j + n]))
        for f in forms:
            per_variant.setdefault(f, []).append(i)
        all_cats.update(pcats)
        if expansion is None:
            seen = set()
            for f in forms:
                if n == 1:
                    for e in find_expansions(f"{title}. {abstract}", f):
                        seen.add(e)
            exp_counter.update(seen)
    source = "given" if expansion else None
    exp_text = expansion
    notes: list[str] = []
    if expansion is None and exp_counter:
        exp_text, _ = exp_counter.most_common(1)[0]
        source = "detected"
    exp_key = phrase_key(tokens(exp_text)) if exp_text else None
    variants = []
    total = len(rows)
    for form, idxs in sorted(per_variant.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        c: Counter[str] = Counter()
        with_exp = 0
        for i in idxs:
            c.update(rows[i][3])
            if exp_key and exp_key in rows[i][2]:
                with_exp += 1
        variants.append(Variant(form=form, papers=len(idxs), fraction=len(idxs) / total if total else 0.0,
                                top_categories=tuple(c.most_common(top_categories)), with_expansion=with_exp))
    if len(variants) > 1:
        notes.append("a paper writing two variants counts for both")
    if exp_text is None and n == 1:
        notes.append("no expansion found written as 'words (ACRONYM)'; give one with --expansion")
    return SensesReport(
        term=term, papers=total, variants=tuple(variants), top_categories=tuple(all_cats.most_common(top_categories)),
        expansion=exp_text, expansion_source=source, expansion_candidates=tuple(exp_counter.most_common(5)),
        notes=tuple(notes),
    )
