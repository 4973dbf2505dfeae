"""What is rising: candidate terms whose share of papers grew from a baseline window to a recent one.

Candidates are single tokens (acronyms, i.e. tokens with two or more capitals such as
``GRPO``, ``LoRA``, ``KV``, keep their case; other tokens are casefolded), and 2-3 word
phrases inside the title or the abstract (casefolded), all from the store's token strings
(so they mean exactly what the same text means as a query). Stop words, numbers,
one-letter tokens and academic boilerplate never start or end a candidate.

Method (two stages, so it stays fast on a full arXiv):

1. **Screen** on a deterministic sample of at most ``sample_docs`` papers per window
   (every paper when the window is smaller): count the papers containing each candidate in
   each window, keep those with enough support, and rank them by the lower 95% bound of the
   log ratio of shares.
2. **Recount exactly** the best ``recount`` candidates over every paper of both windows,
   month by month, in one scan (RE2 alternations over token strings with doubled spaces, which
   finds exactly what the query engine's substring test finds), and compute:
   recent and baseline counts and shares, the ratio of shares (so the growth of the whole
   corpus cancels), a one-sided conditional binomial test (given the candidate's papers
   in both windows, is the recent window's part larger than its share of all papers?),
   Benjamini-Hochberg q-values over *every* candidate screened (untested ones counted
   as p = 1, which only makes q larger), a minimum support in the recent window, and
   persistence (present in at least two thirds of the recent complete months).

Survivors are ranked by the lower 95% bound of the log ratio. A survivor that mostly occurs
inside another (80% of its recent papers also contain it; 50% when its initials spell part of
an acronym survivor: "group relative policy" -> GRPO) is folded into it as an alias.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import PeriodError, UsageError
from .periods import clamped_month_of, month_label, parse_month
from .text import phrase_key, tokens
from .trends import Z95

if TYPE_CHECKING:
    from .corpus import Corpus

SPARK = "▁▂▃▄▅▆▇█"

STOP_WORDS = frozenset("""
a about above across after again against all almost along already also although always am among an and another
any are around as at be became because become been before being below between both but by can cannot could did
do does doing done down due during each either else enough especially etc even ever every few for from further
had has have having he her here hers him his how however i if in into is it its itself just least less like made
make makes many may me might more most much must my neither no nor not now of off often on once one only onto or
other others our ours out over own per perhaps quite rather same several she should since so some such than that
the their theirs them then there therefore these they this those though through thus to too toward towards two
under until up upon us use used uses using very via was we well were what whatever when where whereas whether
which while who whom whose why will with within without would yet you your three four five six first second
third yields yield
""".split())

#: Words of academic prose that say nothing about a topic; they never start or end a candidate.
BOILERPLATE = frozenset("""
paper papers work works study studies propose proposes proposed present presents presented show shows shown
showed demonstrate demonstrates demonstrated introduce introduces introduced result results method methods
approach approaches novel new existing extensive experiments experiment experimental achieve achieves achieved
outperform outperforms outperforming significant significantly state art based framework frameworks
furthermore moreover address addresses finally code available github com https http www org html pdf
including include includes various different large small high low good better best performance
effective effectively efficient efficiently task tasks problem problems recent recently further can
extend extends extending extended revisit revisits revisited compare compared compares comparing build builds
building consistent consistently gain gains behaviour behavior detail details simple simpler wide wider class
setting settings perspective theoretical explore explores investigate investigates leverage leverages leveraging
provide provides improve improves improved enable enables key main able given
""".split())

#: Phrases that are boilerplate even though their edge words are not (dropped as candidates).
BOILERPLATE_PHRASES = frozenset({
    "this paper", "in this paper", "our method", "our approach", "our results", "we find", "we show",
    "code and data", "project page",
})


@dataclass(frozen=True)
class EmergingTerm:
    term: str
    kind: str  # acronym | token | phrase
    aliases: tuple[str, ...]
    recent: int
    baseline: int
    recent_share: float
    baseline_share: float
    ratio: float  # recent share / baseline share, with half a paper added to each count
    log_ratio_low: float  # lower 95% bound of log(ratio)
    p_value: float
    q_value: float
    first_seen: str  # first month with a matching paper in the analysed span ("<=" when it is the span's start)
    months_present: int
    sparkline: str
    monthly: tuple[tuple[str, int, int], ...] = field(repr=False)  # (month, papers with the term, all papers)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["aliases"] = list(self.aliases)
        d["monthly"] = [{"period": m, "count": c, "total": t} for m, c, t in self.monthly]
        return d


@dataclass(frozen=True)
class EmergingReport:
    recent: tuple[str, str]
    baseline: tuple[str, str]
    category: tuple[str, ...]
    recent_papers: int
    baseline_papers: int
    candidates_screened: int
    recounted: int
    sample_rate_recent: float
    sample_rate_baseline: float
    min_support: int
    alpha: float
    seconds: float
    terms: tuple[EmergingTerm, ...]
    notes: tuple[str, ...] = ()
    stages: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in asdict(self).items() if k != "terms"}
        d["recent"], d["baseline"], d["category"] = list(self.recent), list(self.baseline), list(self.category)
        d["notes"] = list(self.notes)
        d["terms"] = [t.as_dict() for t in self.terms]
        return d

    CSV_HEADER = ("rank", "term", "kind", "aliases", "recent", "baseline", "recent_share", "baseline_share", "ratio",
                  "log_ratio_low95", "p_value", "q_value", "first_seen", "months_present", "sparkline")

    def to_csv(self) -> str:
        import csv
        import io

        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(self.CSV_HEADER)
        for i, t in enumerate(self.terms, start=1):
            w.writerow([i, t.term, t.kind, "; ".join(t.aliases), t.recent, t.baseline, repr(t.recent_share),
                        repr(t.baseline_share), repr(t.ratio), repr(t.log_ratio_low), repr(t.p_value),
                        repr(t.q_value), t.first_seen, t.months_present, t.sparkline])
        return buf.getvalue()


# ----------------------------------------------------------------------------- pure helpers
def parse_window(text: str, *, what: str) -> tuple[int, int]:
    """``'2026-01:2026-06'`` -> (first month, last month)."""
    if not text or ":" not in text:
        raise PeriodError(f"{what} {text!r} is not a window: write FIRST:LAST months, e.g. 2026-01:2026-06")
    a, b = text.split(":", 1)
    lo, hi = parse_month(a, what=what), parse_month(b, what=what)
    if lo > hi:
        raise PeriodError(f"{what} {text!r} starts after it ends: swap the months")
    return lo, hi


def sparkline(values: Sequence[float | None]) -> str:
    """One block character per value, scaled to the largest; blanks for missing values."""
    finite = [v for v in values if v is not None and not math.isnan(v)]
    top = max(finite, default=0.0)
    out = []
    for v in values:
        if v is None or math.isnan(v):
            out.append(" ")
        elif top <= 0 or v <= 0:
            out.append(SPARK[0] if v == 0 else " ")
        else:
            out.append(SPARK[min(len(SPARK) - 1, int(v / top * (len(SPARK) - 1) + 0.5))])
    return "".join(out)


def benjamini_hochberg(p_values: Sequence[float], m: int | None = None) -> np.ndarray:
    """BH q-values for ``p_values`` out of ``m`` hypotheses in all (the others counted as p = 1)."""
    p = np.asarray(p_values, dtype=np.float64)
    n = len(p)
    m = n if m is None else max(m, n)
    if n == 0:
        return p
    order = np.argsort(p, kind="stable")
    ranked = p[order] * m / np.arange(1, n + 1)
    q_sorted = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty(n)
    q[order] = np.minimum(q_sorted, 1.0)
    return q


def rise_statistics(r: np.ndarray, b: np.ndarray, nr: float, nb: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ratio of shares, lower 95% bound of its log, one-sided binomial p-value) for counts r, b out of nr, nb papers."""
    from scipy.stats import binom

    r = np.asarray(r, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    ratio = ((r + 0.5) / (nr + 0.5)) / ((b + 0.5) / (nb + 0.5))
    se = np.sqrt(1.0 / (r + 0.5) + 1.0 / (b + 0.5))
    low = np.log(ratio) - Z95 * se
    pi = nr / (nr + nb)
    p = binom.sf(r - 1, r + b, pi)
    return ratio, low, p


def is_acronym(token: str) -> bool:
    return sum(1 for c in token if c.isupper()) >= 2


def keep_candidate(gram: str) -> bool:
    """Stop words, numbers, one-letter tokens and boilerplate never start or end a candidate."""
    parts = gram.split(" ")
    if gram.casefold() in BOILERPLATE_PHRASES:
        return False
    for edge in (parts[0], parts[-1]):
        low = edge.casefold()
        if len(edge) < 2 or low in STOP_WORDS or low in BOILERPLATE or edge.isdigit():
            return False
    return not any(p.isdigit() for p in parts)


# ----------------------------------------------------------------------------- the corpus-facing function
def emerging(
    corpus: Corpus,
    *,
    recent: str | None = None,
    baseline: str | None = None,
    category: str | Sequence[str] = (),
    top: int = 30,
    min_support: int = 10,
    alpha: float = 0.05,
    sample_docs: int = 30_000,
    recount: int | None = None,
    max_words: int = 3,
) -> EmergingReport:
    """Terms whose share rose from ``baseline`` to ``recent`` (windows ``YYYY-MM:YYYY-MM``); see the module doc.

    By default ``recent`` is the last 6 complete months of the corpus and ``baseline`` the 12 months before.
    """
    from .query.plan import categories_predicate
    from .store import Store

    t_start = time.perf_counter()
    if recent is None or baseline is None:
        d_recent, d_base = default_windows(corpus)
        recent = recent or d_recent
        baseline = baseline or d_base
    r_lo, r_hi = parse_window(recent, what="--recent")
    b_lo, b_hi = parse_window(baseline, what="--baseline")
    if not b_hi < r_lo:
        raise PeriodError("--baseline must end before --recent starts, e.g. --baseline 2025-01:2025-12 --recent 2026-01:2026-06")
    if top < 1 or min_support < 1 or not 0 < alpha < 1 or sample_docs < 100 or not 1 <= max_words <= 3:
        raise UsageError("--top and --min-support must be at least 1, alpha between 0 and 1, sample_docs >= 100, "
                         "max_words 1..3")
    recount_n = recount if recount is not None else max(3 * top, 100)
    cats = ([category] if category else []) if isinstance(category, str) else [c for c in category if c]
    glob = categories_predicate(cats)
    notes: list[str] = []
    stages: dict[str, float] = {}
    with Store.open(corpus.path) as store:
        store.query("SET enable_progress_bar = false")
        store.require_papers()
        _, last = store.span()
        if cats:
            corpus._check_categories(store, cats, _empty_query())
        month_rows = store.query(
            f"SELECT month, count(*) FROM papers WHERE NOT deleted AND month BETWEEN ? AND ? AND {glob.sql} "
            f"GROUP BY month ORDER BY month", [b_lo, r_hi, *glob.params])
        totals = {int(m): int(n) for m, n in month_rows}
        n_recent = sum(n for m, n in totals.items() if r_lo <= m <= r_hi)
        n_base = sum(n for m, n in totals.items() if b_lo <= m <= b_hi)
        if n_recent == 0 or n_base == 0:
            which = "--recent" if n_recent == 0 else "--baseline"
            raise PeriodError(f"no papers in the {which} window{' in these categories' if cats else ''}: "
                              f"choose months the corpus covers (`uptake stats` lists them)")
        last_complete = clamped_month_of(last) - (0 if _month_is_complete(last) else 1)
        if r_hi > last_complete:
            notes.append(f"the recent window runs past the last complete month ({month_label(last_complete)}); "
                         f"its last month is partial")
        rate_r = min(1.0, sample_docs / n_recent)
        rate_b = min(1.0, sample_docs / n_base)
        # -- stage 1: screen on a deterministic sample --------------------------------------------
        grams_sql = _grams_sql(max_words)
        sample_pred = ("((month BETWEEN ? AND ? AND hash(doc) % 1000000 < ?) OR "
                       "(month BETWEEN ? AND ? AND hash(doc) % 1000000 < ?))")
        s_params = [r_lo, r_hi, int(rate_r * 1_000_000), b_lo, b_hi, int(rate_b * 1_000_000)]
        min_screen = max(2, math.floor(min_support * rate_r * 0.5))
        sql = (
            f"WITH d0 AS (SELECT CASE WHEN month >= ? THEN 1 ELSE 0 END AS rec, "
            f"string_split(trim(title_tok_cs || abstract_tok_cs), ' ') AS u, "
            f"string_split(trim(title_tok), ' ') AS t, string_split(trim(abstract_tok), ' ') AS a "
            f"FROM papers WHERE NOT deleted AND {sample_pred} AND {glob.sql}), "
            f"d AS (SELECT rec, u, t, a, {_edge_flags_sql()} FROM d0), "
            f"g AS (SELECT rec, unnest(list_distinct({grams_sql})) AS gram FROM d) "
            f"SELECT gram, count(*) FILTER (WHERE rec = 1) AS r, count(*) FILTER (WHERE rec = 0) AS b "
            f"FROM g WHERE length(gram) > 1 GROUP BY gram HAVING count(*) FILTER (WHERE rec = 1) >= ?"
        )
        t0 = time.perf_counter()
        sample_rows = store.query(sql, [r_lo, *s_params, *glob.params, min_screen])
        stages["screen"] = time.perf_counter() - t0
        sn = store.query(
            f"SELECT count(*) FILTER (WHERE month >= ?), count(*) FILTER (WHERE month < ?) FROM papers "
            f"WHERE NOT deleted AND {sample_pred} AND {glob.sql}", [r_lo, r_lo, *s_params, *glob.params])[0]
        ns_r, ns_b = max(int(sn[0]), 1), max(int(sn[1]), 1)
        kept = [(g, r, b) for g, r, b in sample_rows if keep_candidate(g)]
        screened = len(kept)
        if not kept:
            return EmergingReport(
                recent=(month_label(r_lo), month_label(r_hi)), baseline=(month_label(b_lo), month_label(b_hi)),
                category=tuple(cats), recent_papers=n_recent, baseline_papers=n_base, candidates_screened=0,
                recounted=0, sample_rate_recent=rate_r, sample_rate_baseline=rate_b, min_support=min_support,
                alpha=alpha, seconds=time.perf_counter() - t_start, terms=(),
                notes=tuple(notes + ["no candidate has enough papers in the recent window; lower --min-support"]),
            )
        g_arr = [g for g, _, _ in kept]
        rs = np.array([r for _, r, _ in kept], dtype=np.float64)
        bs = np.array([b for _, _, b in kept], dtype=np.float64)
        ratio_s, low_s, _ = rise_statistics(rs, bs, ns_r, ns_b)
        rising = np.flatnonzero(ratio_s > 1.0)
        order = rising[np.argsort(-low_s[rising], kind="stable")][:recount_n]
        cands = [g_arr[i] for i in order]
        # -- stage 2: exact monthly recount of the best candidates ---------------------------------
        t0 = time.perf_counter()
        monthly, co = _recount(store, cands, b_lo, r_hi, r_lo, glob)
        stages["recount"] = time.perf_counter() - t0
    months = list(range(b_lo, r_hi + 1))
    recent_months = [m for m in range(r_lo, r_hi + 1) if m <= last_complete] or list(range(r_lo, r_hi + 1))
    r_ex = np.array([sum(monthly[g].get(m, 0) for m in range(r_lo, r_hi + 1)) for g in cands], dtype=np.float64)
    b_ex = np.array([sum(monthly[g].get(m, 0) for m in range(b_lo, b_hi + 1)) for g in cands], dtype=np.float64)
    ratio, low, p = rise_statistics(r_ex, b_ex, n_recent, n_base)
    q = benjamini_hochberg(p, screened)
    need_present = max(1, math.ceil(2 * len(recent_months) / 3))
    survivors = []
    for i, g in enumerate(cands):
        present = sum(1 for m in recent_months if monthly[g].get(m, 0) > 0)
        if r_ex[i] < min_support or q[i] > alpha or ratio[i] <= 1 or present < need_present:
            continue
        series = [(month_label(m), int(monthly[g].get(m, 0)), totals.get(m, 0)) for m in months]
        shares = [c / t if t else None for _, c, t in series]
        first = next((lab for lab, c, _ in series if c > 0), month_label(b_lo))
        if first == month_label(b_lo):
            first = "<=" + first
        survivors.append(EmergingTerm(
            term=g, kind="acronym" if is_acronym(g) else ("phrase" if " " in g else "token"), aliases=(),
            recent=int(r_ex[i]), baseline=int(b_ex[i]), recent_share=float(r_ex[i] / n_recent),
            baseline_share=float(b_ex[i] / n_base), ratio=float(ratio[i]), log_ratio_low=float(low[i]),
            p_value=float(p[i]), q_value=float(q[i]), first_seen=first, months_present=present,
            sparkline=sparkline(shares), monthly=tuple(series),
        ))
    survivors.sort(key=lambda t: (-t.log_ratio_low, t.term))
    merged = _merge(survivors, co)
    return EmergingReport(
        recent=(month_label(r_lo), month_label(r_hi)), baseline=(month_label(b_lo), month_label(b_hi)),
        category=tuple(cats), recent_papers=n_recent, baseline_papers=n_base, candidates_screened=screened,
        recounted=len(cands), sample_rate_recent=rate_r, sample_rate_baseline=rate_b, min_support=min_support,
        alpha=alpha, seconds=time.perf_counter() - t_start, terms=tuple(merged[:top]), notes=tuple(notes),
        stages=stages,
    )


def default_windows(corpus: Corpus) -> tuple[str, str]:
    """(recent, baseline): the last 6 complete months, and the 12 months before them."""
    from .store import Store

    with Store.open(corpus.path) as store:
        store.require_papers()
        _, last = store.span()
    end = clamped_month_of(last) - (0 if _month_is_complete(last) else 1)
    return (f"{month_label(end - 5)}:{month_label(end)}", f"{month_label(end - 17)}:{month_label(end - 6)}")


def _empty_query():  # type: ignore[no-untyped-def]
    from .query.ast import Query

    return Query(text="", series=())


def _month_is_complete(d) -> bool:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    return d.month == 12 and d.day == 31 or (d + timedelta(days=1)).month != d.month


def _edge_regex() -> str:
    """One RE2 pattern for tokens that may not start or end a candidate (built from the fixed lists above)."""
    words = sorted(STOP_WORDS | BOILERPLATE)
    assert all(w.isalpha() and w.isascii() for w in words)
    return "(" + "|".join(words) + r"|[0-9]+|.)"


def _grams_sql(max_words: int) -> str:
    """SQL for one paper's candidate list: case-ruled unigrams, then 2..max_words-grams inside each field.

    Tokens that may not be an edge (stop words, boilerplate, numbers, one character) are flagged once per
    paper with a single RE2 match, so such grams are never built or counted.
    """
    edge = _edge_regex()
    uni = ("list_transform(list_filter(u, lambda x: NOT regexp_full_match(lower(x), '" + edge + "')), "
           "lambda x: CASE WHEN length(regexp_replace(x, '[^A-Z]', '', 'g')) >= 2 THEN x ELSE lower(x) END)")
    parts = [uni]
    for n in range(2, max_words + 1):
        for col in ("t", "a"):
            ok = f"{col}ok"
            joined = " || ' ' || ".join(f"{col}[i + {k}]" for k in range(n))
            parts.append(f"list_filter(list_transform(range(1, len({col}) - {n - 2}), lambda i: CASE WHEN "
                         f"{ok}[i] AND {ok}[i + {n - 1}] THEN {joined} END), lambda g: g IS NOT NULL)")
    return "list_concat(" + ", ".join(parts) + ")"


def _edge_flags_sql() -> str:
    edge = _edge_regex()
    return (f"list_transform(t, lambda x: NOT regexp_full_match(x, '{edge}')) AS tok, "
            f"list_transform(a, lambda x: NOT regexp_full_match(x, '{edge}')) AS aok")


def _key(gram: str) -> tuple[str, bool]:
    """(substring to look for, case-sensitive?) with the matching semantics of the query engine."""
    if " " not in gram and is_acronym(gram):
        return phrase_key(tokens(gram, case_sensitive=True)), True
    return phrase_key(tokens(gram)), False


def _disjoint_groups(grams: Sequence[str]) -> list[list[str]]:
    """Greedy partition into groups whose members share no token, so their matches can never overlap."""
    groups: list[tuple[list[str], set[str]]] = []
    for g in grams:
        toks = set(g.split(" "))
        for members, used in groups:
            if not toks & used:
                members.append(g)
                used |= toks
                break
        else:
            groups.append(([g], set(toks)))
    return [m for m, _ in groups]


def _pattern(group: Sequence[str]) -> str:
    """RE2 pattern matching any member as whole tokens in a token string whose spaces were doubled."""
    import re

    return " (" + "|".join(re.escape(g).replace("\\ ", " ").replace(" ", "  ") for g in group) + ") "


def _recount(store, cands: Sequence[str], lo: int, hi: int, recent_lo: int, glob,  # type: ignore[no-untyped-def]
             ) -> tuple[dict[str, dict[int, int]], dict[tuple[str, str], int]]:
    """Exact papers per month containing each candidate, and recent-window co-occurrence of every pair, in one scan.

    Token strings get their spaces doubled, so a match of " (a|b|...) " consumes one space on each side
    and the next token keeps its own: every non-overlapping occurrence is found, and members of one group
    share no token, so they never overlap. Acronyms match the case-sensitive columns, the rest the casefolded.
    """
    monthly: dict[str, dict[int, int]] = {g: {} for g in cands}
    co: dict[tuple[str, str], int] = {}
    if not cands:
        return monthly, co
    keys = {g: _key(g) for g in cands}
    cs_terms = [g for g in cands if keys[g][1]]
    cf_terms = [keys[g][0].strip() for g in cands if not keys[g][1]]
    back = {keys[g][0].strip(): g for g in cands if not keys[g][1]}
    back.update({keys[g][0].strip(): g for g in cs_terms})
    parts, params = [], []
    for col, terms in (("cf2", cf_terms), ("cs2", [keys[g][0].strip() for g in cs_terms])):
        for group in _disjoint_groups(terms):
            parts.append(f"regexp_extract_all({col}, ?, 1)")
            params.append(_pattern(group))
    hits = "list_concat(" + ", ".join(parts) + ")" if len(parts) > 1 else parts[0]
    rows = store.query(
        f"SELECT month, sig, count(*) FROM (SELECT month, list_sort(list_distinct({hits})) AS sig FROM "
        f"(SELECT month, replace(title_tok || abstract_tok, ' ', '  ') AS cf2, "
        f"replace(title_tok_cs || abstract_tok_cs, ' ', '  ') AS cs2 FROM papers "
        f"WHERE NOT deleted AND month BETWEEN ? AND ? AND {glob.sql})) WHERE len(sig) > 0 GROUP BY month, sig",
        [*params, lo, hi, *glob.params],
    )
    for month, sig, n in rows:
        names = [back[h.replace("  ", " ")] for h in sig]
        for g in names:
            monthly[g][int(month)] = monthly[g].get(int(month), 0) + int(n)
        if month >= recent_lo and len(names) > 1:
            for i, x in enumerate(names):
                for y in names[i + 1 :]:
                    k = (x, y) if x < y else (y, x)
                    co[k] = co.get(k, 0) + int(n)
    return monthly, co


def _initials_related(acronym: str, phrase: str) -> bool:
    """Do the phrase's initials spell a contiguous part (>= 2 letters) of the acronym (group relative -> GRPO)?"""
    from .senses import acronym_letter_sets, initials_match

    words = phrase.split(" ")
    return any(initials_match(words, letters[i:j]) for letters in acronym_letter_sets(acronym)
               for i in range(len(letters)) for j in range(i + 2, len(letters) + 1))


#: A candidate is folded into another when at least this fraction of its recent papers also contain the other.
FOLD_SHARE = 0.8
#: ... or this fraction, when its initials spell part of the other (an acronym).
ALIAS_SHARE = 0.5


def _merge(terms: list[EmergingTerm], co: dict[tuple[str, str], int]) -> list[EmergingTerm]:
    """Fold each survivor that mostly occurs inside another into it, as an alias.

    ``x`` is inside ``y`` when at least FOLD_SHARE of x's recent papers also contain y (ALIAS_SHARE when y is
    an acronym that x's initials partly spell: "group relative policy" -> GRPO). x goes to a host it is
    strictly inside (y is not also inside x), preferring acronyms, then longer phrases, then more papers;
    when the relation is mutual, the preferred one of the two represents both.
    """
    from dataclasses import replace

    def pair(x: str, y: str) -> int:
        return co.get((x, y) if x < y else (y, x), 0)

    by = {t.term: t for t in terms}

    def inside(x: EmergingTerm, y: EmergingTerm) -> bool:
        need = ALIAS_SHARE if (y.kind == "acronym" and " " in x.term and _initials_related(y.term, x.term)) \
            else FOLD_SHARE
        return x.recent > 0 and pair(x.term, y.term) >= need * x.recent

    def pref(t: EmergingTerm) -> tuple[bool, int, int, str]:
        return (t.kind != "acronym", -len(t.term.split(" ")), -t.recent, t.term)

    host: dict[str, str] = {}
    for x in terms:
        hosts = [y for y in terms if y.term != x.term and inside(x, y)]
        strict = [y for y in hosts if not inside(y, x)]
        if strict:
            host[x.term] = min(strict, key=pref).term
        elif hosts:
            best = min(hosts + [x], key=pref)
            if best.term != x.term:
                host[x.term] = best.term
    # Break any cycle by keeping its preferred member as the root.
    for name in list(host):
        seen = [name]
        cur = host.get(name)
        while cur is not None and cur not in seen:
            seen.append(cur)
            cur = host.get(cur)
        if cur is not None:  # a cycle through cur
            loop = seen[seen.index(cur):]
            root = min((by[n] for n in loop), key=pref).term
            host.pop(root, None)
    # Fold only into a root the term is directly inside: "beta gamma" inside "beta" inside "alpha beta" does not
    # make "beta gamma" part of "alpha beta".
    final = {x: _root(x, host) for x in host}
    final = {x: r for x, r in final.items() if r != x and inside(by[x], by[r])}
    out = []
    for t in terms:
        if t.term in final:
            continue
        aliases = tuple(sorted((p for p, r in final.items() if r == t.term), key=lambda p: (-by[p].recent, p)))
        out.append(replace(t, aliases=aliases))
    return out


def _root(name: str, absorbed: dict[str, str]) -> str:
    seen = set()
    while name in absorbed and name not in seen:
        seen.add(name)
        name = absorbed[name]
    return name
