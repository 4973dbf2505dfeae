// The uptake page: form <-> URL state, trend chart, papers behind a point, adoption, emerging and openness panels.
import { PALETTE, exportSvg, formatPct, formatRatio, formatValue, isRatio, renderChart, valueOf } from "./chart.js";
import { SECTION_CHIPS, THIN_COVERAGE, USE_ROLES, coverageByPeriod, coverageText, queryRole, renderCoverage, withRole } from "./fulltext.js";

const $ = (id) => document.getElementById(id);
const state = {
  q: "", from: "", to: "", by: "month", measure: "share", smooth: "1", category: "", field: "any", cs: false,
  text: "abstract", // or "full": the query reads papers' full texts (section roles are in:ROLE in q)
  hidden: new Set(), sel: null, // sel = {series, period}
};
let config = { default_query: "GRPO, DPO, PPO" };
let stats = null;
let chart = null;      // handle from renderChart
let trend = null;      // last /api/trend JSON
let trendSeq = 0;      // to drop stale answers
let papersSeq = 0;

// ---------------------------------------------------------------------------------- state <-> URL
function defaultFrom() {
  if (config.default_from) return config.default_from;
  if (!stats || !stats.last) return "";
  const year = Number(stats.last.slice(0, 4)) - 3;
  const first = stats.first ? stats.first.slice(0, 7) : "";
  const candidate = `${year}-01`;
  return first && first > candidate ? first : candidate;
}

function readUrl() {
  const u = new URLSearchParams(location.search);
  state.q = u.has("q") ? u.get("q") : config.default_query;
  state.from = u.has("from") ? u.get("from") : defaultFrom();
  state.to = u.get("to") || "";
  state.by = u.get("by") || "month";
  state.measure = u.get("measure") || "share";
  state.smooth = u.get("smooth") || "1";
  state.category = u.get("category") || "";
  state.field = u.get("field") || "any";
  state.cs = ["1", "true", "yes", "on"].includes((u.get("cs") || "").toLowerCase());
  state.text = u.get("text") === "full" ? "full" : "abstract";
  state.hidden = new Set((u.get("hide") || "").split(",").filter((s) => /^\d+$/.test(s)).map(Number));
  const sel = u.get("sel");
  const m = sel && /^(\d+):(.+)$/.exec(sel);
  state.sel = m ? { series: Number(m[1]), period: m[2] } : null;
}

function urlFor(s) {
  const u = new URLSearchParams();
  u.set("q", s.q);
  u.set("from", s.from);
  if (s.to) u.set("to", s.to);
  if (s.by !== "month") u.set("by", s.by);
  if (s.measure !== "share") u.set("measure", s.measure);
  if (s.smooth && s.smooth !== "1") u.set("smooth", s.smooth);
  if (s.category) u.set("category", s.category);
  if (s.field && s.field !== "any") u.set("field", s.field);
  if (s.cs) u.set("cs", "1");
  if (s.text === "full") u.set("text", "full");
  if (s.hidden.size) u.set("hide", [...s.hidden].sort((a, b) => a - b).join(","));
  if (s.sel) u.set("sel", `${s.sel.series}:${s.sel.period}`);
  return "?" + u.toString();
}

function saveUrl(push) {
  const url = urlFor(state);
  if (url === location.search) return;
  if (push) history.pushState(null, "", url); else history.replaceState(null, "", url);
}

function fillForm() {
  $("q").value = state.q;
  $("from").value = state.from;
  $("to").value = state.to;
  $("by").value = state.by;
  $("measure").value = state.measure;
  const sm = $("smooth");
  if (![...sm.options].some((o) => o.value === state.smooth)) sm.add(new Option(`${state.smooth} periods`, state.smooth));
  sm.value = state.smooth;
  $("category").value = state.category;
  $("field").value = state.field;
  $("cs").checked = state.cs;
  $("text-full").checked = state.text === "full";
  $("text-abstract").checked = state.text !== "full";
  updateSections();
}

function readForm() {
  const before = JSON.stringify([state.q]);
  state.q = $("q").value.trim();
  state.from = $("from").value.trim();
  state.to = $("to").value.trim();
  state.by = $("by").value;
  state.measure = $("measure").value;
  state.smooth = $("smooth").value;
  state.category = $("category").value.trim();
  state.field = $("field").value;
  state.cs = $("cs").checked;
  state.text = $("text-full").checked ? "full" : "abstract";
  updateSections();
  if (JSON.stringify([state.q]) !== before) state.hidden = new Set(); // new series: show them all
}

function apiParams(extra = {}) {
  const u = new URLSearchParams();
  u.set("q", state.q);
  if (state.from) u.set("from", state.from);
  if (state.to) u.set("to", state.to);
  u.set("by", state.by);
  u.set("measure", state.measure);
  u.set("smooth", state.smooth || "1");
  for (const c of state.category.split(",").map((s) => s.trim()).filter(Boolean)) u.append("category", c);
  if (state.field !== "any") u.set("field", state.field);
  if (state.cs) u.set("case_sensitive", "true");
  if (state.text === "full") u.set("text", "full");
  for (const [k, v] of Object.entries(extra)) u.set(k, v);
  return u;
}

async function getJson(url) {
  const res = await fetch(url, { headers: { Accept: "application/json" } });
  let body = null;
  try { body = await res.json(); } catch { body = { error: `the server answered ${res.status} without JSON` }; }
  if (!res.ok) {
    const e = new Error(body.error || res.statusText);
    e.status = res.status;
    e.body = body;
    e.retryAfter = Number(res.headers.get("Retry-After")) || 0; // 503 "busy" or "being updated": worth one more try
    throw e;
  }
  return body;
}

