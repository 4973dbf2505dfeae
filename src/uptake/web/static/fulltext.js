// Full text on the page: section filters written into the query as in:ROLE, and the coverage strip.
// Pure helpers (no page state), so the rewriting rules live in one place.

const NS = "http://www.w3.org/2000/svg";

//: Below this share of papers with a full text, a period's coverage is thin (the strip and the tooltip warn).
export const THIN_COVERAGE = 0.05;

//: Section chips, in the order shown: [role as the query language names it, label]. null = anywhere.
export const SECTION_CHIPS = [
  [null, "Anywhere"], ["use", "Uses"], ["method", "Method"], ["experiments", "Experiments"], ["appendix", "Appendix"],
  ["captions", "Captions"], ["introduction", "Introduction"], ["related", "Related work"], ["discussion", "Discussion"],
  ["abstract", "Abstract"], ["references", "References"], ["other", "Other"],
];
const ROLE_NAMES = SECTION_CHIPS.map(([r]) => r).filter(Boolean);
//: Roles that count as using an idea (in:use), for the badge colour.
export const USE_ROLES = ["method", "experiments", "appendix", "captions"];

// For each character of `text`: is it outside quotes and parentheses?
function topLevel(text) {
  const out = [];
  let depth = 0, quoted = false;
  for (let i = 0; i < text.length; i++) { // by UTF-16 unit, as the callers index
    const ch = text[i];
    if (ch === '"') { out.push(depth === 0 && !quoted); quoted = !quoted; continue; }
    if (!quoted && ch === "(") { out.push(depth === 0); depth++; continue; }
    if (!quoted && ch === ")") { depth = Math.max(0, depth - 1); out.push(depth === 0); continue; }
    out.push(depth === 0 && !quoted);
  }
  return out;
}

// The series of a query: its top-level comma-separated parts, trimmed.
export function splitSeries(q) {
  const top = topLevel(q);
  const parts = [];
  let start = 0;
  for (let i = 0; i < q.length; i++) if (q[i] === "," && top[i]) { parts.push(q.slice(start, i)); start = i + 1; }
  parts.push(q.slice(start));
  return parts.map((p) => p.trim());
}

// Operands of series arithmetic (standalone + - / at top level): {operands, ops}.
function splitOperands(s) {
  const top = topLevel(s);
  const operands = [], ops = [];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (top[i] && "+-/".includes(ch) && (i === 0 || /\s/.test(s[i - 1])) && (i + 1 === s.length || /\s/.test(s[i + 1]))) {
      operands.push(s.slice(start, i).trim());
      ops.push(ch);
      start = i + 1;
    }
  }
  operands.push(s.slice(start).trim());
  return { operands, ops };
}

// Is `s` one parenthesised group, "( … )" with its closing parenthesis last?
function isGroup(s) {
  if (!s.startsWith("(") || !s.endsWith(")")) return false;
  const top = topLevel(s);
  for (let i = 1; i < s.length - 1; i++) if (top[i]) return false;
  return true;
}

// One term, phrase or group: what an in:ROLE written after it applies to as a whole.
function isAtom(s) {
  if (isGroup(s)) return true;
  return /^=?(?:[A-Za-z_]+:)?(?:"[^"]*"|[^\s()"|,]+)$/.test(s) && !/^(AND|OR|NOT)$/i.test(s) && !s.startsWith("-");
}

// {base, role}: `s` without an in:ROLE that applies to all of it (role null when there is none).
function wholeRole(s) {
  const t = s.trim();
  const m = /^(.*\S)\s+in:([A-Za-z]+)$/.exec(t);
  if (m && isAtom(m[1].trim()) && ROLE_NAMES.includes(m[2].toLowerCase())) return { base: m[1].trim(), role: m[2].toLowerCase() };
  return { base: t, role: null };
}

function innerArithmetic(base) {
  return isGroup(base) && splitOperands(base.slice(1, -1)).ops.length > 0;
}

