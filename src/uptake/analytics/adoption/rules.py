"""The adoption rules: thresholds and the sentences that state them (repeated in the JSON under ``rules``)."""

ONSET_RUN = 3
ONSET_MIN_SUM = 5
TAKEOFF_MIN_MONTHS = 6
MK_MONTHS = 12
BASS_M_SPREAD = 4.0
CHI2_95 = 3.841458820694124  # chi-square(1) 95% quantile: the profile-likelihood threshold

RULES = {
    "introduction": f"--introduced / --origin when given, else the first month starting {ONSET_RUN} consecutive "
    f"months each with >= 1 matching paper and >= {ONSET_MIN_SUM} together",
    "milestones": "months after the introduction month (0 = the introduction month itself); papers counted from it",
    "growth": "share growth: Poisson log-linear fit of counts with log(total) offset, from the introduction to the "
    f"first month whose 3-month mean share reaches half the peak share (at least {TAKEOFF_MIN_MONTHS} months); "
    "95% interval with quasi-Poisson dispersion",
    "trend_test": f"Mann-Kendall on the share of the last {MK_MONTHS} complete months, two-sided, alpha 0.05",
    "fits": "maximum likelihood (logistic: binomial on share; Bass: Poisson on counts) from the introduction on; "
    "95% profile-likelihood intervals scaled by the Pearson dispersion; K or m is a lower bound when the "
    "inflection is not behind the last complete month with 95% confidence (Bass: the fitted peak is not behind it, "
    f"or m's interval is unbounded or reaches beyond {BASS_M_SPREAD:g}x m)",
    "bursts": "Kleinberg two-state automaton (s=2, gamma=1) on monthly (count, total) from the introduction on",
}