// ---------------------------------------------------------------------------------- trend
function showQueryError(err) {
  const box = $("query-error");
  box.replaceChildren();
  if (!err) { box.hidden = true; $("q").removeAttribute("aria-invalid"); return; }
  box.hidden = false;
  const msg = document.createElement("div");
  msg.textContent = err.message;
  box.appendChild(msg);
  const pos = err.body && Number.isInteger(err.body.position) ? err.body.position : null;
  if (err.status === 400 && pos !== null && state.q) {
    $("q").setAttribute("aria-invalid", "true");
    const pre = document.createElement("pre");
    const q = state.q;
    const mark = document.createElement("mark");
    mark.textContent = q.slice(pos, pos + 1) || " ";
    pre.append(q.slice(0, pos), mark, q.slice(pos + 1));
    box.appendChild(pre);
  }
}

async function loadTrend() {
  const seq = ++trendSeq;
  const started = performance.now();
  $("chart").classList.add("busy");
  $("dl-csv").href = "/api/trend.csv?" + apiParams().toString();
  try {
    const data = await getJson("/api/trend?" + apiParams().toString());
    if (seq !== trendSeq) return;
    trend = data;
    showQueryError(null);
    drawTrend();
    const ms = Math.round(performance.now() - started);
    document.body.dataset.trendMs = String(ms);
    if (state.sel) await loadPapers(state.sel.series, state.sel.period, 0);
    else clearPapers();
    loadAdoption();
    loadOpenness();
  } catch (err) {
    if (seq !== trendSeq) return;
    showQueryError(err);
    if (!trend) $("chart").replaceChildren(Object.assign(document.createElement("div"), { className: "placeholder", textContent: "No chart yet: fix the query above." }));
  } finally {
    if (seq === trendSeq) $("chart").classList.remove("busy");
  }
}

function describe(t) {
  const f = t.filters;
  const full = f.text === "full" ? " with a full text" : "";
  const what = f.measure === "count" ? `Papers${full}` : `Share of papers${full}`;
  const cats = f.category && f.category.length ? ` in ${f.category.join(", ")}` : "";
  const sm = f.smooth > 1 ? `, ${f.smooth}-${f.by} moving average` : "";
  return `${what} per ${f.by}${cats}${sm}, ${f.from} to ${f.to}`;
}

function drawTrend() {
  if (!trend) return;
  $("chart-title").textContent = describe(trend);
  renderLegend();
  chart = renderChart($("chart"), trend, { hidden: state.hidden });
  renderCoverage($("coverage"), trend, chart);
  document.body.dataset.series = String(trend.series.length - state.hidden.size);
  if (!document.body.dataset.firstChartMs) document.body.dataset.firstChartMs = String(Math.round(performance.now()));
  attachChartEvents();
  if (state.sel) chart.showSelected(state.sel.series, trend.series[0]?.points.findIndex((p) => p.period === state.sel.period));
  const inc = trend.series[0]?.points.filter((p) => !p.complete).map((p) => p.period) || [];
  const c = trend.corpus;
  const corpusWhat = trend.filters.text === "full" ? "Full texts" : "Corpus";
  $("chart-note").textContent = `${corpusWhat}: ${c.papers.toLocaleString("en")} papers, ${c.first} to ${c.last}. ` +
    (inc.length ? `Incomplete: ${inc.join(", ")}. ` : "") + "Hover for numbers; click a point for its papers.";
}

function renderLegend() {
  const box = $("legend");
  box.replaceChildren();
  trend.series.forEach((s, i) => {
    const b = document.createElement("button");
    b.type = "button";
    b.setAttribute("aria-pressed", state.hidden.has(i) ? "false" : "true");
    b.title = state.hidden.has(i) ? "show this series" : "hide this series";
    const sw = document.createElement("span");
    sw.className = "swatch";
    sw.style.background = PALETTE[i % PALETTE.length];
    const total = s.points.reduce((a, p) => a + p.count, 0);
    const tot = document.createElement("span");
    tot.className = "total";
    tot.textContent = `${total.toLocaleString("en")} papers`;
    b.append(sw, document.createTextNode(s.label), tot);
    b.addEventListener("click", () => {
      if (state.hidden.has(i)) state.hidden.delete(i); else state.hidden.add(i);
      saveUrl(false);
      drawTrend();
    });
    box.appendChild(b);
  });
}

