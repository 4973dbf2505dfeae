// A small SVG line chart for uptake trends, written for this page (no library).
// Colours, strokes and fonts are SVG attributes, so an exported SVG/PNG looks the same as the screen.

export const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#B8A000",
  "#7F3C8D", "#8C564B", "#7F7F7F", "#E73F74"];
const NS = "http://www.w3.org/2000/svg";
const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, 'Liberation Sans', sans-serif";

function el(name, attrs = {}, parent = null) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) node.setAttribute(k, String(v));
  if (parent) parent.appendChild(node);
  return node;
}

export function valueOf(trend, p) {
  if (trend.filters.smooth > 1) return p.smoothed;
  return trend.filters.measure === "count" ? p.count : p.share;
}

// Series derived by division (GRPO / PPO) carry a ratio of paper counts in their share field.
export function isRatio(s) {
  return !!s && typeof s.unit === "string" && s.unit.startsWith("ratio");
}

export function formatRatio(v) {
  if (v === null || v === undefined) return "–";
  return (Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(3)).toString()) + "×";
}

export function formatValue(trend, v, digits = 3, s = null) {
  if (v === null || v === undefined) return "–";
  if (isRatio(s)) return formatRatio(v);
  if (trend.filters.measure === "count") return trend.filters.smooth > 1 ? v.toFixed(1) : Math.round(v).toLocaleString("en");
  return formatPct(v, digits);
}

export function formatPct(v, digits = 3) {
  if (v === null || v === undefined) return "–";
  if (v === 0) return "0%";
  const x = v * 100;
  return (Math.abs(x) >= 100 ? x.toFixed(0) : Number(x.toPrecision(digits)).toString()) + "%";
}

function niceStep(range, target) {
  const raw = range / Math.max(1, target);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * mag;
}

function tickLabel(trend, v, step, ratio = false) {
  if (ratio) return v.toLocaleString("en", { maximumFractionDigits: Math.max(0, Math.min(3, -Math.floor(Math.log10(step) + 1e-9))) }) + "×";
  if (trend.filters.measure === "count") return v.toLocaleString("en", { maximumFractionDigits: step < 1 ? 1 : 0 });
  const pct = v * 100, stepPct = step * 100;
  const decimals = Math.max(0, Math.min(4, -Math.floor(Math.log10(stepPct) + 1e-9)));
  return pct.toFixed(stepPct >= 1 ? 0 : decimals) + "%";
}

