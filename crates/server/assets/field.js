// Field pages for grid workers, patrol members and police on a phone: my tasks, take or
// decline, navigate, arrive by the phone's location, feedback and close with photos,
// position sharing, and patrol reports that become cases.
"use strict";
(async () => {
  if (!CG.requireLogin()) return;
  CG.nav("/field");
  const $ = (id) => document.getElementById(id);
  const me = await CG.api("GET", "/api/v1/me");
  const categories = await CG.api("GET", "/api/v1/categories");
  const catName = (code) => { const c = categories.find((x) => x.code === code); return c ? (CG.lang() === "en" ? c.name_en : c.name) : code; };
  $("me").textContent = me.display_name;
  let here = null; // last known position of this phone

  function locate() {
    return new Promise((resolve, reject) => {
      if (!navigator.geolocation) return reject(new Error("no geolocation"));
      navigator.geolocation.getCurrentPosition((p) => { here = { lat: p.coords.latitude, lng: p.coords.longitude }; resolve(here); },
        (e) => reject(e), { enableHighAccuracy: true, timeout: 10000 });
    });
  }
  async function sharePosition() {
    if (!me.responder_id) return;
    try { const p = await locate(); await CG.api("POST", `/api/v1/responders/${me.responder_id}/position`, { lat: p.lat, lng: p.lng }); } catch (_) {}
  }
  let shareTimer = null;
  $("share").onchange = () => {
    clearInterval(shareTimer);
    if ($("share").checked) { sharePosition(); shareTimer = setInterval(sharePosition, 30000); }
  };
  if (me.responder_id) {
    const mine = (await CG.api("GET", "/api/v1/responders")).find((r) => r.id === me.responder_id);
    $("on-duty").checked = mine && mine.status !== "off_duty";
  } else { $("on-duty").disabled = true; $("share").disabled = true; }
  $("on-duty").onchange = () => CG.api("POST", `/api/v1/responders/${me.responder_id}/status`, { status: $("on-duty").checked ? "available" : "off_duty" });

  async function uploadPhotos(caseId, input) {
    for (const f of input?.files || []) await CG.api("POST", `/api/v1/cases/${caseId}/attachments`, undefined, { data: f, type: f.type || "application/octet-stream" });
  }

  async function loadTasks() {
    const q = me.responder_id ? `responder=${me.responder_id}` : `status=dispatched,on_site,in_progress`;
    const page = await CG.api("GET", `/api/v1/cases?${q}&limit=50`);
    const tasks = page.cases.filter((c) => ["dispatched", "on_site", "in_progress"].includes(c.status));
    // Cards that did not change are kept as they are, so a worker's half-written note and
    // chosen photos survive live updates.
    const host = $("tasks");
    const existing = new Map([...host.querySelectorAll("article")].map((a) => [Number(a.dataset.caseId), a]));
    host.querySelector(".empty")?.remove();
    for (const [id, el] of existing) if (!tasks.some((c) => c.id === id)) el.remove();
    let prev = null;
    for (const c of tasks) {
      let card = existing.get(c.id);
      if (!card || card.dataset.version !== String(c.version)) {
        const fresh = document.createElement("div");
        fresh.innerHTML = taskCard(c);
        const next = fresh.firstElementChild;
        if (card) {
          // Keep what was typed and chosen.
          next.querySelector("textarea").value = card.querySelector("textarea").value;
          const oldFiles = card.querySelector("input[type=file]"); const newFiles = next.querySelector("input[type=file]");
          newFiles.replaceWith(oldFiles);
          card.replaceWith(next);
        } else if (prev) prev.after(next); else host.prepend(next);
        card = next;
        wire(card);
      }
      prev = card;
    }
    if (!tasks.length) host.innerHTML = `<p class="muted empty">${CG.t("no_tasks")}</p>`;
  }

  function taskCard(c) {
    const nav = `https://uri.amap.com/marker?position=${c.location.lng},${c.location.lat}&name=${encodeURIComponent(catName(c.category))}&coordinate=wgs84`;
    // Mine: taken (接单) or still to answer, and by when.
    const mine = (c.assignments || []).find((a) => a.responder_id === me.responder_id && a.status === "active");
    const taken = mine && mine.answered_at;
    const buttons = c.status === "dispatched"
      ? (taken
        ? `<button type="button" data-do="arrive">${CG.t("arrive")}</button>`
        : `<button type="button" data-do="take">${CG.t("take")}</button><button type="button" class="danger" data-do="decline">${CG.t("decline")}</button><button type="button" data-do="arrive">${CG.t("arrive")}</button>`)
      : `<button type="button" class="secondary" data-do="feedback">${CG.t("feedback")}</button><button type="button" data-do="close">${CG.t("close")}</button>`;
    const answer = mine && !taken && mine.answer_by ? ` · ${CG.t("take_within")} <span class="cd" data-due="${mine.answer_by}">${CG.countdown(mine.answer_by).txt}</span>` : "";
    const statusWords = c.status === "dispatched" && taken ? CG.t("taken_en_route") : CG.t(c.status);
    return `<article class="card task" data-case-id="${c.id}" data-version="${c.version}">
      <h2 style="font-size:17px;margin:0">#${c.id} ${CG.esc(catName(c.category))} <span class="tag ${c.priority}">${CG.t(c.priority)}</span></h2>
      <p>${CG.esc(c.description)}</p>
      <p class="muted">${CG.esc(c.grid_name || "")} · <span class="status">${statusWords}</span>${answer}
        ${c.next_deadline ? ` · ${CG.t("p_" + c.next_deadline.promise)} <span class="cd" data-due="${c.next_deadline.due_at}">${CG.countdown(c.next_deadline.due_at).txt}</span>` : ""}</p>
      <a href="${nav}" target="_blank" rel="noopener">${CG.t("navigate")}</a>
      <label for="note-${c.id}">${CG.t("note")}</label><textarea id="note-${c.id}" rows="2" maxlength="2000"></textarea>
      <label for="photo-${c.id}">${CG.t("photos")}</label><input id="photo-${c.id}" type="file" accept="image/jpeg,image/png,image/webp" multiple>
      <div class="row">${buttons}</div><p class="error" role="alert"></p></article>`;
  }

  function wire(card) {
    const id = Number(card.dataset.caseId);
    const err = card.querySelector(".error");
    card.querySelectorAll("[data-do]").forEach((b) => { b.onclick = () => run(id, b.dataset.do, card).catch((e) => { err.textContent = e.message || e.code || String(e); }); });
  }

  async function run(id, what, card) {
    const note = card.querySelector("textarea").value.trim();
    const photos = card.querySelector("input[type=file]");
    if (what === "take") {
      // 接单: answers the assignment in time, so it is not passed to the next candidate.
      if (me.responder_id) {
        await CG.api("POST", `/api/v1/cases/${id}/actions`, { action: "take", responder: me.responder_id });
        await CG.api("POST", `/api/v1/responders/${me.responder_id}/status`, { status: "en_route" });
      }
      // The card now shows the assignment taken: only 到场 is left to do on it.
      card.querySelector(".status").textContent = CG.t("taken_en_route");
      card.querySelectorAll("[data-do=take], [data-do=decline]").forEach((b) => b.remove());
      card.querySelector(".error").textContent = "";
      return;
    }
    if (what === "decline") {
      if (!note) throw new Error(CG.t("reason_required"));
      // A responder's decline passes the case to the next candidate; without a roster entry it
      // goes back to the centre (退单).
      if (me.responder_id) await CG.api("POST", `/api/v1/cases/${id}/actions`, { action: "decline", responder: me.responder_id, reason: note });
      else await CG.api("POST", `/api/v1/cases/${id}/actions`, { action: "reject", reason: note });
    }
    if (what === "arrive") {
      card.querySelector(".error").textContent = CG.t("locating");
      try { await sharePosition(); } catch (_) {}
      card.querySelector(".error").textContent = "";
      await CG.api("POST", `/api/v1/cases/${id}/actions`, { action: "arrive", responder: me.responder_id || undefined });
      if (me.responder_id) await CG.api("POST", `/api/v1/responders/${me.responder_id}/status`, { status: "on_site" });
    }
    if (what === "feedback" || what === "close") {
      if (!note) throw new Error(CG.t("reason_required"));
      await uploadPhotos(id, photos);
      await CG.api("POST", `/api/v1/cases/${id}/actions`, { action: what, note });
      card.querySelector("textarea").value = ""; photos.value = "";
      if (what === "close" && me.responder_id) await CG.api("POST", `/api/v1/responders/${me.responder_id}/status`, { status: "available" });
    }
    await loadTasks();
  }

  // Patrol report (巡查上报): becomes a case with the channel recorded.
  $("r-category").innerHTML = categories.map((c) => `<option value="${c.code}">${CG.esc(catName(c.code))}</option>`).join("");
  $("r-locate").onclick = async () => {
    $("r-location").textContent = CG.t("locating");
    try { const p = await locate(); $("r-location").textContent = `${p.lat.toFixed(5)}, ${p.lng.toFixed(5)}`; } catch (e) { $("r-location").textContent = String(e.message || e); }
  };
  $("report-form").onsubmit = async (e) => {
    e.preventDefault();
    $("r-error").textContent = "";
    try {
      const p = here || (await locate());
      const c = await CG.api("POST", "/api/v1/cases", { category: $("r-category").value, description: $("r-description").value, location: p, source: "grid_patrol" });
      await uploadPhotos(c.id, $("r-photo"));
      $("r-error").textContent = `${CG.t("sent")} #${c.id}`;
      $("report-form").reset();
    } catch (x) { $("r-error").textContent = x.message || String(x); }
  };
  const tab = (which) => {
    $("tab-tasks").setAttribute("aria-selected", which === "tasks"); $("tab-report").setAttribute("aria-selected", which === "report");
    $("tasks").hidden = which !== "tasks"; $("report").hidden = which !== "report";
  };
  $("tab-tasks").onclick = () => tab("tasks"); $("tab-report").onclick = () => tab("report");
  await loadTasks();
  document.body.dataset.ready = "1";
  document.body.dataset.readyMs = String(Math.round(performance.now()));
  CG.stream((kind) => { if (kind === "case" || kind === "reset") loadTasks(); });
  setInterval(() => document.querySelectorAll(".cd").forEach((el) => { el.textContent = CG.countdown(el.dataset.due).txt; }), 1000);
  document.addEventListener("cg:lang", () => { $("tasks").innerHTML = ""; loadTasks(); });
})();