function tooltipFor(i, active) {
  const tip = $("tooltip");
  const period = trend.series[0].points[i].period;
  const complete = trend.series.every((s) => s.points[i].complete);
  tip.replaceChildren();
  const head = document.createElement("div");
  head.className = "tt-period";
  head.textContent = period;
  tip.appendChild(head);
  if (!complete) {
    const w = document.createElement("div");
    w.className = "tt-warn";
    w.textContent = "incomplete period: the corpus does not cover all of it";
    tip.appendChild(w);
  }
  const table = document.createElement("table");
  trend.series.forEach((s, si) => {
    if (state.hidden.has(si)) return;
    const p = s.points[i];
    const tr = table.insertRow();
    const name = tr.insertCell();
    const sw = document.createElement("span");
    sw.className = "sw";
    sw.style.background = PALETTE[si % PALETTE.length];
    name.append(sw, document.createTextNode(s.label.length > 28 ? s.label.slice(0, 27) + "…" : s.label));
    if (si === active) name.style.fontWeight = "700";
    const share = tr.insertCell();
    share.className = "num";
    share.textContent = trend.filters.smooth > 1 ? formatValue(trend, valueOf(trend, p), 3, s) + " avg"
      : isRatio(s) ? formatRatio(p.share) : formatPct(p.share);
    const counts = tr.insertCell();
    counts.className = "num";
    counts.textContent = `${p.count.toLocaleString("en")} / ${p.total.toLocaleString("en")}`;
    if (p.share_ci95 && trend.filters.smooth <= 1 && !isRatio(s)) {
      const ci = table.insertRow().insertCell();
      ci.colSpan = 3;
      ci.className = "ci";
      ci.textContent = `share ${formatPct(p.share)}, 95% CI ${formatPct(p.share_ci95[0], 2)}–${formatPct(p.share_ci95[1], 2)}`;
    }
  });
  tip.appendChild(table);
  const cov = coverageByPeriod(trend);
  if (cov && cov[i]) {
    const line = document.createElement("div");
    line.className = cov[i].thin ? "tt-warn" : "tt-cov";
    line.textContent = `full text: ${coverageText(cov[i])}${cov[i].thin ? " — thin coverage" : ""}`;
    tip.appendChild(line);
  }
  const hint = document.createElement("div");
  hint.className = "tt-hint";
  hint.textContent = `count / ${cov ? "papers with a full text" : "all papers"} in the period · click for the papers`;
  tip.appendChild(hint);
}

function placeTooltip(clientX, clientY) {
  const tip = $("tooltip");
  tip.hidden = false;
  const r = tip.getBoundingClientRect();
  let left = clientX + 16, top = clientY + 12;
  if (left + r.width > window.innerWidth - 8) left = clientX - r.width - 16;
  if (top + r.height > window.innerHeight - 8) top = Math.max(8, window.innerHeight - r.height - 8);
  tip.style.left = `${Math.max(8, left)}px`;
  tip.style.top = `${top}px`;
}

function hover(i, active, clientX, clientY) {
  chart.showHover(i, active);
  tooltipFor(i, active);
  placeTooltip(clientX, clientY);
}

function unhover() {
  if (chart) chart.showHover(null);
  $("tooltip").hidden = true;
}

function select(si, i) {
  const period = trend.series[si].points[i].period;
  state.sel = { series: si, period };
  saveUrl(true);
  chart.showSelected(si, i);
  loadPapers(si, period, 0);
}

function attachChartEvents() {
  const svg = chart.svg;
  let keyIndex = null, keySeries = 0;
  const seriesFromTarget = (t) => (t && t.classList && t.classList.contains("pt") ? Number(t.dataset.series) : null);
  svg.addEventListener("mousemove", (e) => {
    const i = chart.indexAt(e.clientX);
    const si = seriesFromTarget(e.target) ?? chart.nearestSeries(i, e.clientY);
    hover(i, si, e.clientX, e.clientY);
  });
  svg.addEventListener("mouseleave", unhover);
  svg.addEventListener("click", (e) => {
    const fromPoint = seriesFromTarget(e.target);
    const i = fromPoint !== null ? Number(e.target.dataset.index) : chart.indexAt(e.clientX);
    const si = fromPoint ?? chart.nearestSeries(i, e.clientY);
    if (si >= 0) {
      select(si, i);
      hover(i, si, e.clientX, e.clientY); // touch screens have no hover: show the numbers on tap too
    }
  });
  // Keyboard: arrows move along the periods (left/right) and between series (up/down); Enter lists the papers.
  svg.addEventListener("keydown", (e) => {
    const n = chart.n;
    const visibleSeries = trend.series.map((_, i) => i).filter((i) => !state.hidden.has(i));
    if (!n || !visibleSeries.length) return;
    if (keyIndex === null) keyIndex = n - 1;
    if (!visibleSeries.includes(keySeries)) keySeries = visibleSeries[0];
    const k = visibleSeries.indexOf(keySeries);
    if (e.key === "ArrowLeft") keyIndex = Math.max(0, keyIndex - 1);
    else if (e.key === "ArrowRight") keyIndex = Math.min(n - 1, keyIndex + 1);
    else if (e.key === "ArrowUp") keySeries = visibleSeries[(k + 1) % visibleSeries.length];
    else if (e.key === "ArrowDown") keySeries = visibleSeries[(k - 1 + visibleSeries.length) % visibleSeries.length];
    else if (e.key === "Enter" || e.key === " ") { select(keySeries, keyIndex); e.preventDefault(); return; }
    else if (e.key === "Escape") { unhover(); return; }
    else return;
    e.preventDefault();
    const pt = chart.screenPoint(keySeries, keyIndex);
    hover(keyIndex, keySeries, pt.x, pt.y);
  });
  svg.addEventListener("blur", unhover);
}

// ---------------------------------------------------------------------------------- papers
function clearPapers() {
  const box = $("papers");
  box.replaceChildren(Object.assign(document.createElement("p"), { className: "hint", textContent: "Click a point on the chart to list the papers behind it." }));
  $("papers-title").textContent = "Papers";
}

function segmentsInto(node, segments) {
  for (const s of segments) {
    if (s.hit) node.appendChild(Object.assign(document.createElement("mark"), { textContent: s.text }));
    else node.appendChild(document.createTextNode(s.text));
  }
}

