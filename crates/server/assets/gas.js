// Smart gas (智慧燃气) for the command centre, stations and grid workers: the alarms to act
// on first (leaks at the top, flashing), every detector with its status, a map of them, and
// one detector's story — its alarms with their steps and readings, the case people went out
// on, and the last message it sent that could not be read.
"use strict";
(async () => {
  if (!CG.requireLogin()) return;
  CG.nav("/gas");
  const $ = (id) => document.getElementById(id);
  const me = CG.user();
  const mayAck = ["dispatcher", "station_officer", "leader", "admin"].includes(me.role);
  const mayClear = mayAck || me.role === "grid_worker";
  const STATUS = ["alarm", "offline", "fault", "tamper", "end_of_life", "low_battery", "never_seen", "normal"];
  const colour = { alarm: "#ff3b3b", offline: "#9e9e9e", fault: "#ff9800", tamper: "#ff9800", end_of_life: "#ffd54f", low_battery: "#ffd54f", never_seen: "#607d8b", normal: "#4caf50" };
  let devices = [], alarms = [], filter = "", selected = null;

  const grids = await CG.api("GET", "/api/v1/grids");
  echarts.registerMap("linjiang", grids);
  const chart = echarts.init($("gas-map"));
  chart.on("click", (p) => { if (p.data && p.data.id) show(p.data.id); });
  window.addEventListener("resize", () => chart.resize());

  const statusTag = (s) => `<span class="tag st-${s}">${CG.t("gst_" + s)}</span>`;
  const kindName = (k) => CG.t("gk_" + k);

  function drawMap() {
    const point = (d) => ({ id: d.device_id, name: `${d.owner_name} · ${d.address}`, value: [d.lng, d.lat], status: d.status, itemStyle: { color: colour[d.status] } });
    const located = devices.filter((d) => d.lat != null);
    chart.setOption({
      tooltip: { formatter: (p) => p.data ? `${CG.esc(p.data.name)}<br>${CG.t("gst_" + p.data.status)}` : "" },
      geo: { map: "linjiang", roam: true, layoutCenter: ["50%", "50%"], layoutSize: "100%", itemStyle: { areaColor: "#f3f6fa", borderColor: "#9db4d0" }, emphasis: { disabled: true } },
      series: [
        { type: "scatter", coordinateSystem: "geo", symbolSize: 6, data: located.filter((d) => d.status !== "alarm").map(point) },
        { type: "effectScatter", coordinateSystem: "geo", symbolSize: 16, rippleEffect: { scale: 5 }, data: located.filter((d) => d.status === "alarm").map(point) },
      ],
    });
  }

  async function load() {
    const q = $("gl-q").value.trim();
    [devices, alarms] = await Promise.all([
      CG.api("GET", "/api/v1/gas/devices" + (q ? "?q=" + encodeURIComponent(q) : "")),
      CG.api("GET", "/api/v1/gas/alarms"),
    ]);
    render();
    drawMap();
  }

  // Leaks first, then by kind, the newest first; cleared ones (awaiting acknowledgement) last.
  function sorted() {
    const order = { gas: 0, offline: 1, fault: 2, tamper: 3, end_of_life: 4, low_battery: 5 };
    return alarms.slice().sort((a, b) => (a.state === "cleared") - (b.state === "cleared") || order[a.kind] - order[b.kind] || b.started_at.localeCompare(a.started_at));
  }

  function render() {
    const count = (s) => devices.filter((d) => d.status === s).length;
    $("gl-counts").innerHTML = `<span><b>${devices.length}</b> ${CG.t("gs_devices")}</span><span><b>${devices.length - count("never_seen") - count("offline")}</b> ${CG.t("gs_online")}</span>` +
      ["alarm", "offline", "fault", "end_of_life"].map((s) => `<span class="${count(s) ? "st-" + s : ""}"><b>${count(s)}</b> ${CG.t("gst_" + s)}</span>`).join("");
    const open = sorted();
    $("gl-alarms").innerHTML = open.map((a) => `<div class="item alarm-${a.kind === "gas" && a.state !== "cleared" ? "leak" : a.severity}" data-device="${CG.esc(a.device_id)}" tabindex="0">
        <strong>${kindName(a.kind)}${a.kind === "gas" ? ` · ${a.level ? CG.t("gs_level_n").replace("{n}", a.level) : CG.t("gs_back_normal")}` : ""}</strong>
        ${a.kind === "gas" && a.peak_lel_pct != null ? `<span class="tag">${CG.t("gs_peak")} ${a.peak_lel_pct.toFixed(1)}%LEL</span>` : ""}
        <span class="tag">${CG.t("gas_state_" + a.state)}</span>${a.case_id ? ` <a href="/console#case-${a.case_id}">${CG.t("gs_case")} #${a.case_id}</a>` : ""}
        <div class="muted">${CG.esc(a.address || a.device_id)} · ${CG.fmtTime(a.started_at)}</div>
        ${mayAck && !a.acknowledged_at ? `<button type="button" class="ack" data-ack="${a.id}">${CG.t("gs_ack")}</button>` : ""}</div>`).join("") || `<p class="muted">${CG.t("gs_no_alarms")}</p>`;
    $("gl-alarms").querySelectorAll("[data-device]").forEach((el) => { el.onclick = (e) => { if (!e.target.dataset.ack && e.target.tagName !== "A") show(el.dataset.device); }; });
    $("gl-alarms").querySelectorAll("[data-ack]").forEach((b) => { b.onclick = () => act(b.dataset.ack, "acknowledge", null); });
    $("gl-filter").innerHTML = ["", ...STATUS].map((s) => `<button type="button" class="secondary" aria-pressed="${filter === s}" data-f="${s}">${s ? CG.t("gst_" + s) : CG.t("gs_all")}</button>`).join("");
    $("gl-filter").querySelectorAll("[data-f]").forEach((b) => { b.onclick = () => { filter = b.dataset.f; render(); }; });
    const shown = devices.filter((d) => !filter || d.status === filter);
    $("gl-list").innerHTML = shown.slice(0, 300).map((d) => `<div class="item" role="option" tabindex="0" data-id="${CG.esc(d.device_id)}" aria-selected="${selected === d.device_id}">
        <strong>${CG.esc(d.owner_name)}</strong> ${statusTag(d.status)} <span class="tag">${CG.t("gd_kind_" + d.kind)}</span>
        <div class="muted">${CG.esc(d.address)} · ${CG.esc(CG.gridName(d))}</div>
        <div class="muted">${CG.esc(d.device_id)} · ${d.last_seen_at ? CG.t("gs_seen") + " " + CG.fmtTime(d.last_seen_at) : CG.t("gst_never_seen")}${d.bad_payloads ? ` · <span class="st-fault">${CG.t("gs_bad")} ${d.bad_payloads}</span>` : ""}</div></div>`).join("") ||
      `<p class="muted">${CG.t("gs_none")}</p>`;
    $("gl-list").querySelectorAll(".item").forEach((el) => {
      el.onclick = () => show(el.dataset.id);
      el.onkeydown = (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); show(el.dataset.id); } };
    });
  }

  async function act(id, what, note) {
    try {
      await CG.api("POST", `/api/v1/gas/alarms/${id}/${what}`, note ? { note } : {});
      await load();
      if (selected) show(selected);
    } catch (e) { alert(e.message); }
  }

  // A step in the page's language: what the device or the platform did is said from the
  // step's facts; what a person wrote is shown as written.
  const MACHINE = { "设备": "gs_by_device", "平台": "gs_by_platform" };
  function step(s, a) {
    const machine = MACHINE[s.by];
    let what = "";
    if (machine) {
      if ((s.action === "raise" || s.action === "update") && s.level != null) what = ` · ${CG.t("gs_level_n").replace("{n}", s.level)}`;
      if (s.action === "link_case" && a.case_id) what = ` · ${CG.t("gs_case")} #${a.case_id}`;
      if (s.action === "raise" && a.kind !== "gas") what = ` · ${CG.t("gk_" + a.kind)}`;
    } else if (s.note) what = " · " + CG.esc(s.note);
    const escalation = s.action === "escalate" && s.level ? ` · ${CG.t("pt_lvl").replace("{n}", s.level)}` : "";
    return `<li>${CG.fmtTime(s.at)} · ${CG.esc(machine ? CG.t(machine) : CG.personName(s.by, s.role))} · ${CG.t("gsa_" + s.action)}${s.duty ? CG.paren(CG.t("gsd_" + s.duty)) : ""}${escalation}${what}</li>`;
  }

  async function show(id) {
    selected = id;
    render();
    const d = await CG.api("GET", `/api/v1/gas/devices/${encodeURIComponent(id)}`);
    $("gd").innerHTML = `<h2>${CG.esc(d.owner_name)} ${statusTag(d.status)}</h2>
      <dl class="facts"><dt>${CG.t("pt_address")}</dt><dd>${CG.esc(d.address)} · ${CG.esc(CG.gridName(d))}</dd>
        <dt>${CG.t("gs_owner")}</dt><dd>${CG.esc(d.owner_name)} ${d.owner_phone ? `<a href="tel:${CG.esc(d.owner_phone)}">${CG.esc(d.owner_phone)}</a>` : ""}</dd>
        <dt>${CG.t("gs_device")}</dt><dd>${CG.esc(d.device_id)} · ${CG.esc(d.model)} · ${CG.t("gd_kind_" + d.kind)}${d.valve ? " · " + CG.t("gs_valve") : ""}</dd>
        <dt>${CG.t("gs_installed")}</dt><dd>${CG.esc(d.installed_on)} · ${CG.t("gs_life_until")} ${CG.esc(d.end_of_life)}</dd>
        <dt>${CG.t("gs_last")}</dt><dd>${d.last_seen_at ? CG.fmtTime(d.last_seen_at) : CG.t("gst_never_seen")}${d.last_lel_pct != null ? ` · ${d.last_lel_pct.toFixed(1)}%LEL` : ""}${d.battery_pct != null ? ` · ${CG.t("gs_battery")} ${d.battery_pct}%` : ""}${d.rssi != null ? ` · ${d.rssi} dBm` : ""} · ${d.messages} ${CG.t(d.messages === 1 ? "gs_message" : "gs_messages")}</dd>
        ${d.bad_payloads ? `<dt>${CG.t("gs_bad")}</dt><dd class="st-fault">${d.bad_payloads} · ${CG.fmtTime(d.last_bad_at)} · ${CG.esc(d.last_bad_reason || "")}<br><code>${CG.esc(d.last_bad_payload || "")}</code></dd>` : ""}</dl>
      <h3>${CG.t("gs_alarms")}</h3>
      ${d.alarms.map((a) => `<div class="card alarm-${a.severity}"><strong>${kindName(a.kind)}</strong> <span class="tag">${CG.t("gas_state_" + a.state)}</span>
          ${a.kind === "gas" && a.peak_lel_pct != null ? `<span class="tag">${CG.t("gs_peak")} ${a.peak_lel_pct.toFixed(1)}%LEL</span>` : ""} ${a.case_id ? `<a href="/console#case-${a.case_id}">${CG.t("gs_case")} #${a.case_id}</a>` : ""}
          <ul class="plain">${a.steps.map((x) => step(x, a)).join("")}</ul>
          ${a.recent.length ? `<details><summary>${CG.t("gs_readings")} (${a.readings})</summary><table class="clock"><tr><th>${CG.t("gs_time")}</th><th>%LEL</th><th>${CG.t("gs_level_h")}</th></tr>${a.recent.slice().reverse().map((r) => `<tr><td>${CG.fmtTime(r.at)}</td><td>${r.lel_pct != null ? r.lel_pct.toFixed(1) : "—"}</td><td>${r.level ?? "—"}${r.muted ? " · " + CG.t("gs_muted") : ""}</td></tr>`).join("")}</table></details>` : ""}
          <div class="inline-row">${mayAck && !a.acknowledged_at ? `<button type="button" data-ack="${a.id}">${CG.t("gs_ack")}</button>` : ""}
          ${mayClear && a.state !== "cleared" && !(a.kind === "gas" && a.level > 0) ? `<input data-note="${a.id}" data-i18n-placeholder="gs_what_done" placeholder="${CG.t("gs_what_done")}" aria-label="note"><button type="button" class="secondary" data-clear="${a.id}">${CG.t("gs_clear")}</button>` : ""}</div></div>`).join("") || `<p class="muted">${CG.t("gs_no_history")}</p>`}`;
    $("gd").querySelectorAll("[data-ack]").forEach((b) => { b.onclick = () => act(b.dataset.ack, "acknowledge", null); });
    $("gd").querySelectorAll("[data-clear]").forEach((b) => { b.onclick = () => act(b.dataset.clear, "clear", $("gd").querySelector(`[data-note="${b.dataset.clear}"]`).value.trim()); });
  }

  document.addEventListener("cg:lang", () => { render(); drawMap(); if (selected) show(selected); });
  $("gl-q").oninput = () => { clearTimeout(window.__q); window.__q = setTimeout(load, 250); };
  await load();
  // The most pressing alarm's detector is shown at once.
  if (!selected && alarms.length) {
    const first = sorted()[0];
    await show(first.device_id);
  }
  setInterval(load, 15000);
  document.body.dataset.ready = "1";
})();
