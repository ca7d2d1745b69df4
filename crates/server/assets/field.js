// Field pages for grid workers, patrol members and police on a phone: my tasks, take or
// decline, navigate, arrive by the phone's location, feedback and close with photos,
// position sharing, and patrol reports that become cases.
"use strict";
CG.words({
  fd_my_reports: "我的上报", fd_address: "地址", fd_distance: "距您约 {d}", fd_call: "联系报事人", fd_history: "办理经过与照片", fd_sent_feedback: "反馈已发送，指挥中心和报事人可以看到。",
  fd_my_due_on_site: "到场时限", fd_my_due_feedback: "首次反馈时限", fd_my_due_close: "办结时限", fd_no_reports: "还没有上报过", fd_calling: "正在调取号码…",
  fd_a_create: "上报", fd_a_accept: "受理", fd_a_dispatch: "派单", fd_a_contact_party: "联系当事人", fd_a_take: "接单", fd_a_arrive: "到场", fd_a_feedback: "反馈",
  fd_map: "地图", fd_map_note: "红色为我的任务，蓝点为我的位置。点任务可导航。", fd_me: "我的位置",
  fd_contact_first: "办结前须已联系当事人（拨打上方“联系报事人”），否则请提交反馈，由指挥中心联系后办结。",
  fd_party_not_contacted: "尚未联系当事人：请先联系，或提交反馈，由指挥中心联系当事人后办结。", fd_told: "指挥中心通知",
  fd_a_close: "办结", fd_a_decline: "退单", fd_a_reopen: "返工", fd_a_rate: "评价", fd_a_warn: "临期提醒", fd_a_escalate: "超时督办", fd_a_handover: "转派", fd_a_reassign: "改派",
}, {
  fd_my_reports: "My reports", fd_address: "Address", fd_distance: "About {d} from you", fd_call: "Call the reporter", fd_history: "What happened so far, photos", fd_sent_feedback: "Feedback sent: the centre and the reporter can see it.",
  fd_my_due_on_site: "On site by", fd_my_due_feedback: "First feedback by", fd_my_due_close: "Close by", fd_no_reports: "No reports yet", fd_calling: "Getting the number…",
  fd_a_create: "Reported", fd_a_accept: "Accepted", fd_a_dispatch: "Dispatched", fd_a_contact_party: "Party contacted", fd_a_take: "Taken", fd_a_arrive: "On site", fd_a_feedback: "Feedback",
  fd_map: "Map", fd_map_note: "Red: my tasks; blue: where I am. Tap a task to navigate.", fd_me: "Me",
  fd_contact_first: "Closing needs the party contacted (call them above); otherwise send feedback and the centre contacts them and closes it.",
  fd_party_not_contacted: "The party has not been contacted: call them, or send feedback and the centre closes it after contacting them.", fd_told: "From the centre",
  fd_a_close: "Closed", fd_a_decline: "Declined", fd_a_reopen: "Reopened", fd_a_rate: "Rated", fd_a_warn: "Due soon", fd_a_escalate: "Overdue, escalated", fd_a_handover: "Handed over", fd_a_reassign: "Reassigned",
});
(async () => {
  if (!CG.requireLogin()) return;
  CG.nav("/field");
  const $ = (id) => document.getElementById(id);
  const me = await CG.api("GET", "/api/v1/me");
  const categories = await CG.api("GET", "/api/v1/categories");
  const catName = (code) => { const c = categories.find((x) => x.code === code); return c ? (CG.lang() === "en" ? c.name_en : c.name) : code; };
  $("me").textContent = CG.personName(me.display_name, me.role);
  let here = null; // last known position of this phone
  let tasksShown = []; // the tasks on the cards, for the map

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
    tasksShown = tasks;
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
    // The worker's own next time limit: on site while on the way, then the first feedback, then closing.
    const own = !c.milestones.on_site_at ? ["fd_my_due_on_site", c.deadlines.on_site]
      : !c.milestones.first_feedback_at ? ["fd_my_due_feedback", c.deadlines.first_feedback] : ["fd_my_due_close", c.deadlines.close];
    return `<article class="card task" data-case-id="${c.id}" data-version="${c.version}">
      <h2 style="font-size:17px;margin:0">#${c.id} ${CG.esc(catName(c.category))} <span class="tag ${c.priority}">${CG.t(c.priority)}</span></h2>
      <p>${CG.esc(c.description)}</p>
      <p class="muted">${CG.esc(CG.gridName(c))} · <span class="status">${statusWords}</span>${answer}
        ${own ? ` · ${CG.t(own[0])} <span class="cd" data-due="${own[1]}">${CG.countdown(own[1]).txt}</span>` : ""}</p>
      ${c.address ? `<p>${CG.t("fd_address")}${CG.lang() === "en" ? ": " : "："}${CG.esc(c.address)}</p>` : ""}
      <p class="muted dist" data-lat="${c.location.lat}" data-lng="${c.location.lng}">${distance(c.location)}</p>
      <div class="row"><a href="${nav}" target="_blank" rel="noopener" class="button-link">${CG.t("navigate")}</a>
        ${c.has_reporter ? `<button type="button" class="secondary" data-call>${CG.t("fd_call")}</button>` : ""}</div>
      ${c.has_reporter && !c.milestones.contacted_at ? `<p class="muted">${CG.t("fd_contact_first")}</p>` : ""}
      <details data-history><summary>${CG.t("fd_history")}</summary><div class="history"></div></details>
      <label for="note-${c.id}">${CG.t("note")}</label><textarea id="note-${c.id}" rows="2" maxlength="2000"></textarea>
      <label for="photo-${c.id}">${CG.t("photos")}</label><input id="photo-${c.id}" type="file" accept="image/jpeg,image/png,image/webp" multiple>
      <div class="row">${buttons}</div><p class="error" role="alert"></p></article>`;
  }

  // Straight-line distance from the phone's last position, rounded as people say it.
  function distance(loc) {
    if (!here) return "";
    const r = 6371000, rad = Math.PI / 180;
    const dLat = (loc.lat - here.lat) * rad, dLng = (loc.lng - here.lng) * rad;
    const a = Math.sin(dLat / 2) ** 2 + Math.cos(here.lat * rad) * Math.cos(loc.lat * rad) * Math.sin(dLng / 2) ** 2;
    const m = 2 * r * Math.asin(Math.sqrt(a));
    return CG.t("fd_distance").replace("{d}", m < 1000 ? `${Math.round(m / 10) * 10} m` : `${(m / 1000).toFixed(1)} km`);
  }
  // The steps so far with their notes, and the photos, opened on demand.
  async function history(id, box) {
    const [c, files] = await Promise.all([CG.api("GET", `/api/v1/cases/${id}`), CG.api("GET", `/api/v1/cases/${id}/attachments`).catch(() => [])]);
    box.innerHTML = `<ol class="steps">${c.events.filter((e) => !["warn"].includes(e.action)).map((e) =>
      `<li>${CG.fmtTime(e.at).slice(5, -3)} ${CG.t("fd_a_" + e.action) === "fd_a_" + e.action ? CG.esc(e.action) : CG.t("fd_a_" + e.action)}${e.note ? CG.colon() + CG.esc(e.note) : ""}</li>`).join("")}</ol>` +
      files.map((f) => `<img alt="" data-src="/api/v1/attachments/${f.id}" style="max-width:48%;margin:2px;border-radius:4px">`).join("");
    box.querySelectorAll("img[data-src]").forEach(async (img) => {
      const r = await fetch(img.dataset.src, { headers: { Authorization: "Bearer " + CG.token() } });
      if (r.ok) img.src = URL.createObjectURL(await r.blob());
    });
  }

  function wire(card) {
    const id = Number(card.dataset.caseId);
    const err = card.querySelector(".error");
    const h = card.querySelector("[data-history]");
    if (h) h.ontoggle = () => { if (h.open) history(id, h.querySelector(".history")).catch((e) => { err.textContent = e.message; }); };
    const call = card.querySelector("[data-call]");
    if (call) call.onclick = async () => {
      // Seeing the number is audited; the phone dials it.
      call.textContent = CG.t("fd_calling");
      try { const r = await CG.api("GET", `/api/v1/cases/${id}/reporter`); if (r.phone) location.href = "tel:" + r.phone; call.textContent = (r.name || "") + " " + (r.phone || ""); }
      catch (e) { err.textContent = e.message; call.textContent = CG.t("fd_call"); }
    };
    card.querySelectorAll("[data-do]").forEach((b) => { b.onclick = () => run(id, b.dataset.do, card).catch((e) => {
      err.textContent = e.code === "party_not_contacted" ? CG.t("fd_party_not_contacted") : e.message || e.code || String(e); }); });
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
      if (what === "feedback") $("field-ok").textContent = CG.t("fd_sent_feedback");
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
  // 我的上报: what I reported, wherever it lies, and how far it has got.
  async function loadMine() {
    const page = await CG.api("GET", "/api/v1/cases?mine=true&limit=50");
    $("mine").innerHTML = page.cases.map((c) => `<article class="card task" data-case-id="${c.id}">
      <h2 style="font-size:16px;margin:0">#${c.id} ${CG.esc(catName(c.category))} <span class="tag">${CG.t(c.status)}</span></h2>
      <p>${CG.esc(c.description)}</p><p class="muted">${CG.fmtTime(c.created_at).slice(0, -3)} · ${CG.esc(CG.gridName(c))}</p>
      <details data-history><summary>${CG.t("fd_history")}</summary><div class="history"></div></details><p class="error" role="alert"></p></article>`).join("")
      || `<p class="muted">${CG.t("fd_no_reports")}</p>`;
    $("mine").querySelectorAll("article").forEach(wire);
  }
  // 地图: my tasks and me on the street's base map.
  async function showMap() {
    const base = await CG.basemap.load();
    $("map-note").textContent = CG.t("fd_map_note");
    try { await locate(); } catch (_) {}
    const chart = echarts.getInstanceByDom($("fmap")) || echarts.init($("fmap"));
    chart.setOption({
      geo: CG.basemap.geos(base, { dark: false, inset: 0.3 }), graphic: CG.basemap.caption(base, { dark: false }), tooltip: { trigger: "item" },
      series: [...CG.basemap.roads(base, { dark: false }), ...CG.basemap.split(base, [
        { name: CG.t("my_tasks"), type: "scatter", coordinateSystem: "geo", symbol: "pin", symbolSize: 28, z: 6, itemStyle: { color: "#d32f2f" },
          data: tasksShown.map((c) => ({ name: `#${c.id} ${catName(c.category)}`, value: [c.location.lng, c.location.lat, c.id] })) },
        { name: CG.t("fd_me"), type: "effectScatter", coordinateSystem: "geo", symbolSize: 12, z: 7, itemStyle: { color: "#1976d2" }, data: here ? [{ name: CG.t("fd_me"), value: [here.lng, here.lat] }] : [] },
      ])],
    }, { replaceMerge: ["series", "geo"] });
    chart.off("click");
    chart.on("click", (p) => { const c = tasksShown.find((x) => p.value && x.id === p.value[2]); if (c) window.open(`https://uri.amap.com/marker?position=${c.location.lng},${c.location.lat}&coordinate=wgs84`, "_blank"); });
  }
  // 巡查上报: a place picked on the map when the phone's position is not where the problem is.
  $("r-pin").onclick = async () => {
    const base = await CG.basemap.load();
    $("r-map").hidden = false;
    const chart = echarts.getInstanceByDom($("r-map")) || echarts.init($("r-map"));
    const draw = () => chart.setOption({ geo: CG.basemap.geos(base, { dark: false, inset: 0.32 }), graphic: CG.basemap.caption(base, { dark: false }),
      series: [...CG.basemap.roads(base, { dark: false }), ...CG.basemap.split(base, [{ name: "pin", type: "scatter", coordinateSystem: "geo", symbol: "pin", symbolSize: 28, z: 9, itemStyle: { color: "#d32f2f" }, data: here ? [[here.lng, here.lat]] : [] }])],
    }, { replaceMerge: ["series", "geo"] });
    draw();
    chart.getZr().off("click");
    chart.getZr().on("click", (e) => {
      const px = [e.offsetX, e.offsetY];
      const gi = [1, 0].find((i) => chart.containPixel({ geoIndex: i }, px));
      if (gi === undefined) return;
      const p = chart.convertFromPixel({ geoIndex: gi }, px);
      if (p) { here = { lat: p[1], lng: p[0] }; $("r-location").textContent = `${here.lat.toFixed(5)}, ${here.lng.toFixed(5)}`; draw(); }
    });
  };
  const TABS = ["tasks", "report", "mine", "map"];
  const tab = (which) => {
    for (const t of TABS) { $("tab-" + t).setAttribute("aria-selected", which === t); $(t).hidden = which !== t; }
    if (which === "mine") loadMine();
    if (which === "map") showMap();
  };
  for (const t of TABS) $("tab-" + t).onclick = () => tab(t);
  // What the centre told me lately (where to wait, hand-overs).
  async function loadNotices() {
    const list = await CG.api("GET", "/api/v1/notifications").catch(() => []);
    const recent = list.filter((n) => CG.now() - new Date(n.created_at || n.sent_at || 0) < 12 * 3600e3).slice(0, 3);
    $("centre-notes").innerHTML = recent.map((n) => `<p style="margin:2px 0">• ${CG.esc(n.subject)}</p>`).join("");
    $("centre-notes").hidden = !recent.length;
  }
  loadNotices();
  setInterval(loadNotices, 60000);
  await loadTasks();
  document.body.dataset.ready = "1";
  document.body.dataset.readyMs = String(Math.round(performance.now()));
  CG.stream((kind) => { if (kind === "case" || kind === "reset") loadTasks(); });
  setInterval(() => document.querySelectorAll(".cd").forEach((el) => { el.textContent = CG.countdown(el.dataset.due).txt; }), 1000);
  // Distances follow the phone: once at start, then with every position shared.
  const showDistances = () => document.querySelectorAll(".dist").forEach((el) => { el.textContent = distance({ lat: Number(el.dataset.lat), lng: Number(el.dataset.lng) }); });
  locate().then(showDistances).catch(() => {});
  setInterval(showDistances, 30000);
  document.addEventListener("cg:lang", () => {
    $("me").textContent = CG.personName(me.display_name, me.role);
    $("tasks").innerHTML = "";
    loadTasks();
  });
})();
