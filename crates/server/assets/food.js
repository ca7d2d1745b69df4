// Smart food safety (智慧食安) for inspectors and grid workers: the register ordered by the
// next inspection due, a business's story, the inspection form item by item (made for a
// phone: pass/fail per item, a note and a photo), hazards with their deadlines and the
// rectification with photos, and the random draw.
"use strict";
(async () => {
  if (!CG.requireLogin()) return;
  CG.nav("/food");
  const $ = (id) => document.getElementById(id);
  const me = CG.user();
  const tables = {};
  const tableFor = async (kind) => (tables[kind] ||= await CG.api("GET", "/api/v1/food/checklist?kind=" + encodeURIComponent(kind)));
  let checklist = [];
  const day = (iso) => iso ? new Date(iso).toLocaleDateString(CG.lang() === "en" ? "en-GB" : "zh-CN", { timeZone: "Asia/Shanghai" }) : "—";
  const phone = window.matchMedia("(max-width: 700px)").matches;
  let list = [], selected = null, answers = {}, photos = {};

  function left(iso) {
    const ms = new Date(iso) - CG.now(), past = ms < 0, d = Math.floor(Math.abs(ms) / 86400000);
    return { past, soon: !past && ms < 14 * 86400000, text: past ? `${CG.t("pt_overdue_by")} ${d}${CG.t("fd_days")}` : `${CG.t("pt_left")} ${d}${CG.t("fd_days")}` };
  }
  const face = (f) => f ? `<span class="face ${f}">${CG.t("ff_" + f)}</span>` : `<span class="muted">${CG.t("fd_no_grade")}</span>`;

  async function load() {
    const q = $("fl-q").value.trim();
    list = await CG.api("GET", "/api/v1/food/businesses" + (q ? "?q=" + encodeURIComponent(q) : ""));
    renderList();
  }

  function renderList() {
    const due = list.filter((b) => b.inspection_overdue).length, hazards = list.reduce((n, b) => n + b.overdue_hazards, 0);
    $("fl-counts").textContent = `${list.length} ${CG.t("fd_items")} · ${due} ${CG.t("fd_due_items")} · ${hazards} ${CG.t("fd_overdue_hazards")}`;
    $("fl-list").innerHTML = list.map((b) => {
      const d = left(b.next_due);
      return `<div class="item" role="option" tabindex="0" data-id="${b.id}" aria-selected="${selected === b.id}">
        <strong>${CG.esc(b.name)}</strong> <span class="tag">${CG.t("fk_" + b.kind)}</span> <span class="tag">${CG.t("fd_risk")} ${b.risk}</span> ${face(b.grade)}
        <div class="muted">${CG.esc(b.address)} · ${CG.esc(CG.gridName(b))}</div>
        <div><span class="tag ${d.past ? "overdue" : d.soon ? "warn" : ""}">${CG.t("fd_next")} · ${d.text}</span>
        ${b.open_hazards ? `<span class="tag ${b.overdue_hazards ? "overdue" : "warn"}">${CG.t("fd_hazards")} ${b.open_hazards}${b.overdue_hazards ? ` · ${CG.t("overdue")} ${b.overdue_hazards}` : ""}</span>` : ""}</div></div>`;
    }).join("") || `<p class="muted">${CG.t("fd_none")}</p>`;
    $("fl-list").querySelectorAll(".item").forEach((el) => {
      const open = () => { selected = Number(el.dataset.id); renderList(); show(selected); };
      el.onclick = open; el.onkeydown = (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); open(); } };
    });
  }

  async function show(id) {
    const b = await CG.api("GET", `/api/v1/food/businesses/${id}`);
    checklist = await tableFor(b.kind);
    if (phone) { $("fl-pane").hidden = true; $("fd-pane").hidden = false; }
    const hz = b.hazards.map((h, i) => ({ h, i })).filter(({ h }) => h.status === "open");
    $("fd").innerHTML = `
      ${phone ? `<button type="button" class="secondary" id="fd-back">← ${CG.t("fd_register")}</button>` : ""}
      <h2>${CG.esc(b.name)} ${face(b.grade)}</h2>
      <p><span class="tag">${CG.t("fk_" + b.kind)}</span> <span class="tag">${CG.t("fd_risk")} ${b.risk}</span> <span class="tag">${CG.esc(b.licence_no)}</span></p>
      <dl class="facts"><dt>${CG.t("pt_address")}</dt><dd>${CG.esc(b.address)} · ${CG.esc(CG.gridName(b))}</dd>
        <dt>${CG.t("fd_person")}</dt><dd>${CG.esc(b.person_in_charge)} ${b.phone ? `<a href="tel:${CG.esc(b.phone)}">${CG.esc(b.phone)}</a>` : ""} · ${CG.esc(b.scale)}</dd>
        <dt>${CG.t("fd_last")}</dt><dd>${day(b.last_inspected_at)} ${b.face ? face(b.face) : ""}</dd>
        <dt>${CG.t("fd_next")}</dt><dd>${day(b.next_due)}（${left(b.next_due).text}）</dd></dl>
      ${hz.length ? `<h3>${CG.t("fd_hazards")}</h3><ul class="plain">${hz.map(({ h, i }) => { const d = left(h.deadline); return `<li><strong>${CG.esc(h.code)} ${CG.esc(h.text)}</strong>${h.key ? ` <span class="tag overdue">${CG.t("fd_key")}</span>` : ""}
        <span class="tag ${d.past ? "overdue" : "warn"}">${day(h.deadline)} · ${d.text}</span>${h.case_id ? ` <span class="tag">${CG.t("pt_case")} #${h.case_id}</span>` : ""}
        <label class="inline-file">${CG.t("fd_after_photo")} <input type="file" accept="image/*" capture="environment" data-rectify="${i}"></label></li>`; }).join("")}</ul>` : ""}
      <h3>${CG.t("fd_inspect")}</h3><div id="fd-form"></div>
      <h3>${CG.t("timeline")}</h3><ul class="timeline">${b.timeline.map((t) => `<li class="${t.kind === "escalate" ? "escalate" : ""}"><strong>${CG.t("ft_" + t.kind)}</strong> · ${day(t.at)} · ${CG.esc(t.text)}</li>`).join("")}</ul>
      <p class="error" id="fd-error" role="alert"></p>`;
    if ($("fd-back")) $("fd-back").onclick = () => { $("fd-pane").hidden = true; $("fl-pane").hidden = false; };
    $("fd").querySelectorAll("[data-rectify]").forEach((input) => input.onchange = async () => {
      const f = input.files[0]; if (!f) return;
      try {
        const up = await CG.api("POST", `/api/v1/food/businesses/${b.id}/files`, undefined, { data: f, type: f.type });
        await CG.api("POST", `/api/v1/food/businesses/${b.id}/hazards/${input.dataset.rectify}/rectify`, { after: [up.id] });
        await load(); show(b.id);
      } catch (e) { $("fd-error").textContent = e.message; }
    });
    renderForm(b);
  }

  // The inspection form: every item of the table, pass by default; a failure asks for a note
  // and takes a photo; the result the rules will give is shown as you go.
  function renderForm(b) {
    answers = Object.fromEntries(checklist.map((i) => [i.code, true])); photos = {};
    const verdict = () => {
      const failed = checklist.filter((i) => !answers[i.code]);
      const key = failed.some((i) => i.key);
      const r = key || failed.length > 8 ? "non_compliant" : failed.length ? "basically_compliant" : "compliant";
      return `${CG.t("fo_" + r)}${CG.paren(`${failed.length} ${CG.t("fd_failed_items")}${key ? CG.sep("，") + CG.t("fd_key_failed") : ""}`)}`;
    };
    $("fd-form").innerHTML = `<ol class="check">${checklist.map((i) => `<li data-code="${i.code}">
        <div class="q">${i.key ? `<span class="tag overdue">${CG.t("fd_key")}</span> ` : ""}${CG.esc(i.code)} ${CG.esc(i.text)} <span class="muted">${CG.esc(i.law)}</span></div>
        <div class="row"><button type="button" class="ok" data-pass="${i.code}" aria-pressed="true">${CG.t("fd_pass")}</button><button type="button" class="secondary" data-fail="${i.code}" aria-pressed="false">${CG.t("fd_fail")}</button></div>
        <div class="fail-detail" hidden><input data-note="${i.code}" placeholder="${CG.t("fd_note")}" aria-label="${CG.t("fd_note")}"><label class="inline-file">${CG.t("fd_photo")} <input type="file" accept="image/*" capture="environment" data-photo="${i.code}"></label></div></li>`).join("")}</ol>
      <label class="inline-file"><input type="checkbox" id="fd-self"> ${CG.t("fd_self_check")}</label>
      <p><strong id="fd-verdict">${verdict()}</strong></p><button type="button" id="fd-submit">${CG.t("fd_submit")}</button>`;
    const set = (code, pass) => {
      answers[code] = pass;
      const li = $("fd-form").querySelector(`li[data-code="${code}"]`);
      li.classList.toggle("failed", !pass);
      li.querySelector("[data-pass]").setAttribute("aria-pressed", String(pass));
      li.querySelector("[data-fail]").setAttribute("aria-pressed", String(!pass));
      li.querySelector(".fail-detail").hidden = pass;
      $("fd-verdict").textContent = verdict();
    };
    $("fd-form").querySelectorAll("[data-pass]").forEach((x) => x.onclick = () => set(x.dataset.pass, true));
    $("fd-form").querySelectorAll("[data-fail]").forEach((x) => x.onclick = () => set(x.dataset.fail, false));
    $("fd-form").querySelectorAll("[data-photo]").forEach((x) => x.onchange = async () => {
      const f = x.files[0]; if (!f) return;
      try { const up = await CG.api("POST", `/api/v1/food/businesses/${b.id}/files`, undefined, { data: f, type: f.type }); photos[x.dataset.photo] = [up.id]; }
      catch (e) { $("fd-error").textContent = e.message; }
    });
    $("fd-submit").onclick = async () => {
      const results = checklist.map((i) => ({ code: i.code, pass: answers[i.code], note: answers[i.code] ? null : ($("fd-form").querySelector(`[data-note="${i.code}"]`).value || null), photos: photos[i.code] || [] }));
      try {
        await CG.api("POST", `/api/v1/food/businesses/${b.id}/inspections`, { results, self_check: $("fd-self").checked });
        await load(); await show(b.id);
        $("fd-error").textContent = "";
        document.body.dataset.inspected = "1";
      } catch (e) { $("fd-error").textContent = e.message; }
    };
  }

  async function loadDraws() {
    const draws = await CG.api("GET", "/api/v1/food/draws");
    $("fl-draws").innerHTML = draws.slice(0, 3).map((d) => `<div class="muted">${day(d.at)} · ${CG.t("fd_seed")} ${CG.esc(d.seed)}</div><ul class="plain">${d.pairs.map((p) => `<li>${CG.esc(p.business_name)} → ${CG.esc(p.inspector_name)}</li>`).join("")}</ul>`).join("");
  }
  $("fl-draw").onclick = async () => {
    try { await CG.api("POST", "/api/v1/food/draws", { n: Number($("fl-draw-n").value) }); loadDraws(); }
    catch (e) { $("fl-draws").textContent = e.message; }
  };
  $("fl-draw-box").hidden = !["station_officer", "leader", "admin"].includes(me.role);
  let timer = null;
  $("fl-q").oninput = () => { clearTimeout(timer); timer = setTimeout(load, 300); };
  document.addEventListener("cg:lang", () => { renderList(); if (selected) show(selected); });
  await load();
  loadDraws();
  if (phone) $("fd-pane").hidden = true;
  else if (list.length) { selected = list[0].id; renderList(); await show(selected); }
  document.body.dataset.ready = "1";
})();
