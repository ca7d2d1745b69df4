// Volunteer teams for their leaders and the street's staff: members with their hours and
// star levels, coming shifts with places needed and filled and who checked in, hours added
// by hand (recorded as such), anti-fraud visits, service certificates.
"use strict";
CG.words({
  vt_teams: "服务队", vt_pick: "请选择一支服务队", vt_all: "全部村社", vt_sum: "服务队 {t} 支 · 志愿者 {v} 人 · 覆盖村社 {c}/{n} · 今年服务 {h} 小时 · 今年开展活动 {s} 场 · 反诈入户 {hh} 户",
  vt_members: "队员", vt_leader: "负责人", vt_name: "姓名", vt_skills: "特长", vt_hours: "服务时长（小时）", vt_stars: "星级", vt_cert: "服务证明",
  vt_shifts: "近期排班", vt_past: "最近完成的活动", vt_slots: "需 {n} 人，已报 {f} 人", vt_wait: "候补 {n} 人", vt_full: "已满员", vt_short: "还缺 {n} 人",
  vt_roster: "报名名单", vt_in: "签到", vt_out: "签退", vt_minutes: "{n} 分钟", vt_added: "补录 {n} 分钟", vt_add_minutes: "补录时长", vt_reason: "补录原因",
  vt_new_shift: "新建排班", vt_add_member: "添加队员", vt_title: "活动名称", vt_place: "地点", vt_lat: "纬度", vt_lng: "经度", vt_radius: "签到半径（米）",
  vt_start: "开始时间", vt_end: "结束时间", vt_slots_f: "需要人数", vt_phone: "手机号（新队员用手机号登录临灵通）", vt_visits: "反诈入户：{n} 次，{h} 户，发放资料 {l} 份",
  vt_team_hours: "全队累计服务 {h} 小时", vt_qr: "签到码", vt_none: "暂无", vt_signed: "已报名", vt_waitlisted: "候补", vt_cancelled: "已取消", vt_body: "说明",
  vt_minutes_n: "分钟数",
}, {
  vt_teams: "Teams", vt_pick: "Choose a team", vt_all: "All communities", vt_sum: "{t} teams · {v} volunteers · {c}/{n} communities covered · {h} hours this year · {s} activities this year · {hh} households visited",
  vt_members: "Members", vt_leader: "Leader", vt_name: "Name", vt_skills: "Skills", vt_hours: "Hours served", vt_stars: "Stars", vt_cert: "Certificate",
  vt_shifts: "Coming shifts", vt_past: "Recent shifts", vt_slots: "{f} of {n} places taken", vt_wait: "{n} waiting", vt_full: "Full", vt_short: "{n} more needed",
  vt_roster: "Roster", vt_in: "In", vt_out: "Out", vt_minutes: "{n} min", vt_added: "{n} min added", vt_add_minutes: "Add minutes", vt_reason: "Why",
  vt_new_shift: "New shift", vt_add_member: "Add a member", vt_title: "Activity", vt_place: "Place", vt_lat: "Latitude", vt_lng: "Longitude", vt_radius: "Check-in radius (m)",
  vt_start: "Starts", vt_end: "Ends", vt_slots_f: "People needed", vt_phone: "Mobile (new members sign in to the app with it)", vt_visits: "Anti-fraud visits: {n}, {h} households, {l} leaflets",
  vt_team_hours: "{h} hours served by the team", vt_qr: "Check-in code", vt_none: "None", vt_signed: "Signed up", vt_waitlisted: "Waiting", vt_cancelled: "Cancelled", vt_body: "Notes",
  vt_minutes_n: "Minutes",
  vt_k_aunties: "Linjia aunties", vt_k_anti_fraud: "Anti-fraud mothers", vt_k_patrol: "Patrol", vt_k_publicity: "Publicity", vt_k_mediation: "Mediation", vt_k_help: "Neighbour help",
});
(async () => {
  if (!CG.requireLogin()) return;
  CG.nav("/volunteers");
  const $ = (id) => document.getElementById(id);
  const f = (k, o) => Object.entries(o).reduce((s, [a, b]) => s.replaceAll("{" + a + "}", b), CG.t(k));
  // A team's community in the page's language.
  const cname = (t) => (CG.lang() === "en" ? t.community_name_en : t.community_name) || t.community_name;
  const me = CG.user();
  let teams = [], selected = null, detail = null;
  const stars = (n) => `<span class="stars" aria-label="${n}">${"★".repeat(n)}${"☆".repeat(5 - n)}</span>`;
  const time = (iso) => iso ? CG.fmtTime(iso).slice(0, -3) : "";
  async function loadSummary() {
    if (me.role === "volunteer") { $("vt-sum").hidden = true; return; }
    const s = await CG.api("GET", "/api/v1/volunteers/summary");
    $("vt-sum").innerHTML = f("vt_sum", { t: `<b>${s.teams}</b>`, v: `<b>${s.volunteers}</b>`, c: `<b>${s.communities_covered}</b>`, n: s.communities, h: `<b>${s.hours_this_year}</b>`, s: `<b>${s.shifts_this_year}</b>`, hh: `<b>${s.households_this_year}</b>` });
  }
  // The community filter, in the page's language.
  function renderFilter() {
    const names = [...new Map(teams.map((t) => [t.community, cname(t)])).entries()];
    const keep = $("vt-community").value;
    $("vt-community").innerHTML = `<option value="">${CG.t("vt_all")}</option>` + names.map(([c, n]) => `<option value="${c}">${CG.esc(n)}</option>`).join("");
    $("vt-community").value = keep;
  }
  async function loadTeams() {
    teams = await CG.api("GET", "/api/v1/volunteers/teams");
    renderFilter();
    renderTeams();
    if (!selected && teams.length) open(teams[0].id);
  }
  function renderTeams() {
    const c = $("vt-community").value;
    $("vt-teams").innerHTML = teams.filter((t) => !c || t.community === c).map((t) => `<div class="item" role="option" tabindex="0" data-id="${t.id}" aria-selected="${t.id === selected}">
      <strong>${CG.esc(t.name)}</strong> <span class="tag">${CG.esc(CG.lang() === "en" ? CG.t("vt_k_" + t.kind) : t.kind_zh)}</span>
      <div class="muted">${CG.t("vt_leader")}${CG.colon()}${CG.esc(t.leader_name || "")} · ${t.members} ${CG.t("vt_members")}</div></div>`).join("");
    $("vt-teams").querySelectorAll(".item").forEach((el) => { el.onclick = () => open(Number(el.dataset.id)); el.onkeydown = (e) => { if (e.key === "Enter") open(Number(el.dataset.id)); }; });
  }
  async function open(id) { selected = id; renderTeams(); detail = await CG.api("GET", "/api/v1/volunteers/teams/" + id); renderDetail(); }
  function shift(s, past) {
    const short = s.slots - s.filled;
    const roster = s.roster.map((r) => `<tr><td>${CG.esc(r.name)}</td><td>${CG.t("vt_" + r.status)}</td><td>${time(r.checked_in_at)}</td><td>${time(r.checked_out_at)}</td>
      <td>${r.minutes != null ? f("vt_minutes", { n: r.minutes }) : ""}${r.added_minutes ? " · " + f("vt_added", { n: r.added_minutes }) : ""}</td>
      <td>${past && r.status === "signed" && r.user_id !== me.id ? `<button type="button" class="secondary" data-add="${s.id}:${r.user_id}">${CG.t("vt_add_minutes")}</button>` : ""}</td></tr>`).join("");
    return `<div class="shift"><strong>${CG.esc(s.title)}</strong> ${time(s.starts_at)}–${time(s.ends_at).slice(-5)} · ${CG.esc(s.place)}
      <div>${f("vt_slots", { n: s.slots, f: s.filled })}${s.waitlisted ? " · " + f("vt_wait", { n: s.waitlisted }) : ""} · ${short > 0 ? `<span class="short">${f("vt_short", { n: short })}</span>` : `<span class="full">${CG.t("vt_full")}</span>`}
      ${past ? "" : ` <button type="button" class="secondary" data-qr="${s.id}">${CG.t("vt_qr")}</button>`}</div>
      ${s.roster.length ? `<table class="grid"><thead><tr><th>${CG.t("vt_name")}</th><th></th><th>${CG.t("vt_in")}</th><th>${CG.t("vt_out")}</th><th>${CG.t("vt_hours")}</th><th></th></tr></thead><tbody>${roster}</tbody></table>` : ""}
      <div id="qr-${s.id}"></div></div>`;
  }
  function renderDetail() {
    const d = detail;
    $("vt-detail").innerHTML = `<h2>${CG.esc(d.team.name)}</h2>
      <p>${CG.esc(cname(d.team))} · ${CG.t("vt_leader")}${CG.colon()}${CG.esc(d.team.leader_name || "")} · ${f("vt_team_hours", { h: d.hours })}</p>
      <p>${f("vt_visits", { n: d.visits, h: d.households, l: d.leaflets })}</p>
      <div class="row"><button type="button" id="vt-new-shift">${CG.t("vt_new_shift")}</button> <button type="button" class="secondary" id="vt-add-member">${CG.t("vt_add_member")}</button></div>
      <h3>${CG.t("vt_members")}</h3>
      <table class="grid"><thead><tr><th>${CG.t("vt_name")}</th><th>${CG.t("vt_skills")}</th><th>${CG.t("vt_hours")}</th><th>${CG.t("vt_stars")}</th><th></th></tr></thead>
      <tbody>${d.members.map((m) => `<tr><td>${CG.esc(m.name)}</td><td>${CG.esc(m.skills)}</td><td>${m.hours}</td><td>${stars(m.stars)}</td>
        <td><button type="button" class="secondary" data-cert="${m.user_id}">${CG.t("vt_cert")}</button></td></tr>`).join("")}</tbody></table>
      <h3>${CG.t("vt_shifts")}</h3>${d.shifts.map((s) => shift(s, false)).join("") || `<p class="muted">${CG.t("vt_none")}</p>`}
      <h3>${CG.t("vt_past")}</h3>${d.past_shifts.map((s) => shift(s, true)).join("") || `<p class="muted">${CG.t("vt_none")}</p>`}`;
    $("vt-new-shift").onclick = newShift;
    $("vt-add-member").onclick = addMember;
    $("vt-detail").querySelectorAll("[data-cert]").forEach((b) => { b.onclick = () => CG.openPage(`/api/v1/volunteers/${b.dataset.cert}/certificate`); });
    $("vt-detail").querySelectorAll("[data-qr]").forEach((b) => { b.onclick = async () => {
      const r = await fetch(`/api/v1/community/activities/${b.dataset.qr}/qr.svg`, { headers: { Authorization: "Bearer " + CG.token() } });
      $("qr-" + b.dataset.qr).innerHTML = r.ok ? `<div id="vt-qr">${await r.text()}</div>` : "";
    }; });
    $("vt-detail").querySelectorAll("[data-add]").forEach((b) => { b.onclick = () => addMinutes(...b.dataset.add.split(":").map(Number)); });
  }
  function ask(html) {
    return new Promise((resolve) => {
      $("vt-dialog-body").innerHTML = html; $("vt-dialog-error").textContent = ""; $("vt-dialog").showModal();
      $("vt-dialog-cancel").onclick = () => { $("vt-dialog").close(); resolve(null); };
      $("vt-dialog-form").onsubmit = (e) => { e.preventDefault(); const v = {}; $("vt-dialog-body").querySelectorAll("[name]").forEach((i) => { v[i.name] = i.value; }); resolve(v); };
    });
  }
  async function send(call) {
    try { await call(); $("vt-dialog").close(); await open(selected); loadTeams(); } catch (e) { $("vt-dialog-error").textContent = CG.said(e); }
  }
  const field = (k, inner) => `<label>${CG.t(k)}${inner}</label>`;
  async function newShift() {
    const g = (await CG.api("GET", "/api/v1/grids")).features.find((x) => x.properties.community === detail.team.community);
    const ring = g ? g.geometry.coordinates[0] : [[120.57, 30.266]];
    const c = ring.reduce((a, p) => [a[0] + p[0] / ring.length, a[1] + p[1] / ring.length], [0, 0]);
    const tomorrow = new Date(CG.now() + 86400000 + 8 * 3600000).toISOString().slice(0, 10);
    const v = await ask(`<div class="vt-form">${field("vt_title", `<input name="title" required>`)}${field("vt_place", `<input name="place" required value="${CG.esc(detail.team.community_name)}党群服务中心门口">`)}${field("vt_slots_f", `<input type="number" name="slots" min="1" value="5">`)}
      ${field("vt_start", `<input type="datetime-local" name="start" value="${tomorrow}T09:00">`)}${field("vt_end", `<input type="datetime-local" name="end" value="${tomorrow}T11:00">`)}${field("vt_radius", `<input type="number" name="radius" value="200" min="20" max="2000">`)}
      ${field("vt_lat", `<input name="lat" value="${c[1].toFixed(5)}">`)}${field("vt_lng", `<input name="lng" value="${c[0].toFixed(5)}">`)}</div>${field("vt_body", `<textarea name="body" rows="2"></textarea>`)}`);
    if (!v) return;
    await send(() => CG.api("POST", `/api/v1/volunteers/teams/${selected}/shifts`, { title: v.title, body: v.body, place: v.place, lat: Number(v.lat), lng: Number(v.lng), radius_m: Number(v.radius),
      starts_at: v.start + ":00+08:00", ends_at: v.end + ":00+08:00", slots: Number(v.slots) }));
  }
  async function addMember() {
    const v = await ask(field("vt_name", `<input name="name" required maxlength="30">`) + field("vt_phone", `<input name="phone" inputmode="tel" required>`) + field("vt_skills", `<input name="skills">`));
    if (v) await send(() => CG.api("POST", `/api/v1/volunteers/teams/${selected}/members`, { name: v.name, phone: v.phone, skills: v.skills }));
  }
  async function addMinutes(shiftId, user) {
    const v = await ask(field("vt_minutes_n", `<input type="number" name="minutes" min="1" value="30">`) + field("vt_reason", `<input name="reason" required>`));
    if (v) await send(() => CG.api("POST", `/api/v1/volunteers/shifts/${shiftId}/minutes`, { user_id: user, minutes: Number(v.minutes), reason: v.reason }));
  }
  $("vt-community").onchange = renderTeams;
  document.addEventListener("cg:lang", () => { loadSummary(); renderFilter(); renderTeams(); if (detail) renderDetail(); });
  await loadSummary();
  await loadTeams();
  document.body.dataset.ready = "1";
})();
