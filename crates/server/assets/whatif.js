// What-if for the street's leaders: the simulator on the live roster and the demand of the
// last 90 days, once as it is and once with one change, the same calls both times; late
// arrivals and response times side by side, and two maps of how many first responders reach
// each grid within the promise.
"use strict";
CG.words({
  wi_change: "推演内容", wi_add_units: "在某站增加力量", wi_move_station: "搬迁某站", wi_demand: "警情量变化", wi_station: "站点",
  wi_force: "力量", wi_mode: "出行方式", wi_count: "人数", wi_scale: "倍数", wi_runs: "模拟天数", wi_run: "开始推演",
  wi_move_hint: "在右侧地图上点选新站址", wi_compare: "推演结果对比", wi_before: "现状：10分钟内可达的先期处置力量", wi_after: "调整后",
  wi_running: "正在推演（同一批模拟警情跑两遍）…", wi_fitted: "按近90天 {n} 起案件拟合：日均 {d} 起；模拟 {k} 天，每次 {c} 起警情。",
  wi_metric: "指标", wi_now: "现状", wi_then: "调整后", wi_diff: "变化", wi_late: "未按时到场（起）", wi_lateness: "超时累计（小时）", wi_within: "10分钟内到场率",
  wi_p50: "到场时间中位数", wi_p90: "到场时间90分位", wi_util: "力量忙碌率", wi_uncovered: "10分钟不可达网格（个）",
  wi_min: "分钟", wi_pick: "请先在地图上点选新站址", wi_moved: "新站址：{lat}, {lng}",
  wi_leg0: "无人可达", wi_leg1: "1人可达", wi_leg2: "2人及以上", wi_legend: "地图：民警和综管队员从驻点出发10分钟内可达的人数",
  wi_empty: "选择一项调整，点击“开始推演”：同一批模拟警情在现状和调整后各跑一遍，按默认调度策略派单。", car: "驾车", ebike: "电动车", foot: "步行",
}, {
  wi_change: "Try", wi_add_units: "More people at a station", wi_move_station: "Move a station", wi_demand: "Demand changes", wi_station: "Station",
  wi_force: "Force", wi_mode: "Travel", wi_count: "How many", wi_scale: "Factor", wi_runs: "Days simulated", wi_run: "Run",
  wi_move_hint: "Click the right-hand map where the station would go", wi_compare: "Compared", wi_before: "Now: first responders within 10 minutes", wi_after: "With the change",
  wi_running: "Running (the same simulated calls, twice)…", wi_fitted: "Demand fitted from {n} cases of the last 90 days ({d} a day); simulated days: {k}, about {c} calls each.",
  wi_metric: "Measure", wi_now: "Now", wi_then: "Changed", wi_diff: "Δ", wi_late: "Late on site (calls)", wi_lateness: "Hours past the promise (summed)", wi_within: "On site within 10 minutes",
  wi_p50: "Response, median", wi_p90: "Response, 90th percentile", wi_util: "Responders busy", wi_uncovered: "Grids nobody reaches in 10 minutes",
  wi_min: "min", wi_pick: "Click the map where the station would go first", wi_moved: "New place: {lat}, {lng}",
  wi_leg0: "nobody", wi_leg1: "one", wi_leg2: "two or more", wi_legend: "Maps: police and patrol members who reach a grid within 10 minutes from their base",
  wi_empty: "Choose a change and press Run: the same simulated calls go through the street as it is and with the change, dispatched by the default policy.", car: "Car", ebike: "E-bike", foot: "On foot",
});
(async () => {
  if (!CG.requireLogin()) return;
  CG.nav("/whatif");
  const $ = (id) => document.getElementById(id);
  const en = () => CG.lang() === "en";
  const [stations, m] = await Promise.all([CG.api("GET", "/api/v1/stations"), CG.basemap.load()]);
  const real = stations.filter((s) => s.kind === "station");
  let result = null, moved = null;
  const charts = [echarts.init($("wi-map0")), echarts.init($("wi-map1"))];
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));

  function fill() {
    $("wi-station").innerHTML = real.map((s) => `<option value="${s.code}">${CG.esc(en() ? s.name_en : s.name)}</option>`).join("");
    $("wi-force").innerHTML = ["police", "patrol_member", "traffic_police", "city_management"].map((f) => `<option value="${f}">${CG.t(f)}</option>`).join("");
    $("wi-mode").innerHTML = ["car", "ebike", "foot"].map((x) => `<option value="${x}">${CG.t(x)}</option>`).join("");
  }
  function showFields() {
    const k = $("wi-kind").value;
    document.querySelectorAll(".wi-add").forEach((e) => { e.hidden = k !== "add_units"; });
    document.querySelector(".wi-station").hidden = k === "demand";
    document.querySelector(".wi-scale").hidden = k !== "demand";
    $("wi-move-hint").hidden = k !== "move_station";
  }
  const colour = (n) => (n == null ? "#eef3f8" : n === 0 ? "#f4b4ae" : n === 1 ? "#ffe0a3" : "#bfe3c6");
  function draw(i) {
    const side = result && (i === 0 ? result.before : result.after);
    const byName = {};
    for (const f of m.grids.features) byName[f.properties.name] = side ? side.cover[f.properties.code] : null;
    const pins = [];
    // Station names without the words every one of them has, so the pins' labels stay apart.
    const short = (s) => (en() ? s.name_en.replace(/ Joint-Duty Station$/, "") : s.name.replace(/联勤警务站$|警务站$/, ""));
    const st = (s) => ({ name: short(s), value: [s.lng, s.lat] });
    for (const s of real) pins.push(i === 1 && moved && moved.station === s.code ? { ...st(s), value: [moved.lng, moved.lat] } : st(s));
    charts[i].setOption({
      geo: CG.basemap.geos(m, { dark: false, regions: (p) => ({ itemStyle: { areaColor: colour(byName[p.name]) } }) }),
      graphic: CG.basemap.caption(m, { dark: false }),
      tooltip: { trigger: "item", formatter: (p) => p.componentType === "geo" ? `${CG.esc(p.name)}${CG.colon()}${byName[p.name] ?? "—"}` : CG.esc(p.name) },
      series: [...CG.basemap.roads(m, { dark: false }), ...CG.basemap.split(m, [{ type: "scatter", coordinateSystem: "geo", name: "stations", symbol: "pin", symbolSize: 22, itemStyle: { color: "#0d47a1" }, label: { show: true, position: "right", formatter: "{b}", fontSize: 11 }, data: pins, z: 5 }])],
    }, true);
  }
  charts[1].getZr().on("click", (e) => {
    if ($("wi-kind").value !== "move_station") return;
    for (const gi of m.enclaveBox ? [1, 0] : [0]) {
      const p = charts[1].convertFromPixel({ geoIndex: gi }, [e.offsetX, e.offsetY]);
      if (p && CG.basemap.geoIndexOf(m, p) === gi) {
        moved = { station: $("wi-station").value, lng: p[0], lat: p[1] };
        $("wi-status").textContent = CG.t("wi_moved").replace("{lat}", p[1].toFixed(4)).replace("{lng}", p[0].toFixed(4));
        draw(1); return;
      }
    }
  });
  const mins = (s) => `${(s / 60).toFixed(1)} ${CG.t("wi_min")}`;
  function table() {
    $("wi-empty").hidden = !!result;
    if (!result) { $("wi-table").innerHTML = ""; return; }
    const { before: b, after: a } = result;
    const rows = [
      ["wi_late", b.late, a.late, (x) => x, true],
      ["wi_lateness", b.lateness_hours, a.lateness_hours, (x) => x.toFixed(1), true],
      ["wi_within", b.on_site_within_10min_pct, a.on_site_within_10min_pct, (x) => x.toFixed(1) + "%", false],
      ["wi_p50", b.response_p50_seconds, a.response_p50_seconds, mins, true],
      ["wi_p90", b.response_p90_seconds, a.response_p90_seconds, mins, true],
      ["wi_util", b.utilisation_pct, a.utilisation_pct, (x) => x.toFixed(1) + "%", null],
      ["wi_uncovered", b.uncovered, a.uncovered, (x) => x, true],
    ];
    $("wi-table").innerHTML = `<tr><th>${CG.t("wi_metric")}</th><th>${CG.t("wi_now")}</th><th>${CG.t("wi_then")}</th><th>${CG.t("wi_diff")}</th></tr>` +
      rows.map(([k, x, y, f, lowerIsBetter]) => {
        // The change as the row shows it (minutes for times); what rounds to nothing is no change.
        const d = y - x;
        const tenths = k === "wi_within" || k === "wi_util" || k === "wi_lateness";
        const v = k === "wi_p50" || k === "wi_p90" ? Math.round(d / 6) / 10 : tenths ? Math.round(d * 10) / 10 : d;
        const cls = lowerIsBetter == null || v === 0 ? "" : (v < 0) === lowerIsBetter ? "better" : "worse";
        const shown = v === 0 ? "—" : `${v > 0 ? "+" : ""}${Number.isInteger(v) && !(k === "wi_p50" || k === "wi_p90" || tenths) ? v : v.toFixed(1)}`;
        return `<tr><td>${CG.t(k)}</td><td>${f(x)}</td><td>${f(y)}</td><td class="${cls}">${shown}</td></tr>`;
      }).join("");
  }
  function legend() {
    $("wi-legend").innerHTML = CG.t("wi_legend") + "<br>" + [["#f4b4ae", "wi_leg0"], ["#ffe0a3", "wi_leg1"], ["#bfe3c6", "wi_leg2"]].map(([c, k]) => `<span style="background:${c}"></span>${CG.t(k)}`).join("");
  }
  function render() { fill(); showFields(); table(); legend(); draw(0); draw(1); }
  $("wi-kind").onchange = showFields;
  $("wi-form").onsubmit = async (e) => {
    e.preventDefault();
    const kind = $("wi-kind").value;
    const body = { kind, seeds: Number($("wi-seeds").value) };
    if (kind !== "demand") body.station = $("wi-station").value;
    if (kind === "add_units") Object.assign(body, { force: $("wi-force").value, mode: $("wi-mode").value, count: Number($("wi-count").value) });
    if (kind === "demand") body.scale = Number($("wi-scale").value);
    if (kind === "move_station") {
      if (!moved || moved.station !== body.station) { $("wi-status").textContent = CG.t("wi_pick"); return; }
      Object.assign(body, { lat: moved.lat, lng: moved.lng });
    }
    $("wi-run").disabled = true; $("wi-status").className = "muted"; $("wi-status").textContent = CG.t("wi_running");
    try {
      result = await CG.api("POST", "/api/v1/whatif", body);
      $("wi-status").textContent = CG.t("wi_fitted").replace("{n}", result.history_cases).replace("{d}", result.cases_per_day)
        .replace("{k}", body.seeds).replace("{c}", Math.round(result.before.cases / body.seeds));
      $("wi-status").className = "ok";
      table(); draw(0); draw(1);
    } catch (err) { $("wi-status").textContent = CG.said(err); $("wi-status").className = "warn-text"; }
    finally { $("wi-run").disabled = false; }
  };
  document.addEventListener("cg:lang", render);
  render();
  document.body.dataset.ready = "1";
})();
