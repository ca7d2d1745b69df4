// The dispatcher console: the queue with an alert for new cases, one-click accept, the
// recommendations for (joint) dispatch, the full timeline and every other step.
"use strict";
CG.words({
  cs_new_call: "登记来电", cs_caller: "来电人", cs_address: "地址或地标", cs_map: "案件与力量分布", cs_default_priority: "按类别默认",
  cs_show_phone: "查看完整号码", cs_call: "拨打", cs_more_force: "增派其他力量", cs_add: "查看人选", cs_notices: "通知记录", cs_no_notices: "暂无通知",
  cs_told: "{t} {to}（{ch}）：{s}", cs_ch_web: "站内", cs_ch_sms: "短信", cs_ch_wechat: "微信", cs_pending: "待发送", cs_made: "已登记为案件 #{id}", cs_actor_history: "历史记录",
  cs_may_wait: "可再等约{n}分钟（现在派出，预计少{c}起按时到场）", cs_cover_kept: "派出后其他网格仍有人10分钟内可达", cs_cover_lost: "派出后无人10分钟内可达：{g}", cs_cover_more: " 等{n}个网格",
  cs_move: "通知前往", cs_moved: "已通知", cs_merge_label: "重复于案件", cs_merge: "合并重复", cs_shown: "已显示 {n} 件", cs_all_shown: "（全部）", cs_none: "没有符合条件的案件。可调整上方的状态、站点或日期再查询。", cs_more: "加载更多",
}, {
  cs_new_call: "New call", cs_caller: "Caller", cs_address: "Address or landmark", cs_map: "Cases and people", cs_default_priority: "Category's default",
  cs_show_phone: "Show the full number", cs_call: "Call", cs_more_force: "Add another force", cs_add: "See who", cs_notices: "Who was told", cs_no_notices: "Nobody yet",
  cs_told: "{t} {to} ({ch}): {s}", cs_ch_web: "in-app", cs_ch_sms: "SMS", cs_ch_wechat: "WeChat", cs_pending: "to send", cs_made: "Recorded as case #{id}", cs_actor_history: "history",
  cs_may_wait: "may wait about {n} min more (sending now costs about {c} on-time arrivals)", cs_cover_kept: "every other grid stays within 10 minutes of someone", cs_cover_lost: "leaves out of 10-minute reach: {g}", cs_cover_more: " ({n} grids)",
  cs_move: "Tell them", cs_moved: "Told", cs_merge_label: "Duplicate of case", cs_merge: "Merge", cs_shown: "{n} shown", cs_all_shown: " (all)", cs_none: "No cases match. Change the status, station or date above and search again.", cs_more: "Load more",
});
(async () => {
  if (!CG.requireLogin()) return;
  CG.nav("/console");
  const OPEN = "new,accepted,dispatched,on_site,in_progress,suspended";
  const $ = (id) => document.getElementById(id);
  const [categories, stations, grids, roster] = await Promise.all([CG.api("GET", "/api/v1/categories"), CG.api("GET", "/api/v1/stations"), CG.api("GET", "/api/v1/grids"), CG.api("GET", "/api/v1/responders")]);
  const who = (id) => { const r = roster.find((x) => x.id === id); return r ? `${r.name}${CG.paren(CG.t(r.force))}` : "#" + id; };
  const catName = (code) => { const c = categories.find((x) => x.code === code); return c ? (CG.lang() === "en" ? c.name_en : c.name) : code; };
  let selected = null;
  let cases = [];

  function fillFilters() {
    const opt = (v, label) => `<option value="${CG.esc(v)}">${CG.esc(label)}</option>`;
    $("f-status").innerHTML = opt(OPEN, CG.t("open")) + opt("", CG.t("all")) + ["new", "accepted", "dispatched", "on_site", "in_progress", "suspended", "closed", "rated", "rejected", "voided"].map((s) => opt(s, CG.t(s))).join("");
    $("f-station").innerHTML = opt("", CG.t("all")) + stations.filter((s) => s.kind === "station").map((s) => opt(s.code, CG.lang() === "en" ? s.name_en : s.name)).join("");
    $("f-grid").innerHTML = opt("", CG.t("all")) + grids.features.map((f) => opt(f.properties.code, CG.lang() === "en" ? f.properties.name_en : f.properties.name)).join("");
    $("f-category").innerHTML = opt("", CG.t("all")) + categories.map((c) => opt(c.code, `${c.code} ${catName(c.code)}`)).join("");
    $("f-source").innerHTML = opt("", CG.t("all")) + ["resident_app", "hotline", "police_110", "grid_patrol", "sensor", "petition", "volunteer", "walk_in", "open311"].map((s) => opt(s, CG.t(s))).join("");
    $("f-priority").innerHTML = opt("", CG.t("all")) + ["urgent", "high", "normal", "low"].map((s) => opt(s, CG.t(s))).join("");
  }

  function query() {
    const q = new URLSearchParams({ limit: "100" });
    if ($("f-status").value) q.set("status", $("f-status").value);
    for (const [id, key] of [["f-station", "station"], ["f-grid", "grid"], ["f-category", "category"], ["f-source", "source"], ["f-priority", "priority"]]) if ($(id).value) q.set(key, $(id).value);
    if ($("f-since").value) q.set("since", $("f-since").value + "T00:00:00+08:00");
    return q.toString();
  }

  // Exports carry the filters shown (without the page size); the file comes with the token.
  async function download(kind) {
    const q = new URLSearchParams(query()); q.delete("limit");
    try { await CG.download(`/api/v1/exports/cases.${kind}?${q}`, `cases.${kind}`); }
    catch (e) { alert(e.message); }
  }
  $("export-csv").onclick = () => download("csv");
  $("export-xlsx").onclick = () => download("xlsx");

  // The queue a page at a time: 加载更多 fetches the next page of the same search.
  let cursor = null;
  async function loadQueue(more) {
    const id = $("f-id").value.trim();
    if (id) { cursor = null; try { cases = [await CG.api("GET", `/api/v1/cases/${encodeURIComponent(id)}`)]; } catch (_) { cases = []; } }
    else {
      const page = await CG.api("GET", `/api/v1/cases?${query()}` + (more && cursor ? `&cursor=${cursor}` : ""));
      cases = more ? [...cases, ...page.cases.filter((c) => !cases.some((x) => x.id === c.id))] : page.cases;
      cursor = page.next_cursor || null;
    }
    renderQueue();
  }

  function nextDue(c) {
    if (!c.next_deadline) return "";
    const cd = CG.countdown(c.next_deadline.due_at);
    return `<span class="tag ${cd.neg ? "overdue" : ""}" data-due="${c.next_deadline.due_at}" data-label="${CG.esc(CG.t("p_" + c.next_deadline.promise))}">${CG.t("p_" + c.next_deadline.promise)} ${cd.txt}</span>`;
  }

  // New cases flash and stay announced until the dispatcher acknowledges them.
  const unacknowledged = new Set();
  // What the banner says of each case: a new case, or a hand-over the dispatcher must know of.
  const why = new Map();
  function acknowledge(id) {
    if (id === undefined) unacknowledged.clear(); else unacknowledged.delete(id);
    if (!unacknowledged.size) { $("alert").hidden = true; $("alert").innerHTML = ""; }
    else showBanner();
    document.querySelectorAll("#queue .item.fresh").forEach((el) => { if (!unacknowledged.has(Number(el.dataset.caseId))) el.classList.remove("fresh"); });
  }
  function showBanner() {
    const ids = [...unacknowledged];
    $("alert").hidden = false;
    $("alert").innerHTML = ids.map((id) => `<span><strong>${CG.t(why.get(id) || "new_case_alert")}</strong> <a href="#" data-open="${id}">#${id}</a></span>`).join(" · ") + ` <button type="button" id="alert-ok">${CG.t("acknowledge")}</button>`;
    $("alert-ok").onclick = () => acknowledge();
    $("alert").querySelectorAll("[data-open]").forEach((a) => { a.onclick = (e) => { e.preventDefault(); select(Number(a.dataset.open)); }; });
  }

  // Countdowns tick every second in place: nothing is re-drawn, so focus and typing stay.
  setInterval(() => {
    document.querySelectorAll("[data-due]").forEach((el) => {
      const cd = CG.countdown(el.dataset.due);
      el.classList.toggle("overdue", cd.neg);
      el.textContent = `${el.dataset.label} ${cd.txt}`;
    });
    document.querySelectorAll(".deadlines [data-deadline]").forEach((el) => {
      const cd = CG.countdown(el.dataset.deadline);
      el.querySelector(".left").textContent = cd.txt;
      if (cd.neg) { el.classList.remove("soon"); el.classList.add("missed"); }
      else if (new Date(el.dataset.deadline) - CG.now() < 60000) el.classList.add("soon");
    });
  }, 1000);

  function renderQueue(fresh) {
    setTimeout(() => { try { drawMap(); } catch (_) { /* the map is not set up yet */ } }, 0);
    // The most urgent first, then the nearest deadline (overdue ones lead), then the newest.
    const rank = { urgent: 0, high: 1, normal: 2, low: 3 };
    const due = (c) => c.next_deadline ? new Date(c.next_deadline.due_at).getTime() : Infinity;
    cases.sort((a, b) => (rank[a.priority] - rank[b.priority]) || (due(a) - due(b)) || (b.id - a.id));
    $("queue").innerHTML = cases.map((c) => `
      <div class="item ${fresh === c.id || unacknowledged.has(c.id) ? "fresh" : ""}" role="option" tabindex="0" data-case-id="${c.id}" aria-selected="${selected === c.id}">
        <strong>#${c.id}</strong> <span class="tag ${c.priority}">${CG.t(c.priority)}</span> <span class="tag">${CG.t(c.status)}</span>
        ${c.overdue.length ? `<span class="tag overdue">${CG.t("overdue")}</span>` : ""}
        <div>${CG.esc(catName(c.category))} · ${CG.esc(CG.gridName(c))}</div>
        <div class="muted">${CG.esc(c.description).slice(0, 60)}</div>
        <div>${nextDue(c)}</div>
      </div>`).join("") + (cases.length ? `<p class="muted">${CG.t("cs_shown").replace("{n}", cases.length)}${cursor ? "" : CG.t("cs_all_shown")}</p>` : `<p class="muted">${CG.t("cs_none")}</p>`)
      + (cursor ? `<button type="button" class="secondary" id="more-cases">${CG.t("cs_more")}</button>` : "");
    if ($("more-cases")) $("more-cases").onclick = () => loadQueue(true);
    $("queue").querySelectorAll(".item").forEach((el) => {
      const open = () => select(Number(el.dataset.caseId));
      el.onclick = open; el.onkeydown = (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); open(); } };
    });
  }

  async function select(id) {
    selected = id;
    acknowledge(id);
    renderQueue();
    const c = await CG.api("GET", `/api/v1/cases/${id}`);
    const i = cases.findIndex((x) => x.id === id); if (i >= 0) cases[i] = c;
    renderDetail(c);
  }

  const ACTIONS = {
    new: ["accept", "reject", "void"],
    accepted: ["dispatch", "contact_party", "reject", "suspend", "extend", "void"],
    dispatched: ["contact_party", "arrive", "dispatch", "reassign", "reject", "suspend", "extend", "void"],
    on_site: ["feedback", "close", "dispatch", "reassign", "suspend", "extend", "void"],
    in_progress: ["feedback", "close", "reassign", "suspend", "extend", "void"],
    suspended: ["resume", "void"],
    closed: ["reopen", "archive"], rated: ["reopen", "archive"], rejected: ["reopen", "void"],
  };
  const NEEDS_NOTE = ["reject", "reassign", "suspend", "resume", "void", "reopen", "feedback", "close", "extend"];

  function renderDetail(c) {
    // A note half-typed for this case survives the case changing under it.
    const keep = $("action-note") && $("detail").dataset.caseId === String(c.id) ? $("action-note").value : "";
    $("detail").dataset.caseId = String(c.id);
    const promises = ["accept", "dispatch", "on_site", "first_feedback", "close"];
    const keptAt = { accept: c.milestones.accepted_at, dispatch: c.milestones.dispatched_at && c.milestones.contacted_at ? c.milestones.contacted_at : null,
      on_site: c.milestones.on_site_at, first_feedback: c.milestones.first_feedback_at, close: c.milestones.closed_at };
    const dl = promises.map((p) => {
      const missed = c.overdue.includes(p); const kept = keptAt[p];
      const cd = CG.countdown(c.deadlines[p]);
      const cls = kept ? (missed ? "missed" : "kept") : missed ? "missed" : !cd.neg && new Date(c.deadlines[p]) - CG.now() < 60000 ? "soon" : "";
      return `<div class="${cls}" data-promise="${p}" ${kept ? "" : `data-deadline="${c.deadlines[p]}"`}><strong>${CG.t("p_" + p)}</strong><br><span class="left">${kept ? CG.t("kept") : cd.txt}</span></div>`;
    }).join("");
    const buttons = (ACTIONS[c.status] || []).map((a) => `<button type="button" data-action="${a}" class="${["void", "reject"].includes(a) ? "danger" : a === "accept" || a === "dispatch" ? "" : "secondary"}">${CG.t("a_" + a)}</button>`).join("");
    const events = c.events.slice().reverse().map((e) => `
      <li class="${e.action}"><strong>${CG.t("a_" + e.action)}</strong> ${e.promise ? "· " + CG.t("p_" + e.promise) : ""} ${e.level ? "· " + CG.t("pt_lvl").replace("{n}", e.level) : ""}
      <span class="muted">${CG.fmtTime(e.at)} · ${CG.esc(CG.personName(e.actor.name, e.actor.role) || ({ "deadline-runner": CG.t("actor_runner"), "auto-dispatch": CG.t("actor_auto"), history: CG.t("cs_actor_history") })[e.actor.username] || e.actor.username || CG.t(e.actor.role === "resident" || e.actor.role === "volunteer" ? (e.actor.id ? "actor_resident" : "actor_anonymous") : "actor_anonymous"))}</span>
      ${e.note && !["warn", "escalate"].includes(e.action) ? `<div>${CG.esc(e.note)}</div>` : ""}${e.responders.length ? `<div class="muted">→ ${e.responders.map((r) => CG.esc(who(r))).join(CG.sep("、"))}</div>` : ""}</li>`).join("");
    $("detail").innerHTML = `
      <h3>#${c.id} ${CG.esc(catName(c.category))} <span class="tag ${c.priority}">${CG.t(c.priority)}</span> <span class="tag" id="detail-status">${CG.t(c.status)}</span></h3>
      <p>${CG.esc(c.description)}</p>
      <p class="muted">${CG.t("grid")}: ${CG.esc(CG.gridName(c))} · ${CG.t("source")}: ${CG.t(c.source)} · ${CG.t("created")}: ${CG.fmtTime(c.created_at)}
        ${c.reporter ? ` · ${CG.t("reporter")}: <span id="reporter-line">${CG.esc(c.reporter.name || "")} ${CG.esc(c.reporter.phone || "")}</span> <button type="button" class="secondary" id="show-phone">${CG.t("cs_show_phone")}</button>` : ""}</p>
      <div class="deadlines" aria-label="${CG.t("deadlines")}">${dl}</div>
      <div id="mediation-link"></div><div id="gas-readings"></div>
      <label for="action-note" data-i18n="note">${CG.t("note")}</label><textarea id="action-note" rows="2" maxlength="2000">${CG.esc(keep)}</textarea>
      <div class="actions">${buttons}</div>
      <p class="error" id="action-error" role="alert"></p>
      <div id="recs"></div>
      ${["accepted", "dispatched", "on_site"].includes(c.status) ? `<div class="row"><label for="more-force" style="margin:0">${CG.t("cs_more_force")}</label>
        <select id="more-force" style="width:auto">${[...new Set(roster.map((r) => r.force))].map((f) => `<option value="${f}">${CG.t(f)}</option>`).join("")}</select>
        <button type="button" class="secondary" id="more-force-go">${CG.t("cs_add")}</button></div>` : ""}
      <div class="photos" id="photos"></div>
      ${["new", "accepted", "dispatched", "on_site", "in_progress", "suspended"].includes(c.status) ? `<div class="row"><label for="merge-into" style="margin:0">${CG.t("cs_merge_label")}</label>
        <input id="merge-into" inputmode="numeric" style="width:8em" placeholder="#"><button type="button" class="secondary" id="merge-go">${CG.t("cs_merge")}</button></div>` : ""}
      <h3>${CG.t("timeline")}</h3><ul class="timeline" id="timeline">${events}</ul>
      <h3>${CG.t("cs_notices")}</h3><ul class="muted" id="notices"></ul>`;
    if ($("show-phone")) $("show-phone").onclick = async () => {
      // Seeing the full number is audited; the link dials it from a softphone or a phone.
      try { const r = await CG.api("GET", `/api/v1/cases/${c.id}/reporter`);
        $("reporter-line").innerHTML = `${CG.esc(r.name || "")} <a href="tel:${CG.esc(r.phone || "")}">${CG.esc(r.phone || "")}</a> <a class="tag" href="tel:${CG.esc(r.phone || "")}">${CG.t("cs_call")}</a>`;
        $("show-phone").remove(); }
      catch (e) { $("action-error").textContent = e.message; }
    };
    if ($("merge-go")) $("merge-go").onclick = async () => {
      const into = Number($("merge-into").value.replace("#", ""));
      if (!into) return;
      try { const next = await CG.api("POST", `/api/v1/cases/${c.id}/merge`, { into }); const i = cases.findIndex((x) => x.id === c.id); if (i >= 0) cases[i] = next; renderQueue(); renderDetail(next); }
      catch (e) { $("action-error").textContent = CG.said(e); }
    };
    if ($("more-force-go")) $("more-force-go").onclick = () => showRecommendations(c, "dispatch", $("more-force").value);
    CG.api("GET", `/api/v1/cases/${c.id}/notices`).then((list) => {
      if (!$("notices") || selected !== c.id) return;
      $("notices").innerHTML = list.map((n) => `<li>${CG.t("cs_told").replace("{t}", n.at ? CG.fmtTime(n.at).slice(5, -3) : CG.t("cs_pending")).replace("{to}", CG.esc(n.to))
        .replace("{ch}", CG.t("cs_ch_" + n.channel)).replace("{s}", CG.esc(n.subject))}</li>`).join("") || `<li>${CG.t("cs_no_notices")}</li>`;
    }).catch(() => {});
    $("detail").querySelectorAll("[data-action]").forEach((b) => { b.onclick = () => act(c, b.dataset.action); });
    CG.api("GET", `/api/v1/cases/${c.id}/attachments`).then((list) => {
      Promise.all(list.map(async (a) => {
        const r = await fetch(a.url, { headers: { Authorization: "Bearer " + CG.token() } });
        return `<img alt="photo ${a.id}" src="${URL.createObjectURL(await r.blob())}">`;
      })).then((imgs) => { if ($("photos")) $("photos").innerHTML = imgs.join(""); });
    }).catch(() => {});
    if (c.status === "accepted") showRecommendations(c, "dispatch");
    showMediation(c);
    showGas(c);
  }

  // A case a gas detector raised shows the detector's readings and the alarm's state.
  async function showGas(c) {
    if (c.source !== "sensor") return;
    const list = await CG.api("GET", `/api/v1/gas/alarms?case_id=${c.id}`).catch(() => []);
    const box = $("gas-readings");
    if (!list.length || !box || selected !== c.id) return;
    const a = list[0];
    box.innerHTML = `<div class="card alarm-${a.severity}"><strong>${CG.t("gk_" + a.kind)}</strong> <span class="tag">${CG.t("gas_state_" + a.state)}</span>
      <a href="/gas">${CG.esc(a.device_id)}</a> · ${CG.t("gs_peak")} ${a.peak_lel_pct != null ? a.peak_lel_pct.toFixed(1) + "%LEL" : "—"}
      <table class="clock"><tr><th>${CG.t("gs_time")}</th><th>%LEL</th><th>${CG.t("gs_level_h")}</th></tr>${a.recent.slice(-8).reverse().map((r) => `<tr><td>${CG.fmtTime(r.at)}</td><td>${r.lel_pct != null ? r.lel_pct.toFixed(1) : "—"}</td><td>${r.level ?? "—"}</td></tr>`).join("")}</table></div>`;
  }

  // A dispute (its category sends a mediator) goes to the mediation studio with one step;
  // once it has, the case links to its mediation.
  async function showMediation(c) {
    const cat = categories.find((x) => x.code === c.category);
    if (!cat || !(cat.forces || []).includes("mediator")) return;
    const full = await CG.api("GET", `/api/v1/cases/${c.id}`).catch(() => null);
    const box = $("mediation-link");
    if (!full || !box || selected !== c.id) return;
    if (full.mediation_id) { box.innerHTML = `<a href="/mediation?id=${full.mediation_id}">${CG.t("mediation")} #${full.mediation_id}</a>`; return; }
    box.innerHTML = `<button type="button" class="secondary" id="to-mediation">${CG.t("to_mediation")}</button>`;
    $("to-mediation").onclick = async () => {
      try { const m = await CG.api("POST", `/api/v1/mediations/from-case/${c.id}`); box.innerHTML = `<a href="/mediation?id=${m.id}">${CG.t("mediation")} #${m.id}</a>`; }
      catch (e) { box.textContent = e.message; }
    };
  }

  // What sending this one costs the rest of the street.
  function coverWords(r) {
    const list = CG.lang() === "en" ? r.leaves_uncovered_en : r.leaves_uncovered;
    if (!list.length) return CG.t("cs_cover_kept");
    const shown = list.slice(0, 3).join(CG.lang() === "en" ? ", " : "、") + (list.length > 3 ? CG.t("cs_cover_more").replace("{n}", list.length) : "");
    return CG.t("cs_cover_lost").replace("{g}", shown);
  }
  async function showRecommendations(c, action, force) {
    const recs = await CG.api("GET", `/api/v1/cases/${c.id}/recommendations` + (force ? `?force=${force}` : ""));
    const best = new Set(); const seen = new Set();
    for (const r of recs) if (!seen.has(r.force)) { seen.add(r.force); best.add(r.responder_id); }
    $("recs").innerHTML = `<h3>${CG.t("recommendations")}</h3><div class="recs">` + recs.map((r) => `
      <label><input type="checkbox" name="responder" value="${r.responder_id}" ${best.has(r.responder_id) ? "checked" : ""}>
      <span class="tag">${CG.t(r.force)}</span> <span>${CG.esc(r.name)}</span> <span class="${r.on_time ? "" : "warn-text"}">· ${CG.t("eta")} ${Math.ceil(r.eta_seconds / 60)} ${CG.t("minutes")}</span> <span>· ${(r.distance_metres / 1000).toFixed(1)} km</span>
      <span class="${r.on_time ? "muted" : "warn-text"}">· ${CG.esc(CG.lang() === "en" ? r.why_en : r.why)}</span>
      ${r.may_wait_seconds > 0 ? `<span class="muted">· ${CG.t("cs_may_wait").replace("{n}", Math.ceil(r.may_wait_seconds / 60)).replace("{c}", r.calls_lost.toFixed(1))}</span>` : ""}
      ${r.leaves_uncovered.length ? `<span class="warn-text">· ${coverWords(r)}</span>` : ""}</label>`).join("") +
      `</div><button type="button" id="send-dispatch">${CG.t("dispatch_selected")}</button>`;
    $("send-dispatch").onclick = async () => {
      const ids = [...$("recs").querySelectorAll("input[name=responder]:checked")].map((i) => Number(i.value));
      await send(c, { action, responders: ids, note: $("action-note").value || undefined });
    };
  }

  async function act(c, action) {
    const note = $("action-note").value.trim();
    if (action === "dispatch" || action === "reassign") {
      if (action === "reassign" && !note) { $("action-error").textContent = CG.t("reason_required"); return; }
      return showRecommendations(c, action);
    }
    if (NEEDS_NOTE.includes(action) && !note) { $("action-error").textContent = CG.t("reason_required"); return; }
    const body = { action, note: note || undefined };
    if (action === "extend") { body.promise = "close"; body.by = "24h"; }
    if (action === "arrive") body.responder = c.assignments.find((a) => a.status === "active")?.responder_id;
    await send(c, body);
  }

  async function send(c, body) {
    try {
      const next = await CG.api("POST", `/api/v1/cases/${c.id}/actions`, body);
      const i = cases.findIndex((x) => x.id === c.id); if (i >= 0) cases[i] = next;
      $("action-note").value = "";
      renderQueue(); renderDetail(next);
    } catch (e) { $("action-error").textContent = CG.said(e); }
  }

  async function loadEscalations() {
    const page = await CG.api("GET", `/api/v1/cases?status=${OPEN}&limit=200`);
    const late = page.cases.filter((c) => c.overdue.length);
    $("escalations").innerHTML = late.map((c) => `<div class="card" style="margin-bottom:8px" data-case-id="${c.id}">
      <strong>#${c.id}</strong> ${CG.esc(catName(c.category))}<br><span class="tag overdue">${c.overdue.map((p) => CG.t("p_" + p)).join(" · ")}</span></div>`).join("");
    $("escalations").querySelectorAll("[data-case-id]").forEach((el) => { el.onclick = () => select(Number(el.dataset.caseId)); });
  }

  // Move-ups (前置备勤): where idle police and patrol members should wait so every grid stays
  // within ten minutes of someone; refreshed every minute.
  async function loadMoveups() {
    try {
      const moves = await CG.api("GET", "/api/v1/dispatch/moveups");
      $("moveups").innerHTML = moves.length
        ? moves.map((m, i) => `<li>${CG.esc(m.name)}${CG.paren(CG.t(m.force))} → ${CG.esc(CG.lang() === "en" ? m.grid_name_en : m.grid_name)} · ${Math.ceil(m.eta_seconds / 60)} ${CG.t("minutes")} · +${m.grids_gained} ${CG.t("grids_covered")}
            <button type="button" class="secondary" data-move="${i}">${CG.t("cs_move")}</button></li>`).join("")
        : `<li>${CG.t("all_covered")}</li>`;
      $("moveups").querySelectorAll("[data-move]").forEach((b) => { b.onclick = async () => {
        const m = moves[Number(b.dataset.move)];
        try { await CG.api("POST", "/api/v1/dispatch/moveups/apply", { responder_id: m.responder_id, grid_name: m.grid_name, lat: m.lat, lng: m.lng }); b.replaceWith(CG.t("cs_moved")); }
        catch (e) { b.textContent = e.message; }
      }; });
    } catch (_) { /* not allowed or offline: the panel stays as it was */ }
  }
  loadMoveups();
  setInterval(loadMoveups, 60 * 1000);

  // The map of the queue's cases and the people on duty, on the shared base map.
  const base = await CG.basemap.load().catch(() => null);
  const cmap = base ? echarts.init($("cmap")) : null;
  function drawMap() {
    if (!cmap) return;
    const colour = { urgent: "#d32f2f", high: "#f57c00", normal: "#1976d2", low: "#78909c" };
    const people = roster.filter((r) => r.status !== "off_duty" && r.location);
    cmap.setOption({
      geo: CG.basemap.geos(base, { dark: false, inset: 0.3 }),
      graphic: CG.basemap.caption(base, { dark: false }),
      tooltip: { trigger: "item" },
      series: [...CG.basemap.roads(base, { dark: false }), ...CG.basemap.split(base, [
        { name: CG.t("responders"), type: "scatter", coordinateSystem: "geo", symbolSize: 6, z: 4, itemStyle: { color: "#2e7d32" },
          data: people.map((r) => ({ name: `${r.name}${CG.paren(CG.t(r.force))}`, value: [r.location.lng, r.location.lat] })) },
        { name: CG.t("queue"), type: "scatter", coordinateSystem: "geo", symbol: "pin", symbolSize: 24, z: 6,
          data: cases.filter((c) => c.location).map((c) => ({ name: `#${c.id} ${catName(c.category)}`, value: [c.location.lng, c.location.lat, c.id], itemStyle: { color: colour[c.priority] } })) },
      ])],
    }, { replaceMerge: ["series", "geo"] });
  }
  if (cmap) cmap.on("click", (p) => { if (p.value && p.value[2]) select(p.value[2]); });
  setInterval(async () => { try { roster.splice(0, roster.length, ...(await CG.api("GET", "/api/v1/responders"))); drawMap(); } catch (_) {} }, 30000);

  // A call taken at the desk (hotline, 110 transfer, a visitor) becomes a case.
  function fillCallForm() {
    const opt = (v, label) => `<option value="${CG.esc(v)}">${CG.esc(label)}</option>`;
    $("call-source").innerHTML = ["hotline", "police_110", "walk_in"].map((s) => opt(s, CG.t(s))).join("");
    $("call-category").innerHTML = categories.map((c) => opt(c.code, catName(c.code))).join("");
    $("call-priority").innerHTML = opt("", CG.t("cs_default_priority")) + ["urgent", "high", "normal", "low"].map((p) => opt(p, CG.t(p))).join("");
    $("call-grid").innerHTML = grids.features.map((f) => opt(f.properties.code, CG.lang() === "en" ? f.properties.name_en : f.properties.name)).join("");
  }
  $("new-call").onclick = () => { fillCallForm(); $("call-error").textContent = ""; $("call-dialog").showModal(); $("call-description").focus(); };
  $("call-cancel").onclick = () => $("call-dialog").close();
  $("call-form").onsubmit = async (e) => {
    e.preventDefault();
    const g = grids.features.find((f) => f.properties.code === $("call-grid").value);
    const ring = g.geometry.coordinates[0];
    const [lng, lat] = ring.slice(0, -1).reduce((a, p, _, all) => [a[0] + p[0] / all.length, a[1] + p[1] / all.length], [0, 0]);
    const body = { category: $("call-category").value, description: $("call-description").value, source: $("call-source").value, location: { lat, lng },
      address: $("call-address").value || undefined, priority: $("call-priority").value || undefined, anonymous: $("call-anonymous").checked,
      reporter: $("call-name").value || $("call-phone").value ? { name: $("call-name").value || undefined, phone: $("call-phone").value || undefined } : undefined };
    try {
      const c = await CG.api("POST", "/api/v1/cases", body);
      $("call-dialog").close(); $("call-form").reset();
      if (!cases.some((x) => x.id === c.id)) cases.unshift(c);
      renderQueue(); select(c.id);
    } catch (x) { $("call-error").textContent = CG.said(x); }
  };

  fillFilters();
  $("filters").onsubmit = (e) => { e.preventDefault(); loadQueue(false); };
  await Promise.all([loadQueue(), loadEscalations()]);
  // Linked from elsewhere (a gas alarm's case): /console#case-12.
  const linked = /^#case-(\d+)$/.exec(location.hash);
  if (linked) select(Number(linked[1]));
  document.body.dataset.ready = "1";
  document.body.dataset.readyMs = String(Math.round(performance.now()));
  CG.stream(async (kind, data) => {
    if (kind !== "case") { if (kind === "reset") loadQueue(); return; }
    let c; try { c = await CG.api("GET", `/api/v1/cases/${data.id}`); } catch (_) { return; }
    const i = cases.findIndex((x) => x.id === c.id);
    const isNew = i < 0 && c.status === "new";
    if (i >= 0) cases[i] = c; else if (isNew) cases.unshift(c);
    renderQueue(isNew ? c.id : undefined);
    if (isNew) { CG.beep(); why.set(c.id, "new_case_alert"); unacknowledged.add(c.id); showBanner(); }
    // A responder declined or did not answer: the dispatcher hears whether someone else was
    // sent, or that nobody of that force is free and they must step in.
    if (data.last_action === "decline" || (data.last_action === "dispatch" && c.events.at(-2)?.action === "decline")) {
      const nobody = c.status === "accepted";
      CG.beep(); why.set(c.id, nobody ? "nobody_free" : "handed_over"); unacknowledged.add(c.id); showBanner();
    }
    if (selected === c.id) renderDetail(c);
    if (data.last_action === "escalate") loadEscalations();
  });
  // Send/act after a successful step clears the note: the step is recorded.
  document.addEventListener("cg:lang", () => { fillFilters(); renderQueue(); if (selected) select(selected); loadEscalations(); });
})();
