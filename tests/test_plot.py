"""Figures of a Trend (uptake.outputs.plot), checked through matplotlib's artists and the files written."""

from __future__ import annotations

import re
import struct
from dataclasses import replace
from datetime import date
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
from matplotlib.colors import to_hex, to_rgba

from uptake.analytics.trends import CorpusInfo, Trend, TrendSeries, build_trend
from uptake.errors import UsageError
from uptake.outputs.plot import PALETTE, plot_trend, save_figure
from uptake.periods import parse_month

# Okabe & Ito (2008), "Color Universal Design": blue, vermillion, bluish green, reddish purple,
# orange, sky blue, black, yellow.
OKABE_ITO = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]

JAN, JUN = parse_month("2025-01"), parse_month("2025-06")


def make_trend(*, n_series: int = 3, measure: str = "share", last: date | None = date(2025, 5, 20),
               smooth: int = 1, filters: dict | None = None) -> Trend:
    """Six months, 2025-01..06; the corpus ends 2025-05-20, so May and June are incomplete."""
    labels = ["GRPO", "PPO", "DPO", "KTO", "IPO", "ORPO", "SimPO", "RLOO", "REINFORCE"][:n_series]
    counts = [{JAN + k: (i + 1) * (k + 1) for k in range(6)} for i in range(n_series)]
    totals = [dict.fromkeys(range(JAN, JUN + 1), 100) for _ in range(n_series)]
    return build_trend(
        query=", ".join(labels), labels=labels, counts=counts, totals=totals, start_month=JAN, end_month=JUN,
        corpus=CorpusInfo(papers=600, first="2025-01-01", last=last.isoformat() if last else "2025-06-30"),
        corpus_last_date=last, measure=measure, smooth=smooth,  # type: ignore[arg-type]
        filters=filters if filters is not None else {"field": "any", "case_sensitive": False, "category": []},
    )


def with_ratio(trend: Trend) -> Trend:
    """The trend plus a derived ratio series GRPO / PPO, as analytics.derived builds it."""
    grpo, ppo = trend.series[0], trend.series[1]
    points = tuple(replace(g, share=g.count / p.count, share_low=None, share_high=None)
                   for g, p in zip(grpo.points, ppo.points, strict=True))
    ratio = TrendSeries(label="GRPO / PPO", points=points, unit="ratio of paper counts (GRPO / PPO)")
    return replace(trend, series=(*trend.series, ratio))


@pytest.fixture(autouse=True)
def _close_figures():  # type: ignore[no-untyped-def]
    yield
    plt.close("all")


def data_lines(ax):  # type: ignore[no-untyped-def]
    return [ln for ln in ax.get_lines() if len(ln.get_xdata())]


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


# ----------------------------------------------------------------------------------------- files
def test_png_is_1200_by_600(tmp_path: Path) -> None:
    before = set(plt.get_fignums())  # figures other tests left open are not this test's business
    out = save_figure(plot_trend(make_trend()), tmp_path / "sub" / "trend.png")
    assert out == tmp_path / "sub" / "trend.png" and out.exists()
    assert png_size(out) == (1200, 600)
    assert set(plt.get_fignums()) <= before  # save_figure closes the figure it saved


def test_svg_is_12_by_6_inches_and_byte_stable(tmp_path: Path) -> None:
    a = save_figure(plot_trend(make_trend()), tmp_path / "a.svg")
    b = save_figure(plot_trend(make_trend()), tmp_path / "b.SVG")
    text = a.read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    # 1200 x 600 px at 100 dpi is 12 x 6 in, i.e. 864 x 432 pt.
    assert re.search(r'<svg[^>]*\bwidth="864pt"[^>]*\bheight="432pt"', text, re.DOTALL)
    assert a.read_bytes() == b.read_bytes()  # no date in the metadata


def test_other_suffixes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"\.png or \.svg"):
        save_figure(plot_trend(make_trend()), tmp_path / "trend.pdf")
    assert not (tmp_path / "trend.pdf").exists()


# ------------------------------------------------------------------------------------------ lines
def test_colours_are_okabe_ito_in_series_order() -> None:
    assert [c.upper() for c in PALETTE[:8]] == OKABE_ITO
    ax = plot_trend(make_trend(n_series=9))
    solid = [ln for ln in data_lines(ax) if ln.get_linestyle() == "-"]
    assert [ln.get_label().split("  (")[0] for ln in solid] == [s.label for s in make_trend(n_series=9).series]
    colours = [to_hex(ln.get_color()).upper() for ln in solid]
    assert colours == OKABE_ITO + [OKABE_ITO[0]]  # the ninth series starts the palette again


