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
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..errors import UsageError
from ..periods import month_of
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
    #: The meanings papers give the acronym by spelling it out, most papers first (see :func:`assign_senses`).
    senses: tuple[Sense, ...] = ()
    #: Papers that spell out none of the senses and could not inherit one (no sense was defined yet by their month).
    undetermined: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "term": self.term, "papers": self.papers,
            "variants": [v.as_dict() for v in self.variants],
            "top_categories": [{"category": c, "papers": n} for c, n in self.top_categories],
            "expansion": self.expansion, "expansion_source": self.expansion_source,
            "expansion_candidates": [{"expansion": e, "papers": n} for e, n in self.expansion_candidates],
            "notes": list(self.notes),
            "senses": [x.as_dict() for x in self.senses],
            "undetermined": self.undetermined,
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


def find_expansions(text: str, form: str, *, max_words: int = 8, ignore_case: bool = False) -> list[str]:
    """Expansions of the acronym ``form`` written in ``text`` as ``words (FORM)`` or ``FORM (words)``.

    The words' initials must spell the acronym (glue words such as "of" may be skipped). With ``ignore_case``
    the acronym is found in any case, and its letters are read from the text as written there.

    >>> find_expansions("GRPO (group relative policy optimization; Shao et al.) is used", "GRPO")
    ['group relative policy optimization']
    """
    flags = re.IGNORECASE if ignore_case else 0
    norm = normalize(text)
    found = []
    # words (FORM): the expansion ends right before the parenthesis.
    for m in re.finditer(r"\(\s*(" + re.escape(form) + r")s?\s*[\),;]", norm, flags):
        letter_sets = acronym_letter_sets(m.group(1))
        words = tokens(norm[: m.start()])[-max_words:]
        hit = next((" ".join(words[-k:]) for letters in letter_sets for k in range(2, len(words) + 1)
                    if initials_match(words[-k:], letters)), None)
        if hit:
            found.append(hit)
    # FORM (words): the whole parenthesis (up to a comma or semicolon) is the expansion.
    for m in re.finditer(r"(?<![^\W_])(" + re.escape(form) + r")s?\s*\(([^();,]{3,200})[);,]", norm, flags):
        words = tokens(m.group(2))
        if 2 <= len(words) <= max_words and any(initials_match(words, letters)
                                                 for letters in acronym_letter_sets(m.group(1))):
            found.append(" ".join(words))
    return found


# ----------------------------------------------------------------------------- senses by expansion
def sense_key(expansion: str) -> str:
    """The key that groups spellings of one expansion: casefolded tokens, British -is- spellings as -iz-,
    a plural last word as singular ("Group Relative Policy Optimisation" = "group relative policy optimization")."""
    words = [re.sub(r"is(e|ed|es|ing|ation|ations)$", r"iz\1", w) for w in tokens(expansion)]
    if words and len(words[-1]) > 3 and words[-1].endswith("s") and not words[-1].endswith("ss"):
        words[-1] = words[-1][:-1]
    return " ".join(words)


@dataclass(frozen=True)
class Sense:
    """One meaning of an acronym: the papers that spell it out this way, and those that inherit it."""

    expansion: str  # the spelling most of its defining papers use (casefolded tokens)
    key: str  # :func:`sense_key` of the expansion
    forms: tuple[str, ...]  # every spelling grouped into it, most papers first
    defining: int  # papers that spell this expansion out
    inferred: int  # papers that spell out none and inherit it from their year and primary category
    first_mention: dict[str, Any] | None  # the earliest defining paper: id, date, title, category
    top_categories: tuple[tuple[str, int], ...]  # primary categories of the defining papers

    @property
    def papers(self) -> int:
        return self.defining + self.inferred

    def as_dict(self) -> dict[str, Any]:
        return {
            "expansion": self.expansion, "key": self.key, "forms": list(self.forms), "papers": self.papers,
            "defining": self.defining, "inferred": self.inferred, "first_mention": self.first_mention,
            "top_categories": [{"category": c, "papers": n} for c, n in self.top_categories],
        }


