// Staff publish news, guides and activities, and moderate mutual-help posts.
"use strict";
CG.words({
  ad_content: "已发布内容", ad_events: "近期活动", ad_details: "活动介绍", ad_edit: "编辑", ad_unpublish: "下架", ad_republish: "重新上架",
  ad_off: "已下架", ad_qr: "签到二维码", ad_roster: "报名名单", ad_signed: "已报名", ad_waitlisted: "候补", ad_cancelled: "已取消", ad_in: "已签到",
  ad_editing: "正在编辑：{t}（提交即保存修改）", ad_places: "报名 {n}/{c}", ad_none: "暂无",
  ad_roster_h: "值班排班", ad_shift_day: "白班 8:00–20:00", ad_shift_night: "夜班 20:00–8:00", ad_shift_all: "全天", ad_all_stations: "全部站点", ad_saved: "已保存",
}, {
  ad_content: "Published content", ad_events: "Coming activities", ad_details: "About the activity", ad_edit: "Edit", ad_unpublish: "Take down", ad_republish: "Put back",
  ad_off: "Taken down", ad_qr: "Check-in QR", ad_roster: "Sign-ups", ad_signed: "Signed up", ad_waitlisted: "Waiting", ad_cancelled: "Cancelled", ad_in: "Checked in",
  ad_editing: "Editing: {t} (submit saves the changes)", ad_places: "{n}/{c} signed up", ad_none: "None",
  ad_roster_h: "Duty roster", ad_shift_day: "Day 8:00–20:00", ad_shift_night: "Night 20:00–8:00", ad_shift_all: "All day", ad_all_stations: "All stations", ad_saved: "Saved",
});
(async () => {
  if (!CG.requireLogin()) return;
  CG.nav("/admin");
  const $ = (id) => document.getElementById(id);
  const f = (k, o) => Object.entries(o).reduce((s, [a, b]) => s.replaceAll("{" + a + "}", b), CG.t(k));
  let editing = null;
  $("article-form").onsubmit = async (e) => {
    e.preventDefault();
    try {
      const file = $("a-image").files[0];
      const image = file ? await CG.api("POST", "/api/v1/community/images", undefined, { data: file, type: file.type }) : null;
      const body = { kind: $("a-kind").value, title: $("a-title").value, body: $("a-body").value,
        documents: $("a-docs").value, office_hours: $("a-hours").value, phone: $("a-phone").value, image_id: image ? image.id : (editing ? editing.image_id : null) };
      if (editing) await CG.api("PUT", `/api/v1/community/articles/${editing.id}`, body);
      else await CG.api("POST", "/api/v1/community/articles", body);
      $("a-msg").textContent = CG.t("sent"); $("article-form").reset(); editing = null;
      loadContent();
    } catch (x) { $("a-msg").textContent = x.message; }
  };
  // What residents read, and what was taken down: edit, take down, put back.
  async function loadContent() {
    const list = await CG.api("GET", `/api/v1/community/articles?kind=${$("c-kind").value}&all=1`);
    $("content-list").innerHTML = list.map((a) => `<div class="item" data-article-id="${a.id}" style="border-bottom:1px solid #e3e8ef;padding:6px 0">
      <strong>${CG.esc(a.title)}</strong> ${a.published ? "" : `<span class="tag warn">${CG.t("ad_off")}</span>`}<div class="muted">${CG.fmtTime(a.updated_at)}</div>
      <div class="row"><button type="button" class="secondary" data-edit>${CG.t("ad_edit")}</button>
      <button type="button" class="${a.published ? "danger" : "secondary"}" data-pub="${a.published ? 0 : 1}">${CG.t(a.published ? "ad_unpublish" : "ad_republish")}</button></div></div>`).join("") || `<p class="muted">${CG.t("ad_none")}</p>`;
    $("content-list").querySelectorAll("[data-article-id]").forEach((row) => {
      const a = list.find((x) => x.id === Number(row.dataset.articleId));
      row.querySelector("[data-edit]").onclick = () => {
        editing = { id: a.id, image_id: a.image_url ? Number(a.image_url.split("/").pop()) : null };
        $("a-kind").value = a.kind; $("a-title").value = a.title; $("a-body").value = a.body; $("a-docs").value = a.documents; $("a-hours").value = a.office_hours; $("a-phone").value = a.phone;
        $("a-msg").textContent = f("ad_editing", { t: a.title }); $("a-title").focus();
      };
      row.querySelector("[data-pub]").onclick = () => CG.api("POST", `/api/v1/community/articles/${a.id}/published`, { published: row.querySelector("[data-pub]").dataset.pub === "1" }).then(loadContent);
    });
  }
  $("c-kind").onchange = loadContent;
  // Coming activities: places taken, the door's QR code again, who signed up and who came.
  async function loadEvents() {
    const list = await CG.api("GET", "/api/v1/community/activities");
    $("event-list").innerHTML = list.map((a) => `<div data-activity-id="${a.id}" style="border-bottom:1px solid #e3e8ef;padding:6px 0">
      <strong>${CG.esc(a.title)}</strong><div class="muted">${CG.fmtTime(a.starts_at).slice(0, -3)} · ${CG.esc(a.place)} · ${f("ad_places", { n: a.signed, c: a.capacity })}</div>
      <div class="row"><button type="button" class="secondary" data-qr>${CG.t("ad_qr")}</button><button type="button" class="secondary" data-roster>${CG.t("ad_roster")}</button></div>
      <div class="out"></div></div>`).join("") || `<p class="muted">${CG.t("ad_none")}</p>`;
    $("event-list").querySelectorAll("[data-activity-id]").forEach((row) => {
      const id = row.dataset.activityId, out = row.querySelector(".out");
      row.querySelector("[data-qr]").onclick = async () => {
        const svg = await fetch(`/api/v1/community/activities/${id}/qr.svg`, { headers: { Authorization: "Bearer " + CG.token() } }).then((x) => x.blob());
        out.innerHTML = `<div class="qr"><img alt="check-in QR code" src="${URL.createObjectURL(svg)}"></div>`;
      };
      row.querySelector("[data-roster]").onclick = async () => {
        const r = await CG.api("GET", `/api/v1/community/activities/${id}/roster`);
        out.innerHTML = r.length ? `<ol>${r.map((x) => `<li>${CG.esc(x.name)} · ${CG.t("ad_" + x.status)}${x.checked_in_at ? " · " + CG.t("ad_in") : ""}</li>`).join("")}</ol>` : `<p class="muted">${CG.t("ad_none")}</p>`;
      };
    });
  }
  $("activity-form").onsubmit = async (e) => {
    e.preventDefault();
    try {
      const starts = new Date($("e-start").value).toISOString();
      const r = await CG.api("POST", "/api/v1/community/activities", { title: $("e-title").value, body: $("e-body").value, place: $("e-place").value, starts_at: starts, capacity: Number($("e-capacity").value) });
      const svg = await fetch(`/api/v1/community/activities/${r.id}/qr.svg`, { headers: { Authorization: "Bearer " + CG.token() } }).then((x) => x.blob());
      $("qr").innerHTML = `<p>${CG.esc($("e-title").value)}</p><img alt="check-in QR code" src="${URL.createObjectURL(svg)}">`;
      $("e-msg").textContent = CG.t("sent"); $("activity-form").reset(); loadEvents();
    } catch (x) { $("e-msg").textContent = x.message; }
  };
  async function loadQueue() {
    const q = await CG.api("GET", "/api/v1/community/moderation");
    $("queue").innerHTML = q.map((p) => `<div class="card" style="margin-bottom:8px" data-post-id="${p.id}"><strong>${CG.esc(p.title)}</strong> · ${p.reports} · ${p.status}
      <div class="actions"><button type="button" class="secondary" data-d="restore">恢复</button><button type="button" class="danger" data-d="remove">删除</button></div></div>`).join("") || `<p class="muted">–</p>`;
    $("queue").querySelectorAll("[data-d]").forEach((b) => { b.onclick = () => CG.api("POST", `/api/v1/community/posts/${b.closest("[data-post-id]").dataset.postId}/moderate`, { decision: b.dataset.d }).then(loadQueue); });
  }
  await loadQueue();
  await loadContent();
  await loadEvents();

  // Errors the server names by code are shown in the page's language.
  const said = (x) => (["weak_password", "wrong_password", "conflict"].includes(x.code) ? CG.t(x.code) : x.message);
  $("password-form").onsubmit = async (e) => {
    e.preventDefault();
    try {
      const r = await CG.api("POST", "/api/v1/auth/password", { current: $("p-current").value, new: $("p-new").value });
      CG.signIn(r.token, r.user);
      $("p-msg").textContent = CG.t("password_changed"); $("password-form").reset();
    } catch (x) { $("p-msg").textContent = said(x); }
  };

  // Accounts, for administrators: disable, enable, sign out everywhere, set a new password.
  async function loadAccounts() {
    const list = await CG.api("GET", "/api/v1/users");
    $("accounts").innerHTML = `<table><thead><tr><th>${CG.t("name")}</th><th>${CG.t("username")}</th><th>${CG.t("role")}</th><th>${CG.t("state")}</th><th></th></tr></thead><tbody>` +
      list.map((u) => `<tr data-user-id="${u.id}" data-username="${CG.esc(u.username)}"><td>${CG.esc(u.display_name)}</td><td>${CG.esc(u.username)}</td><td>${CG.t("r_" + u.role)}</td>
        <td class="${u.disabled ? "off" : ""}">${CG.t(u.disabled ? "disabled" : "enabled")}</td>
        <td><div class="row"><button type="button" class="${u.disabled ? "secondary" : "danger"}" data-do="${u.disabled ? "enable" : "disable"}">${CG.t(u.disabled ? "enable" : "disable")}</button>
        <button type="button" class="secondary" data-do="revoke">${CG.t("revoke")}</button>
        <input type="password" autocomplete="new-password" aria-label="${CG.t("new_password")}" placeholder="${CG.t("new_password")}"><button type="button" class="secondary" data-do="password">${CG.t("set_password")}</button></div>
        <p class="error" role="status"></p></td></tr>`).join("") + "</tbody></table>";
    $("accounts").querySelectorAll("[data-do]").forEach((b) => {
      b.onclick = async () => {
        const row = b.closest("tr"), out = row.querySelector(".error"), what = b.dataset.do;
        try {
          await CG.api("POST", `/api/v1/users/${row.dataset.userId}/${what}`, what === "password" ? { password: row.querySelector("input").value } : undefined);
          if (what === "password" || what === "revoke") out.textContent = CG.t(what === "password" ? "password_set" : "signed_out");
          else await loadAccounts();
        } catch (x) { out.textContent = said(x); }
      };
    });
  }
  if (CG.user()?.role === "admin") {
    $("accounts-card").hidden = false;
    await loadAccounts();
  }
  // The duty roster: who is on the day shift, the night shift or all day, by station.
  async function loadRoster() {
    const list = await CG.api("GET", "/api/v1/responders");
    const st = $("roster-station").value;
    $("roster").innerHTML = `<table><thead><tr><th>${CG.t("name")}</th><th>${CG.t("role")}</th><th>${CG.t("station")}</th><th>${CG.t("ad_roster_h")}</th><th>${CG.t("state")}</th></tr></thead><tbody>` +
      list.filter((r) => !st || r.station === st).map((r) => `<tr data-responder-id="${r.id}"><td>${CG.esc(r.name)}</td><td>${CG.t(r.force)}</td><td>${CG.esc(r.station)}</td>
        <td><select aria-label="shift">${["day", "night", "all"].map((x) => `<option value="${x}" ${x === r.shift ? "selected" : ""}>${CG.t("ad_shift_" + x)}</option>`).join("")}</select> <span class="ok" role="status"></span></td>
        <td>${CG.t(r.status)}</td></tr>`).join("") + "</tbody></table>";
    $("roster").querySelectorAll("tr[data-responder-id] select").forEach((sel) => { sel.onchange = async () => {
      const out = sel.parentElement.querySelector(".ok");
      try { await CG.api("POST", `/api/v1/responders/${sel.closest("tr").dataset.responderId}/shift`, { shift: sel.value }); out.textContent = CG.t("ad_saved"); }
      catch (x) { out.className = "error"; out.textContent = x.message; }
    }; });
  }
  if (["admin", "dispatcher", "station_officer"].includes(CG.user()?.role)) {
    $("roster-card").hidden = false;
    const stations = await CG.api("GET", "/api/v1/stations");
    $("roster-station").innerHTML = `<option value="">${CG.t("ad_all_stations")}</option>` + stations.filter((x) => x.kind === "station").map((x) => `<option value="${x.code}">${CG.esc(CG.lang() === "en" ? x.name_en : x.name)}</option>`).join("");
    $("roster-station").onchange = loadRoster;
    await loadRoster();
  }
  document.body.dataset.ready = "1";
})();
