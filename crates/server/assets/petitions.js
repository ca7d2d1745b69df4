// The petition office's desk (信访工作台): every petition with the next statutory time
// limit counting down, the clock of each step, commitments and follow-up visits, the steps
// taken, and the step to take next.
"use strict";
// The timeline says in English what was done; Chinese uses the step's name as it is.
CG.words({}, {
  pe_assign: "Assigned", pe_accept: "Accepted", pe_refuse: "Not accepted", pe_extend: "Extended", pe_commit: "Commitment added",
  pe_link_case: "Case linked", pe_schedule_follow_up: "Visit scheduled", pe_request_review: "Review requested",
  pe_take_ownership: "Leader took ownership", pe_close: "Closed",
});
(async () => {
  if (!CG.requireLogin()) return;
  CG.nav("/petitions");
  const $ = (id) => document.getElementById(id);
  const [staff, grids, categories] = await Promise.all([CG.api("GET", "/api/v1/petitions/staff"), CG.api("GET", "/api/v1/grids"), CG.api("GET", "/api/v1/categories")]);
  const catOptions = () => categories.map((c) => `<option value="${c.code}">${CG.esc(CG.lang() === "en" ? c.name_en : c.name)}</option>`).join("");
  const me = CG.user();
  const { colon, paren, sep } = CG;
  const gridName = (code) => { const f = grids.features.find((g) => g.properties.code === code); return f ? (CG.lang() === "en" ? f.properties.name_en : f.properties.name) : code; };
  const TOPICS = ["drainage", "wages", "housing", "land", "environment", "noise", "traffic", "food", "livelihood"];
  let list = [], selected = null;

  // Days and hours left (or past) for limits counted in days.
  function left(iso) {
    const ms = new Date(iso) - CG.now(), past = ms < 0, h = Math.floor(Math.abs(ms) / 3600000);
    const d = Math.floor(h / 24), hh = h % 24;
    const span = CG.lang() === "en" ? (d ? `${d} d ${hh} h` : `${hh} h`) : (d ? `${d}天${hh}小时` : `${hh}小时`);
    return { past, soon: !past && ms < 3 * 86400000, text: past ? `${CG.t("pt_overdue_by")} ${span}` : `${CG.t("pt_left")} ${span}` };
  }
  const lvl = (n) => CG.t("pt_lvl").replace("{n}", n);
  const day = (iso) => iso ? new Date(new Date(iso) - 1000).toLocaleDateString(CG.lang() === "en" ? "en-GB" : "zh-CN", { timeZone: "Asia/Shanghai" }) : "";

  function fillFilters() {
    const opt = (v, label) => `<option value="${CG.esc(v)}">${CG.esc(label)}</option>`;
    const keep = $("pl-filter").value || "open";
    $("pl-filter").innerHTML = opt("open", CG.t("pt_open")) + opt("", CG.t("all")) + ["registered", "assigned", "accepted", "replied", "under_review", "reviewed", "under_re_review", "re_reviewed", "refused", "closed"].map((s) => opt(s, CG.t("ps_" + s))).join("");
    $("pl-filter").value = keep;
    $("r-channel").innerHTML = ["letter", "visit", "phone", "online", "escalated"].map((c) => opt(c, CG.t("pc_" + c))).join("");
    $("r-class").innerHTML = ["demand", "complaint", "suggestion"].map((c) => opt(c, CG.t("pk_" + c))).join("");
    $("r-topic").innerHTML = TOPICS.map((c) => opt(c, CG.t("pt_t_" + c))).join("");
    $("r-grid").innerHTML = grids.features.map((f) => opt(f.properties.code, gridName(f.properties.code))).join("");
  }

  async function load() {
    const f = $("pl-filter").value;
    list = await CG.api("GET", "/api/v1/petitions" + (f ? "?status=" + encodeURIComponent(f) : ""));
    // The nearest time limit first: what must be done soonest is on top.
    const next = (p) => p.next_due_at ? new Date(p.next_due_at).getTime() : Infinity;
    list.sort((a, b) => next(a) - next(b) || b.id - a.id);
    renderList();
    if (selected) { const p = list.find((x) => x.id === selected); if (p) renderDetail(p); }
  }

  function renderList() {
    const overdue = list.filter((p) => p.duties.some((d) => d.state === "open" && d.overdue)).length;
    $("pl-counts").textContent = `${list.length >= 200 ? CG.t("pt_first") : ""}${list.length} ${CG.t(list.length === 1 ? "pt_item" : "pt_items")} · ${overdue} ${CG.t("pt_overdue_items")}`;
    $("pl-list").innerHTML = list.length ? list.map((p) => {
      const due = p.next_due_at ? left(p.next_due_at) : null;
      const duty = p.duties.filter((d) => d.state === "open").sort((a, b) => new Date(a.due_at) - new Date(b.due_at))[0];
      const level = Math.max(0, ...p.duties.filter((d) => d.state === "open").map((d) => d.level));
      return `<div class="item" role="option" tabindex="0" data-id="${p.id}" aria-selected="${selected === p.id}">
        <strong>${CG.t("pt_no")}${p.id}</strong> <span class="tag">${CG.t("ps_" + p.status)}</span> <span class="tag">${CG.t("pk_" + p.class)}</span>
        ${level ? `<span class="tag overdue">${lvl(level)}</span>` : ""}
        ${p.repeat_of.length ? `<span class="tag warn">${CG.t("pt_repeat")} ×${p.repeat_of.length + 1}</span>` : ""}
        ${p.leader_name ? `<span class="tag">${CG.t("pt_leader_owned")}</span>` : ""}
        <div>${CG.esc(p.matter).slice(0, 46)}</div>
        <div class="muted">${CG.esc(p.petitioners.map((x) => x.name).slice(0, 3).join(sep("、")))}${p.petitioners.length > 3 ? ` ${CG.t("pt_and")} ${p.petitioners.length} ${CG.t("pt_people_n")}` : ""} · ${CG.esc(gridName(p.grid))}</div>
        ${due && duty ? `<div><span class="tag ${due.past ? "overdue" : due.soon ? "warn" : ""}">${CG.esc(duty.name_zh && CG.lang() === "zh" ? duty.name_zh : dutyEn(duty.name))} · ${due.text}</span></div>` : ""}
      </div>`;
    }).join("") : `<p class="muted">${CG.t("pt_none")}</p>`;
    $("pl-list").querySelectorAll(".item").forEach((el) => {
      const open = () => { selected = Number(el.dataset.id); renderList(); renderDetail(list.find((p) => p.id === selected)); };
      el.onclick = open; el.onkeydown = (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); open(); } };
    });
  }

  function dutyEn(name) {
    const [base, n] = name.split(":");
    const k = { assign: "Assign within 15 days", decide: "Decide within 15 days", reply: "Written reply within 60 days", commitment: "Commitment", follow_up: "Follow-up visit", review: "Review decision", re_review: "Re-review decision", close: "Close the loop" }[base] || name;
    return n !== undefined ? `${k} ${Number(n) + 1}` : k;
  }
  const dutyName = (d) => CG.lang() === "zh" ? d.name_zh : dutyEn(d.name);

  function stepText(s) {
    const done = CG.t("pe_" + s.action);
    const base = done === "pe_" + s.action ? CG.t("pa_" + s.action) : done;
    if (s.action === "warn" || s.action === "escalate") {
      const d = { name: s.duty, name_zh: "" };
      const zh = (CG.lang() === "zh");
      const name = zh ? (list.find((p) => p.id === selected)?.duties.find((x) => x.name === s.duty)?.name_zh || s.duty) : dutyEn(d.name);
      return s.action === "escalate" ? `${base}${colon()}${name}${paren(lvl(s.level))}` : `${base}${colon()}${name}`;
    }
    return base;
  }

  // Names in the page's language (the deadline runner's steps carry its username).
  const who = (name, role) => (name === "deadline-runner" ? CG.t("actor_runner") : CG.personName(name, role));
  function renderDetail(p) {
    if (!p) { $("pd").innerHTML = `<p class="muted">${CG.t("pt_nothing")}</p>`; return; }
    const duties = p.duties.map((d) => {
      const cd = d.state === "open" ? left(d.due_at) : null;
      const cls = d.state === "kept" ? (d.overdue ? "missed" : "kept") : d.state === "open" ? (cd.past ? "missed" : cd.soon ? "soon" : "") : "";
      return `<tr class="${cls}"><td>${CG.esc(dutyName(d))}</td><td>${CG.esc(d.owner.startsWith("role:") ? CG.t("r_" + d.owner.slice(5)) : who(d.owner, d.owner_role))}</td>
        <td>${day(d.due_at)}</td><td>${d.state === "open" ? cd.text : d.state === "kept" ? `${CG.t("kept")} ${day(d.kept_at)}` : CG.t("pd_" + d.state)}</td>
        <td>${d.level ? `<span class="tag overdue">${lvl(d.level)}</span>` : ""}</td></tr>`;
    }).join("");
    const commitments = p.commitments.map((k, i) => `<li>${CG.esc(k.what)} · ${CG.t("pt_due")} ${day(k.due_at)} · ${CG.esc(who(k.owner_name, k.owner_role))}
        ${k.case_id ? `<span class="tag">${CG.t("pt_case")} #${k.case_id}</span>` : ""}
        ${k.kept_at ? `<span class="tag">${CG.t("kept")} ${day(k.kept_at)}</span>` : `<button type="button" class="secondary" data-keep="${i}">${CG.t("pt_keep")}</button>`}
        ${!k.kept_at && !k.case_id ? `<select data-cat="${i}" aria-label="${CG.t("category")}">${catOptions()}</select><button type="button" class="secondary" data-spawn="${i}">${CG.t("pt_spawn")}</button>` : ""}</li>`).join("");
    const follow = p.follow_ups.map((f, i) => `<li>${day(f.due_at)} · ${CG.t("pf_" + f.reason.split(":")[0])}
        ${f.done_at ? `<span class="tag">${CG.t("kept")} ${day(f.done_at)}</span> ${CG.esc(who(f.by || "", f.by_role))}${paren(CG.t("ph_" + f.how))}${colon()}${CG.esc(f.said || "")}` : `<form class="inline" data-visit="${i}"><select name="how" aria-label="${CG.t("pt_how")}">${["visit", "phone", "wechat"].map((h) => `<option value="${h}">${CG.t("ph_" + h)}</option>`).join("")}</select>
            <input name="said" required placeholder="${CG.t("pt_said")}" aria-label="${CG.t("pt_said")}"><button class="secondary">${CG.t("pt_record_visit")}</button></form>`}</li>`).join("");
    $("pd").innerHTML = `
      <h2>${CG.t("pt_no")}${p.id} ${CG.esc(p.matter)}</h2>
      <p><span class="tag">${CG.t("ps_" + p.status)}</span> <span class="tag">${CG.t("pk_" + p.class)}</span> <span class="tag">${CG.t("pc_" + p.channel)}</span>
        ${p.after_re_review ? `<span class="tag overdue">${CG.t("pt_after_re_review")}</span>` : ""}
        ${p.repeat_of.length ? `<span class="tag warn">${CG.t("pt_repeat_of")} ${p.repeat_of.map((x) => CG.t("pt_no") + x).join(sep("、"))}</span>` : ""}</p>
      <dl class="facts">
        <dt>${CG.t("pt_demand")}</dt><dd>${CG.esc(p.demand || "—")}</dd>
        <dt>${CG.t("pt_petitioners")}</dt><dd id="pd-people">${CG.esc(p.petitioners.map((x) => x.name + (x.phone ? " " + x.phone : "") + (x.representative ? paren(CG.t("pt_rep")) : "")).join(sep("，")))}
          <button type="button" class="secondary" id="pd-unmask">${CG.t("pt_unmask")}</button></dd>
        <dt>${CG.t("grid")}</dt><dd>${CG.esc(gridName(p.grid))} ${CG.esc(p.address || "")}</dd>
        <dt>${CG.t("pt_registered")}</dt><dd>${CG.fmtTime(p.registered_at)}</dd>
        <dt>${CG.t("pt_body")}</dt><dd>${CG.esc(p.body || "—")} ${p.officer_name ? "· " + CG.esc(who(p.officer_name, p.officer_role)) : ""} ${p.leader_name ? `· ${CG.t("pt_leader_owned")}${colon()}${CG.esc(who(p.leader_name, p.leader_role))}` : ""}</dd>
        ${p.extension_days ? `<dt>${CG.t("pt_extended")}</dt><dd>${p.extension_days} ${CG.t("pt_days")}${colon()}${CG.esc(p.extension_reason)}</dd>` : ""}
        ${p.refusal ? `<dt>${CG.t("ps_refused")}</dt><dd>${CG.esc(p.refusal[0])}${sep("；")}${CG.t("pt_route")}${colon()}${CG.esc(p.refusal[1])}</dd>` : ""}
        ${p.reply ? `<dt>${CG.t("pt_reply")}</dt><dd>${CG.esc(p.reply)}</dd>` : ""}
        ${p.satisfaction ? `<dt>${CG.t("pt_rating")}</dt><dd>${CG.t("sat_" + p.satisfaction)}</dd>` : ""}
      </dl>
      <h3>${CG.t("pt_files")}</h3><div class="photos" id="pd-files"></div>
      <label class="inline-file">${CG.t("pt_add_scan")} <input type="file" id="pd-file" accept="image/jpeg,image/png,image/webp"></label>
      <h3>${CG.t("pt_clock")}</h3>
      <table class="clock"><thead><tr><th>${CG.t("pt_step")}</th><th>${CG.t("pt_owner")}</th><th>${CG.t("pt_due")}</th><th>${CG.t("state")}</th><th></th></tr></thead><tbody>${duties}</tbody></table>
      ${commitments ? `<h3>${CG.t("pt_commitments")}</h3><ul class="plain">${commitments}</ul>` : ""}
      ${follow ? `<h3>${CG.t("pt_follow_ups")}</h3><ul class="plain">${follow}</ul>` : ""}
      <h3>${CG.t("pt_next")}</h3><div id="pd-act"></div><p class="error" id="pd-error" role="alert"></p>
      <h3>${CG.t("timeline")}</h3>
      <ul class="timeline">${p.steps.slice().reverse().map((s) => `<li class="${s.action}"><strong>${CG.esc(stepText(s))}</strong> · ${CG.fmtTime(s.at)} · ${CG.esc(who(s.actor, s.actor_role))}${s.note ? `<div class="muted">${CG.esc(s.note)}</div>` : ""}</li>`).join("")}</ul>`;
    renderActions(p);
    showFiles(p);
    $("pd-file").onchange = async () => {
      const f = $("pd-file").files[0]; if (!f) return;
      try { await CG.api("POST", `/api/v1/petitions/${p.id}/files?purpose=letter`, undefined, { data: f, type: f.type }); showFiles(p); }
      catch (e) { $("pd-error").textContent = e.message; }
    };
    $("pd-unmask").onclick = async () => {
      try {
        const people = await CG.api("GET", `/api/v1/petitions/${p.id}/petitioners`);
        $("pd-people").textContent = people.map((x) => `${x.name} ${x.phone || ""}${x.address ? " " + x.address : ""}`).join(sep("，")) + paren(CG.t("pt_unmasked_logged"));
      } catch (e) { $("pd-error").textContent = e.message; }
    };
    $("pd").querySelectorAll("[data-keep]").forEach((b) => b.onclick = () => act(p, { action: "keep_commitment", commitment: Number(b.dataset.keep) }));
    $("pd").querySelectorAll("[data-spawn]").forEach((b) => b.onclick = () => act(p, { action: "spawn_case", commitment: Number(b.dataset.spawn), category: $("pd").querySelector(`[data-cat="${b.dataset.spawn}"]`).value }));
    $("pd").querySelectorAll("form[data-visit]").forEach((f) => f.onsubmit = (e) => {
      e.preventDefault();
      act(p, { action: "record_follow_up", follow_up: Number(f.dataset.visit), how: f.elements.how.value, said: f.elements.said.value });
    });
  }

  // Scans and photos, fetched with the session (each look is audited by the server).
  async function showFiles(p) {
    const list = await CG.api("GET", `/api/v1/petitions/${p.id}/files`);
    const imgs = await Promise.all(list.map(async (f) => {
      const r = await fetch(f.url, { headers: { Authorization: "Bearer " + CG.token() } });
      return `<img alt="${CG.esc(f.purpose)} ${f.id}" src="${URL.createObjectURL(await r.blob())}">`;
    }));
    if ($("pd-files") && selected === p.id) $("pd-files").innerHTML = imgs.join("") || `<span class="muted">${CG.t("pt_no_files")}</span>`;
  }

  // The forms of the steps the petition's status allows.
  function renderActions(p) {
    const opt = (v, label) => `<option value="${v}">${CG.esc(label)}</option>`;
    const people = (roles) => staff.filter((s) => roles.includes(s.role)).map((s) => opt(s.id, CG.personName(s.name, s.role))).join("");
    const forms = [];
    const s = p.status;
    if (s === "registered" || s === "assigned") {
      forms.push(`<form data-action="assign" class="inline"><input name="body" placeholder="${CG.t("pt_body")}" value="${CG.esc(p.body || "临江街道城建办")}" required aria-label="${CG.t("pt_body")}">
        <select name="officer" aria-label="${CG.t("pt_officer")}">${people(["petition_officer", "station_officer", "grid_worker", "leader", "dispatcher"])}</select><button>${CG.t("pa_assign")}</button></form>`);
      forms.push(`<form data-action="refuse" class="inline"><input name="reason" placeholder="${CG.t("pt_reason")}" required aria-label="${CG.t("pt_reason")}"><input name="route" placeholder="${CG.t("pt_route")}" required aria-label="${CG.t("pt_route")}"><button class="danger">${CG.t("pa_refuse")}</button></form>`);
    }
    if (s === "assigned") forms.push(`<form data-action="accept" class="inline"><button>${CG.t("pa_accept")}</button></form>`);
    if (s === "accepted") {
      forms.push(`<form data-action="reply" class="inline"><textarea name="text" rows="2" placeholder="${CG.t("pt_reply")}" required aria-label="${CG.t("pt_reply")}"></textarea><button>${CG.t("pa_reply")}</button></form>`);
      if (!p.extension_days) forms.push(`<form data-action="extend" class="inline"><span>${CG.t("pt_extend_days")}</span><input name="days" type="number" min="1" max="30" value="30" aria-label="${CG.t("pt_days")}"><input name="reason" placeholder="${CG.t("pt_reason")}" required aria-label="${CG.t("pt_reason")}"><span>${CG.t("pt_approver")}</span><select name="approved_by" aria-label="${CG.t("pt_approver")}">${people(["leader"])}</select><button class="secondary">${CG.t("pa_extend")}</button></form>`);
    }
    if (["accepted", "replied", "reviewed", "re_reviewed"].includes(s)) forms.push(`<form data-action="commit" class="inline"><input name="what" placeholder="${CG.t("pt_commitment")}" required aria-label="${CG.t("pt_commitment")}"><span>${CG.t("pt_due")}</span><input name="due_at" type="date" required aria-label="${CG.t("pt_due")}"><span>${CG.t("pt_owner")}</span><select name="owner" aria-label="${CG.t("pt_owner")}">${people(["grid_worker", "station_officer", "petition_officer", "dispatcher"])}</select><button class="secondary">${CG.t("pa_commit")}</button></form>`);
    if (p.status !== "refused") forms.push(`<form data-action="schedule_follow_up" class="inline"><span>${CG.t("pf_officer")}</span><input name="due_at" type="date" required aria-label="${CG.t("pt_due")}"><button class="secondary">${CG.t("pa_schedule_follow_up")}</button></form>`);
    if (["replied", "reviewed", "closed"].includes(s) && p.review_open_until && new Date(p.review_open_until) > CG.now() && p.reviews < 2) forms.push(`<form data-action="request_review" class="inline"><button class="secondary">${CG.t("pa_request_review")}</button></form>`);
    if (["under_review", "under_re_review"].includes(s) && ["leader", "petition_officer"].includes(me.role)) forms.push(`<form data-action="decide_review" class="inline"><input name="result" placeholder="${CG.t("pt_decision")}" required aria-label="${CG.t("pt_decision")}"><button>${CG.t("pa_decide_review")}</button></form>`);
    if (["replied", "reviewed", "re_reviewed"].includes(s)) forms.push(`<form data-action="close" class="inline"><button>${CG.t("pa_close")}</button></form>`);
    if (me.role === "leader" && !p.leader && p.status !== "closed" && p.status !== "refused") forms.push(`<form data-action="take_ownership" class="inline"><button class="secondary">${CG.t("pa_take_ownership")}</button></form>`);
    $("pd-act").innerHTML = forms.join("") || `<p class="muted">${CG.t("pt_nothing_to_do")}</p>`;
    $("pd-act").querySelectorAll("form").forEach((f) => f.onsubmit = (e) => {
      e.preventDefault();
      const body = { action: f.dataset.action, version: p.version };
      for (const el of f.elements) if (el.name) body[el.name] = ["officer", "owner", "approved_by", "days"].includes(el.name) ? Number(el.value) : el.value;
      act(p, body);
    });
  }

  async function act(p, body) {
    $("pd-error").textContent = "";
    try {
      const after = await CG.api("POST", `/api/v1/petitions/${p.id}/actions`, body);
      const i = list.findIndex((x) => x.id === p.id); if (i >= 0) list[i] = after;
      renderList(); renderDetail(after);
    } catch (e) { $("pd-error").textContent = e.message; }
  }

  $("pl-filter").onchange = load;
  $("pl-new").onclick = () => { $("reg-error").textContent = ""; $("reg").showModal(); };
  $("reg-cancel").onclick = () => $("reg").close();
  $("reg-form").onsubmit = async (e) => {
    e.preventDefault();
    const petitioners = $("r-people").value.split("\n").map((l) => l.trim()).filter(Boolean).map((l) => {
      const rep = l.startsWith("*"), parts = l.replace(/^\*/, "").trim().split(/\s+/);
      return { name: parts[0], phone: parts[1] || null, representative: rep };
    });
    try {
      const p = await CG.api("POST", "/api/v1/petitions", { channel: $("r-channel").value, class: $("r-class").value, topic: $("r-topic").value, matter: $("r-matter").value, demand: $("r-demand").value, grid: $("r-grid").value, address: $("r-address").value || null, petitioners });
      $("reg").close(); $("reg-form").reset(); selected = p.id; $("pl-filter").value = "open"; await load();
    } catch (err) { $("reg-error").textContent = err.message; }
  };
  document.addEventListener("cg:lang", () => { fillFilters(); renderList(); renderDetail(list.find((p) => p.id === selected)); });
  fillFilters();
  await load();
  if (!selected && list.length) { selected = list[0].id; renderList(); renderDetail(list[0]); }
  document.body.dataset.ready = "1";
  // Countdowns move on their own; the list is read again every minute.
  setInterval(() => { renderList(); }, 30000);
  setInterval(load, 60000);
})();