@dataclass(frozen=True)
class SenseRow:
    """What sense assignment reads of one paper matching the acronym."""

    id: str
    published: date
    primary: str
    title: str
    abstract: str
    tok: str  # the casefolded token strings of title and abstract (the store's ``title_tok || abstract_tok``)


@dataclass(frozen=True)
class SenseAssignment:
    """Senses of an acronym and which papers carry each: ``members[key] = (defining ids, inferred ids)``."""

    term: str
    senses: tuple[Sense, ...]
    members: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = field(repr=False)
    undetermined: int = 0

    def find(self, text: str) -> Sense:
        """The sense ``text`` names: its key, or the one sense whose key contains ``text``'s words."""
        want = sense_key(text)
        for x in self.senses:
            if x.key == want or want in x.forms:
                return x
        pad = f" {want} "
        partial = [x for x in self.senses if pad in f" {x.key} " or any(pad in f" {f} " for f in x.forms)]
        if len(partial) == 1:
            return partial[0]
        known = "; ".join(f'"{x.expansion}" ({x.papers:,} papers)' for x in self.senses[:8]) or "none"
        what = "names more than one" if partial else "is not one"
        raise UsageError(f"{text!r} {what} of the senses papers give {self.term}: {known}. "
                         f"See `uptake senses {self.term}`")

    def ids(self, key: str) -> tuple[str, ...]:
        """Every paper of the sense ``key``: defining and inferred, sorted."""
        d, i = self.members.get(key, ((), ()))
        return tuple(sorted((*d, *i)))


def assign_senses(term: str, rows: Sequence[SenseRow]) -> SenseAssignment:
    """Group the papers matching the acronym ``term`` by the expansion they spell out, and give each paper that
    spells out none the dominant sense of its period and category (marked inferred).

    A paper *defines* a sense when it writes ``expansion (TERM)`` or ``TERM (expansion)``, or writes an expansion
    found so elsewhere (a paper spelling out two senses defines both). A paper that defines none inherits the sense
    with the most defining papers in its year and primary category among the senses already defined by its month
    (falling back to its year and archive, its year, its category over the years up to it, every year up to it);
    when no sense was defined yet, its sense is undetermined. Ties go to the earlier sense.
    """
    toks = check_term(term)
    if len(toks) != 1:
        return SenseAssignment(term=term, senses=(), members={})
    found: list[set[str]] = []
    spelled: dict[str, Counter[str]] = {}
    for r in rows:
        keys = set()
        for e in find_expansions(f"{r.title}. {r.abstract}", term, ignore_case=True):
            k = sense_key(e)
            keys.add(k)
            spelled.setdefault(k, Counter())[e] += 1
        found.append(keys)
    forms = {k: tuple(f for f, _ in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))) for k, c in spelled.items()}
    defining: dict[str, list[int]] = {k: [] for k in forms}
    per_paper: list[set[str]] = []
    for i, r in enumerate(rows):
        keys = set(found[i])
        for k, fs in forms.items():
            if k not in keys and any(f" {f} " in r.tok for f in fs):
                keys.add(k)
        for k in keys:
            defining[k].append(i)
        per_paper.append(keys)

    def when(i: int) -> tuple[date, str]:
        return rows[i].published, rows[i].id

    first = {k: min(idx, key=when) for k, idx in defining.items()}
    first_month = {k: month_of(rows[i].published) for k, i in first.items()}
    # Defining papers per (cell kind, cell value, sense), for inference.
    cells: dict[tuple[str, Any], Counter[str]] = {}

    def cell_keys(r: SenseRow) -> list[tuple[str, Any]]:
        y = r.published.year
        return [("year+category", (y, r.primary)), ("year+archive", (y, r.primary.split(".")[0])), ("year", y)]

    by_year_cat: dict[str, list[tuple[int, str]]] = {}
    for i, keys in enumerate(per_paper):
        for ck in cell_keys(rows[i]):
            cells.setdefault(ck, Counter()).update(keys)
        for k in keys:
            by_year_cat.setdefault(k, []).append((rows[i].published.year, rows[i].primary))
    inferred: dict[str, list[int]] = {k: [] for k in forms}
    undetermined = 0
    for i, r in enumerate(rows):
        if per_paper[i]:
            continue
        m = month_of(r.published)
        alive = [k for k in forms if first_month[k] <= m]
        if not alive:
            undetermined += 1
            continue
        choice = None
        for ck in cell_keys(r):
            c = cells.get(ck)
            if c and any(c[k] for k in alive):
                choice = _dominant(alive, c, first, when)
                break
        if choice is None:  # over the years up to this one: the paper's category, then every category
            c = Counter({k: sum(1 for y, cat in by_year_cat[k] if y <= r.published.year and cat == r.primary)
                         for k in alive})
            if not any(c.values()):
                c = Counter({k: sum(1 for y, _ in by_year_cat[k] if y <= r.published.year) for k in alive})
            choice = _dominant(alive, c, first, when)
        inferred[choice].append(i)
    senses = []
    members: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    for k in forms:
        cats = Counter(rows[i].primary for i in defining[k])
        f = rows[first[k]]
        senses.append(Sense(
            expansion=forms[k][0], key=k, forms=forms[k], defining=len(defining[k]), inferred=len(inferred[k]),
            first_mention={"id": f.id, "date": f.published.isoformat(), "title": " ".join(f.title.split()),
                           "category": f.primary},
            top_categories=tuple(sorted(cats.items(), key=lambda kv: (-kv[1], kv[0]))[:5]),
        ))
        members[k] = (tuple(rows[i].id for i in defining[k]), tuple(rows[i].id for i in inferred[k]))
    senses.sort(key=lambda x: (-x.papers, -x.defining, x.first_mention["date"] if x.first_mention else "", x.key))
    return SenseAssignment(term=term, senses=tuple(senses), members=members, undetermined=undetermined)