// Render `trend` (the /api/trend JSON) into `container`. Returns a handle for hover/selection updates.
export function renderChart(container, trend, opts) {
  const hidden = opts.hidden || new Set();
  const width = Math.max(300, Math.round(container.clientWidth || 800));
  const phone = width < 520;
  // Tall enough to read, short enough that the chart and its note fit a 1280x800 screen under the form.
  const room = (typeof window !== "undefined" && window.innerHeight) ? window.innerHeight - 360 : 520;
  const height = Math.round(Math.max(phone ? 260 : 300, Math.min(520, width * (phone ? 0.9 : 0.6), phone ? 1e9 : room)));
  const series = trend.series;
  // Ratio series (GRPO / PPO) get their own right-hand axis when shares or counts share the chart,
  // and the left axis when they are alone.
  const visibleAt = (i) => !hidden.has(i);
  const anyLeft = series.some((s, i) => visibleAt(i) && !isRatio(s));
  const onRight = (s) => isRatio(s) && anyLeft;
  const rightAxis = series.some((s, i) => visibleAt(i) && onRight(s));
  const leftRatio = !anyLeft && series.some((s, i) => visibleAt(i) && isRatio(s));
  const m = { left: phone ? 44 : 60, right: rightAxis ? (phone ? 40 : 54) : (phone ? 10 : 18), top: 18, bottom: phone ? 40 : 44 };
  const W = width - m.left - m.right, H = height - m.top - m.bottom;
  const periods = series.length ? series[0].points.map((p) => p.period) : [];
  const n = periods.length;
  const bands = trend.filters.measure === "share" && !(trend.filters.smooth > 1);
  const visible = series.map((s, i) => !hidden.has(i));

  let ymax = 0, ymax2 = 0;
  series.forEach((s, i) => {
    if (!visible[i]) return;
    for (const p of s.points) {
      const v = valueOf(trend, p);
      if (onRight(s)) { if (v !== null && v !== undefined) ymax2 = Math.max(ymax2, v); continue; }
      if (v !== null && v !== undefined) ymax = Math.max(ymax, v);
      if (isRatio(s)) continue;
      // Bands count toward the scale only where the series has data, so one noisy empty month cannot flatten the chart.
      if (bands && p.share_ci95 && p.count > 0) ymax = Math.max(ymax, Math.min(p.share_ci95[1], v * 3 + 1e-9));
    }
  });
  if (ymax <= 0) ymax = leftRatio ? 1 : trend.filters.measure === "count" ? 1 : 0.01;
  const step = niceStep(ymax, phone ? 4 : 5);
  // A share never exceeds 100%: the axis stops there even when a Wilson band would reach past it.
  const shareAxis = !leftRatio && trend.filters.measure !== "count";
  const ytop = shareAxis ? Math.min(1, Math.ceil((ymax * 1.04) / step) * step) : Math.ceil((ymax * 1.04) / step) * step;
  const step2 = niceStep(ymax2 > 0 ? ymax2 : 1, phone ? 4 : 5);
  const ytop2 = Math.ceil(((ymax2 > 0 ? ymax2 : 1) * 1.04) / step2) * step2;
  const x = (i) => m.left + (n <= 1 ? W / 2 : (i * W) / (n - 1));
  const y = (v) => m.top + H - (Math.min(v, ytop) / ytop) * H;
  const y2 = (v) => m.top + H - (Math.min(v, ytop2) / ytop2) * H;
  const yOf = (si) => (onRight(series[si]) ? y2 : y);

  const svg = el("svg", {
    xmlns: NS, viewBox: `0 0 ${width} ${height}`, width, height, role: "img", tabindex: 0,
    "font-family": FONT, "font-size": 12, "aria-label": `Chart of ${series.map((s) => s.label).join(", ")}`,
  });
  el("rect", { x: 0, y: 0, width, height, fill: "#ffffff" }, svg);

  // Incomplete periods: a light hatch-like band behind everything.
  const firstSeries = series[0];
  if (firstSeries) {
    const halfStep = n > 1 ? W / (n - 1) / 2 : W / 2;
    firstSeries.points.forEach((p, i) => {
      if (p.complete) return;
      const x0 = Math.max(m.left, x(i) - halfStep), x1 = Math.min(m.left + W, x(i) + halfStep);
      el("rect", { x: x0, y: m.top, width: Math.max(1, x1 - x0), height: H, fill: "#f3ecdc", class: "incomplete-band" }, svg);
    });
    const lastIdx = n - 1;
    if (n && !firstSeries.points[lastIdx].complete) {
      const t = el("text", { x: Math.min(m.left + W - 2, x(lastIdx) + halfStep - 3), y: m.top + 11, "text-anchor": "end",
        fill: "#8a6d2b", "font-size": 10.5 }, svg);
      t.textContent = "incomplete";
    }
  }

  // Grid and y axis.
  const grid = el("g", { class: "grid" }, svg);
  for (let v = 0; v <= ytop + step / 2; v += step) {
    const yy = y(v);
    el("line", { x1: m.left, x2: m.left + W, y1: yy, y2: yy, stroke: v === 0 ? "#9aa3b2" : "#e6e9ef", "stroke-width": 1 }, grid);
    const t = el("text", { x: m.left - 6, y: yy + 4, "text-anchor": "end", fill: "#5b6475" }, grid);
    t.textContent = tickLabel(trend, v, step, leftRatio);
  }
  if (rightAxis) {
    for (let v = 0; v <= ytop2 + step2 / 2; v += step2) {
      const t = el("text", { x: m.left + W + 6, y: y2(v) + 4, "text-anchor": "start", fill: "#5b6475", class: "ratio-tick" }, grid);
      t.textContent = tickLabel(trend, v, step2, true);
    }
    const rlab = el("text", { x: width - 6, y: m.top + H / 2, transform: `rotate(90 ${width - 6} ${m.top + H / 2})`,
      "text-anchor": "middle", fill: "#5b6475", "font-size": 11.5 }, svg);
    rlab.textContent = "ratio of paper counts";
    if (phone) rlab.setAttribute("display", "none");
  }
  const ylab = el("text", { x: 12, y: m.top + H / 2, transform: `rotate(-90 12 ${m.top + H / 2})`, "text-anchor": "middle",
    fill: "#5b6475", "font-size": 11.5 }, svg);
  ylab.textContent = leftRatio ? "ratio of paper counts" : trend.filters.measure === "count" ? "papers" : "share of papers";
  if (phone) ylab.setAttribute("display", "none");

  // X axis ticks: about one label per 90 px, aligned to years when possible.
  const maxLabels = Math.max(2, Math.floor(W / (phone ? 70 : 90)));
  let every = Math.max(1, Math.ceil(n / maxLabels));
  const by = trend.filters.by;
  const perYear = by === "month" ? 12 : by === "quarter" ? 4 : 1;
  if (every > perYear / 2 && perYear > 1) every = Math.ceil(every / perYear) * perYear;
  const xt = el("g", { class: "xticks" }, svg);
  periods.forEach((label, i) => {
    const isYearStart = by === "year" || label.endsWith("-01") || label.endsWith("-Q1");
    const show = every >= perYear && perYear > 1 ? isYearStart && (Number(label.slice(0, 4)) % (every / perYear) === 0) : i % every === 0;
    if (!show) return;
    el("line", { x1: x(i), x2: x(i), y1: m.top + H, y2: m.top + H + 4, stroke: "#9aa3b2" }, xt);
    const anchor = x(i) > m.left + W - 24 ? "end" : x(i) < m.left + 24 && i > 0 ? "start" : "middle";
    const t = el("text", { x: anchor === "end" ? Math.min(x(i) + 6, width - 2) : x(i), y: m.top + H + 17, "text-anchor": anchor, fill: "#5b6475" }, xt);
    t.textContent = every >= perYear && perYear > 1 ? label.slice(0, 4) : label;
  });

  // Bands, then lines, then points, so points stay on top.
  const colour = (i) => PALETTE[i % PALETTE.length];
  const runs = (pts, ok) => {
    const out = []; let cur = [];
    pts.forEach((p, i) => { if (ok(p)) cur.push(i); else { if (cur.length) out.push(cur); cur = []; } });
    if (cur.length) out.push(cur);
    return out;
  };
  const layer = el("g", { class: "series-layer" }, svg);
  series.forEach((s, si) => {
    if (!visible[si]) return;
    const g = el("g", { class: "series", "data-series": si, "data-label": s.label }, layer);
    const y = yOf(si);
    if (bands && !isRatio(s)) {
      for (const run of runs(s.points, (p) => p.share_ci95)) {
        if (run.length < 2) continue;
        const top = run.map((i) => `${x(i).toFixed(1)},${y(s.points[i].share_ci95[1]).toFixed(1)}`);
        const bottom = run.slice().reverse().map((i) => `${x(i).toFixed(1)},${y(s.points[i].share_ci95[0]).toFixed(1)}`);
        el("polygon", { points: top.concat(bottom).join(" "), fill: colour(si), "fill-opacity": 0.11, stroke: "none", class: "band", "pointer-events": "none" }, g);
      }
    }
    const pts = s.points;
    const val = (i) => valueOf(trend, pts[i]);
    let solid = "", dashed = "";
    for (let i = 1; i < n; i++) {
      const a = val(i - 1), b = val(i);
      if (a === null || a === undefined || b === null || b === undefined) continue;
      const seg = `M${x(i - 1).toFixed(1)},${y(a).toFixed(1)}L${x(i).toFixed(1)},${y(b).toFixed(1)}`;
      if (pts[i - 1].complete && pts[i].complete) solid += seg; else dashed += seg;
    }
    el("path", { d: solid || "M0,0", fill: "none", stroke: colour(si), "stroke-width": 2.2, "stroke-linejoin": "round", "stroke-linecap": "round", class: "line", "pointer-events": "none" }, g);
    if (dashed) el("path", { d: dashed, fill: "none", stroke: colour(si), "stroke-width": 2, "stroke-dasharray": "5 4", class: "line-incomplete", "pointer-events": "none" }, g);
    const r = n > 120 ? 1.6 : n > 60 ? 2.2 : 3;
    pts.forEach((p, i) => {
      const v = val(i);
      if (v === null || v === undefined) return;
      el("circle", { cx: x(i).toFixed(1), cy: y(v).toFixed(1), r, fill: p.complete ? colour(si) : "#ffffff", stroke: colour(si),
        "stroke-width": p.complete ? 0 : 1.6, class: "pt", "data-series": si, "data-index": i, "data-period": p.period }, g);
    });
  });

  // Hover guide and selection ring (updated without re-rendering).
  const guide = el("line", { y1: m.top, y2: m.top + H, stroke: "#7b8494", "stroke-width": 1, "stroke-dasharray": "3 3", visibility: "hidden", class: "guide", "pointer-events": "none" }, svg);
  const hoverDots = el("g", { class: "hover-dots", "pointer-events": "none" }, svg);
  const ring = el("circle", { r: 7, fill: "none", stroke: "#162033", "stroke-width": 2, visibility: "hidden", class: "selected-ring", "pointer-events": "none" }, svg);

  container.replaceChildren(svg);

  const handle = {
    svg, trend, n, x, y, margin: m, width, height, visible,
    indexAt(clientX) {
      const box = svg.getBoundingClientRect();
      const px = ((clientX - box.left) / box.width) * width;
      if (n <= 1) return 0;
      return Math.max(0, Math.min(n - 1, Math.round(((px - m.left) / W) * (n - 1))));
    },
    nearestSeries(i, clientY) {
      const box = svg.getBoundingClientRect();
      const py = ((clientY - box.top) / box.height) * height;
      let best = -1, dist = Infinity;
      series.forEach((s, si) => {
        if (!visible[si]) return;
        const v = valueOf(trend, s.points[i]);
        if (v === null || v === undefined) return;
        const d = Math.abs(yOf(si)(v) - py);
        if (d < dist) { dist = d; best = si; }
      });
      return best;
    },
    showHover(i, activeSeries) {
      if (i === null || i < 0) { guide.setAttribute("visibility", "hidden"); hoverDots.replaceChildren(); return; }
      guide.setAttribute("x1", x(i)); guide.setAttribute("x2", x(i)); guide.setAttribute("visibility", "visible");
      hoverDots.replaceChildren();
      series.forEach((s, si) => {
        if (!visible[si]) return;
        const v = valueOf(trend, s.points[i]);
        if (v === null || v === undefined) return;
        el("circle", { cx: x(i), cy: yOf(si)(v), r: si === activeSeries ? 5.5 : 4, fill: s.points[i].complete ? colour(si) : "#fff",
          stroke: si === activeSeries ? "#162033" : colour(si), "stroke-width": si === activeSeries ? 1.5 : 1.5 }, hoverDots);
      });
    },
    showSelected(si, i) {
      if (si === null || si === undefined || si < 0 || !visible[si] || i === null || i < 0 || i >= n) { ring.setAttribute("visibility", "hidden"); return; }
      const v = valueOf(trend, series[si].points[i]);
      if (v === null || v === undefined) { ring.setAttribute("visibility", "hidden"); return; }
      ring.setAttribute("cx", x(i)); ring.setAttribute("cy", yOf(si)(v)); ring.setAttribute("stroke", colour(si)); ring.setAttribute("visibility", "visible");
    },
    screenPoint(si, i) {
      const box = svg.getBoundingClientRect();
      const v = valueOf(trend, series[si].points[i]) || 0;
      return { x: box.left + (x(i) / width) * box.width, y: box.top + (yOf(si)(v) / height) * box.height };
    },
  };
  return handle;
}