// Where a full text matched: its section's role (a badge) and heading, and the sentence with the matched words marked.
function matchBlock(p) {
  const box = document.createElement("div");
  box.className = "match";
  const where = document.createElement("div");
  where.className = "where";
  const role = document.createElement("span");
  role.className = `role${USE_ROLES.includes(p.match.role) ? " use" : ""}`;
  role.textContent = p.match.role;
  role.title = USE_ROLES.includes(p.match.role) ? "a section where papers use what they name (counts for in:use)"
    : "a section where papers mostly mention or cite";
  where.append(Object.assign(document.createElement("span"), { className: "visually-hidden", textContent: "Matched in section role " }), role);
  if (p.match.section) {
    where.appendChild(Object.assign(document.createElement("span"), { className: "visually-hidden", textContent: ", heading " }));
    where.appendChild(Object.assign(document.createElement("span"), { className: "section", textContent: `§ ${p.match.section}` }));
  }
  const q = document.createElement("blockquote");
  q.className = "sentence";
  if (p.match_segments && p.match_segments.length) segmentsInto(q, p.match_segments);
  else q.textContent = p.match.sentence;
  box.append(where, q);
  return box;
}

async function loadPapers(si, period, offset) {
  const seq = ++papersSeq;
  const box = $("papers");
  if (!trend || !trend.series[si]) return;
  const label = trend.series[si].label;
  if (offset === 0) {
    $("papers-title").textContent = `Papers · ${label} · ${period}`;
    box.replaceChildren(Object.assign(document.createElement("p"), { className: "hint", textContent: "Loading papers…" }));
  }
  let data;
  try {
    data = await getJson("/api/papers?" + apiParams({ series: String(si), period, limit: "50", offset: String(offset) }).toString());
  } catch (err) {
    if (seq !== papersSeq) return;
    box.replaceChildren(Object.assign(document.createElement("p"), { className: "error-box", textContent: err.message }));
    return;
  }
  if (seq !== papersSeq) return;
  let list = box.querySelector("ol");
  if (offset === 0) {
    box.replaceChildren();
    const head = document.createElement("div");
    head.className = "head";
    const strong = document.createElement("strong");
    strong.textContent = `${data.total.toLocaleString("en")} paper${data.total === 1 ? "" : "s"}`;
    const where = state.text === "full" ? " in their full text" : "";
    head.append(strong, document.createTextNode(` match ${label}${where} in ${period}, newest first`));
    box.appendChild(head);
    list = document.createElement("ol");
    list.id = "paper-list";
    box.appendChild(list);
  }
  box.querySelector(".more")?.remove();
  for (const p of data.papers) {
    const li = document.createElement("li");
    li.className = "paper";
    const meta = document.createElement("div");
    meta.className = "meta";
    const a = document.createElement("a");
    a.href = `https://arxiv.org/abs/${encodeURIComponent(p.id).replace(/%2F/g, "/")}`;
    a.textContent = p.id;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    const d = document.createElement("span");
    d.textContent = p.date;
    meta.append(a, d);
    if (p.primary_category) meta.appendChild(Object.assign(document.createElement("span"), { className: "cat", textContent: p.primary_category }));
    const title = document.createElement("div");
    title.className = "title";
    segmentsInto(title, p.title_segments);
    li.append(meta, title);
    if (p.match) li.appendChild(matchBlock(p));
    else if (p.snippet && p.snippet.field === "abstract" && p.snippet.segments.length) {
      const sn = document.createElement("p");
      sn.className = "snippet";
      if (p.snippet.truncated_start) sn.appendChild(document.createTextNode("… "));
      segmentsInto(sn, p.snippet.segments);
      if (p.snippet.truncated_end) sn.appendChild(document.createTextNode(" …"));
      li.appendChild(sn);
    }
    list.appendChild(li);
  }
  const shown = offset + data.papers.length;
  if (data.total === 0) box.appendChild(Object.assign(document.createElement("p"), { className: "hint", textContent: "No paper matches in this period." }));
  if (shown < data.total) {
    const more = document.createElement("button");
    more.type = "button";
    more.className = "more";
    more.textContent = `Show more (${(data.total - shown).toLocaleString("en")} left)`;
    more.addEventListener("click", () => loadPapers(si, period, shown));
    box.appendChild(more);
  }
}

// ---------------------------------------------------------------------------------- analytics panels
function fmt(v) {
  if (v === null || v === undefined) return "–";
  if (typeof v === "number") return Number.isInteger(v) ? v.toLocaleString("en") : Number(v.toPrecision(3)).toString();
  if (Array.isArray(v)) return v.map(fmt).join(", ");
  if (typeof v === "object") return Object.entries(v).map(([k, x]) => `${k}: ${fmt(x)}`).join(" · ");
  return String(v);
}

function est(e, { pct = false, unit = "" } = {}) {
  if (!e) return "–";
  // ci95_status tells an interval side that does not close ("unbounded") from one not computed (null).
  const status = e.ci95_status || ["bounded", "bounded"];
  const f = (v) => (v === null || v === undefined ? "–" : pct ? formatPct(v, 2) : fmt(v));
  const side = (i) => (status[i] === "unbounded" ? (i === 0 ? "unbounded" : "∞") : f(e.ci95 ? e.ci95[i] : null));
  if (e.lower_bound) return e.ci95 && e.ci95[0] !== null ? `≥ ${f(e.ci95[0])}${unit}` : "not identifiable yet";
  if (e.value === null || e.value === undefined) return "not identified";
  const ci = e.ci95 && (e.ci95[0] !== null || status[0] === "unbounded") ? ` [${side(0)}–${side(1)}]` : "";
  return `${f(e.value)}${unit}${ci}`;
}

