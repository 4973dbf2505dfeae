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
   month by month: from the term index's postings when the store has a fresh index (:func:`tally_docs`),
   else in one scan (RE2 alternations over token strings with doubled spaces, :func:`tally`); both find
   exactly what the query engine finds for the candidate as a phrase. Then compute:
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
from functools import lru_cache
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import PeriodError, UsageError
from ..periods import clamped_month_of, month_label, parse_month
from ..plans import Phrase
from ..serialise import fields_dict
from ..text import phrase_key, tokens
from ._distributions import binom_sf, bh_adjust, chi2_ppf
from .senses import acronym_letter_sets, initials_match
from .trends import Z95

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
    #: Recent papers / those expected from the baseline share *within* each primary category applied to the
    #: recent window's category mix (direct standardisation); None when no category has a baseline.
    standardised_ratio: float | None = None
    #: Share of the term's recent papers in categories the baseline barely holds (entering the corpus).
    new_category_share: float = 0.0
    #: The rise is explained by the corpus' category mix or by categories entering it, not by the term.
    coverage_shift: bool = False
    #: Overdispersion across the windows' complete months (a variance factor >= 1; see :func:`dispersion`): the
    #: p-value, the ratio's bound and the standardised bound allow for this much more variance than binomial.
    dispersion: float = 1.0

    def as_dict(self) -> dict[str, Any]:
        d = fields_dict(self)
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
    #: Rising terms left out because their rise is a coverage shift (``--include-coverage-shifts`` keeps them).
    coverage_shifts: tuple[str, ...] = ()
    #: Terms a binomial test (every paper exchangeable) would list, left out once month-to-month
    #: overdispersion is allowed for: their q-value then exceeds alpha.
    overdispersed: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        d = fields_dict(self)
        d["terms"] = d.pop("terms")  # the terms come last
        return d

    CSV_HEADER = ("rank", "term", "kind", "aliases", "recent", "baseline", "recent_share", "baseline_share", "ratio",
                  "log_ratio_low95", "p_value", "q_value", "first_seen", "months_present", "sparkline", "dispersion")

    def to_csv(self) -> str:
        import csv
        import io

        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(self.CSV_HEADER)
        for i, t in enumerate(self.terms, start=1):
            w.writerow([i, t.term, t.kind, "; ".join(t.aliases), t.recent, t.baseline, repr(t.recent_share),
                        repr(t.baseline_share), repr(t.ratio), repr(t.log_ratio_low), repr(t.p_value),
                        repr(t.q_value), t.first_seen, t.months_present, t.sparkline, repr(t.dispersion)])
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


def benjamini_hochberg(p_values: npt.ArrayLike, m: int | None = None) -> np.ndarray:
    """BH q-values for ``p_values`` out of ``m`` hypotheses in all (the others counted as p = 1)."""
    p = np.asarray(p_values, dtype=np.float64)
    n = len(p)
    m = n if m is None else max(m, n)
    if n == 0:
        return p
    untested = np.ones(m - n)
    q: np.ndarray = bh_adjust(np.concatenate([p, untested]))[:n]
    return q


