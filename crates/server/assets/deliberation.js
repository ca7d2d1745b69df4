// Grid deliberation days (“临距离”网格议事) for the staff who run them: each community's
// fixed day and meetings (registration, QR check-in, minutes), the topics residents raise
// (screen, put on an agenda, record the outcome), and the resolutions tracked to completion
// (steps with owners and dates, a step carried out as a case, parts, solved).
"use strict";
CG.words({
  dl_title: "网格议事", dl_community: "村社", dl_all: "全街道", dl_set_day: "设置议事日", dl_generate: "生成未来3个月会议", dl_board_link: "公示栏",
  dl_topics: "议题", dl_meetings: "议事会议", dl_resolutions: "决议", dl_new_topic: "登记议题", dl_pick: "请选择左侧的议题、会议或决议",
  dl_day: "每月{d}日 {t}，{p}", dl_no_day: "尚未设置议事日", dl_open: "待开始", dl_in_progress: "推进中", dl_solved: "已解决", dl_dropped: "已终止",
  dl_s_raised: "待初审", dl_s_accepted: "待列入议程", dl_s_on_agenda: "已列入议程", dl_s_discussed: "已讨论", dl_s_declined: "不予受理",
  dl_f_open: "待处理议题", dl_f_all: "全部议题", dl_upcoming: "即将召开", dl_past: "已召开", dl_all_res: "全部决议",
  dl_supporters: "{n}人支持", dl_raised_by: "提出人", dl_me: "我", dl_source: "来源", dl_src_app: "临灵通", dl_src_grid_worker: "网格员", dl_src_case: "案件", dl_src_petition: "信访",
  dl_accept: "受理", dl_decline: "不予受理", dl_schedule: "列入议程", dl_discuss: "记录讨论结果", dl_defer: "顺延到下次", dl_reason: "理由",
  dl_meeting: "议事会议", dl_outcome: "讨论结果", dl_make_res: "形成决议（需跟踪办理时填写）", dl_res_title: "决议事项", dl_owner: "责任人", dl_due: "完成期限",
  dl_registered: "报名 {n}/{c}", dl_attended: "签到 {n} 人", dl_minutes: "会议纪要", dl_orgs: "参会单位（用顿号分隔）", dl_save_draft: "保存草稿", dl_finalise: "定稿",
  dl_m_none: "未记录", dl_m_draft: "草稿", dl_m_final: "已定稿", dl_agenda: "议程", dl_no_agenda: "暂无议题", dl_qr: "签到二维码（张贴在会场门口）",
  dl_progress: "进度", dl_steps: "工作步骤", dl_add_step: "添加步骤", dl_step_title: "步骤", dl_report: "更新进度", dl_spawn: "派发为案件", dl_category: "案件类别",
  dl_add_part: "拆分子决议", dl_solve: "确认解决", dl_drop: "终止", dl_parts: "子决议", dl_case: "案件 #{id}", dl_overdue: "已超期", dl_done: "完成于 {t}",
  dl_topic_of: "来自议题 #{id}", dl_events: "办理记录", dl_title_f: "标题", dl_body: "内容", dl_case_id: "关联案件编号（可选）", dl_petition_id: "关联信访编号（可选）",
  dl_day_of_month: "每月几日（1–28）", dl_time: "时间", dl_place: "地点", dl_capacity: "容纳人数", dl_made: "已生成 {n} 场会议", dl_saved: "已保存",
  dl_count: "待开始 {o} · 推进中 {i} · 已解决 {s}", dl_none: "没有符合条件的记录", dl_step_n: "第{n}项", dl_percent: "完成百分比",
  dl_a_raise: "提出", dl_a_support: "支持", dl_a_accept: "受理", dl_a_decline: "不予受理", dl_a_schedule: "列入议程", dl_a_discuss: "上会讨论", dl_a_defer: "顺延",
  dl_a_warn: "临期提醒", dl_a_escalate: "超期督办", dl_a_resolve: "形成决议", dl_a_add_step: "添加步骤", dl_a_progress: "更新进度", dl_a_link_case: "派发案件",
  dl_a_case_closed: "案件办结", dl_a_solve: "确认解决", dl_a_drop: "终止",
  dl_duty_screen: "议题初审", dl_duty_schedule: "列入议程", dl_duty_discuss: "上会讨论", dl_duty_complete: "决议办结",
}, {
  dl_title: "Grid deliberation", dl_community: "Community", dl_all: "Whole street", dl_set_day: "Set the day", dl_generate: "Make the next 3 months' meetings", dl_board_link: "Public board",
  dl_topics: "Topics", dl_meetings: "Meetings", dl_resolutions: "Resolutions", dl_new_topic: "New topic", dl_pick: "Choose a topic, meeting or resolution on the left",
  dl_day: "Day {d} of every month, {t}, {p}", dl_no_day: "No deliberation day yet", dl_open: "Not started", dl_in_progress: "In progress", dl_solved: "Solved", dl_dropped: "Dropped",
  dl_s_raised: "To screen", dl_s_accepted: "To schedule", dl_s_on_agenda: "On the agenda", dl_s_discussed: "Discussed", dl_s_declined: "Declined",
  dl_f_open: "Topics to handle", dl_f_all: "All topics", dl_upcoming: "Coming", dl_past: "Held", dl_all_res: "All resolutions",
  dl_supporters: "{n} in support", dl_raised_by: "Raised by", dl_me: "you", dl_source: "Source", dl_src_app: "Resident app", dl_src_grid_worker: "Grid worker", dl_src_case: "Case", dl_src_petition: "Petition",
  dl_accept: "Accept", dl_decline: "Decline", dl_schedule: "Put on an agenda", dl_discuss: "Record the outcome", dl_defer: "Defer to next", dl_reason: "Reason",
  dl_meeting: "Meeting", dl_outcome: "Outcome", dl_make_res: "Make a resolution (when work must follow)", dl_res_title: "Resolution", dl_owner: "Owner", dl_due: "Due",
  dl_registered: "Registered {n}/{c}", dl_attended: "{n} checked in", dl_minutes: "Minutes", dl_orgs: "Organisations present (separate with 、)", dl_save_draft: "Save draft", dl_finalise: "Finalise",
  dl_m_none: "None", dl_m_draft: "Draft", dl_m_final: "Final", dl_agenda: "Agenda", dl_no_agenda: "No topics yet", dl_qr: "Check-in QR code (post at the door)",
  dl_progress: "Progress", dl_steps: "Steps", dl_add_step: "Add a step", dl_step_title: "Step", dl_report: "Report progress", dl_spawn: "Send as a case", dl_category: "Case category",
  dl_add_part: "Split off a part", dl_solve: "Mark solved", dl_drop: "Drop", dl_parts: "Parts", dl_case: "Case #{id}", dl_overdue: "Overdue", dl_done: "Done {t}",
  dl_topic_of: "From topic #{id}", dl_events: "Record", dl_title_f: "Title", dl_body: "Details", dl_case_id: "Linked case no. (optional)", dl_petition_id: "Linked petition no. (optional)",
  dl_day_of_month: "Day of the month (1–28)", dl_time: "Time", dl_place: "Place", dl_capacity: "Capacity", dl_made: "{n} meetings made", dl_saved: "Saved",
  dl_count: "Not started {o} · In progress {i} · Solved {s}", dl_none: "Nothing matches", dl_step_n: "Step {n}", dl_percent: "Per cent done",
  dl_a_raise: "Raised", dl_a_support: "Supported", dl_a_accept: "Accepted", dl_a_decline: "Declined", dl_a_schedule: "Put on the agenda", dl_a_discuss: "Discussed", dl_a_defer: "Deferred",
  dl_a_warn: "Due soon", dl_a_escalate: "Overdue, escalated", dl_a_resolve: "Resolution made", dl_a_add_step: "Step added", dl_a_progress: "Progress", dl_a_link_case: "Sent as a case",
  dl_a_case_closed: "Case closed", dl_a_solve: "Solved", dl_a_drop: "Dropped",
  dl_duty_screen: "screening", dl_duty_schedule: "scheduling", dl_duty_discuss: "discussion", dl_duty_complete: "completion",
});
(async () => {
  if (!CG.requireLogin()) return;
  CG.nav("/deliberation");
  const $ = (id) => document.getElementById(id);
  const en = () => CG.lang() === "en";
  const f = (k, o) => Object.entries(o).reduce((s, [a, b]) => s.replaceAll("{" + a + "}", b), CG.t(k));
  const [grids, staff, categories] = await Promise.all([CG.api("GET", "/api/v1/grids"), CG.api("GET", "/api/v1/deliberation/staff"), CG.api("GET", "/api/v1/categories")]);
  let communities = [], tab = "topics", list = [], selected = null;
  const me = CG.user();
  const myGrid = grids.features.find((g) => g.properties.code === me.grid);
  const cname = (code) => { const c = communities.find((x) => x.code === code); return c ? (en() ? c.name_en : c.name) : ""; };
  const day = (iso) => iso ? new Date(iso).toLocaleDateString(en() ? "en-GB" : "zh-CN", { timeZone: "Asia/Shanghai" }) : "";
  const due = (d) => d + "T18:00:00+08:00";
  const staffOptions = (sel) => staff.map((s) => `<option value="${s.id}" ${s.id === sel ? "selected" : ""}>${CG.esc(s.name)}</option>`).join("");
  const bar = (p) => `<div class="bar" role="progressbar" aria-valuenow="${p}" aria-valuemin="0" aria-valuemax="100"><i style="width:${p}%"></i></div>`;
  const colon = CG.colon;
  const phaseTag = (p) => `<span class="tag phase-${p}">${CG.t("dl_" + p)}</span>`;

  async function loadCommunities() {
    communities = await CG.api("GET", "/api/v1/deliberation/communities");
    const keep = $("dl-community").value || (myGrid ? myGrid.properties.community : "");
    $("dl-community").innerHTML = `<option value="">${CG.t("dl_all")}</option>` + communities.map((c) => `<option value="${c.code}">${CG.esc(en() ? c.name_en : c.name)}</option>`).join("");
    $("dl-community").value = keep;
    renderBar();
  }
  function renderBar() {
    const code = $("dl-community").value, c = communities.find((x) => x.code === code);
    $("dl-day").textContent = c ? (c.day ? f("dl_day", { d: c.day.day_of_month, t: c.day.time, p: c.day.place }) : CG.t("dl_no_day")) : "";
    $("dl-set-day").hidden = $("dl-generate").hidden = !c;
    const sum = (k) => (c ? [c] : communities).reduce((a, x) => a + x[k], 0);
    $("dl-counts").textContent = f("dl_count", { o: sum("open"), i: sum("in_progress"), s: sum("solved") });
  }
  function filters() {
    const o = (v, k) => `<option value="${v}">${CG.t(k)}</option>`;
    const sets = {
      topics: o("raised,accepted,on_agenda", "dl_f_open") + o("", "dl_f_all") + ["raised", "accepted", "on_agenda", "discussed", "declined"].map((s) => o(s, "dl_s_" + s)).join(""),
      meetings: o("upcoming", "dl_upcoming") + o("past", "dl_past"),
      resolutions: o("in_progress", "dl_in_progress") + o("open", "dl_open") + o("solved", "dl_solved") + o("", "dl_all_res"),
    };
    const keep = $("dl-filter").dataset.tab === tab ? $("dl-filter").value : null;
    $("dl-filter").innerHTML = sets[tab];
    $("dl-filter").dataset.tab = tab;
    if (keep !== null) $("dl-filter").value = keep;
    $("dl-new-topic").hidden = tab !== "topics";
  }
  async function load() {
    const c = $("dl-community").value, v = $("dl-filter").value;
    const q = (o) => "?" + new URLSearchParams(Object.entries(o).filter(([, x]) => x)).toString();
    if (tab === "topics") list = await CG.api("GET", "/api/v1/deliberation/topics" + q({ community: c, status: v }));
    if (tab === "meetings") list = await CG.api("GET", "/api/v1/deliberation/meetings" + q({ community: c, when: v }));
    if (tab === "resolutions") list = await CG.api("GET", "/api/v1/deliberation/resolutions" + q({ community: c, phase: v }));
    renderList();
    if (selected && selected.tab === tab) { const x = list.find((i) => i.id === selected.id); if (x) renderDetail(x); }
  }
  function renderList() {
    const item = (x, body) => `<div class="item" role="option" tabindex="0" data-id="${x.id}" aria-selected="${selected?.tab === tab && selected.id === x.id}">${body}</div>`;
    const html = list.map((x) => {
      if (tab === "topics") return item(x, `<strong>${CG.esc(x.title)}</strong><div><span class="tag ${x.status === "raised" ? "warn" : ""}">${CG.t("dl_s_" + x.status)}</span>
        <span class="kv">${CG.esc(cname(x.community))} · ${f("dl_supporters", { n: x.supporters + 1 })} · ${day(x.raised_at)}${x.meeting_at ? " · " + CG.t("dl_meeting") + " " + day(x.meeting_at) : ""}</span></div>`);
      if (tab === "meetings") return item(x, `<strong>${CG.fmtTime(x.starts_at).slice(0, -3)}</strong> ${CG.esc(cname(x.community))}
        <div class="kv">${CG.esc(x.place)} · ${f("dl_registered", { n: x.registered, c: x.capacity })}${x.attended ? " · " + f("dl_attended", { n: x.attended }) : ""} · ${CG.t("dl_minutes")}${colon()}${CG.t("dl_m_" + x.minutes_status)} · ${CG.t("dl_agenda")} ${x.agenda.length}</div>`);
      return item(x, `<strong>${CG.esc(x.title)}</strong> ${phaseTag(x.phase)} ${x.overdue ? `<span class="tag overdue">${CG.t("dl_overdue")}</span>` : ""}
        ${bar(x.progress)}<div class="kv">${CG.esc(x.owner_name)} · ${CG.t("dl_due")} ${day(x.due_at)} · ${x.progress}%</div>`);
    }).join("");
    $("dl-list").innerHTML = html || `<p class="muted">${CG.t("dl_none")}</p>`;
    $("dl-list").querySelectorAll(".item").forEach((el) => {
      const open = async () => {
        selected = { tab, id: Number(el.dataset.id) }; renderList();
        // A meeting's own view names who checked in; the list does not carry that.
        renderDetail(tab === "meetings" ? await CG.api("GET", "/api/v1/deliberation/meetings/" + selected.id) : list.find((x) => x.id === selected.id));
      };
      el.onclick = open; el.onkeydown = (e) => { if (e.key === "Enter") open(); };
    });
  }
  const dutyName = (d) => { const [n, i] = d.split(":"); return n === "step" ? f("dl_step_n", { n: Number(i) + 1 }) : CG.t("dl_duty_" + n); };
  // A progress step's note is "step:percent".
  const noteOf = (e) => { const m = e.action === "progress" && /^(\d+):(\d+)$/.exec(e.note); return m ? `${f("dl_step_n", { n: m[1] })} ${m[2]}%` : e.note; };
  const events = (evs) => evs.length ? `<h3>${CG.t("dl_events")}</h3><ol class="steps">${evs.map((e) => `<li>${CG.fmtTime(e.at)} ${CG.esc(CG.personName(e.by, e.by_role))} ${CG.t("dl_a_" + e.action)}${e.duty ? CG.paren(CG.esc(dutyName(e.duty))) : ""}${e.note ? colon() + CG.esc(noteOf(e)) : ""}</li>`).join("")}</ol>` : "";

  // A small form in the dialog; resolves with the form's values, or null when cancelled.
  function ask(html, init) {
    return new Promise((resolve) => {
      $("dl-dialog-body").innerHTML = html; $("dl-dialog-error").textContent = "";
      if (init) init($("dl-dialog-body"));
      $("dl-dialog").showModal();
      $("dl-dialog-cancel").onclick = () => { $("dl-dialog").close(); resolve(null); };
      $("dl-dialog-form").onsubmit = (e) => { e.preventDefault(); const v = {}; $("dl-dialog-body").querySelectorAll("[name]").forEach((i) => { v[i.name] = i.type === "checkbox" ? i.checked : i.value; }); resolve(v); };
    });
  }
  // Runs a call from the dialog: closes it on success, shows the server's words on failure.
  async function act(call) {
    try { const r = await call(); $("dl-dialog").close(); await loadCommunities(); await load(); return r; }
    catch (e) { if ($("dl-dialog").open) $("dl-dialog-error").textContent = CG.said(e); else alert(CG.said(e)); return null; }
  }
  const field = (k, inner) => `<label>${CG.t(k)}${inner}</label>`;

  async function topicStep(t, action) {
    const path = `/api/v1/deliberation/topics/${t.id}/actions`;
    if (action === "accept" || action === "defer") return act(() => CG.api("POST", path, { action }));
    if (action === "decline") { const v = await ask(field("dl_reason", `<textarea name="reason" rows="3" required></textarea>`)); if (v) await act(() => CG.api("POST", path, { action, reason: v.reason })); return; }
    if (action === "schedule") {
      const ms = await CG.api("GET", "/api/v1/deliberation/meetings?community=" + t.community);
      const v = await ask(field("dl_meeting", `<select name="meeting">${ms.map((m) => `<option value="${m.id}">${CG.fmtTime(m.starts_at).slice(0, -3)} ${CG.esc(m.place)}</option>`).join("")}</select>`));
      if (v) await act(() => CG.api("POST", path, { action, meeting_id: Number(v.meeting) }));
      return;
    }
    const in60 = new Date(CG.now() + 60 * 86400000).toISOString().slice(0, 10);
    const v = await ask(field("dl_outcome", `<textarea name="outcome" rows="3" required></textarea>`) +
      `<label style="display:flex;gap:8px;align-items:center"><input type="checkbox" name="make" style="width:auto" checked> ${CG.t("dl_make_res")}</label>` +
      field("dl_res_title", `<input name="title" value="${CG.esc(t.title)}">`) + field("dl_owner", `<select name="owner">${staffOptions(me.id)}</select>`) +
      field("dl_due", `<input type="date" name="due" value="${in60}">`));
    if (!v) return;
    const body = { action: "discuss", outcome: v.outcome };
    if (v.make) body.resolution = { title: v.title, owner: Number(v.owner), due_at: due(v.due) };
    await act(() => CG.api("POST", path, body));
  }
  // Who raised a topic, in the page's language ("you" for one's own).
  const raiser = (t) => t.mine ? CG.t("dl_me") : t.raised_by ? CG.personName(t.raised_by, t.raised_by_role) : CG.t("r_" + (t.raised_by_role || "resident"));
  function renderTopic(t) {
    const buttons = { raised: ["accept", "schedule", "decline"], accepted: ["schedule", "decline"], on_agenda: ["discuss", "defer"] }[t.status] || [];
    $("dl-detail").innerHTML = `<h2>${CG.esc(t.title)}</h2>
      <p><span class="tag">${CG.t("dl_s_" + t.status)}</span> ${CG.esc(cname(t.community))} · ${f("dl_supporters", { n: t.supporters + 1 })}</p>
      <p>${CG.esc(t.body)}</p>
      <p class="kv">${CG.t("dl_raised_by")}${colon()}${CG.esc(raiser(t))} · ${CG.t("dl_source")}${colon()}${CG.t("dl_src_" + t.source)}${t.case_id ? " · " + f("dl_case", { id: t.case_id }) : ""} · ${CG.fmtTime(t.raised_at)}</p>
      ${t.meeting_at ? `<p>${CG.t("dl_meeting")}${colon()}${CG.fmtTime(t.meeting_at).slice(0, -3)}</p>` : ""}
      ${t.outcome ? `<p><strong>${CG.t(t.status === "declined" ? "dl_reason" : "dl_outcome")}${colon()}</strong>${CG.esc(t.outcome)}</p>` : ""}
      ${t.resolution_id ? `<p><a href="#" id="to-res">${CG.t("dl_resolutions")} #${t.resolution_id}</a></p>` : ""}
      <div class="row">${buttons.map((b) => `<button type="button" data-act="${b}" ${b === "decline" ? 'class="secondary"' : ""}>${CG.t("dl_" + b)}</button>`).join(" ")}</div>
      ${events(t.events)}`;
    $("dl-detail").querySelectorAll("[data-act]").forEach((b) => { b.onclick = () => topicStep(t, b.dataset.act); });
    if ($("to-res")) $("to-res").onclick = async (e) => { e.preventDefault(); renderResolution(await CG.api("GET", "/api/v1/deliberation/resolutions/" + t.resolution_id)); };
  }
  async function renderMeeting(m) {
    $("dl-detail").innerHTML = `<h2>${CG.esc(cname(m.community))} ${CG.fmtTime(m.starts_at).slice(0, -3)}</h2>
      <p>${CG.esc(m.place)} · ${f("dl_registered", { n: m.registered, c: m.capacity })} · ${f("dl_attended", { n: m.attended })}</p>
      ${m.attendees.length ? `<p class="kv">${CG.esc(m.attendees.join(CG.sep("、")))}</p>` : ""}
      <h3>${CG.t("dl_agenda")}</h3>${m.agenda.length ? `<ol>${m.agenda.map((t) => `<li>${CG.esc(t.title)} <span class="tag">${CG.t("dl_s_" + t.status)}</span>${t.outcome ? `<div class="kv">${CG.esc(t.outcome)}</div>` : ""}</li>`).join("")}</ol>` : `<p class="muted">${CG.t("dl_no_agenda")}</p>`}
      <h3>${CG.t("dl_minutes")} <span class="tag">${CG.t("dl_m_" + m.minutes_status)}</span></h3>
      <textarea id="mm-text" rows="7" ${m.minutes_status === "final" ? "readonly" : ""}>${CG.esc(m.minutes || "")}</textarea>
      <label for="mm-orgs">${CG.t("dl_orgs")}</label><input id="mm-orgs" value="${CG.esc(m.organisations.join("、"))}" ${m.minutes_status === "final" ? "readonly" : ""}>
      <p class="error" id="mm-error" role="alert"></p><p class="ok" id="mm-ok" role="status"></p>
      ${m.minutes_status === "final" ? "" : `<div class="row"><button type="button" id="mm-draft" class="secondary">${CG.t("dl_save_draft")}</button> <button type="button" id="mm-final">${CG.t("dl_finalise")}</button></div>`}
      ${new Date(m.starts_at) > CG.now() - 3 * 3600000 ? `<h3>${CG.t("dl_qr")}</h3><div id="dl-qr"></div>` : ""}`;
    const save = async (final) => {
      $("mm-error").textContent = ""; $("mm-ok").textContent = "";
      const orgs = $("mm-orgs").value.split(/[、,，]/).map((s) => s.trim()).filter(Boolean);
      try { const r = await CG.api("POST", `/api/v1/deliberation/meetings/${m.id}/minutes`, { minutes: $("mm-text").value, organisations: orgs, final }); $("mm-ok").textContent = CG.t("dl_saved"); if (final) renderMeeting(r); load(); }
      catch (e) { $("mm-error").textContent = CG.said(e); }
    };
    if ($("mm-draft")) { $("mm-draft").onclick = () => save(false); $("mm-final").onclick = () => save(true); }
    if ($("dl-qr")) {
      const r = await fetch(`/api/v1/community/activities/${m.activity_id}/qr.svg`, { headers: { Authorization: "Bearer " + CG.token() } });
      if (r.ok) $("dl-qr").innerHTML = await r.text();
    }
  }
  async function resolutionStep(r, action) {
    const path = `/api/v1/deliberation/resolutions/${r.id}/actions`;
    const steps = `<select name="step">${r.steps.map((s, i) => `<option value="${i + 1}">${f("dl_step_n", { n: i + 1 })} ${CG.esc(s.title)}</option>`).join("")}</select>`;
    const in30 = new Date(CG.now() + 30 * 86400000).toISOString().slice(0, 10);
    let v;
    if (action === "add_step") {
      v = await ask(field("dl_step_title", `<input name="title" required>`) + field("dl_owner", `<select name="owner">${staffOptions(r.owner)}</select>`) + field("dl_due", `<input type="date" name="due" value="${in30}">`));
      if (v) await act(() => CG.api("POST", path, { action, title: v.title, owner: Number(v.owner), due_at: due(v.due) }));
    } else if (action === "progress") {
      v = await ask(field("dl_step_title", steps) + field("dl_percent", `<input type="number" name="progress" min="0" max="100" value="50">`));
      if (v) await act(() => CG.api("POST", path, { action, step: Number(v.step), progress: Number(v.progress) }));
    } else if (action === "spawn_case") {
      v = await ask(field("dl_step_title", steps) + field("dl_category", `<select name="category">${categories.map((c) => `<option value="${c.code}">${CG.esc(en() ? c.name_en : c.name)}</option>`).join("")}</select>`));
      if (v) await act(() => CG.api("POST", path, { action, step: Number(v.step), category: v.category }));
    } else if (action === "add_part") {
      v = await ask(field("dl_res_title", `<input name="title" required>`) + field("dl_owner", `<select name="owner">${staffOptions(r.owner)}</select>`) + field("dl_due", `<input type="date" name="due" value="${in30}">`));
      if (v) await act(() => CG.api("POST", "/api/v1/deliberation/resolutions", { parent_id: r.id, title: v.title, owner: Number(v.owner), due_at: due(v.due) }));
    } else if (action === "drop") {
      v = await ask(field("dl_reason", `<textarea name="reason" rows="3" required></textarea>`));
      if (v) await act(() => CG.api("POST", path, { action, reason: v.reason }));
    } else {
      await act(() => CG.api("POST", path, { action }));
    }
    const fresh = await CG.api("GET", "/api/v1/deliberation/resolutions/" + r.id);
    renderResolution(fresh);
  }
  function renderResolution(r) {
    const open = r.status === "open";
    const step = (s, i) => `<div class="step ${s.done_at ? "done" : s.overdue ? "late" : ""}"><strong>${f("dl_step_n", { n: i + 1 })} ${CG.esc(s.title)}</strong>
      ${bar(s.progress)}<span class="kv">${CG.esc(s.owner_name)} · ${CG.t("dl_due")} ${day(s.due_at)} · ${s.progress}%${s.case_id ? ` · <a href="/console?case=${s.case_id}">${f("dl_case", { id: s.case_id })}</a>` : ""}${s.done_at ? " · " + f("dl_done", { t: day(s.done_at) }) : ""}${s.overdue ? ` <span class="tag overdue">${CG.t("dl_overdue")}</span>` : ""}</span></div>`;
    const part = (p) => `<div class="part"><strong>${CG.esc(p.title)}</strong> ${phaseTag(p.phase)} ${bar(p.progress)}<span class="kv">${CG.esc(p.owner_name)} · ${CG.t("dl_due")} ${day(p.due_at)}</span></div>`;
    const buttons = open ? ["add_step", "progress", "spawn_case", "add_part", "solve", "drop"] : [];
    $("dl-detail").innerHTML = `<h2>${CG.esc(r.title)}</h2>
      <p>${phaseTag(r.phase)} ${r.overdue ? `<span class="tag overdue">${CG.t("dl_overdue")}</span>` : ""} ${CG.esc(cname(r.community))}${r.topic_id ? " · " + f("dl_topic_of", { id: r.topic_id }) : ""}</p>
      <p>${CG.t("dl_owner")}${colon()}${CG.esc(r.owner_name)} · ${CG.t("dl_due")}${colon()}${day(r.due_at)}${r.solved_at ? " · " + f("dl_done", { t: day(r.solved_at) }) : ""}</p>
      <p>${CG.t("dl_progress")} ${r.progress}%</p>${bar(r.progress)}
      <h3>${CG.t("dl_steps")}</h3>${r.steps.map(step).join("") || `<p class="muted">—</p>`}
      ${r.parts.length ? `<h3>${CG.t("dl_parts")}</h3>${r.parts.map(part).join("")}` : ""}
      <div class="row">${buttons.map((b) => `<button type="button" data-act="${b}" ${b === "drop" ? 'class="secondary"' : ""}>${CG.t("dl_" + (b === "spawn_case" ? "spawn" : b === "progress" ? "report" : b))}</button>`).join(" ")}</div>
      ${events(r.events)}`;
    $("dl-detail").querySelectorAll("[data-act]").forEach((b) => { b.onclick = () => resolutionStep(r, b.dataset.act); });
  }
  function renderDetail(x) {
    if (!x) return;
    if (tab === "topics") renderTopic(x); else if (tab === "meetings") renderMeeting(x); else renderResolution(x);
  }

  $("dl-community").onchange = () => { renderBar(); selected = null; load(); };
  $("dl-filter").onchange = () => load();
  for (const t of ["topics", "meetings", "resolutions"]) {
    $("tab-" + t).onclick = () => {
      tab = t; selected = null;
      document.querySelectorAll("[role=tab]").forEach((b) => b.setAttribute("aria-selected", b.id === "tab-" + t));
      $("dl-detail").innerHTML = `<p class="muted">${CG.t("dl_pick")}</p>`;
      filters(); load();
    };
  }
  $("dl-set-day").onclick = async () => {
    const c = communities.find((x) => x.code === $("dl-community").value); if (!c) return;
    const d = c.day || { day_of_month: 15, time: "19:00", place: c.name + "议事厅", capacity: 40 };
    const v = await ask(field("dl_day_of_month", `<input type="number" name="day" min="1" max="28" value="${d.day_of_month}">`) + field("dl_time", `<input type="time" name="time" value="${d.time}">`) +
      field("dl_place", `<input name="place" value="${CG.esc(d.place)}">`) + field("dl_capacity", `<input type="number" name="cap" min="1" value="${d.capacity}">`));
    if (v) await act(() => CG.api("PUT", `/api/v1/deliberation/communities/${c.code}/day`, { day_of_month: Number(v.day), time: v.time, place: v.place, capacity: Number(v.cap) }));
  };
  $("dl-generate").onclick = async () => {
    const r = await act(() => CG.api("POST", `/api/v1/deliberation/communities/${$("dl-community").value}/meetings`, { months: 3 }));
    if (r) alert(f("dl_made", { n: r.length }));
  };
  $("dl-new-topic").onclick = async () => {
    const code = $("dl-community").value || (myGrid ? myGrid.properties.community : communities[0].code);
    const v = await ask(field("dl_community", `<select name="community">${communities.map((c) => `<option value="${c.code}" ${c.code === code ? "selected" : ""}>${CG.esc(en() ? c.name_en : c.name)}</option>`).join("")}</select>`) +
      field("dl_title_f", `<input name="title" maxlength="100" required>`) + field("dl_body", `<textarea name="body" rows="3"></textarea>`) +
      field("dl_case_id", `<input name="case_id" inputmode="numeric">`) + field("dl_petition_id", `<input name="petition_id" inputmode="numeric">`));
    if (!v) return;
    const body = { community: v.community, title: v.title, body: v.body };
    if (v.case_id) body.case_id = Number(v.case_id);
    if (v.petition_id) body.petition_id = Number(v.petition_id);
    await act(() => CG.api("POST", "/api/v1/deliberation/topics", body));
  };
  document.addEventListener("cg:lang", async () => {
    await loadCommunities(); filters(); renderList();
    if (selected) renderDetail(list.find((x) => x.id === selected.id)); else $("dl-detail").innerHTML = `<p class="muted">${CG.t("dl_pick")}</p>`;
  });
  await loadCommunities();
  filters();
  await load();
  document.body.dataset.ready = "1";
})();