function fitFact(fit) {
  const lof = fit.lack_of_fit ? (fit.lack_of_fit.fails ? "fails its lack-of-fit check" : "fits") : "";
  const why = (fit.not_identified_because || []).join("; ");
  return (fit.identifiable ? lof : `not identified${why ? `: ${why}` : ""}`);
}

function adoptionFacts(s) {
  const facts = [];
  const rule = s.introduction_rule === "sustained onset" ? "onset" : s.introduction_rule;
  facts.push(["Introduced", s.introduction ? `${s.introduction}${rule && rule !== "none" ? ` (${rule})` : ""}${s.introduction_left_censored ? ", left-censored: at the start of what the corpus covers, the idea may be older" : ""}` : "no sustained use yet"]);
  if (s.coverage && s.coverage.span) facts.push(["Covered span", s.coverage.span.map((v) => v || "–").join(" to ")]);
  if (s.first_mention) facts.push(["First mention", { text: `${s.first_mention.id}, ${s.first_mention.date}`, href: s.first_mention.url, title: s.first_mention.title }]);
  facts.push(["Papers", fmt(s.total_matches) + (s.matches_before_introduction ? ` (${fmt(s.matches_before_introduction)} earlier)` : "")]);
  const ms = s.milestones;
  if (ms) {
    const m = (v) => (v === null || v === undefined ? "–" : String(v));
    facts.push(["To 10/100/1k", `${m(ms.months_to_10)} / ${m(ms.months_to_100)} / ${m(ms.months_to_1000)} months`]);
    if (ms.peak_share !== null && ms.peak_share !== undefined) facts.push(["Peak share", `${formatPct(ms.peak_share)} (${ms.peak_month})`]);
  }
  if (s.growth) facts.push(["Doubling time", est(s.growth.doubling_months, { unit: " months" })]);
  if (s.trend_test) facts.push(["Last 12 mo", `${s.trend_test.direction}, p ${fmt(s.trend_test.p_value)}`]);
  if (s.logistic) facts.push(["Logistic fit", `ceiling ${est(s.logistic.K, { pct: true })}, midpoint ${s.logistic.t0_month}; ${fitFact(s.logistic)}`]);
  if (s.bass) facts.push(["Bass fit", (s.bass.peak_month ? `peak ${s.bass.peak_month}; ` : "") + fitFact(s.bass)]);
  if (s.bursts_note && s.bursts_note.startsWith("not computed")) facts.push(["Bursts", s.bursts_note]);
  for (const c of s.coverage_caveats || []) facts.push(["Coverage", c]);
  const senses = (s.senses && s.senses.senses) || [];
  senses.slice(0, 3).forEach((x, i) => {
    const fm = x.first_mention || {};
    facts.push([i === 0 ? `Senses (${senses.length})` : "",
      { text: `${x.expansion}: ${fmt(x.defining)} define it, ${fmt(x.inferred)} inferred; first ${fm.id || "–"}, ${fm.date || "–"}`,
        href: fm.id ? `https://arxiv.org/abs/${fm.id}` : "", title: fm.title || "" }]);
  });
  return facts;
}

let adoptionKey = null;
async function loadAdoption(attempt = 0) {
  const key = apiParams().toString();
  if (key === adoptionKey) return; // already shown or on its way
  adoptionKey = key;
  const card = $("adoption-card");
  const box = $("adoption");
  const seq = trendSeq;
  try {
    const u = apiParams();
    u.delete("by"); u.delete("measure"); u.delete("smooth");
    if (!(u.get("q") || "").includes(",")) u.set("senses", "1"); // one series: its acronym's senses too
    const data = await getJson("/api/adoption?" + u.toString());
    if (seq !== trendSeq) return;
    box.replaceChildren();
    (data.series || []).forEach((s, i) => {
      const div = document.createElement("div");
      div.className = "series";
      div.style.setProperty("--c", PALETTE[i % PALETTE.length]);
      div.appendChild(Object.assign(document.createElement("h3"), { textContent: s.label }));
      const dl = document.createElement("dl");
      for (const [k, v] of adoptionFacts(s)) {
        const dd = document.createElement("dd");
        if (v && typeof v === "object" && !v.href) dd.textContent = v.text;
        else if (v && typeof v === "object" && v.href) {
          const a = Object.assign(document.createElement("a"), { href: v.href, textContent: v.text, title: v.title || "", target: "_blank", rel: "noopener noreferrer" });
          dd.appendChild(a);
        } else dd.textContent = v;
        dl.append(Object.assign(document.createElement("dt"), { textContent: k }), dd);
      }
      div.appendChild(dl);
      box.appendChild(div);
    });
    card.hidden = false;
  } catch (err) {
    if (seq !== trendSeq) return;
    adoptionKey = null;
    box.replaceChildren(Object.assign(document.createElement("p"), { className: "error-box", textContent: `Adoption: ${err.message}` }));
    card.hidden = false;
    if (err.retryAfter && attempt < 3) setTimeout(() => { if (seq === trendSeq) loadAdoption(attempt + 1); }, err.retryAfter * 1000);
  }
}