// The section role of a whole series: a role name, null (anywhere) or "mixed" (set by hand, term by term).
function seriesRole(s) {
  const { operands } = splitOperands(s);
  if (operands.length > 1) {
    const roles = operands.map(seriesRole);
    return roles.every((r) => r === roles[0]) ? roles[0] : "mixed";
  }
  const { base, role } = wholeRole(s);
  if (role) return role;
  if (innerArithmetic(base)) return seriesRole(base.slice(1, -1));
  return /(^|[\s(])in:/.test(base) ? "mixed" : null;
}

// The section role every series of `q` is restricted to: a role name, null (anywhere) or "mixed".
export function queryRole(q) {
  const series = splitSeries(q).filter(Boolean);
  if (!series.length) return null;
  const roles = series.map(seriesRole);
  return roles.every((r) => r === roles[0]) ? roles[0] : "mixed";
}

// `s` restricted to `role` (null: anywhere): a whole-series in:ROLE is replaced, otherwise one is added,
// with parentheses where the series has more than one term; arithmetic gets it on each operand.
function withSeriesRole(s, role) {
  const { operands, ops } = splitOperands(s);
  if (operands.length > 1) return operands.map((o, i) => (i ? ` ${ops[i - 1]} ` : "") + withSeriesRole(o, role)).join("");
  const { base } = wholeRole(s);
  if (innerArithmetic(base)) return `(${withSeriesRole(base.slice(1, -1), role)})`;
  if (!role || !base) return isGroup(base) ? base.slice(1, -1).trim() : base; // a whole series needs no parentheses
  return isAtom(base) ? `${base} in:${role}` : `(${base}) in:${role}`;
}

// `q` with every series restricted to `role` (null: anywhere, removing the whole-series in:ROLE).
export function withRole(q, role) {
  return splitSeries(q).filter(Boolean).map((s) => withSeriesRole(s, role)).join(", ");
}

// ---------------------------------------------------------------------------------- coverage
function periodOfMonth(label, by) {
  if (by === "year") return label.slice(0, 4);
  if (by === "quarter") return `${label.slice(0, 4)}-Q${Math.floor((Number(label.slice(5, 7)) - 1) / 3) + 1}`;
  return label;
}

// Coverage per chart period: [{period, with, papers, ratio (null without papers), thin}], from the trend's
// monthly filters.fulltext_coverage summed into its periods.
export function coverageByPeriod(trend) {
  const f = trend.filters || {};
  if (f.text !== "full" || !Array.isArray(f.fulltext_coverage)) return null;
  const sums = new Map();
  for (const c of f.fulltext_coverage) {
    const key = periodOfMonth(c.period, f.by);
    const acc = sums.get(key) || { with: 0, papers: 0 };
    acc.with += c.with_full_text;
    acc.papers += c.papers;
    sums.set(key, acc);
  }
  const periods = trend.series.length ? trend.series[0].points.map((p) => p.period) : [...sums.keys()];
  return periods.map((period) => {
    const { with: w, papers } = sums.get(period) || { with: 0, papers: 0 };
    const ratio = papers ? w / papers : null;
    return { period, with: w, papers, ratio, thin: ratio !== null && ratio < THIN_COVERAGE };
  });
}

function pct(r) {
  if (r === null) return "–";
  const x = r * 100;
  return (x >= 10 || x === 0 ? x.toFixed(0) : Number(x.toPrecision(2)).toString()) + "%";
}

export function coverageText(c) {
  return c.papers ? `${c.with.toLocaleString("en")} of ${c.papers.toLocaleString("en")} papers have a full text (${pct(c.ratio)})`
    : "no papers in this period";
}

function el(name, attrs = {}, parent = null) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (parent) parent.appendChild(node);
  return node;
}

// The coverage strip under the chart: one cell per period at the chart's x positions (`chart` from renderChart),
// its shade the share of papers with a full text, thin periods in the warning colour; and a line of text.
export function renderCoverage(box, trend, chart) {
  const cov = coverageByPeriod(trend);
  if (!cov || !chart) { box.hidden = true; box.replaceChildren(); return; }
  const withAll = cov.reduce((a, c) => a + c.with, 0), papersAll = cov.reduce((a, c) => a + c.papers, 0);
  const thin = cov.filter((c) => c.thin);
  const n = cov.length, m = chart.margin, width = chart.width, W = width - m.left - m.right;
  const step = n > 1 ? W / (n - 1) : W;
  const height = 30, top = 4, cellH = 14;
  const summary = `Full text: ${withAll.toLocaleString("en")} of ${papersAll.toLocaleString("en")} papers (${pct(papersAll ? withAll / papersAll : null)})` +
    ` from ${cov[0]?.period ?? ""} to ${cov[n - 1]?.period ?? ""}` +
    (thin.length ? `; thin (under ${pct(THIN_COVERAGE)} with a full text) in ${thin.length} period${thin.length === 1 ? "" : "s"}` : "");
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": summary, class: "coverage-strip" });
  const label = el("text", { x: m.left - 6, y: top + cellH - 3, "text-anchor": "end", fill: "#5b6475", "font-size": 10.5 }, svg);
  label.textContent = m.left >= 55 ? "full text" : "full"; // a phone's narrower margin
  cov.forEach((c, i) => {
    const x0 = Math.max(m.left, chart.x(i) - step / 2), x1 = Math.min(m.left + W, chart.x(i) + step / 2);
    const fill = c.ratio === null ? "#eceff3" : c.thin ? "#e8a33d" : "#0b63c5";
    const opacity = c.ratio === null || c.thin ? 1 : 0.25 + 0.75 * Math.min(1, c.ratio);
    const cell = el("rect", { x: x0 + 0.5, y: top, width: Math.max(1, x1 - x0 - 1), height: cellH, fill, "fill-opacity": opacity,
      class: c.thin ? "cov thin" : "cov", "data-period": c.period, "data-with": c.with, "data-papers": c.papers }, svg);
    el("title", {}, cell).textContent = `${c.period}: ${coverageText(c)}${c.thin ? " — thin coverage" : ""}`;
  });
  const note = document.createElement("p");
  note.className = thin.length ? "coverage-note warn" : "coverage-note";
  note.id = "coverage-note";
  note.textContent = summary + (thin.length ? ": shares there rest on few papers. " : ". ") +
    "Shares divide by the papers with a full text.";
  box.replaceChildren(svg, note);
  box.hidden = false;
}
