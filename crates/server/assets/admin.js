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
  document.body.dataset.ready = "1";
})();