let emergingKey = null;
async function loadEmerging(attempt = 0) {
  if (emergingKey === state.category) return; // the list depends only on the category filter
  emergingKey = state.category;
  const card = $("emerging-card");
  const list = $("emerging");
  list.replaceChildren(Object.assign(document.createElement("li"), { className: "hint", textContent: "Finding rising terms… (the first time can take a minute on a large corpus)" }));
  card.hidden = false;
  try {
    const u = new URLSearchParams({ limit: "15" });
    for (const c of state.category.split(",").map((s) => s.trim()).filter(Boolean)) u.append("category", c);
    const data = await getJson("/api/emerging?" + u.toString());
    list.replaceChildren();
    for (const item of data.terms || []) {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = item.term;
      b.title = `add “${item.term}” to the chart: ${fmt(item.recent)} papers recently, share ×${fmt(item.ratio)} since ${data.baseline[0]}–${data.baseline[1]}` +
        (item.aliases && item.aliases.length ? ` (also written ${item.aliases.join(", ")})` : "");
      if (item.ratio) b.appendChild(Object.assign(document.createElement("span"), { className: "growth", textContent: `×${item.ratio >= 10 ? Math.round(item.ratio) : item.ratio.toFixed(1)}` }));
      b.addEventListener("click", () => {
        const term = /[\s,|()"]/.test(item.term) || /^(AND|OR|NOT)$/.test(item.term) ? `"${item.term.replace(/"/g, "")}"` : item.term;
        state.q = state.q.trim() ? `${state.q.trim()}, ${term}` : term;
        state.sel = null;
        fillForm();
        saveUrl(true);
        loadTrend();
      });
      li.appendChild(b);
      list.appendChild(li);
    }
    $("emerging-note").textContent = `Share in ${data.recent[0]}–${data.recent[1]} against ${data.baseline[0]}–${data.baseline[1]}` +
      `${data.category && data.category.length ? ` in ${data.category.join(", ")}` : ""}. Click a term to add it to the chart.`;
    if (!(data.terms || []).length) list.appendChild(Object.assign(document.createElement("li"), { className: "hint", textContent: "Nothing rises significantly in this window." }));
    card.hidden = false;
  } catch (err) {
    emergingKey = null;
    list.replaceChildren(Object.assign(document.createElement("li"), { className: "error-box", textContent: err.message }));
    card.hidden = false;
    if (err.retryAfter && attempt < 3) setTimeout(() => loadEmerging(attempt + 1), err.retryAfter * 1000);
  }
}

// ---------------------------------------------------------------------------------- openness panel
// Columns of the table: the /api/openness kinds, with code split into released and promised at a link
// (code = released + promised; "promise" counts any release promise, with or without a link).
const OPEN_COLUMNS = [
  { key: "code", head: "Code", title: "own code linked, released or promised at a link (has:code)" },
  { key: "code-released", head: "released", title: "own code linked and not called a promise (has:code-released)", sub: true },
  { key: "code-promised", head: "promised", title: "own code only promised at a link (has:code -has:code-released)", sub: true },
  { key: "weights", head: "Weights", title: "own model weights or checkpoints linked (has:weights)" },
  { key: "data", head: "Data", title: "own dataset linked (has:data)" },
  { key: "demo", head: "Demo", title: "own demo or project page linked (has:demo)" },
  { key: "promise", head: "Any promise", title: "any promise to release, with or without a link (has:promise)" },
];

function openPct(v) {
  // One decimal (two below 1%): "12.3%", "0.45%", "0%".
  if (!v) return "0%";
  const x = v * 100;
  return (x < 1 ? x.toFixed(2) : x.toFixed(1)) + "%";
}

function openCounts(rows) {
  // Sums one series' rows (a period's row, or all of them) into papers and counts per column.
  const c = { papers: 0 };
  for (const col of OPEN_COLUMNS) c[col.key] = 0;
  for (const r of rows) {
    c.papers += r.papers;
    for (const col of OPEN_COLUMNS) c[col.key] += col.key === "code-promised" ? r.code - r["code-released"] : r[col.key];
  }
  return c;
}

function openCell(count, papers, col) {
  const td = document.createElement("td");
  td.className = "num" + (col.sub ? " sub" : "");
  td.dataset.kind = col.key;
  if (!papers) { td.textContent = "–"; return td; }
  const share = count / papers;
  td.title = `${count.toLocaleString("en")} of ${papers.toLocaleString("en")} papers: ${col.title}`;
  td.append(Object.assign(document.createElement("span"), { className: "pct", textContent: openPct(share) }),
    Object.assign(document.createElement("span"), { className: "n", textContent: count.toLocaleString("en") }));
  if (col.key === "code" && count) {
    const bar = document.createElement("span");
    bar.className = "split";
    bar.setAttribute("aria-hidden", "true");
    bar.append(Object.assign(document.createElement("i"), { className: "rel" }), Object.assign(document.createElement("i"), { className: "prom" }));
    td.appendChild(bar);
  }
  return td;
}

function openTable(data, periods) {
  // periods === null: one row per series over the whole range; else one block of rows per period.
  const table = document.createElement("table");
  table.className = "open-table";
  const head = document.createElement("tr");
  const by = data.filters.by;
  const cols = [periods ? by.charAt(0).toUpperCase() + by.slice(1) : null, "Series", "Papers"].filter(Boolean);
  for (const h of cols) head.appendChild(Object.assign(document.createElement("th"), { textContent: h, scope: "col", className: h === "Papers" ? "num" : "" }));
  for (const col of OPEN_COLUMNS) head.appendChild(Object.assign(document.createElement("th"), { textContent: col.head, title: col.title, scope: "col", className: "num" + (col.sub ? ` sub ${col.key}` : "") }));
  table.appendChild(Object.assign(document.createElement("thead"), {})).appendChild(head);
  const labels = [...new Set(data.rows.map((r) => r.series))];
  const incomplete = new Set(data.incomplete_periods || []);
  for (const period of periods || [null]) {
    const body = document.createElement("tbody");
    labels.forEach((label, i) => {
      const rows = data.rows.filter((r) => r.series === label && (period === null || r.period === period));
      const c = openCounts(rows);
      const tr = document.createElement("tr");
      tr.dataset.series = label;
      if (period) tr.dataset.period = period;
      const all = i === labels.length - 1 && labels.length > 1;
      if (all) tr.className = "all";
      if (periods) {
        const th = Object.assign(document.createElement("th"), { scope: "row", className: "period" });
        if (i === 0) {
          th.textContent = period;
          if (incomplete.has(period)) { th.appendChild(Object.assign(document.createElement("span"), { className: "inc", textContent: " *", title: "incomplete period" })); }
        }
        tr.appendChild(th);
      }
      const name = Object.assign(document.createElement("th"), { scope: "row", className: "label" });
      if (!all) name.style.setProperty("--c", PALETTE[i % PALETTE.length]);
      name.textContent = label;
      tr.appendChild(name);
      tr.appendChild(Object.assign(document.createElement("td"), { className: "num papers", textContent: c.papers.toLocaleString("en") }));
      for (const col of OPEN_COLUMNS) tr.appendChild(openCell(c[col.key], c.papers, col));
      const code = tr.querySelector("td[data-kind=code] .split");
      if (code) {
        code.firstChild.style.width = `${(100 * c["code-released"]) / c.code}%`;
        code.lastChild.style.width = `${(100 * c["code-promised"]) / c.code}%`;
      }
      body.appendChild(tr);
    });
    table.appendChild(body);
  }
  return table;
}

let opennessKey = null;
async function loadOpenness(attempt = 0) {
  const card = $("openness-card");
  const box = $("openness");
  if (state.text === "full") {
    opennessKey = null;
    box.replaceChildren(Object.assign(document.createElement("p"), { className: "hint", textContent: "Openness is read in abstracts and comments: switch to Abstracts to see it (uptake openness --text full compares them with full texts)." }));
    card.hidden = false;
    return;
  }
  const u = apiParams();
  u.delete("measure"); u.delete("smooth");
  const key = u.toString();
  if (key === opennessKey) return; // already shown or on its way
  opennessKey = key;
  const seq = trendSeq;
  try {
    const data = await getJson("/api/openness?" + key);
    if (seq !== trendSeq) return;
    const all = data.rows.filter((r) => r.series === "all papers");
    const periods = all.filter((r) => r.papers > 0).map((r) => r.period); // periods without any paper: left out
    const empty = all.length - periods.length;
    const f = data.filters;
    const inc = data.incomplete_periods || [];
    box.replaceChildren(openTable(data, null));
    const note = document.createElement("p");
    note.className = "open-note";
    note.textContent = `${f.from} to ${f.to}${f.category && f.category.length ? ` in ${f.category.join(", ")}` : ""}. ` +
      "Code = released + promised at a link; “any promise” also counts promises without a link. " +
      (inc.length ? `Includes ${inc.length === 1 ? "the incomplete period" : "incomplete periods"} ${inc.join(", ")} (*). ` : "") +
      `Links found by rules (openness v${data.openness_version}); measured precision in docs/openness.md.`;
    const details = document.createElement("details");
    details.appendChild(Object.assign(document.createElement("summary"), { textContent: `Per ${f.by} (${periods.length}` +
      (empty ? `; ${empty} without papers left out)` : ")") }));
    details.appendChild(openTable(data, periods));
    if (inc.length) details.appendChild(Object.assign(document.createElement("p"), { className: "open-note", textContent: "* incomplete period: the corpus ends before it does (or from/to cuts it)" }));
    box.append(note, details);
    $("openness-note").textContent = `Share of the papers matching each series (then all papers under the same filters) whose abstract or comments link their own code, weights, data or demo.`;
    card.hidden = false;
  } catch (err) {
    if (seq !== trendSeq) return;
    opennessKey = null;
    box.replaceChildren(Object.assign(document.createElement("p"), { className: "error-box", textContent: `Openness: ${err.message}` }));
    card.hidden = false;
    if (err.retryAfter && attempt < 3) setTimeout(() => { if (seq === trendSeq) loadOpenness(attempt + 1); }, err.retryAfter * 1000);
  }
}

// ---------------------------------------------------------------------------------- downloads
function download(name, blob) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

function exportedSvg() {
  const c = trend.corpus;
  const full = trend.filters.text === "full" && !$("coverage").hidden;
  return exportSvg(chart, {
    title: describe(trend),
    subtitle: [`uptake · ${c.papers.toLocaleString("en")} arXiv ${trend.filters.text === "full" ? "full texts" : "papers"}, ${c.first} to ${c.last} · dated by first version · bands: 95% Wilson intervals · hollow: incomplete period`,
      ...(full ? [`shares of papers with a full text · strip: how many of each period's papers have one, amber under ${Math.round(THIN_COVERAGE * 100)}%`] : [])],
    hidden: state.hidden,
    below: full ? $("coverage").querySelector("svg") : null,
  });
}

function setupDownloads() {
  $("dl-json").addEventListener("click", () => {
    if (trend) download("uptake-trend.json", new Blob([JSON.stringify(trend, null, 2) + "\n"], { type: "application/json" }));
  });
  $("dl-svg").addEventListener("click", () => {
    if (chart) download("uptake-trend.svg", new Blob([exportedSvg()], { type: "image/svg+xml" }));
  });
  $("dl-png").addEventListener("click", () => {
    if (!chart) return;
    const svgText = exportedSvg();
    const img = new Image();
    const url = URL.createObjectURL(new Blob([svgText], { type: "image/svg+xml" }));
    img.onload = () => {
      const scale = 2;
      const canvas = document.createElement("canvas");
      canvas.width = img.width * scale;
      canvas.height = img.height * scale;
      const ctx = canvas.getContext("2d");
      ctx.fillStyle = "#fff";
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
      URL.revokeObjectURL(url);
      canvas.toBlob((blob) => download("uptake-trend.png", blob), "image/png");
    };
    img.src = url;
  });
}

// ---------------------------------------------------------------------------------- full text: switch and sections
// The switch sets text=full; a section chip rewrites the query, adding (or replacing) in:ROLE on every series,
// so what is counted stays readable and editable in the query box.
function setupSections() {
  const box = $("roles");
  for (const [role, label] of SECTION_CHIPS) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "chip";
    b.dataset.role = role || "";
    b.textContent = label;
    b.title = role === null ? "anywhere in the full text (no in:)" : role === "use"
      ? "in:use: where papers use it (method, experiments, appendix, captions), not sentences citing another work"
      : `in:${role}: only in ${label.toLowerCase()} sections`;
    b.setAttribute("aria-pressed", "false");
    b.addEventListener("click", () => {
      const pressed = b.getAttribute("aria-pressed") === "true";
      $("q").value = withRole($("q").value, pressed ? null : role);
      submit();
    });
    box.appendChild(b);
  }
  for (const id of ["text-abstract", "text-full"]) {
    $(id).addEventListener("change", () => {
      const q = $("q").value;
      const r = queryRole(q);
      if ($("text-abstract").checked && r && r !== "mixed") $("q").value = withRole(q, null); // abstracts have no sections
      submit();
    });
  }
  $("q").addEventListener("input", updateSections);
}

// Chips show the section every series of the query box is restricted to (none pressed when they differ).
function updateSections() {
  const full = state.text === "full";
  $("roles").hidden = !full;
  $("roles-note").hidden = !full;
  const r = queryRole($("q").value);
  for (const b of $("roles").querySelectorAll("button")) b.setAttribute("aria-pressed", String((b.dataset.role || null) === r));
}

// n: papers with a full text (/api/stats), or null when the server could not say (then the answer will).
function enableFullText(n) {
  const radio = $("text-full");
  radio.disabled = n === 0 && state.text !== "full"; // a permalink to full text still shows why it cannot answer
  const why = n === null ? "read papers' full texts where the store has them"
    : n ? `read the full texts of ${n.toLocaleString("en")} papers (shares divide by papers with a full text)`
    : "this store has no full texts yet: add some with `uptake fulltext import` or `uptake fulltext extract`";
  $("text-full-label").title = why;
  $("text-full-why").textContent = radio.disabled ? ` (off: ${why})` : "";
  $("text-full-label").classList.toggle("disabled", radio.disabled);
}

// ---------------------------------------------------------------------------------- start
function submit(e) {
  if (e) e.preventDefault();
  readForm();
  state.sel = null;
  saveUrl(true);
  clearPapers();
  loadTrend().then(loadEmerging);
}

async function start() {
  $("controls").addEventListener("submit", submit);
  // Enter in any option field submits too (the form does this natively; selects and the checkbox need help).
  for (const id of ["by", "measure", "smooth", "field", "cs"]) $(id).addEventListener("change", () => submit());
  setupSections();
  $("help-toggle").addEventListener("click", () => {
    const help = $("syntax-help");
    help.hidden = !help.hidden;
    $("help-toggle").setAttribute("aria-expanded", String(!help.hidden));
  });
  setupDownloads();
  window.addEventListener("popstate", () => { readUrl(); fillForm(); loadTrend(); });
  let resizeTimer = null;
  window.addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(() => { if (trend) drawTrend(); }, 120); });

  // The server puts the configuration in <body data-config>, so the chart's request starts at once,
  // in parallel with the corpus facts for the header.
  let early = null;
  try { config = { ...config, ...JSON.parse(document.body.dataset.config || "{}") }; } catch { /* fetched below */ }
  const statsReq = getJson("/api/stats");
  if (document.body.dataset.config) {
    readUrl();
    fillForm();
    saveUrl(false);
    early = loadTrend();
  } else {
    try { config = await getJson("/api/config"); } catch { /* keep the defaults */ }
  }
  const [st] = await Promise.allSettled([statsReq]);
  if (st.status === "fulfilled") {
    stats = st.value;
    $("corpus-info").textContent = `${stats.papers.toLocaleString("en")} papers · ${stats.first} to ${stats.last}` +
      (stats.full_texts ? ` · ${stats.full_texts.toLocaleString("en")} full texts` : "");
    enableFullText(stats.full_texts || 0);
    const dl = $("category-list");
    for (const c of stats.categories) dl.appendChild(new Option(`${c.papers.toLocaleString("en")} papers`, c.category));
  } else {
    $("corpus-info").textContent = st.reason.message;
    enableFullText(null);
  }
  if (early) await early;
  else {
    readUrl();
    fillForm();
    saveUrl(false);
    await loadTrend();
  }
  loadEmerging();
  document.body.dataset.ready = "1";
}

start();