def test_complete_points_solid_with_values_in_percent() -> None:
    trend = make_trend()
    ax = plot_trend(trend)
    grpo = next(ln for ln in data_lines(ax) if ln.get_label().startswith("GRPO"))
    assert grpo.get_linestyle() == "-" and grpo.get_marker() == "o"
    # Jan..Apr are complete; shares 1%, 2%, 3%, 4% of 100 papers, drawn in percent.
    assert list(grpo.get_ydata()) == pytest.approx([1.0, 2.0, 3.0, 4.0])
    assert grpo.get_label() == "GRPO  (21 papers)"
    assert ax.get_ylabel() == "Share of papers (%)"


def test_incomplete_periods_hollow_and_dashed() -> None:
    ax = plot_trend(make_trend(n_series=2))
    for colour, label in zip(OKABE_ITO, ("GRPO", "PPO"), strict=False):
        mine = [ln for ln in data_lines(ax) if to_hex(ln.get_color()).upper() == colour]
        dashed = [ln for ln in mine if ln.get_linestyle() not in ("-", "None", "none", "")]
        # Marker-only artists: identified by their marker edge, the colour one sees.
        hollow = [ln for ln in data_lines(ax) if ln.get_linestyle() in ("None", "none", "")
                  and to_hex(ln.get_markeredgecolor()).upper() == colour]
        assert len(dashed) == 1 and len(hollow) == 1, label
        # The dashed line joins the last complete month (Apr) to the incomplete ones (May, Jun).
        assert [d.month for d in map(_as_date, dashed[0].get_xdata())] == [4, 5, 6]
        markers = hollow[0]
        assert [d.month for d in map(_as_date, markers.get_xdata())] == [5, 6]
        assert markers.get_marker() == "o"
        face = markers.get_markerfacecolor()
        assert face == "none" or to_rgba(face) == to_rgba("white"), f"{label}: incomplete markers are filled ({face})"
        assert to_hex(markers.get_markeredgecolor()).upper() == colour
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "incomplete period (corpus ends mid-period)" in legend


def _as_date(x):  # type: ignore[no-untyped-def]
    return x if isinstance(x, date) else matplotlib.dates.num2date(x).date()


def test_a_complete_trend_has_no_dashes() -> None:
    ax = plot_trend(make_trend(last=date(2025, 6, 30)))
    assert all(ln.get_linestyle() == "-" for ln in data_lines(ax))
    assert "incomplete period (corpus ends mid-period)" not in [t.get_text() for t in ax.get_legend().get_texts()]


def test_wilson_bands_only_for_unsmoothed_shares() -> None:
    def bands(ax):  # type: ignore[no-untyped-def]
        return [c for c in ax.collections if c.__class__.__name__ in ("PolyCollection", "FillBetweenPolyCollection")]

    ax = plot_trend(make_trend(n_series=3))
    assert len(bands(ax)) == 3
    assert "95% Wilson interval" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert bands(plot_trend(make_trend(smooth=3))) == []
    assert bands(plot_trend(make_trend(measure="count"))) == []
    assert bands(plot_trend(make_trend(), bands=False)) == []


def test_count_measure_axis() -> None:
    ax = plot_trend(make_trend(measure="count", n_series=1))
    assert ax.get_ylabel() == "Papers"
    assert list(data_lines(ax)[0].get_ydata()) == pytest.approx([1, 2, 3, 4])
    ax = plot_trend(make_trend(measure="count", n_series=1, smooth=3))
    assert ax.get_ylabel() == "Papers (3-month centred moving average)"


# ------------------------------------------------------------------------------------------ ratio
def test_ratio_series_on_a_right_hand_axis() -> None:
    trend = with_ratio(make_trend(n_series=2))
    ax = plot_trend(trend)
    fig = ax.figure
    assert len(fig.axes) == 2
    right = next(a for a in fig.axes if a is not ax)
    assert right.get_ylabel() == "Ratio of paper counts"
    assert right.yaxis.get_label_position() == "right"
    ratio_lines = data_lines(right)
    seen = [ln.get_markeredgecolor() if ln.get_linestyle() == "None" else ln.get_color() for ln in ratio_lines]
    assert len(ratio_lines) == 3 and all(to_hex(c).upper() == OKABE_ITO[2] for c in seen)
    # The ratio is drawn unscaled (GRPO / PPO = 0.5 every month), not in percent.
    solid = next(ln for ln in ratio_lines if ln.get_linestyle() == "-")
    assert list(solid.get_ydata()) == pytest.approx([0.5] * 4)
    assert solid.get_label() == "GRPO / PPO  (ratio, right axis)"
    assert not any(ln.get_label().startswith("GRPO / PPO") for ln in data_lines(ax))
    # One legend on the main axes lists the ratio too.
    assert "GRPO / PPO  (ratio, right axis)" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert right.get_ylim()[0] == 0


