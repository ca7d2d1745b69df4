// Statistics for the street's leaders: the standard indicators with their numerators and
// denominators, a breakdown of the period's cases by grid, community, station, category,
// channel, force, responder, hour or weekday against the same period last year (or the one
// before), a chart and a ranking, and the cases behind any figure one click away.
"use strict";
(async () => {
  if (!CG.requireLogin()) return;
  CG.nav("/stats");
  const $ = (id) => document.getElementById(id);
  const BY = ["grid", "community", "station", "category", "source", "priority", "force", "responder", "hour", "weekday"];
  const MEASURES = ["count", "close_rate", "on_site_rate", "satisfaction_rate", "urgent", "reopened"];
  const RATES = ["close_rate", "on_site_rate", "satisfaction_rate"];
  const params = new URLSearchParams(location.search);
  const today = new Date(CG.now() + 8 * 3600e3).toISOString().slice(0, 10);
  $("st-date").value = params.get("date") || today;
  if (params.get("period")) $("st-period").value = params.get("period");
  let data = null, indicators = null;
  const chart = echarts.init($("st-chart"));
  window.addEventListener("resize", () => chart.resize());

  function fillSelects() {
    const by = $("st-by").value || params.get("by") || "grid", m = $("st-measure").value || "count";
    $("st-by").innerHTML = BY.map((b) => `<option value="${b}">${CG.t("st_by_" + b)}</option>`).join("");
    $("st-measure").innerHTML = MEASURES.map((k) => `<option value="${k}">${CG.t("st_m_" + k)}</option>`).join("");
    $("st-by").value = by; $("st-measure").value = m;
  }

  const pct = (r) => (r == null ? "—" : (r * 100).toFixed(1) + "%");
  const signed = (v, unit) => (v == null ? "" : `${v > 0 ? "+" : ""}${v.toFixed(1)}${unit}`);
  const day = (iso) => new Date(new Date(iso).getTime() + 8 * 3600e3).toISOString().slice(0, 10);
  // The last day a period covers, for people (the API's `to` is exclusive).
  const lastDay = (iso) => new Date(new Date(iso).getTime() + 8 * 3600e3 - 1).toISOString().slice(0, 10);

  function query() {
    const q = new URLSearchParams({ by: $("st-by").value, compare: $("st-compare").value, lang: CG.lang() });
    if ($("st-period").value === "custom") {
      const f = $("st-from").value || today, t = $("st-to").value || today;
      const next = new Date(new Date(t + "T00:00:00+08:00").getTime() + 86400e3).toISOString();
      q.set("from", f + "T00:00:00+08:00"); q.set("to", next);
    } else {
      q.set("period", $("st-period").value); q.set("date", $("st-date").value || today);
    }
    return q;
  }

  async function load() {
    const custom = $("st-period").value === "custom";
    document.querySelectorAll(".st-custom").forEach((el) => { el.hidden = !custom; });
    $("st-date-l").hidden = custom;
    try {
      data = await CG.api("GET", "/api/v1/stats/breakdown?" + query());
      const p = data.period;
      indicators = await CG.api("GET", `/api/v1/stats/indicators?from=${encodeURIComponent(p.from)}&to=${encodeURIComponent(p.to)}`);
    } catch (e) {
      $("st-scope").textContent = e.message || String(e);
      $("st-scope").className = "error";
      return;
    }
    $("st-scope").className = "muted";
    render();
  }

  function render() {
    const p = data.period;
    let scope = CG.t("st_scope").replace("{from}", day(p.from)).replace("{to}", lastDay(p.to)).replace("{asof}", CG.fmtTime(data.as_of));
    if (data.compared_with) scope += " " + CG.t("st_scope_cmp").replace("{from}", day(data.compared_with.from)).replace("{to}", lastDay(data.compared_with.to));
    if (p.to !== p.end) scope += " " + CG.t("st_under_way");
    if (data.counts_overlap) scope += " " + CG.t("st_overlap");
    $("st-scope").textContent = scope;
    renderIndicators();
    chart.resize();
    renderChart();
    renderRanking();
    renderTable();
  }

  function renderIndicators() {
    const en = CG.lang() === "en";
    $("st-ind").innerHTML = indicators.indicators.map((i) => `<div class="st-kpi" data-ind="${i.key}">
      <div class="muted">${CG.esc(en ? i.name_en : i.name_zh)}</div><b>${pct(i.rate)}</b>
      <div>${CG.t("st_n_of").replace("{n}", i.numerator).replace("{d}", i.denominator)}</div>
      <div class="muted small">${CG.esc(en ? i.formula_en : i.formula)}</div></div>`).join("");
    const link = (ids) => ids.map((id) => `<a href="/console#case-${id}">#${id}</a>`).join(" ");
    const left = [];
    if (indicators.left_out_suspended.length) left.push(CG.t("st_left_susp") + link(indicators.left_out_suspended));
    if (indicators.extended.length) left.push(CG.t("st_extended") + link(indicators.extended));
    $("st-left").innerHTML = left.join("；");
  }

  const value = (row, m) => (m === "count" ? row.count : m === "urgent" ? row.urgent : m === "reopened" ? row.reopened : row[m]);
  const previous = (row, m) => (row.previous ? (m === "count" ? row.previous.count : RATES.includes(m) ? row.previous[m] : null) : null);

  function renderChart() {
    const m = $("st-measure").value, rate = RATES.includes(m);
    $("st-chart-h").textContent = `${CG.t("st_m_" + m)} · ${CG.t("st_by_" + data.by)}`;
    const rows = data.rows.slice();
    if (!["hour", "weekday"].includes(data.by)) rows.sort((a, b) => (value(b, m) ?? -1) - (value(a, m) ?? -1));
    const shown = rows.slice(0, 30);
    const fmt = (v) => (v == null ? null : rate ? +(v * 100).toFixed(1) : v);
    const series = [{ name: CG.t("st_this"), type: "bar", data: shown.map((r) => fmt(value(r, m))), itemStyle: { color: "#1565c0" }, label: { show: shown.length <= 12, position: "top", formatter: (x) => x.value == null ? "" : x.value + (rate ? "%" : "") } }];
    if (data.compared_with && (m === "count" || rate)) series.push({ name: CG.t("st_prev"), type: "bar", data: shown.map((r) => fmt(previous(r, m))), itemStyle: { color: "#b0bec5" } });
    chart.setOption({
      animation: false, tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: { left: 48, right: 12, top: 30, bottom: 90 },
      xAxis: { type: "category", data: shown.map((r) => r.label), axisLabel: { interval: 0, rotate: shown.length > 8 ? 40 : 0, width: 110, overflow: "truncate" } },
      yAxis: { type: "value", minInterval: 1, max: rate ? 100 : null, axisLabel: { formatter: rate ? "{value}%" : "{value}" } },
      series,
    }, true);
    chart.off("click");
    chart.on("click", (e) => { const r = shown[e.dataIndex]; if (r && e.seriesIndex === 0) drill(r.key, r.label, m === "close_rate" ? "close_missed" : m === "reopened" ? "reopened" : m === "urgent" ? "urgent" : m === "on_site_rate" ? "on_site_missed" : m === "satisfaction_rate" ? "unsatisfied" : "all"); });
  }

  function renderRanking() {
    const r = data.ranking, byKey = Object.fromEntries(data.rows.map((x) => [x.key, x]));
    const list = (keys) => `<ol>${keys.map((k) => `<li><a href="#" data-k="${CG.esc(k)}">${CG.esc(byKey[k].label)}</a> <b>${pct(byKey[k].close_rate)}</b> <span class="muted">${byKey[k].close_kept}/${byKey[k].close_kept + byKey[k].close_missed}</span></li>`).join("")}</ol>`;
    $("st-rank").innerHTML = r.best.length
      ? `<div class="st-rank"><div><h3>${CG.t("st_best")}</h3>${list(r.best)}</div><div><h3>${CG.t("st_worst")}</h3>${list(r.worst)}</div></div><p class="muted small">${CG.t("st_rank_min").replace("{n}", r.sample_min)}</p>`
      : `<p class="muted">${CG.t("st_no_rank")}</p>`;
    $("st-rank").querySelectorAll("[data-k]").forEach((a) => { a.onclick = (e) => { e.preventDefault(); drill(a.dataset.k, byKey[a.dataset.k].label, "close_missed"); }; });
  }

  function renderTable() {
    $("st-table-h").textContent = CG.t("st_by_" + data.by);
    const cmp = !!data.compared_with;
    const cell = (row, v, measure) => (v ? `<a href="#" data-k="${CG.esc(row.key)}" data-m="${measure}">${v}</a>` : "0");
    // More cases reads as worse, a higher rate as better.
    const change = (v, unit, higherIsBetter) => (v == null ? "" : `<span class="${(v > 0) === higherIsBetter && v !== 0 ? "better" : v !== 0 ? "worse" : ""}">${signed(v, unit)}</span>`);
    const head = `<thead><tr><th>${CG.t("st_col_name")}</th><th>${CG.t("st_col_count")}</th>${cmp ? `<th>${CG.t("st_col_change")}</th>` : ""}<th>${CG.t("st_col_open")}</th><th>${CG.t("st_col_closed")}</th>
      <th>${CG.t("st_col_close_rate")}</th>${cmp ? `<th>${CG.t("st_col_change")}</th>` : ""}<th>${CG.t("st_col_missed")}</th><th>${CG.t("st_col_on_site")}</th><th>${CG.t("st_col_sat")}</th><th>${CG.t("st_col_reopened")}</th></tr></thead>`;
    const line = (r, total) => `<tr${total ? ' class="total"' : ""}><th scope="row">${CG.esc(r.label)}</th><td>${cell(r, r.count, "all")}</td>${cmp ? `<td>${change(r.count_change_pct, "%", false)}</td>` : ""}
      <td>${cell(r, r.open, "open")}</td><td>${cell(r, r.closed, "closed")}</td>
      <td>${pct(r.close_rate)} <span class="muted small">n=${r.close_kept + r.close_missed}</span></td>${cmp ? `<td>${change(r.close_rate_change_pp, " " + CG.t("st_pp"), true)}</td>` : ""}
      <td>${cell(r, r.close_missed, "close_missed")}</td><td>${pct(r.on_site_rate)}</td><td>${pct(r.satisfaction_rate)}</td><td>${cell(r, r.reopened, "reopened")}</td></tr>`;
    const body = data.rows.length ? data.rows.map((r) => line(r, false)).join("") : `<tr><td colspan="11" class="muted">${CG.t("st_none_rows")}</td></tr>`;
    $("st-table").innerHTML = head + `<tbody>${body}</tbody><tfoot>${line({ ...data.total, key: "" }, true)}</tfoot>`;
    $("st-table").querySelectorAll("[data-m]").forEach((a) => {
      a.onclick = (e) => {
        e.preventDefault();
        const row = data.rows.find((x) => x.key === a.dataset.k);
        drill(a.dataset.k || null, row ? row.label : CG.t("st_total"), a.dataset.m);
      };
    });
  }

  async function drill(key, label, measure) {
    const q = query(); q.delete("compare"); q.delete("lang");
    if (key) q.set("key", key);
    q.set("measure", measure); q.set("limit", "50");
    const out = await CG.api("GET", "/api/v1/stats/breakdown/cases?" + q);
    $("st-drill-h").textContent = CG.t("st_cases_behind").replace("{label}", label).replace("{what}", CG.t("st_what_" + measure));
    $("st-drill-n").textContent = CG.t("st_cases_n").replace("{n}", out.total).replace("{k}", out.cases.length);
    $("st-drill-list").innerHTML = out.cases.map((c) => `<a class="item" href="/console#case-${c.id}">
      <strong>#${c.id} ${CG.esc(categoryName(c))}</strong> <span class="tag st-${c.status}">${CG.t(c.status)}</span>${c.overdue.length ? ` <span class="tag overdue">${CG.t("p_" + c.overdue[c.overdue.length - 1])}</span>` : ""}
      <div class="muted">${CG.esc(CG.gridName(c))} · ${CG.fmtTime(c.created_at)}</div><div>${CG.esc(c.description.slice(0, 60))}</div></a>`).join("");
    $("st-drill").hidden = false;
    $("st-drill-x").focus();
  }
  let categories = {};
  const categoryName = (c) => (categories[c.category] ? (CG.lang() === "en" ? categories[c.category].name_en : categories[c.category].name) : c.category_name || c.category);
  try { (await CG.api("GET", "/api/v1/categories")).forEach((c) => { categories[c.code] = c; }); } catch (_) {}

  $("st-drill-x").onclick = () => { $("st-drill").hidden = true; };
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") $("st-drill").hidden = true; });
  for (const id of ["st-period", "st-date", "st-from", "st-to", "st-compare", "st-by"]) $(id).onchange = load;
  $("st-measure").onchange = renderChart;
  $("st-form").onsubmit = (e) => { e.preventDefault(); load(); };
  const fail = (e) => { $("st-scope").textContent = e.message || String(e); $("st-scope").className = "error"; };
  $("st-csv").onclick = () => CG.download("/api/v1/exports/breakdown.csv?" + query(), `breakdown-${$("st-by").value}.csv`).catch(fail);
  $("st-xlsx").onclick = () => CG.download("/api/v1/exports/breakdown.xlsx?" + query(), `breakdown-${$("st-by").value}.xlsx`).catch(fail);
  const period = () => `from=${encodeURIComponent(data.period.from)}&to=${encodeURIComponent(data.period.to)}&lang=${CG.lang()}`;
  $("st-ind-csv").onclick = () => CG.download("/api/v1/exports/indicators.csv?" + period(), "indicators.csv").catch(fail);
  $("st-ind-xlsx").onclick = () => CG.download("/api/v1/exports/indicators.xlsx?" + period(), "indicators.xlsx").catch(fail);
  $("st-report").onclick = () => CG.openPage("/api/v1/reports/monthly?month=" + ($("st-date").value || today).slice(0, 7)).catch(fail);
  document.addEventListener("cg:lang", () => { fillSelects(); load(); });
  fillSelects();
  await load();
  document.body.dataset.ready = "1";
})();