def rise_statistics(r: np.ndarray, b: np.ndarray, nr: float, nb: float, *, dispersion: npt.ArrayLike | None = None,
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ratio of shares, lower 95% bound of its log, one-sided p-value) for counts r, b out of nr, nb papers.

    Without ``dispersion`` the p-value is the exact conditional binomial test. With it (one variance factor per
    term, see :func:`dispersion`), the variance of the window counts is that factor times the binomial one:
    the log ratio's standard error grows by its square root, and the p-value is the binomial tail with both
    counts divided by the factor (the effective sample size), computed with the regularised
    incomplete beta function so that it equals the exact binomial test when the factor is 1.
    """
    from scipy.special import betainc

    r = np.asarray(r, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    pi = nr / (nr + nb)
    if dispersion is None:
        ratio, low = _ratio_bound(r, b, nr, nb)
        return ratio, low, binom_sf(r - 1, r + b, pi)
    phi = np.maximum(np.asarray(dispersion, dtype=np.float64), 1.0)
    ratio, low = _ratio_bound(r, b, nr, nb, phi)
    # P(X >= r) for X ~ Binomial(r + b, pi) is I_pi(r, b + 1); with the counts divided by phi.
    p = np.where(r > 0, betainc(np.maximum(r / phi, 1e-300), b / phi + 1.0, pi), 1.0)
    return ratio, low, p


def _ratio_bound(r: np.ndarray, b: np.ndarray, nr: float, nb: float, phi: np.ndarray | None = None,
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The ratio of shares (half a paper added to each count) and the lower 95% bound of its log, from the
    binomial variance of the log (times ``phi``, an overdispersion factor, when given)."""
    ratio = ((r + 0.5) / (nr + 0.5)) / ((b + 0.5) / (nb + 0.5))
    var = 1.0 / (r + 0.5) + 1.0 / (b + 0.5)
    return ratio, np.log(ratio) - Z95 * np.sqrt(var if phi is None else var * phi)


#: Fewest complete months with papers that estimate a term's overdispersion; with fewer it is taken as 1.
MIN_DISPERSION_MONTHS = 6


def dispersion(counts: npt.ArrayLike, totals: npt.ArrayLike, recent: npt.ArrayLike,
               months: npt.ArrayLike | None = None, *, pool: bool = True) -> np.ndarray:
    """Overdispersion of each term's window counts across months (a variance factor >= 1 per term).

    ``counts`` is terms × months (papers containing the term), ``totals`` the papers per month, ``recent``
    a boolean per month (True: the recent window), ``months`` their positions in time (default 0, 1, ...).

    Model: **beta-binomial** months. A month's papers with the term vary as Binomial(n_m, p_m) with p_m itself
    varying around the term's trend (topics are more or less fashionable month to month), so
    Var(y_m) = n_m p_m (1 − p_m) (1 + (n_m − 1) ρ). The trend p_m is a binomial GLM whose logit has an
    intercept, a linear and a quadratic term in time and a step at the recent window (so a rise, even an
    S-shaped one, is not mistaken for noise); ρ is its moment estimate from the squared residuals (scaled by
    months / residual degrees of freedom). The factor returned is the variance of the windows' summed counts
    relative to the binomial one: Σ n p (1 − p)(1 + (n − 1) ρ) / Σ n p (1 − p). Unlike a quasi-binomial
    constant factor it grows with month size, which matters when monthly volume swings tenfold.

    With ``pool`` (default) each term's factor is averaged with the median factor of all terms given, with
    equal weight (10-20 months give a noisy estimate; an underestimate by chance makes the test too liberal).
    The result is floored at 1, and is 1 when fewer than :data:`MIN_DISPERSION_MONTHS` months hold papers.
    Pass complete months only.
    """
    y_all = np.atleast_2d(np.asarray(counts, dtype=np.float64))
    n_all = np.asarray(totals, dtype=np.float64)
    w = np.asarray(recent, dtype=bool)
    t_all = np.arange(len(n_all), dtype=np.float64) if months is None else np.asarray(months, dtype=np.float64)
    has = n_all > 0
    k = int(has.sum())
    out = np.ones(y_all.shape[0])
    if k < MIN_DISPERSION_MONTHS:
        return out
    n, t = n_all[has], t_all[has]
    ts = (t - t.mean()) / max(float(t.std()), 1.0)
    cols = [np.ones(k), ts, ts**2]
    step = w[has].astype(np.float64)
    if 0 < step.sum() < k:
        cols.append(step)
    x = np.column_stack(cols)
    df = k - x.shape[1]
    if df <= 0:
        return out
    raw = np.full(y_all.shape[0], np.nan)
    for i, y in enumerate(y_all[:, has]):
        if y.sum() <= 0:
            continue
        raw[i] = _window_factor(y, n, _binomial_glm(x, y, n), k / df)
    est = ~np.isnan(raw)
    if pool and est.sum() > 1:
        raw[est] = (raw[est] + float(np.median(raw[est]))) / 2.0
    out[est] = np.maximum(raw[est], 1.0)
    return out