def test_no_right_axis_without_a_ratio() -> None:
    assert len(plot_trend(make_trend()).figure.axes) == 1


# ------------------------------------------------------------------------------- caption and title
def caption(ax) -> str:  # type: ignore[no-untyped-def]
    return " ".join(t.get_text() for t in ax.figure.texts).replace("\n", " ")


def test_caption_states_method_and_case() -> None:
    text = caption(plot_trend(make_trend()))
    assert "600 papers (2025-01-01 to 2025-05-20)" in text
    assert "dated by first version" in text
    assert "whole-word match in title+abstract" in text
    assert "case-insensitive" in text and "case-sensitive" not in text
    assert "share = matching papers / all papers in the period under the same filters" in text
    text = caption(plot_trend(make_trend(filters={"field": "title", "case_sensitive": True, "category": ["cs.LG"]})))
    assert "whole-word match in title" in text and "title+abstract" not in text
    assert "case-sensitive" in text and "case-insensitive" not in text
    assert "categories: cs.LG" in text
    assert "share =" not in caption(plot_trend(make_trend(measure="count")))


def test_title() -> None:
    ax = plot_trend(make_trend(n_series=2))
    assert ax.get_title(loc="left") == "arXiv papers mentioning GRPO and PPO: share of all papers"
    ax = plot_trend(make_trend(n_series=1, measure="count", filters={"category": ["cs.LG"]}))
    assert ax.get_title(loc="left") == "arXiv papers mentioning GRPO: papers per month (cs.LG)"
    assert plot_trend(make_trend(), title="Mine").get_title(loc="left") == "Mine"


def test_drawing_on_a_given_axes_adds_no_caption() -> None:
    fig, ax = plt.subplots()
    assert plot_trend(make_trend(), ax=ax) is ax
    assert fig.texts == []


def test_uptake_plot_draws_the_same() -> None:
    import uptake

    ax = uptake.plot(make_trend())
    assert len([ln for ln in data_lines(ax) if ln.get_linestyle() == "-"]) == 3


def test_right_axis_labels_fit_in_the_figure(tmp_path: Path) -> None:
    """The ratio axis's tick labels and its title are inside the 1200 x 600 image, not cut off."""
    ax = plot_trend(with_ratio(make_trend(n_series=2)))
    fig = ax.figure
    right = next(a for a in fig.axes if a is not ax)
    renderer = fig.canvas.get_renderer()
    fig.draw(renderer)
    width = fig.bbox.width
    ticks = [t for t in right.get_yticklabels() if t.get_visible() and t.get_text()]
    assert ticks
    for artist in [*ticks, right.yaxis.label]:
        box = artist.get_window_extent(renderer)
        assert box.x1 <= width, f"{artist.get_text()!r} ends at x={box.x1:.0f}, past the figure's {width:.0f}"


def test_legend_is_not_drawn_over_by_the_ratio_axis() -> None:
    """The legend lives on the main axes; those must be drawn above the twin axes or ratio lines cross it."""
    ax = plot_trend(with_ratio(make_trend(n_series=2)))
    right = next(a for a in ax.figure.axes if a is not ax)
    assert ax.get_legend() is not None
    assert ax.get_zorder() > right.get_zorder()
    assert not ax.patch.get_visible()  # else the main axes' background would hide the ratio lines


def test_caption_lines_fit_the_figure_and_keep_every_word() -> None:
    """Captions wrap by the width the font draws, not by a count of characters: a caption of wide letters
    (which 185 characters per line pushed past the right edge) stays inside the figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.font_manager import FontProperties

    from uptake.outputs.plot import caption_lines

    fig = plt.figure(figsize=(12, 6.5), dpi=100)
    try:
        renderer = fig.canvas.get_renderer()
        room = 12 * 100 * 0.98
        for text in ("WMW MMW " * 60, "ii il " * 200, "coverage: GRPO: the take-off window 2024-12..2025-09 spans a "
                     "coverage change; " * 12):
            lines = caption_lines(fig, text, fontsize=8.5)
            assert " ".join(lines).split() == text.split()
            widths = [renderer.get_text_width_height_descent(line, FontProperties(size=8.5), ismath=False)[0]
                      for line in lines]
            assert max(widths) <= room
            assert all(w + renderer.get_text_width_height_descent(" " + nxt.split()[0], FontProperties(size=8.5),
                                                                   ismath=False)[0] > room * 0.9
                       for w, nxt in zip(widths, lines[1:]))  # lines are filled, not broken early
    finally:
        plt.close(fig)
