// Staff publish news, guides and activities, and moderate mutual-help posts.
"use strict";
(async () => {
  if (!CG.requireLogin()) return;
  CG.nav("/admin");
  const $ = (id) => document.getElementById(id);
  $("article-form").onsubmit = async (e) => {
    e.preventDefault();
    try {
      const f = $("a-image").files[0];
      const image = f ? await CG.api("POST", "/api/v1/community/images", undefined, { data: f, type: f.type }) : null;
      await CG.api("POST", "/api/v1/community/articles", { kind: $("a-kind").value, title: $("a-title").value, body: $("a-body").value,
        documents: $("a-docs").value, office_hours: $("a-hours").value, phone: $("a-phone").value, image_id: image ? image.id : null });
      $("a-msg").textContent = CG.t("sent"); $("article-form").reset();
    } catch (x) { $("a-msg").textContent = x.message; }
  };
  $("activity-form").onsubmit = async (e) => {
    e.preventDefault();
    try {
      const starts = new Date($("e-start").value).toISOString();
      const r = await CG.api("POST", "/api/v1/community/activities", { title: $("e-title").value, body: "", place: $("e-place").value, starts_at: starts, capacity: Number($("e-capacity").value) });
      const svg = await fetch(`/api/v1/community/activities/${r.id}/qr.svg`, { headers: { Authorization: "Bearer " + CG.token() } }).then((x) => x.blob());
      $("qr").innerHTML = `<p>${CG.esc($("e-title").value)}</p><img alt="check-in QR code" src="${URL.createObjectURL(svg)}">`;
      $("e-msg").textContent = CG.t("sent"); $("activity-form").reset();
    } catch (x) { $("e-msg").textContent = x.message; }
  };
  async function loadQueue() {
    const q = await CG.api("GET", "/api/v1/community/moderation");
    $("queue").innerHTML = q.map((p) => `<div class="card" style="margin-bottom:8px" data-post-id="${p.id}"><strong>${CG.esc(p.title)}</strong> · ${p.reports} · ${p.status}
      <div class="actions"><button type="button" class="secondary" data-d="restore">恢复</button><button type="button" class="danger" data-d="remove">删除</button></div></div>`).join("") || `<p class="muted">–</p>`;
    $("queue").querySelectorAll("[data-d]").forEach((b) => { b.onclick = () => CG.api("POST", `/api/v1/community/posts/${b.closest("[data-post-id]").dataset.postId}/moderate`, { decision: b.dataset.d }).then(loadQueue); });
  }
  await loadQueue();

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
  document.body.dataset.ready = "1";
})();