def _dominant(alive: Sequence[str], counts: Counter[str], first: dict[str, int], when: Any) -> str:
    """The sense of ``alive`` with the most ``counts``; ties to the one defined first."""
    return min(alive, key=lambda k: (-counts[k], when(first[k]), k))


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
    categories, title, abstract)``, optionally followed by ``(id, published, primary_category)``: then the
    papers are also grouped into senses by the expansion they spell out (:func:`assign_senses`).
    """
    toks_cf = check_term(term)
    n = len(toks_cf)
    per_variant: dict[str, list[int]] = {}
    all_cats: Counter[str] = Counter()
    exp_counter: Counter[str] = Counter()
    for i, (tcs, acs, _, pcats, title, abstract, *_) in enumerate(rows):
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
    found: tuple[Sense, ...] = ()
    undetermined = 0
    if rows and len(rows[0]) >= 9 and n == 1:
        assigned = assign_senses(term, [SenseRow(id=r[6], published=r[7], primary=r[8] or (r[3][0] if r[3] else ""),
                                                 title=r[4] or "", abstract=r[5] or "", tok=r[2] or "")
                                        for r in rows])
        found, undetermined = assigned.senses, assigned.undetermined
        if len(found) > 1:
            notes.append(f"{len(found)} senses by expansion; papers that spell none out inherit the dominant sense "
                         "of their year and primary category (inferred)")
    return SensesReport(
        term=term, papers=total, variants=tuple(variants), top_categories=tuple(all_cats.most_common(top_categories)),
        expansion=exp_text, expansion_source=source, expansion_candidates=tuple(exp_counter.most_common(5)),
        notes=tuple(notes), senses=found, undetermined=undetermined,
    )