def _window_factor(y: np.ndarray, n: np.ndarray, mu: np.ndarray, scale: float) -> float:
    """The beta-binomial variance factor of summed counts, from the moment estimate of ρ (see :func:`dispersion`)."""
    bvar = mu * (1.0 - mu / n)  # binomial variance n p (1 - p)
    extra = float(np.sum((y - mu) ** 2) * scale - np.sum(bvar))
    denom = float(np.sum(bvar * (n - 1.0)))
    rho = max(0.0, extra / denom) if denom > 0 else 0.0
    base = float(np.sum(bvar))
    return float(np.sum(bvar * (1.0 + (n - 1.0) * rho)) / base) if base > 0 else 1.0


def _binomial_glm(x: np.ndarray, y: np.ndarray, n: np.ndarray, *, iterations: int = 50) -> np.ndarray:
    """Fitted counts of a binomial GLM (logit link) by iteratively reweighted least squares.

    A window with no papers pushes its coefficient towards -inf; the iterations stop there with fitted counts
    near 0 for those months, which add nearly nothing to Pearson's X², as in the limit."""
    from scipy.special import expit

    share = float(np.clip(y.sum() / n.sum(), 1e-9, 1 - 1e-9))
    beta = np.zeros(x.shape[1])
    beta[0] = np.log(share / (1 - share))
    for _ in range(iterations):
        p = np.clip(expit(x @ beta), 1e-12, 1 - 1e-12)
        wt = n * p * (1 - p)
        z = x @ beta + (y - n * p) / wt
        xtw = x.T * wt
        new = np.linalg.solve(xtw @ x + 1e-9 * np.eye(x.shape[1]), xtw @ z)
        new = np.clip(new, -40.0, 40.0)
        if np.max(np.abs(new - beta)) < 1e-10:
            beta = new
            break
        beta = new
    return np.asarray(n * expit(x @ beta))


def is_acronym(token: str) -> bool:
    return sum(1 for c in token if c.isupper()) >= 2


def keep_candidate(gram: str) -> bool:
    """Stop words, numbers, one-letter tokens and boilerplate never start or end a candidate."""
    if gram.casefold() in BOILERPLATE_PHRASES:
        return False
    parts = gram.split(" ")
    if _bad_edge(parts[0]) or _bad_edge(parts[-1]):
        return False
    return not any(p.isdigit() for p in parts)


def keep_candidates(grams: Sequence[str]) -> np.ndarray:
    """:func:`keep_candidate` of every gram, as a boolean array: ASCII grams in columns (where casefold is
    ``lower`` and digits are ``0-9``), the others one by one."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(grams, type=pa.string())
    if len(arr) == 0:
        return np.zeros(0, dtype=bool)
    low = pc.ascii_lower(arr)
    edges = pa.array(sorted(STOP_WORDS | BOILERPLATE))
    first = pc.struct_field(pc.extract_regex(low, r"^(?P<w>[^ ]*)"), [0])
    last = pc.struct_field(pc.extract_regex(low, r"(?P<w>[^ ]*)$"), [0])

    def bad(word: pa.Array) -> np.ndarray:
        return np.asarray(pc.or_(pc.or_(pc.less(pc.utf8_length(word), 2), pc.is_in(word, value_set=edges)),
                                 pc.ascii_is_decimal(word)), dtype=bool)

    digit_part = np.asarray(pc.match_substring_regex(arr, r"(^| )[0-9]+( |$)"), dtype=bool)
    phrase = np.asarray(pc.is_in(low, value_set=pa.array(sorted(BOILERPLATE_PHRASES))), dtype=bool)
    keep: np.ndarray = ~(phrase | bad(first) | bad(last) | digit_part)
    for i in np.flatnonzero(~np.asarray(pc.string_is_ascii(arr), dtype=bool)):
        keep[i] = keep_candidate(grams[int(i)])
    return keep


@lru_cache(maxsize=1 << 18)
def _bad_edge(token: str) -> bool:
    low = token.casefold()
    return len(token) < 2 or low in STOP_WORDS or low in BOILERPLATE or token.isdigit()


# ----------------------------------------------------------------------------- the corpus-facing function
@dataclass(frozen=True)
class Windows:
    """The two windows compared, as month indexes, with the corpus' last complete month."""

    recent: tuple[int, int]
    baseline: tuple[int, int]
    last_complete: int


