// The mediation studio (调解工作室): today's sessions, disputes with their clocks and money,
// sessions with offers, the agreement and its confirmations, payments and instalments,
// follow-ups, the judicial-confirmation countdown, the printable agreement.
"use strict";
(async () => {
  if (!CG.requireLogin()) return;
  CG.nav("/mediation");
  const $ = (id) => document.getElementById(id);
  const grids = await CG.api("GET", "/api/v1/grids");
  const gridName = (code) => { const f = grids.features.find((g) => g.properties.code === code); return f ? (CG.lang() === "en" ? f.properties.name_en : f.properties.name) : code; };
  const money = (y) => "¥" + Number(y).toLocaleString(CG.lang() === "en" ? "en-GB" : "zh-CN", { minimumFractionDigits: 0, maximumFractionDigits: 2 });
  const fen = (f) => money(f / 100);
  const day = (iso) => iso ? new Date(new Date(iso) - 1000).toLocaleDateString(CG.lang() === "en" ? "en-GB" : "zh-CN", { timeZone: "Asia/Shanghai" }) : "";
  const lvl = (n) => CG.t("pt_lvl").replace("{n}", n);
  let list = [], selected = null;

  function left(iso) {
    const ms = new Date(iso) - CG.now(), past = ms < 0, h = Math.floor(Math.abs(ms) / 3600000), d = Math.floor(h / 24), hh = h % 24;
    const span = CG.lang() === "en" ? (d ? `${d} d ${hh} h` : `${hh} h`) : (d ? `${d}天${hh}小时` : `${hh}小时`);
    return { past, soon: !past && ms < 3 * 86400000, text: past ? `${CG.t("pt_overdue_by")} ${span}` : `${CG.t("pt_left")} ${span}` };
  }
  function dutyName(d) {
    if (CG.lang() === "zh") return d.name_zh;
    const [b, i, j] = d.name.split(":");
    return { conclude: "Time limit to conclude", instalment: `Payment ${Number(i) + 1}, instalment ${Number(j) + 1}`, follow_up: `Follow-up ${Number(i) + 1}`, perform: "Agreement performed" }[b] || d.name;
  }

  function fillFilters() {
    const opt = (v, label) => `<option value="${CG.esc(v)}">${CG.esc(label)}</option>`;
    const keep = $("ml-filter").value || "open";
    $("ml-filter").innerHTML = opt("open", CG.t("pt_open")) + opt("", CG.t("all")) + ["registered", "in_session", "agreed", "performed", "failed"].map((s) => opt(s, CG.t("ms_" + s))).join("");
    $("ml-filter").value = keep;
    $("m-source").innerHTML = ["walk_in", "court", "police", "petition_office"].map((s) => opt(s, CG.t("mo_" + s))).join("");
    $("m-kind").innerHTML = ["wages", "freight", "neighbours", "consumer", "family", "traffic", "property", "other"].map((s) => opt(s, CG.t("mk_" + s))).join("");
    $("m-grid").innerHTML = grids.features.map((f) => opt(f.properties.code, gridName(f.properties.code))).join("");
  }

  async function load() {
    const f = $("ml-filter").value;
    list = await CG.api("GET", "/api/v1/mediations" + (f ? "?status=" + encodeURIComponent(f) : ""));
    const next = (m) => m.next_due_at ? new Date(m.next_due_at).getTime() : Infinity;
    list.sort((a, b) => next(a) - next(b) || b.id - a.id);
    renderList();
    if (selected) { const m = list.find((x) => x.id === selected); if (m) renderDetail(m); }
  }

  function renderList() {
    // Days and times in the street's time zone, whatever the browser's.
    const cst = (d) => new Date(d).toLocaleDateString("en-CA", { timeZone: "Asia/Shanghai" });
    const today = cst(CG.now());
    const sessions = list.flatMap((m) => m.sessions.filter((s) => cst(s.at) === today).map((s) => ({ m, s })));
    $("ml-today").innerHTML = `<strong>${CG.t("md_today")}</strong> ${sessions.length ? sessions.map(({ m, s }) => `<div>${new Date(s.at).toLocaleTimeString(CG.lang() === "en" ? "en-GB" : "zh-CN", { hour: "2-digit", minute: "2-digit", timeZone: "Asia/Shanghai" })} · #${m.id} ${CG.esc(m.summary).slice(0, 24)}</div>`).join("") : `<span class="muted">${CG.t("md_none_today")}</span>`}`;
    const overdue = list.filter((m) => m.duties.some((d) => d.state === "open" && d.overdue)).length;
    $("ml-counts").textContent = `${list.length} ${CG.t(list.length === 1 ? "md_item" : "md_items")} · ${overdue} ${CG.t("pt_overdue_items")}`;
    $("ml-list").innerHTML = list.length ? list.map((m) => {
      const duty = m.duties.filter((d) => d.state === "open").sort((a, b) => new Date(a.due_at) - new Date(b.due_at))[0];
      const due = duty ? left(duty.due_at) : null;
      const level = Math.max(0, ...m.duties.filter((d) => d.state === "open").map((d) => d.level));
      return `<div class="item" role="option" tabindex="0" data-id="${m.id}" aria-selected="${selected === m.id}">
        <strong>${CG.t("md_no")}${m.id}</strong> <span class="tag">${CG.t("ms_" + m.status)}</span> <span class="tag">${CG.t("mk_" + m.kind)}</span>
        ${level ? `<span class="tag overdue">${lvl(level)}</span>` : ""}
        <div>${CG.esc(m.summary).slice(0, 46)}</div>
        <div class="muted">${m.parties.length} ${CG.t("md_parties_n")} · ${CG.t("md_claimed")} ${money(m.money.claimed)}${m.money.agreed ? ` · ${CG.t("md_agreed")} ${money(m.money.agreed)}` : ""}</div>
        ${due ? `<div><span class="tag ${due.past ? "overdue" : due.soon ? "warn" : ""}">${CG.esc(dutyName(duty))} · ${due.text}</span></div>` : ""}
      </div>`;
    }).join("") : `<p class="muted">${CG.t("md_none")}</p>`;
    $("ml-list").querySelectorAll(".item").forEach((el) => {
      const open = () => { selected = Number(el.dataset.id); renderList(); renderDetail(list.find((m) => m.id === selected)); };
      el.onclick = open; el.onkeydown = (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); open(); } };
    });
  }

  function renderDetail(m) {
    if (!m) { $("md").innerHTML = `<p class="muted">${CG.t("md_nothing")}</p>`; return; }
    const a = m.agreement;
    const partyName = (i) => m.parties[i] ? m.parties[i].name : "#" + (i + 1);
    const parties = m.parties.map((p, i) => `<tr><td>${i + 1}</td><td>${CG.esc(p.name)}${p.representative ? CG.paren(CG.esc(p.representative)) : ""}</td>
      <td>${p.claimant ? CG.t("md_claimant") : CG.t("md_respondent_s")}${p.organisation ? " · " + CG.t("md_org") : ""}</td><td>${CG.esc(p.phone || "")}</td>
      <td>${p.claims.map((c) => `${CG.esc(c.item)} ${fen(c.amount_fen)}`).join(CG.sep("；"))}</td>
      <td>${a ? (a.confirmations.some((c) => c.party === i) ? `<span class="tag">${CG.t("md_confirmed")}</span>` : a.oral ? "" : `<button type="button" class="secondary" data-confirm="${i}" data-how="signature">${CG.t("md_sign")}</button>${p.phone ? `<button type="button" class="secondary" data-confirm="${i}" data-how="sms_code">${CG.t("md_sms")}</button>` : ""}<button type="button" class="secondary" data-confirm="${i}" data-how="paper">${CG.t("md_paper")}</button>`) : ""}</td></tr>`).join("");
    const duties = m.duties.map((d) => {
      const cd = d.state === "open" ? left(d.due_at) : null;
      const cls = d.state === "kept" ? (d.overdue ? "missed" : "kept") : d.state === "open" ? (cd.past ? "missed" : cd.soon ? "soon" : "") : "";
      return `<tr class="${cls}"><td>${CG.esc(dutyName(d))}</td><td>${day(d.due_at)}</td><td>${d.state === "open" ? cd.text : d.state === "kept" ? `${CG.t("kept")} ${day(d.kept_at)}` : CG.t("pd_" + d.state)}</td><td>${d.level ? `<span class="tag overdue">${lvl(d.level)}</span>` : ""}</td></tr>`;
    }).join("");
    const sessions = m.sessions.map((s) => `<li><strong>${CG.fmtTime(s.at)}</strong> · ${s.attended.map(partyName).map(CG.esc).join(CG.sep("、"))}<div>${CG.esc(s.record)}</div>
      ${s.offers.map((o) => `<div class="muted">${CG.esc(partyName(o.party))}${CG.colon()}${fen(o.amount_fen)} ${CG.esc(o.note)}</div>`).join("")}</li>`).join("");
    const payments = a ? a.payments.map((p, i) => `<tr><td>${CG.esc(partyName(p.payer))} → ${CG.esc(partyName(p.payee))}</td><td>${CG.esc(p.item)}</td><td>${fen(p.amount_fen)}</td><td>${fen(p.on_the_spot_fen)}</td>
      <td>${p.instalments.map((x, j) => `${day(x.due_at)} ${fen(x.amount_fen)} ${x.paid_at ? `<span class="tag">${CG.t("md_paid")} ${day(x.paid_at)}</span>` : `<button type="button" class="secondary" data-pay="${i}:${j}">${CG.t("md_mark_paid")}</button>`}`).join("<br>") || "—"}</td></tr>`).join("") : "";
    const x = m.money;
    $("md").innerHTML = `
      <h2>${CG.t("md_no")}${m.id} ${CG.esc(m.summary)}</h2>
      <p><span class="tag">${CG.t("ms_" + m.status)}</span> <span class="tag">${CG.t("mk_" + m.kind)}</span> <span class="tag">${CG.t("mo_" + m.source)}</span>
        ${m.case_id ? `<a href="/console?case=${m.case_id}">${CG.t("pt_case")} #${m.case_id}</a>` : ""}</p>
      <dl class="facts"><dt>${CG.t("place")}</dt><dd>${CG.esc(m.place || "")} · ${CG.esc(gridName(m.grid))}</dd>
        <dt>${CG.t("pt_registered")}</dt><dd>${CG.fmtTime(m.registered_at)}</dd>
        <dt>${CG.t("md_money")}</dt><dd>${CG.t("md_claimed")} ${money(x.claimed)} · ${CG.t("md_agreed")} ${money(x.agreed)} · ${CG.t("md_on_spot")} ${money(x.on_the_spot)} · ${CG.t("md_paid_later")} ${money(x.paid_later)}${x.overdue ? ` · <span class="tag overdue">${CG.t("md_overdue_money")} ${money(x.overdue)}</span>` : ""}</dd>
        ${m.extension_days ? `<dt>${CG.t("pt_extended")}</dt><dd>${m.extension_days} ${CG.t("pt_days")}</dd>` : ""}
        ${m.failure ? `<dt>${CG.t("ms_failed")}</dt><dd>${CG.t("mf_" + m.failure[0])}${CG.colon()}${CG.esc(m.failure[1])}</dd>` : ""}
        ${m.judicial_until ? `<dt>${CG.t("md_judicial")}</dt><dd>${m.judicial ? `${CG.t("md_applied")} ${day(m.judicial.applied_at)} · ${CG.esc(m.judicial.court)}${m.judicial.decided ? ` · ${m.judicial.decided[0] ? CG.t("md_court_confirmed") : CG.t("md_court_refused")}` : ""}` : `${CG.t("md_apply_by")} ${day(m.judicial_until)}${CG.paren(left(m.judicial_until).text)}`}</dd>` : ""}
      </dl>
      <h3>${CG.t("md_clock")}</h3><table class="clock"><thead><tr><th>${CG.t("pt_step")}</th><th>${CG.t("pt_due")}</th><th>${CG.t("state")}</th><th></th></tr></thead><tbody>${duties}</tbody></table>
      <h3>${CG.t("md_parties")}</h3><table class="clock"><thead><tr><th>#</th><th>${CG.t("name")}</th><th>${CG.t("role")}</th><th>${CG.t("contact")}</th><th>${CG.t("md_claims")}</th><th></th></tr></thead><tbody>${parties}</tbody></table>
      <h3>${CG.t("md_sessions")}</h3><ul class="plain">${sessions || `<li class="muted">${CG.t("md_no_sessions")}</li>`}</ul>
      ${a ? `<h3>${CG.t("md_agreement")} ${a.effective_at ? `<span class="tag">${CG.t("md_in_effect")} ${day(a.effective_at)}</span>` : ""} <button type="button" class="secondary" id="md-print">${CG.t("md_print")}</button></h3>
        <p><strong>${CG.t("md_facts")}</strong> ${CG.esc(a.facts)}</p><p><strong>${CG.t("md_responsibility")}</strong> ${CG.esc(a.responsibility)}</p><p><strong>${CG.t("md_terms")}</strong> ${CG.esc(a.terms)}</p>
        <table class="clock"><thead><tr><th>${CG.t("md_payer_payee")}</th><th>${CG.t("md_item")}</th><th>${CG.t("md_amount")}</th><th>${CG.t("md_on_spot")}</th><th>${CG.t("md_instalments")}</th></tr></thead><tbody>${payments}</tbody></table>
        ${a.mediator_confirmed_at ? "" : `<button type="button" id="md-mconfirm">${CG.t("md_mediator_sign")}</button>`}
        ${a.effective_at ? `<button type="button" class="secondary" id="md-judicial-form">${CG.t("md_judicial_form")}</button>` : ""}` : ""}
      <h3>${CG.t("md_files")}</h3><div class="photos" id="md-files"></div>
      ${m.sessions.length ? `<label class="inline-file">${CG.t("md_add_photo")} <input type="file" id="md-file" accept="image/jpeg,image/png,image/webp"></label>` : ""}
      ${m.follow_ups.length ? `<h3>${CG.t("pt_follow_ups")}</h3><ul class="plain">${m.follow_ups.map((f, i) => `<li>${day(f.due_at)} ${f.done_at ? `<span class="tag">${CG.t("kept")} ${day(f.done_at)}</span> ${CG.esc(f.note || "")}` : `<form class="inline" data-visit="${i}"><input name="note" required placeholder="${CG.t("pt_said")}" aria-label="${CG.t("pt_said")}"><button class="secondary">${CG.t("pt_record_visit")}</button></form>`}</li>`).join("")}</ul>` : ""}
      <h3>${CG.t("pt_next")}</h3><div id="md-act"></div><p class="error" id="md-error" role="alert"></p>
      <h3>${CG.t("timeline")}</h3><ul class="timeline">${m.steps.slice().reverse().map((e) => `<li class="${e.action}"><strong>${CG.t("ma_" + e.action)}${e.duty ? CG.colon() + CG.esc(dutyName({ name: e.duty, name_zh: m.duties.find((d) => d.name === e.duty)?.name_zh || e.duty })) : ""}${e.level ? CG.paren(lvl(e.level)) : ""}</strong> · ${CG.fmtTime(e.at)}${e.note ? `<div class="muted">${CG.esc(e.note)}</div>` : ""}</li>`).join("")}</ul>`;
    renderActions(m);
    $("md").querySelectorAll("[data-confirm]").forEach((b) => b.onclick = async () => {
      const party = Number(b.dataset.confirm);
      if (b.dataset.how === "paper") return act(m, { action: "confirm", party, how: "paper" });
      if (b.dataset.how === "signature") return sign(m, party);
      // A code texted to the party's phone, typed back here.
      const sent = await act(m, { action: "send_code", party });
      if (!sent) return;
      const code = prompt(CG.t("md_code_prompt").replace("{name}", m.parties[party].name));
      if (code) act(sent, { action: "confirm", party, how: "sms_code", code });
    });
    showFiles(m);
    $("md").querySelectorAll("[data-pay]").forEach((b) => { const [p, i] = b.dataset.pay.split(":").map(Number); b.onclick = () => act(m, { action: "pay", payment: p, instalment: i }); });
    $("md").querySelectorAll("form[data-visit]").forEach((f) => f.onsubmit = (e) => { e.preventDefault(); act(m, { action: "record_follow_up", follow_up: Number(f.dataset.visit), note: f.elements.note.value }); });
    if ($("md-mconfirm")) $("md-mconfirm").onclick = () => act(m, { action: "mediator_confirm" });
    if ($("md-print")) $("md-print").onclick = async () => {
      const r = await fetch(`/api/v1/mediations/${m.id}/agreement?lang=${CG.lang()}`, { headers: { Authorization: "Bearer " + CG.token() } });
      window.open(URL.createObjectURL(new Blob([await r.text()], { type: "text/html" })), "_blank");
    };
    if ($("md-judicial-form")) $("md-judicial-form").onclick = async () => {
      const r = await fetch(`/api/v1/mediations/${m.id}/judicial-application?lang=${CG.lang()}`, { headers: { Authorization: "Bearer " + CG.token() } });
      window.open(URL.createObjectURL(new Blob([await r.text()], { type: "text/html" })), "_blank");
    };
    if ($("md-file")) $("md-file").onchange = async () => {
      const f = $("md-file").files[0]; if (!f || !m.sessions.length) return;
      try { await CG.api("POST", `/api/v1/mediations/${m.id}/files?purpose=session:${m.sessions.length - 1}`, undefined, { data: f, type: f.type }); showFiles(m); }
      catch (e) { $("md-error").textContent = e.message; }
    };
  }

  async function showFiles(m) {
    const files = await CG.api("GET", `/api/v1/mediations/${m.id}/files`).catch(() => []);
    const imgs = await Promise.all(files.map(async (f) => {
      const r = await fetch(f.url, { headers: { Authorization: "Bearer " + CG.token() } });
      const [kind, n] = f.purpose.split(":");
      const label = kind === "signature" ? `${CG.t("md_sign")}${CG.colon()}${m.parties[Number(n)]?.name || ""}` : kind === "session" ? `${CG.t("md_sessions")} ${Number(n) + 1}` : "";
      return `<figure><img alt="${CG.esc(label)}" src="${URL.createObjectURL(await r.blob())}"><figcaption>${CG.esc(label)}</figcaption></figure>`;
    }));
    if ($("md-files") && selected === m.id) $("md-files").innerHTML = imgs.join("") || `<span class="muted">${CG.t("pt_no_files")}</span>`;
  }

  // A signature drawn with a finger or a pen on the tablet.
  function sign(m, party) {
    const dlg = $("sig");
    $("sig-name").textContent = m.parties[party].name;
    const c = $("sig-pad"), g = c.getContext("2d");
    g.fillStyle = "#fff"; g.fillRect(0, 0, c.width, c.height); g.lineWidth = 3; g.lineCap = "round"; g.strokeStyle = "#111";
    let down = false, drawn = false;
    const at = (e) => { const r = c.getBoundingClientRect(); return [(e.clientX - r.left) * c.width / r.width, (e.clientY - r.top) * c.height / r.height]; };
    c.onpointerdown = (e) => { down = true; g.beginPath(); g.moveTo(...at(e)); };
    c.onpointermove = (e) => { if (down) { g.lineTo(...at(e)); g.stroke(); drawn = true; } };
    c.onpointerup = c.onpointerleave = () => { down = false; };
    $("sig-clear").onclick = () => { g.fillRect(0, 0, c.width, c.height); drawn = false; };
    $("sig-cancel").onclick = () => dlg.close();
    $("sig-save").onclick = () => {
      if (!drawn) { $("sig-error").textContent = CG.t("md_sign_first"); return; }
      c.toBlob(async (blob) => {
        try {
          const after = await CG.api("POST", `/api/v1/mediations/${m.id}/signature?party=${party}`, undefined, { data: blob, type: "image/png" });
          dlg.close();
          const i = list.findIndex((x) => x.id === m.id); if (i >= 0) list[i] = after;
          renderList(); renderDetail(after);
        } catch (e) { $("sig-error").textContent = e.message; }
      }, "image/png");
    };
    $("sig-error").textContent = "";
    dlg.showModal();
  }

  function renderActions(m) {
    const opt = (v, label) => `<option value="${v}">${CG.esc(label)}</option>`;
    const parties = m.parties.map((p, i) => opt(i, `${i + 1}. ${p.name}`)).join("");
    const forms = [];
    if (["registered", "in_session"].includes(m.status)) {
      forms.push(`<form data-action="session" class="stack"><label>${CG.t("md_record")}<textarea name="record" rows="2" required></textarea></label>
        <div class="inline-row"><span>${CG.t("md_offer")}</span><select name="party" aria-label="${CG.t("md_parties")}">${parties}</select><input name="amount" type="number" min="0" step="0.01" placeholder="¥" aria-label="${CG.t("md_amount")}"><button>${CG.t("ma_session")}</button></div></form>`);
      const respondents = m.parties.map((p, i) => [p, i]).filter(([p]) => !p.claimant).map(([p, i]) => opt(i, p.name)).join("");
      if (respondents) forms.push(`<form data-action="agree" class="stack"><label>${CG.t("md_facts")}<input name="facts" required></label><label>${CG.t("md_responsibility")}<input name="responsibility" required></label><label>${CG.t("md_terms")}<input name="terms" required></label>
        <div class="inline-row"><span>${CG.t("md_payer")}</span><select name="payer">${respondents}</select><span>${CG.t("md_each")}</span><input name="each" type="number" min="0" step="0.01" required aria-label="${CG.t("md_amount")}">
        <span>${CG.t("md_on_spot")}</span><input name="spot" type="number" min="0" step="0.01" required aria-label="${CG.t("md_on_spot")}"><span>${CG.t("md_rest_by")}</span><input name="due" type="date" aria-label="${CG.t("pt_due")}"></div>
        <button>${CG.t("ma_agree")}</button></form>`);
      forms.push(`<form data-action="fail" class="inline"><select name="reason" aria-label="${CG.t("pt_reason")}">${["no_agreement", "withdrawn", "unreachable", "referred"].map((r) => opt(r, CG.t("mf_" + r))).join("")}</select><input name="note" required placeholder="${CG.t("pt_reason")}" aria-label="${CG.t("note")}"><button class="danger">${CG.t("ma_fail")}</button></form>`);
      if (!m.extension_days) forms.push(`<form data-action="extend" class="inline"><span>${CG.t("pt_extend_days")}</span><input name="days" type="number" min="1" max="90" value="15" aria-label="${CG.t("pt_days")}"><input name="consent" required placeholder="${CG.t("md_consent")}" aria-label="${CG.t("md_consent")}"><button class="secondary">${CG.t("ma_extend")}</button></form>`);
    }
    if (m.agreement && m.agreement.effective_at && !m.judicial) forms.push(`<form data-action="apply_judicial" class="inline"><input name="court" value="杭州市钱塘区人民法院" aria-label="${CG.t("md_court")}"><button class="secondary">${CG.t("ma_apply_judicial")}</button></form>`);
    if (m.judicial && !m.judicial.decided) forms.push(`<form data-action="judicial_decision" class="inline"><select name="confirmed" aria-label="${CG.t("md_judicial")}">${opt("true", CG.t("md_court_confirmed"))}${opt("false", CG.t("md_court_refused"))}</select><button class="secondary">${CG.t("ma_judicial_decision")}</button></form>`);
    $("md-act").innerHTML = forms.join("") || `<p class="muted">${CG.t("pt_nothing_to_do")}</p>`;
    $("md-act").querySelectorAll("form").forEach((f) => f.onsubmit = (e) => {
      e.preventDefault();
      const v = (n) => f.elements[n]?.value;
      const kind = f.dataset.action;
      let body = { action: kind, version: m.version };
      if (kind === "session") body = { ...body, record: v("record"), attended: m.parties.map((_, i) => i).slice(0, 50), offers: v("amount") ? [{ party: Number(v("party")), amount: Number(v("amount")), note: "" }] : [] };
      else if (kind === "agree") {
        const payer = Number(v("payer")), each = Number(v("each")), spot = Number(v("spot"));
        const rest = Math.round((each - spot) * 100) / 100;
        body = { ...body, facts: v("facts"), responsibility: v("responsibility"), terms: v("terms"),
          payments: m.parties.map((p, i) => [p, i]).filter(([p]) => p.claimant).map(([p, i]) => ({ payer, payee: i, item: p.claims[0]?.item || CG.t("md_item"), amount: each, on_the_spot: spot, instalments: rest > 0 ? [{ due: v("due"), amount: rest }] : [] })) };
      } else if (kind === "fail") body = { ...body, reason: v("reason"), note: v("note") };
      else if (kind === "extend") body = { ...body, days: Number(v("days")), consent: v("consent") };
      else if (kind === "apply_judicial") body = { ...body, court: v("court") };
      else if (kind === "judicial_decision") body = { ...body, confirmed: v("confirmed") === "true" };
      act(m, body);
    });
  }

  async function act(m, body) {
    $("md-error").textContent = "";
    try {
      const after = await CG.api("POST", `/api/v1/mediations/${m.id}/actions`, body);
      const i = list.findIndex((x) => x.id === m.id); if (i >= 0) list[i] = after; else list.unshift(after);
      renderList(); renderDetail(after);
      return after;
    } catch (e) { $("md-error").textContent = e.message; return null; }
  }

  $("ml-filter").onchange = load;
  $("ml-new").onclick = () => { $("mreg-error").textContent = ""; $("mreg").showModal(); };
  $("mreg-cancel").onclick = () => $("mreg").close();
  $("mreg-form").onsubmit = async (e) => {
    e.preventDefault();
    try {
      const m = await CG.api("POST", "/api/v1/mediations", { source: $("m-source").value, kind: $("m-kind").value, summary: $("m-summary").value, grid: $("m-grid").value,
        place: $("m-place").value || null, parties: [{ name: $("m-respondent").value, organisation: /公司|企业|店|厂/.test($("m-respondent").value), claimant: false }],
        claimants: { text: $("m-claimants").value, item: $("m-item").value || "款项" } });
      $("mreg").close(); $("mreg-form").reset(); selected = m.id; $("ml-filter").value = "open"; await load();
    } catch (err) { $("mreg-error").textContent = err.message; }
  };
  document.addEventListener("cg:lang", () => { fillFilters(); renderList(); renderDetail(list.find((m) => m.id === selected)); });
  fillFilters();
  const wanted = Number(new URLSearchParams(location.search).get("id")) || null;
  await load();
  selected = wanted || (list[0] && list[0].id) || null;
  if (selected && !list.find((m) => m.id === selected)) { try { list.unshift(await CG.api("GET", `/api/v1/mediations/${selected}`)); } catch (_) { selected = null; } }
  renderList(); renderDetail(list.find((m) => m.id === selected));
  document.body.dataset.ready = "1";
  setInterval(renderList, 30000);
  setInterval(load, 60000);
})();
