// The big screen: promise rates, today's counts, the map of grids, stations, responders
// and open cases, overdue alarms and trends — all moving with the live stream.
"use strict";
(async () => {
  if (!CG.requireLogin()) return;
  CG.applyI18n();
  document.getElementById("lang-switch").onclick = () => CG.setLang(CG.lang() === "zh" ? "en" : "zh");
  document.getElementById("monthly").onclick = () => {
    const month = new Date(CG.now() + 8 * 3600 * 1000).toISOString().slice(0, 7);
    CG.openPage(`/api/v1/reports/monthly?month=${month}`);
  };
  const PROMISES = ["accept", "dispatch", "on_site", "first_feedback", "close"];
  const OPEN = "new,accepted,dispatched,on_site,in_progress,suspended";
  const state = { cases: new Map(), responders: new Map(), stations: [], categories: {}, grids: {} };
  const charts = {
    source: echarts.init(document.getElementById("chart-source"), "dark", { renderer: "canvas" }),
    trend: echarts.init(document.getElementById("chart-trend"), "dark"),
    cats: echarts.init(document.getElementById("chart-cats"), "dark"),
    map: echarts.init(document.getElementById("map"), "dark"),
  };
  CG.words({ scr_more_overdue: "另有 {n} 件超时，见指挥调度台" }, { scr_more_overdue: "{n} more overdue: see the console" });
  const clear = { backgroundColor: "transparent" };
  const todayStart = () => { const d = new Date(CG.now() + 8 * 3600e3); d.setUTCHours(0, 0, 0, 0); return new Date(d - 8 * 3600e3); };
  const iso = (d) => d.toISOString();

  const [grids, stations, categories, mapSettings] = await Promise.all([
    CG.api("GET", "/api/v1/grids"), CG.api("GET", "/api/v1/stations"), CG.api("GET", "/api/v1/categories"), CG.api("GET", "/api/v1/map")]);
  const tiles = mapSettings.tile_url ? mapSettings : null;
  const base = await CG.basemap.load();
  state.stations = stations;
  categories.forEach((c) => { state.categories[c.code] = c; });
  grids.features.forEach((f) => { state.grids[f.properties.code] = f.properties; });
  const stationColour = { S1: "#17406f", S2: "#1b4a3f", S3: "#3c2d6b", S4: "#5a3b1d", S5: "#1d4d5c" };

  function catName(code) { const c = state.categories[code]; return c ? (CG.lang() === "en" ? c.name_en : c.name) : code; }
  function overdue(c) { return (c.overdue || []).length > 0; }

  function drawMap() {
    // Over a tile layer the grids are see-through.
    const regions = (p) => ({ itemStyle: { areaColor: (stationColour[p.station] || "#112233") + (tiles ? "66" : "") } });
    const cases = [...state.cases.values()];
    const point = (c) => [c.location ? c.location.lng : c.lng, c.location ? c.location.lat : c.lat, c.id];
    const responders = [...state.responders.values()].filter((r) => r.status !== "off_duty" && r.location);
    const rColour = { available: "#36d399", en_route: "#4aa3ff", on_site: "#c084fc", busy: "#c084fc" };
    const shortName = (s) => s.name.replace("联勤警务站", "站").replace("社会治理综合指挥中心", "指挥中心").replace("临江街道", "");
    const points = CG.basemap.split(base, [
      { name: CG.t("centre"), type: "effectScatter", coordinateSystem: "geo", symbolSize: 16, itemStyle: { color: "#ffd54f" }, z: 5,
        label: { show: true, formatter: "{b}", position: "right", color: "#ffe9a3", fontSize: 13, textBorderColor: "#061a33", textBorderWidth: 3 },
        labelLayout: { hideOverlap: true, moveOverlap: "shiftY" },
        data: state.stations.map((s) => ({ name: CG.lang() === "en" ? s.code : shortName(s), value: [s.lng, s.lat] })) },
      { name: CG.t("responders"), type: "scatter", coordinateSystem: "geo", symbolSize: 7, z: 4,
        data: responders.map((r) => ({ name: r.name + " · " + CG.t(r.force), value: [r.location.lng, r.location.lat], itemStyle: { color: rColour[r.status] || "#9fb" } })) },
      { name: CG.t("open"), type: "scatter", coordinateSystem: "geo", symbolSize: (v, p) => (p.data.soon ? 14 : 11), symbol: "diamond", z: 6,
        data: cases.filter((c) => !overdue(c)).map((c) => {
          // Amber when most of the next promise's time is used; otherwise by priority.
          const soon = c.next_deadline && (new Date(c.next_deadline.due_at) - CG.now()) < 0.2 * (new Date(c.next_deadline.due_at) - new Date(c.created_at));
          const colour = soon ? "#ffb020" : { urgent: "#ff7a45", high: "#ffd166", normal: "#4fc3f7", low: "#90a4ae" }[c.priority];
          return { name: "#" + c.id + " " + catName(c.category), value: point(c), soon, itemStyle: { color: colour } };
        }) },
      { name: CG.t("overdue"), type: "effectScatter", coordinateSystem: "geo", symbolSize: 14, rippleEffect: { scale: 4 }, itemStyle: { color: "#ff3b3b" }, z: 7,
        data: cases.filter(overdue).map((c) => ({ name: "#" + c.id + " " + catName(c.category), value: point(c) })) },
      { name: CG.t("scr_gas_leaks"), type: "effectScatter", coordinateSystem: "geo", symbolSize: 24, rippleEffect: { scale: 6, period: 2 }, itemStyle: { color: "#ff1744" }, z: 8,
        label: { show: true, formatter: "{b}", position: "right", color: "#ffb3b3", fontSize: 14 },
        data: (state.leaks || []).map((l) => ({ name: `${CG.t("scr_gas_leaks")} · ${l.address || l.device_id}`, value: [l.lng, l.lat] })) },
    ]);
    charts.map.setOption({
      ...clear,
      geo: CG.basemap.geos(base, { dark: true, regions }),
      tooltip: { trigger: "item" },
      series: [...CG.basemap.roads(base, { dark: true }), ...points],
      graphic: CG.basemap.caption(base, { dark: true }),
    }, { replaceMerge: ["series", "geo", "graphic"] });
    drawTiles();
  }

  // Raster tiles (Web Mercator XYZ) placed under the grids, when a tile URL is configured.
  const MAX_TILES = 64;
  function drawTiles() {
    if (!tiles) return;
    const el = document.getElementById("map");
    const [w, h] = [el.clientWidth, el.clientHeight];
    const tl = charts.map.convertFromPixel("geo", [0, 0]), br = charts.map.convertFromPixel("geo", [w, h]);
    if (!tl || !br) return;
    const ppd = w / Math.max(1e-9, br[0] - tl[0]);
    let z = Math.max(1, Math.min(18, Math.round(Math.log2((360 * ppd) / 256))));
    const tx = (lng) => Math.floor(((lng + 180) / 360) * 2 ** z);
    const ty = (lat) => { const r = (lat * Math.PI) / 180; return Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * 2 ** z); };
    const lngOf = (x) => (x / 2 ** z) * 360 - 180;
    const latOf = (y) => { const n = Math.PI - (2 * Math.PI * y) / 2 ** z; return (180 / Math.PI) * Math.atan(0.5 * (Math.exp(n) - Math.exp(-n))); };
    let [x0, x1, y0, y1] = [tx(tl[0]), tx(br[0]), ty(tl[1]), ty(br[1])];
    while ((x1 - x0 + 1) * (y1 - y0 + 1) > MAX_TILES && z > 1) { z -= 1; [x0, x1, y0, y1] = [tx(tl[0]), tx(br[0]), ty(tl[1]), ty(br[1])]; }
    const subs = tiles.subdomains || "";
    const images = [];
    for (let x = x0; x <= x1; x++) for (let y = y0; y <= y1; y++) {
      const a = charts.map.convertToPixel("geo", [lngOf(x), latOf(y)]), b = charts.map.convertToPixel("geo", [lngOf(x + 1), latOf(y + 1)]);
      const url = tiles.tile_url.replace("{z}", z).replace("{x}", x).replace("{y}", y).replace("{s}", subs ? subs[(x + y) % subs.length] : "");
      images.push({ type: "image", silent: true, z: -100, style: { image: url, x: a[0], y: a[1], width: b[0] - a[0], height: b[1] - a[1], opacity: 0.85 } });
    }
    if (tiles.attribution) images.push({ type: "text", right: 10, bottom: 4, z: 100, style: { text: tiles.attribution, fill: "#9fc4ff", font: "12px sans-serif" } });
    charts.map.setOption({ graphic: [...images, ...CG.basemap.caption(base, { dark: true })] }, { replaceMerge: ["graphic"] });
    document.body.dataset.tiles = String(images.length);
  }

  function drawAlarms() {
    const list = [...state.cases.values()].filter(overdue)
      .sort((a, b) => new Date(a.next_deadline?.due_at || 0) - new Date(b.next_deadline?.due_at || 0)).slice(0, 12);
    document.getElementById("alarms").innerHTML = list.map((c) => {
      const missed = c.overdue[c.overdue.length - 1];
      const due = c.deadlines[missed];
      return `<li data-case-id="${c.id}"><span>#${c.id}</span><span>${CG.esc(catName(c.category))} · ${CG.esc(CG.gridName(c))}<br><small>${CG.t("p_" + missed)}</small></span><span class="late">${CG.countdown(due).txt}</span></li>`;
    }).join("");
    // Whole rows only: what does not fit is counted on the last line instead of cut in half.
    const ul = document.getElementById("alarms"), panel = ul.parentElement;
    const total = [...state.cases.values()].filter(overdue).length;
    const bottom = () => panel.getBoundingClientRect().bottom - 6;
    let shown = ul.children.length;
    const more = () => `<li class="more"><span></span><span>${CG.t("scr_more_overdue").replace("{n}", total - shown)}</span><span></span></li>`;
    while (shown > 0 && ul.lastElementChild && ul.lastElementChild.getBoundingClientRect().bottom > bottom()) { ul.lastElementChild.remove(); shown -= 1; }
    if (total > shown) {
      ul.insertAdjacentHTML("beforeend", more());
      while (shown > 0 && ul.lastElementChild.getBoundingClientRect().bottom > bottom()) { ul.lastElementChild.previousElementSibling.remove(); shown -= 1; ul.lastElementChild.outerHTML = more(); }
    }
  }

  // The year-on-year figures the street's leaders quote: this year so far against the same
  // days last year (police calls, criminal and public-security incidents, demand petitions).
  async function loadYearOnYear() {
    const now = new Date(CG.now() + 8 * 3600e3);
    const from = new Date(Date.UTC(now.getUTCFullYear(), 0, 1) - 8 * 3600e3);
    const sum = await CG.api("GET", `/api/v1/stats/year-on-year?from=${encodeURIComponent(iso(from))}`).catch(() => null);
    if (!sum) return;
    document.getElementById("yoy").innerHTML = ["police_calls", "public_security", "demand_petitions"].map((k) => {
      const c = sum.year_on_year[k];
      if (!c) return "";
      const pct = c.change_pct == null ? "–" : `${c.change_pct > 0 ? "+" : ""}${c.change_pct.toFixed(1)}%`;
      return `<div class="${c.change_pct == null ? "" : c.change_pct < 0 ? "down" : "up"}" data-yoy="${k}"><b>${pct}</b><span>${CG.t("yoy_" + k)}</span><small>${c.current} / ${CG.t("last_year")} ${c.previous}</small></div>`;
    }).join("");
  }

  // Gas detectors: counts, and leaks under way flashing on the map and on the panel.
  state.leaks = [];
  async function loadGas() {
    const g = await CG.api("GET", "/api/v1/gas/summary").catch(() => null);
    if (!g) return;
    const k = g.alarms_by_kind;
    document.getElementById("g-online").textContent = `${g.online}/${g.devices}`;
    document.getElementById("g-leaks").textContent = g.leaks.length;
    document.getElementById("g-trouble").textContent = (k.offline || 0) + (k.fault || 0) + (k.tamper || 0);
    document.getElementById("g-eol").textContent = k.end_of_life || 0;
    document.getElementById("gas-panel").classList.toggle("leaking", g.leaks.length > 0);
    const before = state.leaks.map((l) => l.id).join();
    state.leaks = g.leaks.filter((l) => l.lat != null);
    if (before !== state.leaks.map((l) => l.id).join()) drawMap();
  }

  async function loadFood() {
    const f = await CG.api("GET", "/api/v1/stats/food").catch(() => null);
    if (!f) return;
    for (const k of ["good", "fair", "poor"]) document.getElementById("f-" + k).textContent = f.by_grade[k] || 0;
    document.getElementById("f-late").textContent = f.hazards_overdue;
  }

  // Each joint-duty station: people on duty and free, open and overdue cases in its grids,
  // today's rates with their samples.
  async function loadStations() {
    const list = await CG.api("GET", "/api/v1/stats/stations?lang=" + CG.lang());
    const rate = (k, m, r) => (r == null ? "–" : Math.round(r * 1000) / 10 + "%") + `<small> n=${k + m}</small>`;
    document.getElementById("stations").innerHTML = list.filter((s) => s.kind === "station").map((s) => `<div data-station="${CG.esc(s.code)}">
      <h3 title="${CG.esc(s.name)}">${CG.esc(s.name.replace(/ Joint-Duty Station$/, ""))}</h3>
      <div class="row"><span>${CG.t("scr_on_duty")}</span><b>${s.on_duty}<small> ${CG.t("scr_free")} ${s.available}</small></b></div>
      <div class="row"><span>${CG.t("scr_open")}</span><b>${s.open}${s.overdue ? ` <b class="red">${CG.t("scr_overdue")} ${s.overdue}</b>` : ""}</b></div>
      <div class="row"><span>${CG.t("scr_today_on_site")}</span><b>${rate(s.on_site_kept, s.on_site_missed, s.on_site_rate)}</b></div>
      <div class="row"><span>${CG.t("scr_today_close")}</span><b>${rate(s.close_kept, s.close_missed, s.close_rate)}</b></div></div>`).join("");
  }

  async function loadStats() {
    loadStations().catch(() => {});
    const from = todayStart();
    const sum = await CG.api("GET", `/api/v1/stats/summary?from=${encodeURIComponent(iso(from))}`);
    document.getElementById("rates").innerHTML = PROMISES.map((p) => {
      const r = sum.promises[p]; const pct = r.rate == null ? null : Math.round(r.rate * 1000) / 10;
      // The sample beside the rate: early in the day a rate rests on a handful of cases.
      const n = r.kept + r.missed;
      return `<div class="rate" data-promise="${p}"><span>${CG.t("p_" + p)}</span><div class="bar ${pct != null && pct < 90 ? "bad" : ""}"><i style="width:${pct ?? 0}%"></i></div><b>${pct == null ? "–" : pct + "%"}<small>n=${n}</small></b></div>`;
    }).join("");
    // Today so far against the same hours of the same day last year, not against a whole day.
    const same = sum.year_on_year.all_cases;
    document.getElementById("c-total").textContent = sum.total;
    document.getElementById("c-total-ly").textContent = CG.t("scr_so_far").replace("{n}", sum.total).replace("{m}", same ? same.previous : "–");
    document.getElementById("c-open").textContent = sum.open;
    document.getElementById("c-urgent").textContent = sum.urgent;
    document.getElementById("c-overdue").textContent = [...state.cases.values()].filter(overdue).length;
    const src = Object.entries(sum.by_source).sort((a, b) => b[1] - a[1]);
    charts.source.setOption({ ...clear, grid: { left: 90, right: 30, top: 10, bottom: 20 }, xAxis: { type: "value", minInterval: 1, splitLine: { show: false } },
      yAxis: { type: "category", inverse: true, data: src.map((s) => CG.t(s[0])), axisLabel: { interval: 0 } },
      series: [{ type: "bar", data: src.map((s) => s[1]), itemStyle: { color: "#2b8cff" }, label: { show: true, position: "right" } }] });
    const cats = Object.entries(sum.by_category).sort((a, b) => b[1] - a[1]).slice(0, 8);
    charts.cats.setOption({ ...clear, grid: { left: CG.lang() === "en" ? 140 : 110, right: 30, top: 10, bottom: 20 }, xAxis: { type: "value", minInterval: 1, splitLine: { show: false } },
      yAxis: { type: "category", inverse: true, data: cats.map((c) => catName(c[0])), axisLabel: { width: CG.lang() === "en" ? 130 : 100, overflow: "break", lineHeight: 12, fontSize: CG.lang() === "en" ? 11 : 12, interval: 0 } },
      series: [{ type: "bar", data: cats.map((c) => c[1]), itemStyle: { color: "#19c37d" }, label: { show: true, position: "right" } }] });
  }

  async function loadTrend() {
    const to = new Date(CG.now()), from = new Date(CG.now() - 30 * 86400e3);
    const ly = (d) => new Date(d - 365 * 86400e3);
    const [now, then] = await Promise.all([
      CG.api("GET", `/api/v1/stats/daily?from=${encodeURIComponent(iso(from))}&to=${encodeURIComponent(iso(to))}`),
      CG.api("GET", `/api/v1/stats/daily?from=${encodeURIComponent(iso(ly(from)))}&to=${encodeURIComponent(iso(ly(to)))}`)]);
    const days = now.map((d) => d.day.slice(5));
    charts.trend.setOption({ ...clear, legend: { data: [CG.t("this_year"), CG.t("last_year")], top: 0, textStyle: { color: "#cfe3ff" } }, tooltip: { trigger: "axis" },
      grid: { left: 40, right: 16, top: 30, bottom: 24 }, xAxis: { type: "category", data: days }, yAxis: { type: "value", splitLine: { lineStyle: { color: "#163f7a" } } },
      series: [{ name: CG.t("this_year"), type: "line", smooth: true, data: now.map((d) => d.count), itemStyle: { color: "#2b8cff" }, areaStyle: { opacity: 0.15 } },
        { name: CG.t("last_year"), type: "line", smooth: true, data: then.map((d) => d.count), itemStyle: { color: "#9aa5b1" }, lineStyle: { type: "dashed" } }] });
  }

  async function loadLive() {
    const [page, responders] = await Promise.all([CG.api("GET", `/api/v1/cases?status=${OPEN}&limit=200`), CG.api("GET", "/api/v1/responders")]);
    state.cases = new Map(page.cases.map((c) => [c.id, c]));
    state.responders = new Map(responders.map((r) => [r.id, r]));
    drawMap(); drawAlarms();
  }

  charts.map.on("georoam", () => setTimeout(drawTiles, 0));
  await Promise.all([loadLive(), loadTrend()]);
  await Promise.all([loadStats(), loadFood(), loadGas(), loadYearOnYear()]);
  setInterval(() => loadYearOnYear().catch(() => {}), 300000);
  setInterval(() => loadFood().catch(() => {}), 60000);
  setInterval(() => loadGas().catch(() => {}), 5000);
  document.body.dataset.ready = "1";
  document.body.dataset.readyMs = String(Math.round(performance.now()));

  let statsTimer = null;
  const refreshSoon = () => { clearTimeout(statsTimer); statsTimer = setTimeout(() => loadStats().catch(() => {}), 400); };
  CG.stream(async (kind, data) => {
    if (kind === "reset") { await loadLive(); refreshSoon(); return; }
    if (kind === "responder") {
      const r = state.responders.get(data.id);
      if (r) { if (data.status) r.status = data.status; if (data.lat != null) r.location = { lat: data.lat, lng: data.lng }; drawMap(); }
      return;
    }
    // A case changed: fetch it whole (deadlines, overdue) and place it.
    try {
      const c = await CG.api("GET", `/api/v1/cases/${data.id}`);
      if (OPEN.split(",").includes(c.status)) state.cases.set(c.id, c); else state.cases.delete(c.id);
      drawMap(); drawAlarms(); refreshSoon();
      document.body.dataset.lastCase = String(c.id);
    } catch (_) {}
  });
  const tick = () => {
    document.getElementById("clock").textContent = new Date(CG.now()).toLocaleString(CG.lang() === "en" ? "en-GB" : "zh-CN", { hour12: false, timeZone: "Asia/Shanghai" });
    drawAlarms();
  };
  tick();
  setInterval(tick, 1000);
  setInterval(() => { loadLive().then(loadStats).catch(() => {}); }, 60000);
  document.addEventListener("cg:lang", () => { drawMap(); drawAlarms(); loadStats(); loadTrend(); loadYearOnYear(); });
})();