def check_options(*, top: int, min_support: int, alpha: float, sample_docs: int, max_words: int) -> None:
    if top < 1 or min_support < 1 or not 0 < alpha < 1 or sample_docs < 100 or not 1 <= max_words <= 3:
        raise UsageError("--top and --min-support must be at least 1, alpha between 0 and 1, sample_docs >= 100, "
                         "max_words 1..3")


def windows(recent: str | None, baseline: str | None, last: date) -> Windows:
    """The windows asked for; by default the last 6 complete months and the 12 months before them."""
    end = clamped_month_of(last) - (0 if month_is_complete(last) else 1)
    r_lo, r_hi = parse_window(recent, what="--recent") if recent else (end - 5, end)
    b_lo, b_hi = parse_window(baseline, what="--baseline") if baseline else (end - 17, end - 6)
    if not b_hi < r_lo:
        raise PeriodError("--baseline must end before --recent starts, e.g. --baseline 2025-01:2025-12 "
                          "--recent 2026-01:2026-06")
    if r_lo > end:
        raise PeriodError(f"the recent window {month_label(r_lo)}:{month_label(r_hi)} holds only months the corpus "
                          f"does not cover completely (its last complete month is {month_label(end)}): end it at "
                          f"{month_label(end)} or earlier")
    return Windows((r_lo, r_hi), (b_lo, b_hi), end)


def sample_rates(n_recent: int, n_base: int, sample_docs: int) -> tuple[float, float]:
    """The share of each window's papers the screening stage reads."""
    return min(1.0, sample_docs / n_recent), min(1.0, sample_docs / n_base)


def screen(grams: Sequence[str], recent: npt.ArrayLike, baseline: npt.ArrayLike, sizes: tuple[int, int], limit: int,
           ) -> tuple[list[str], int]:
    """(the ``limit`` most clearly rising candidates of the sample, how many candidates were screened).

    ``grams`` with their sample papers in the recent and baseline windows; ties keep the order of ``grams``."""
    ns_r, ns_b = max(sizes[0], 1), max(sizes[1], 1)
    kept = keep_candidates(grams)
    if not kept.any():
        return [], 0
    idx = np.flatnonzero(kept)
    rs = np.asarray(recent, dtype=np.float64)[idx]
    bs = np.asarray(baseline, dtype=np.float64)[idx]
    ratio_s, low_s = _ratio_bound(rs, bs, ns_r, ns_b)  # rise_statistics' ratio and bound; no p-values needed
    rising = np.flatnonzero(ratio_s > 1.0)
    order = rising[np.argsort(-low_s[rising], kind="stable")][:limit]
    return [grams[int(idx[i])] for i in order], len(idx)


def recount_groups(cands: Sequence[str]) -> tuple[list[tuple[bool, list[str]]], dict[tuple[bool, str], str]]:
    """The store's recount request for ``cands`` — ``(case_sensitive, phrases)`` groups whose members share no
    token — and the way back from a (case, phrase) found to its candidate. Acronyms match exactly, the rest
    casefolded, with the matching semantics of the query engine."""
    keys = {g: _key(g) for g in cands}
    back = {(cs, key.strip()): g for g, (key, cs) in keys.items()}
    groups: list[tuple[bool, list[str]]] = []
    for cs in (False, True):
        terms = [keys[g][0].strip() for g in cands if keys[g][1] == cs]
        groups.extend((cs, grp) for grp in _disjoint_groups(terms))
    return groups, back


