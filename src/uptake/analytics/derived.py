"""Arithmetic on series, as the Ngram Viewer: ``(DPO + IPO + KTO)``, ``GRPO / PPO``, ``GRPO - PPO``.

Each operand is counted as its own series; the derived series combines them
period by period:

- ``+`` and ``-`` add or subtract the operands' values in the trend's measure
  (shares of papers, or paper counts). A paper mentioning two operands counts
  in both, exactly as summing two Ngram lines does.
- ``/`` divides paper counts: the derived value is a ratio (``None`` where the
  denominator has no papers), whatever the measure.

Every derived series states its unit (``TrendSeries.unit``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..errors import QueryError, UsageError
from ..query.ast import Arith, Formula, Operand, Query, Series
from .trends import Point, Trend, TrendSeries, centred_moving_average

_PREFIX = "\x00operand"


def split_formulas(query: Query) -> tuple[Query, list[tuple[int, Series]]]:
    """Replace each arithmetic series by its operands (internal series); return them with their places."""
    out: list[Series] = []
    formulas: list[tuple[int, Series]] = []
    for i, s in enumerate(query.series):
        if s.formula is None:
            out.append(s)
            continue
        formulas.append((i, s))
        for j, leaf in enumerate(_leaves(s.formula)):
            out.append(Series(label=f"{_PREFIX}{i}.{j}\x00{leaf.label}", expr=leaf.expr, position=leaf.position))
    return Query(text=query.text, series=tuple(out)), formulas


def _leaves(node: Formula) -> list[Operand]:
    if isinstance(node, Operand):
        return [node]
    return _leaves(node.left) + _leaves(node.right)


def _kind(node: Formula, query: str) -> str:
    """'papers' for counts or shares, 'ratio' for a quotient; + and - need operands of one kind."""
    if isinstance(node, Operand):
        return "papers"
    left, right = _kind(node.left, query), _kind(node.right, query)
    if node.op == "/":
        if left != "papers" or right != "papers":
            raise QueryError("a ratio can only divide series of papers, not another ratio", query=query,
                             position=node.position, hint="e.g. (DPO + IPO) / PPO")
        return "ratio"
    if left != right:
        raise QueryError(f"cannot {'add' if node.op == '+' else 'subtract'} a ratio and a series of papers",
                         query=query, position=node.position, hint="keep / outermost, e.g. (A + B) / C")
    return left


def apply_formulas(trend: Trend, formulas: list[tuple[int, Series]], query_text: str) -> Trend:
    """The trend with operand series folded back into their derived series, in the query's order."""
    if not formulas:
        return trend
    by_label = {s.label: s for s in trend.series}
    plain = [s for s in trend.series if not s.label.startswith(_PREFIX)]
    derived: dict[int, TrendSeries] = {}
    for i, series in formulas:
        assert series.formula is not None
        kind = _kind(series.formula, query_text)
        if kind == "ratio" and trend.measure == "count":
            raise UsageError(f"{series.label!r} is a ratio of paper counts: draw it with --measure share (the default)")
        leaves = _leaves(series.formula)
        operands = [by_label[f"{_PREFIX}{i}.{j}\x00{leaf.label}"] for j, leaf in enumerate(leaves)]
        values: dict[int, TrendSeries] = {id(leaf): op for leaf, op in zip(leaves, operands)}
        n = len(operands[0].points)
        raw: list[tuple[float | None, float | None]] = [_eval(series.formula, values, t, trend.measure) for t in range(n)]
        smoothed = (centred_moving_average([v for _, v in raw], trend.smooth) if trend.smooth > 1 else [None] * n)
        first = operands[0].points
        points = []
        for t in range(n):
            count_v, value = raw[t]
            if kind == "ratio":
                num, _den = _counts(series.formula, values, t)
                points.append(Point(period=first[t].period, count=int(num), total=first[t].total, share=value,
                                    complete=first[t].complete, smoothed=smoothed[t]))
            else:
                share = value if trend.measure == "share" else (
                    (count_v / first[t].total) if first[t].total and count_v is not None else None)
                points.append(Point(period=first[t].period, count=int(count_v or 0), total=first[t].total,
                                    share=share, complete=first[t].complete, smoothed=smoothed[t]))
        derived[i] = TrendSeries(label=series.label, points=tuple(points), unit=_unit(series, kind, trend))
    ordered: list[TrendSeries] = []
    plain_iter = iter(plain)
    for i in range(len(plain) + len(formulas)):
        ordered.append(derived[i] if i in derived else next(plain_iter))
    return replace(trend, series=tuple(ordered))


def _unit(series: Series, kind: str, trend: Trend) -> str:
    if kind == "ratio":
        return (f"ratio of paper counts ({series.label}), in the share field; count is the numerator's papers, "
                f"total all papers in the period")
    base = "share of papers (fraction)" if trend.measure == "share" else "papers"
    return f"{base}, operands added/subtracted as written ({series.label}); papers in several operands count in each"


def _eval(node: Formula, values: dict[int, TrendSeries], t: int, measure: str) -> tuple[float | None, float | None]:
    """(count value, plotted value) of ``node`` at period ``t``."""
    if isinstance(node, Operand):
        p = values[id(node)].points[t]
        return float(p.count), (p.share if measure == "share" else float(p.count))
    assert isinstance(node, Arith)
    if node.op == "/":
        num, den = _counts(node.left, values, t)[0], _counts(node.right, values, t)[0]
        r = num / den if den else None
        return r, r
    lc, lv = _eval(node.left, values, t, measure)
    rc, rv = _eval(node.right, values, t, measure)
    sign = 1 if node.op == "+" else -1
    count = None if lc is None or rc is None else lc + sign * rc
    value = None if lv is None or rv is None else lv + sign * rv
    return count, value


def _counts(node: Formula, values: dict[int, TrendSeries], t: int) -> tuple[float, float]:
    """(numerator, denominator) paper counts of a ratio node, or (count, 0) for a sum of papers."""
    if isinstance(node, Operand):
        return float(values[id(node)].points[t].count), 0.0
    if node.op == "/":
        return _counts(node.left, values, t)[0], _counts(node.right, values, t)[0]
    sign = 1 if node.op == "+" else -1
    return _counts(node.left, values, t)[0] + sign * _counts(node.right, values, t)[0], 0.0


def to_json_extra(trend: Trend) -> dict[str, Any]:
    return {s.label: s.unit for s in trend.series if getattr(s, "unit", None)}
