"""The adoption rules: thresholds and the sentences that state them (repeated in the JSON under ``rules``)."""

ONSET_RUN = 3
ONSET_MIN_SUM = 5
TAKEOFF_MIN_MONTHS = 6
MK_MONTHS = 12
BASS_M_SPREAD = 4.0
CHI2_95 = 3.841458820694124  # chi-square(1) 95% quantile: the profile-likelihood threshold
LOF_ALPHA = 0.01  # a fit fails its lack-of-fit check when either test's p-value is below this
LOF_MIN_EXPECTED = 2.0  # only months expected to hold at least this many papers enter the lack-of-fit tests
MIDPOINT_MARGIN = 3  # months: a logistic midpoint earlier than the first fitted month minus this is not identified
KLEINBERG_MAX_SHARE = 0.5  # bursts need the burst rate s * base share (s = 2) to be a probability
CENSOR_MARGIN = 2  # months: an onset this close to the start of its covered span is left-censored
COVERED_WEIGHT = 0.5  # a month is covered for a series when categories holding this much of its papers are
PARTIAL_WEIGHT = 0.2  # ... and partly seen when they hold this much: enough to see a term absent
ABSENT_FACTOR = 0.25  # absent before: a share under this fraction of the share in the span's first 3 months
ABSENT_MONTHS = 6  # partly seen months before the span needed to call a term absent there

RULES = {
    "introduction": f"--introduced / --origin when given, else the first month starting {ONSET_RUN} consecutive "
    f"months each with >= 1 matching paper and >= {ONSET_MIN_SUM} together",
    "milestones": "months after the introduction month (0 = the introduction month itself); papers counted from it",
    "growth": "share growth: Poisson log-linear fit of counts with log(total) offset, from the introduction to the "
    f"first month whose 3-month mean share reaches half the peak share (at least {TAKEOFF_MIN_MONTHS} months); "
    "95% interval with quasi-Poisson dispersion",
    "trend_test": f"Mann-Kendall on the share of the last {MK_MONTHS} complete months, two-sided, alpha 0.05",
    "fits": "maximum likelihood (logistic: binomial on share; Bass: Poisson on counts with the month's papers as "
    "exposure, m at the window's mean papers a month) from the introduction on, complete covered months only; "
    "95% profile-likelihood intervals scaled by the Pearson dispersion, each limit from converged inner fits "
    "(warm-started along the profile): 'unbounded' when the profile never crosses, 'not computed' when the "
    "optimiser could not settle; K or m is a lower bound when the "
    "inflection is not behind the last complete month with 95% confidence (Bass: the fitted peak is not behind it, "
    f"or m's interval is unbounded or reaches beyond {BASS_M_SPREAD:g}x m); not identified (no value, no bound) "
    f"when the fit fails its lack-of-fit check or the midpoint is more than {MIDPOINT_MARGIN} months before the "
    "first fitted month",
    "bursts": "Kleinberg two-state automaton (s=2, gamma=1) on monthly (count, total) from the introduction on, "
    f"over complete covered months; not computed when the mean share is above {KLEINBERG_MAX_SHARE:.0%} (the "
    "burst state's rate, twice the base share, would not be a probability)",
    "coverage": f"every number is computed inside the series' covered span, over its complete covered months: a "
    f"month is covered when covered categories hold >= {COVERED_WEIGHT:.0%} of the series' papers (weighed by "
    "its matches per primary category); the span runs from the first to the last run of 3 covered months. An "
    f"onset within {CENSOR_MARGIN} months of the span's start (or a given introduction before it) is "
    "left-censored - months to N papers, the take-off, Bass and the speed rank are not given - unless the "
    f">= {ABSENT_MONTHS} months before it where categories holding >= {PARTIAL_WEIGHT:.0%} of its papers are "
    f"covered show it absent (share below {ABSENT_FACTOR:g}x its share in the span's first 3 months). Results "
    "whose months fall on or span a coverage change say so (coverage_caveats)",
    "lack_of_fit": f"always run on each fit's Pearson residuals (months expected to hold >= {LOF_MIN_EXPECTED:g} "
    "papers): a runs test of their signs (too few runs, "
    f"one-sided) and a one-sample t-test of the last {MK_MONTHS} months' residuals against zero "
    f"(two-sided); a fit fails when either p < {LOF_ALPHA:g}, and a failing fit is not identified",
}