def tally(rows: Sequence[tuple[int, str, list[str], int]], groups: Sequence[tuple[bool, Sequence[str]]],
          back: dict[tuple[bool, str], str], cands: Sequence[str], recent_lo: int,
          ) -> tuple[dict[str, dict[int, int]], dict[tuple[str, str], int], dict[str, dict[tuple[str, bool], int]]]:
    """Papers per month containing each candidate, recent-window co-occurrence of every pair, and papers per
    (primary category, in the recent window?) containing each candidate."""
    monthly: dict[str, dict[int, int]] = {g: {} for g in cands}
    co: dict[tuple[str, str], int] = {}
    by_cat: dict[str, dict[tuple[str, bool], int]] = {g: {} for g in cands}
    case_of = {phrase: cs for cs, grp in groups for phrase in grp}
    for month, cat, found, n in rows:
        names = sorted({back[(case_of[h], h)] for h in found})
        for g in names:
            monthly[g][month] = monthly[g].get(month, 0) + n
            key = (cat, month >= recent_lo)
            by_cat[g][key] = by_cat[g].get(key, 0) + n
        if month >= recent_lo and len(names) > 1:
            for i, x in enumerate(names):
                for y in names[i + 1:]:
                    k = (x, y) if x < y else (y, x)
                    co[k] = co.get(k, 0) + n
    return monthly, co, by_cat