// A standalone copy of the chart for export: title, legend and a note drawn into the SVG.
// `below`: an SVG of the same width drawn under the chart (the full-text coverage strip), or null.
export function exportSvg(handle, { title, subtitle, hidden, below = null }) {
  const src = handle.svg.cloneNode(true);
  src.querySelectorAll(".guide, .hover-dots").forEach((n) => n.remove());
  const lines = Array.isArray(subtitle) ? subtitle : [subtitle];
  const extraTop = 56, belowHeight = below ? Number(below.getAttribute("height")) || 0 : 0;
  const extraBottom = 22 + 14 * (lines.length - 1) + belowHeight;
  const width = handle.width, height = handle.height + extraTop + extraBottom;
  const out = el("svg", { xmlns: NS, viewBox: `0 0 ${width} ${height}`, width, height, "font-family": FONT, "font-size": 12 });
  el("rect", { x: 0, y: 0, width, height, fill: "#ffffff" }, out);
  const t = el("text", { x: 12, y: 20, "font-size": 15, "font-weight": 650, fill: "#1d2330" }, out);
  t.textContent = title;
  // Legend row.
  let lx = 12;
  handle.trend.series.forEach((s, si) => {
    if (hidden.has(si)) return;
    el("rect", { x: lx, y: 34, width: 14, height: 4, rx: 2, fill: PALETTE[si % PALETTE.length] }, out);
    const lt = el("text", { x: lx + 19, y: 40, fill: "#1d2330", "font-size": 12.5 }, out);
    lt.textContent = s.label;
    lx += 19 + Math.min(300, 7.2 * s.label.length) + 18;
  });
  const body = el("g", { transform: `translate(0 ${extraTop})` }, out);
  for (const child of Array.from(src.childNodes)) body.appendChild(child);
  if (below) {
    const under = el("g", { transform: `translate(0 ${extraTop + handle.height})` }, out);
    for (const child of Array.from(below.cloneNode(true).childNodes)) under.appendChild(child);
  }
  lines.forEach((line, k) => {
    const note = el("text", { x: 12, y: height - 7 - 14 * (lines.length - 1 - k), fill: "#5b6475", "font-size": 10.5 }, out);
    note.textContent = line;
  });
  return new XMLSerializer().serializeToString(out);
}