def tally_docs(cands: Sequence[str], found: Sequence[Sequence[int]], docs: npt.ArrayLike, months: npt.ArrayLike,
               categories: Sequence[str], recent_lo: int,
               ) -> tuple[dict[str, dict[int, int]], dict[tuple[str, str], int], dict[str, dict[tuple[str, bool], int]]]:
    """:func:`tally` from each candidate's matching papers instead of per-paper match sets.

    ``found[i]`` holds the docs of the papers containing ``cands[i]``; ``docs`` (ascending), ``months`` and
    ``categories`` (primary category) describe every paper of the recount's months, so each found doc is one
    of ``docs``. Co-occurrence is counted in the recent window only, for every pair of candidates, as
    :func:`tally` does."""
    from scipy.sparse import csr_matrix

    doc_arr = np.asarray(docs, dtype=np.int64)
    month_arr = np.asarray(months, dtype=np.int64)
    cat_names, cat_codes = np.unique(np.asarray(categories, dtype=object).astype(str), return_inverse=True)
    monthly: dict[str, dict[int, int]] = {}
    by_cat: dict[str, dict[tuple[str, bool], int]] = {}
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    for i, (g, hits) in enumerate(zip(cands, found)):
        at = np.searchsorted(doc_arr, np.asarray(hits, dtype=np.int64))
        if len(at) and (at.max() >= len(doc_arr) or not np.array_equal(doc_arr[at], np.asarray(hits))):
            raise ValueError(f"papers containing {g!r} are missing from the papers of the recount's months")
        m = month_arr[at]
        ms, mc = np.unique(m, return_counts=True)
        monthly[g] = {int(k): int(n) for k, n in zip(ms, mc)}
        rec = m >= recent_lo
        key = cat_codes[at] * 2 + rec
        ks, kc = np.unique(key, return_counts=True)
        by_cat[g] = {(str(cat_names[k // 2]), bool(k % 2)): int(n) for k, n in zip(ks, kc)}
        rows.append(np.full(int(rec.sum()), i))
        cols.append(at[rec])
    co: dict[tuple[str, str], int] = {}
    if cands:
        r = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        c = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
        mat = csr_matrix((np.ones(len(r), dtype=np.int64), (r, c)), shape=(len(cands), max(len(doc_arr), 1)))
        both = (mat @ mat.T).tocoo()
        for x, y, n in zip(both.row, both.col, both.data):
            if x < y and n > 0:
                a, b = cands[int(x)], cands[int(y)]
                co[(a, b) if a < b else (b, a)] = int(n)
    return monthly, co, by_cat


#: A primary category with fewer baseline papers than this gives no baseline share: its recent papers count
#: as coming from a category entering the corpus.
MIN_BASELINE_CATEGORY = 30
#: A rise is a coverage shift when at least this share of the term's recent papers come from entering categories.
NEW_CATEGORY_SHARE = 0.5


def standardise(by_cat: dict[tuple[str, bool], int], cat_totals: dict[tuple[str, bool], int],
                covered: set[str] | None = None, *, phi: float = 1.0) -> tuple[float | None, float, float]:
    """(standardised ratio, its lower 95% bound, share of recent papers from entering categories) of one term.

    Expected recent papers = Σ over primary categories of (term's baseline share in the category) × (recent
    papers in the category), over categories with at least MIN_BASELINE_CATEGORY baseline papers (and, when
    ``covered`` is given, that the coverage model counts as covered during the baseline); observed =
    the term's recent papers in those categories. The bound is the exact Poisson lower limit on the observed
    count, divided by the expected (half a paper added to it, as in the unstandardised ratio); with an
    overdispersion factor ``phi`` > 1 the limit is taken on observed / phi and scaled back."""
    cats = sorted({c for c, _ in cat_totals})  # a fixed order: float sums must not depend on set order
    old = [c for c in cats if cat_totals.get((c, False), 0) >= MIN_BASELINE_CATEGORY
           and (covered is None or c in covered)]
    recent_all = sum(n for (c, rec), n in by_cat.items() if rec)
    observed = sum(by_cat.get((c, True), 0) for c in old)
    expected = sum(by_cat.get((c, False), 0) / cat_totals[(c, False)] * cat_totals.get((c, True), 0) for c in old)
    new_share = (recent_all - observed) / recent_all if recent_all else 0.0
    if not old:
        return None, 0.0, new_share
    phi = max(phi, 1.0)
    low = chi2_ppf(0.025, 2 * observed / phi) / 2 * phi if observed else 0.0
    return observed / (expected + 0.5), low / (expected + 0.5), new_share


def rank(cands: Sequence[str], monthly: dict[str, dict[int, int]], co: dict[tuple[str, str], int],
         totals: dict[int, int], w: Windows, *, screened: int, min_support: int, alpha: float,
         by_cat: dict[str, dict[tuple[str, bool], int]] | None = None,
         cat_totals: dict[tuple[str, bool], int] | None = None,
         covered: set[str] | None = None,
         overdispersed: list[str] | None = None,
         ) -> list[EmergingTerm]:
    """The survivors among the recounted candidates, most clearly rising first, aliases folded in.

    p-values, q-values and the log ratio's bound allow for each term's overdispersion across the windows'
    complete months (beta-binomial moments, :func:`dispersion`); the candidates a binomial test alone would have kept
    are appended to ``overdispersed`` when it is given.

    With ``by_cat``/``cat_totals`` (papers per primary category and window), each survivor also carries its
    category-standardised ratio and is marked a coverage shift when most of its recent papers come from
    categories entering the corpus, or when within its old categories it did not rise (the standardised
    ratio's lower bound is at most 1)."""
    (r_lo, r_hi), (b_lo, b_hi) = w.recent, w.baseline
    n_recent = sum(n for m, n in totals.items() if r_lo <= m <= r_hi)
    n_base = sum(n for m, n in totals.items() if b_lo <= m <= b_hi)
    months = list(range(b_lo, r_hi + 1))
    recent_months = [m for m in range(r_lo, r_hi + 1) if m <= w.last_complete] or list(range(r_lo, r_hi + 1))
    r_ex = np.array([sum(monthly[g].get(m, 0) for m in range(r_lo, r_hi + 1)) for g in cands], dtype=np.float64)
    b_ex = np.array([sum(monthly[g].get(m, 0) for m in range(b_lo, b_hi + 1)) for g in cands], dtype=np.float64)
    complete = [m for m in months if m <= w.last_complete and (b_lo <= m <= b_hi or r_lo <= m <= r_hi)]
    phi = dispersion(np.array([[monthly[g].get(m, 0) for m in complete] for g in cands], dtype=np.float64)
                     .reshape(len(cands), len(complete)),
                     np.array([totals.get(m, 0) for m in complete], dtype=np.float64),
                     np.array([m >= r_lo for m in complete], dtype=bool), complete) if cands else np.ones(0)
    ratio, low, p = rise_statistics(r_ex, b_ex, n_recent, n_base, dispersion=phi)
    q = benjamini_hochberg(p, screened)
    q_binomial = benjamini_hochberg(rise_statistics(r_ex, b_ex, n_recent, n_base)[2], screened)
    need_present = max(1, math.ceil(2 * len(recent_months) / 3))
    survivors = []
    for i, g in enumerate(cands):
        present = sum(1 for m in recent_months if monthly[g].get(m, 0) > 0)
        if r_ex[i] < min_support or ratio[i] <= 1 or present < need_present:
            continue
        if q[i] > alpha:
            if q_binomial[i] <= alpha and overdispersed is not None:
                overdispersed.append(g)
            continue
        series = [(month_label(m), int(monthly[g].get(m, 0)), totals.get(m, 0)) for m in months]
        shares = [c / t if t else None for _, c, t in series]
        first = next((lab for lab, c, _ in series if c > 0), month_label(b_lo))
        if first == month_label(b_lo):
            first = "<=" + first
        sr: float | None = None
        new_share, shift = 0.0, False
        if by_cat is not None and cat_totals is not None:
            sr, sr_low, new_share = standardise(by_cat[g], cat_totals, covered, phi=float(phi[i]))
            shift = new_share >= NEW_CATEGORY_SHARE or (sr is not None and sr_low <= 1.0)
        survivors.append(EmergingTerm(
            term=g, kind="acronym" if is_acronym(g) else ("phrase" if " " in g else "token"), aliases=(),
            recent=int(r_ex[i]), baseline=int(b_ex[i]), recent_share=float(r_ex[i] / n_recent),
            baseline_share=float(b_ex[i] / n_base), ratio=float(ratio[i]), log_ratio_low=float(low[i]),
            p_value=float(p[i]), q_value=float(q[i]), first_seen=first, months_present=present,
            sparkline=sparkline(shares), monthly=tuple(series), standardised_ratio=sr,
            new_category_share=new_share, coverage_shift=shift, dispersion=float(phi[i]),
        ))
    survivors.sort(key=lambda t: (-t.log_ratio_low, t.term))
    return _merge(survivors, co)


#: Tokens that may never start or end a candidate (besides numbers and single characters).
EDGE_WORDS = tuple(sorted(STOP_WORDS | BOILERPLATE))


def month_is_complete(d: date) -> bool:
    """Whether a corpus whose last paper is dated ``d`` holds all of d's month."""
    return (d.month == 12 and d.day == 31) or (d + timedelta(days=1)).month != d.month


def _key(gram: str) -> tuple[str, bool]:
    """(substring to look for, case-sensitive?) with the matching semantics of the query engine."""
    if " " not in gram and is_acronym(gram):
        return phrase_key(tokens(gram, case_sensitive=True)), True
    return phrase_key(tokens(gram)), False


def candidate_phrase(gram: str) -> Phrase:
    """The query-engine phrase a candidate counts as (title or abstract): acronyms exactly, the rest
    casefolded; the plan the term index answers a recount with."""
    key, cs = _key(gram)
    return Phrase(tokens=tuple(key.split()), case_sensitive=cs, fields=("title", "abstract"))


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


def _initials_related(acronym: str, phrase: str) -> bool:
    """Do the phrase's initials spell a contiguous part (>= 2 letters) of the acronym (group relative -> GRPO)?"""
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
