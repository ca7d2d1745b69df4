// 临灵通 for residents: sign in with a phone code, report a problem (with a look at open
// reports nearby first), follow progress in plain words, rate, and reopen when it is not
// really fixed.
"use strict";
(async () => {
  const $ = (id) => document.getElementById(id);
  const words = {
    zh: { app_signin: "手机号登录", phone: "手机号", send_code: "获取验证码", code: "验证码", report_problem: "我要报事", my_reports: "我的报事",
      pin_on_map: "在地图上选点", anonymous: "对工作人员匿名", demo_code: "演示环境验证码：", nearby: "附近50米内已有相同问题，可直接关注：",
      follow: "关注此件", submit_anyway: "仍要提交", following: "关注中", satisfied: "满意", basically_satisfied: "基本满意", dissatisfied: "不满意",
      reopen: "问题仍未解决，申请返工", rate_it: "请评价", thanks: "感谢您的评价", sent_ok: "已提交，案件号 ", pick_first: "请先定位或在地图上选点",
      s_new: "已收到，等待受理", s_accepted: "已受理，正在安排人员", s_dispatched: "工作人员已出发", s_on_site: "工作人员已到现场", s_in_progress: "正在处理",
      mutual_help: "邻里互助", news: "大美临江", toolbox: "工具箱", events: "活动", post_kind: "类型", ask: "求助", offer: "帮忙", topic: "事项", title: "标题",
      t_pickup: "接送", t_repair: "维修", t_care: "陪护", t_shopping: "代购", t_tutoring: "辅导", t_other: "其他", matches: "匹配", mark_done: "已解决", report_abuse: "举报",
      reported: "已举报", documents: "所需材料", office_hours: "办公时间", contact: "联系电话", sign_up: "报名", cancel: "取消报名", signed: "已报名", waitlisted: "候补中",
      checked_in: "已签到", places: "名额", checkin_ok: "签到成功",
      s_suspended: "暂缓处理", s_closed: "已办结", s_rated: "已评价", s_archived: "已归档", s_rejected: "未予受理", s_voided: "已作废" },
    en: { app_signin: "Sign in with your phone", phone: "Mobile number", send_code: "Send code", code: "Code", report_problem: "Report", my_reports: "My reports",
      pin_on_map: "Pick on map", anonymous: "Anonymous to staff", demo_code: "Demo code: ", nearby: "Already reported within 50 m — follow it instead:",
      follow: "Follow this one", submit_anyway: "Submit anyway", following: "Following", satisfied: "Satisfied", basically_satisfied: "Mostly satisfied", dissatisfied: "Dissatisfied",
      reopen: "Not fixed — reopen", rate_it: "Please rate", thanks: "Thank you", sent_ok: "Sent, case no. ", pick_first: "Locate yourself or pick a point first",
      s_new: "Received, waiting to be accepted", s_accepted: "Accepted, arranging people", s_dispatched: "Staff are on their way", s_on_site: "Staff are on site", s_in_progress: "Being handled",
      mutual_help: "Mutual help", news: "News", toolbox: "Toolbox", events: "Activities", post_kind: "Kind", ask: "Ask", offer: "Offer", topic: "Topic", title: "Title",
      t_pickup: "Pick-up", t_repair: "Repair", t_care: "Care", t_shopping: "Shopping", t_tutoring: "Tutoring", t_other: "Other", matches: "Matches", mark_done: "Done", report_abuse: "Report",
      reported: "Reported", documents: "Documents", office_hours: "Office hours", contact: "Phone", sign_up: "Sign up", cancel: "Cancel", signed: "Signed up", waitlisted: "Waiting list",
      checked_in: "Checked in", places: "Places", checkin_ok: "Checked in",
      s_suspended: "On hold", s_closed: "Closed", s_rated: "Rated", s_archived: "Archived", s_rejected: "Not accepted", s_voided: "Voided" },
  };
  const w = (k) => words[CG.lang()][k] || CG.t(k);
  function i18n() { CG.applyI18n(); document.querySelectorAll("[data-i18n]").forEach((el) => { if (words.zh[el.dataset.i18n]) el.textContent = w(el.dataset.i18n); }); }
  i18n();
  $("lang-switch").onclick = () => { CG.setLang(CG.lang() === "zh" ? "en" : "zh"); i18n(); if (CG.token()) { fillCategories(); loadMine(); } };
  let here = null, categories = [], forceSubmit = false;

  // Sign-in with a one-time code.
  $("send-code").onclick = async () => {
    $("signin-error").textContent = "";
    try {
      const r = await CG.api("POST", "/api/v1/auth/otp/request", { phone: $("phone").value.trim() });
      $("demo-code").textContent = r.demo_code ? w("demo_code") + r.demo_code : "";
    } catch (e) { $("signin-error").textContent = e.message || String(e); }
  };
  $("verify").onclick = async () => {
    $("signin-error").textContent = "";
    try {
      const r = await CG.api("POST", "/api/v1/auth/otp/verify", { phone: $("phone").value.trim(), code: $("code").value.trim() });
      CG.signIn(r.token, r.user); start();
    } catch (e) { $("signin-error").textContent = e.message || String(e); }
  };
  $("sign-out").onclick = async () => { try { await CG.api("POST", "/api/v1/auth/logout"); } catch (_) {} sessionStorage.clear(); location.reload(); };

  const catName = (code) => { const c = categories.find((x) => x.code === code); return c ? (CG.lang() === "en" ? c.name_en : c.name) : code; };
  // Residents choose from their own short list in plain words, each mapped to a category of
  // the catalogue; a scenario with other codes falls back to the catalogue's names.
  const PLAIN = [
    ["SJ0401", "闻到燃气味（紧急）", "Smell of gas (urgent)"], ["SJ0402", "火灾隐患：乱拉电线、堵消防通道", "Fire risk: loose wiring, blocked exits"],
    ["SJ0102", "垃圾没人清、乱扔垃圾", "Rubbish not cleared"], ["BJ0203", "道路坑洼破损", "Broken road, potholes"], ["BJ0101", "井盖破损或丢失", "Broken or missing manhole cover"],
    ["BJ0105", "下水道堵、路面积水", "Blocked drain, standing water"], ["BJ0201", "路灯不亮", "Street light out"], ["BJ0401", "树木倒伏", "Fallen tree"],
    ["SJ0502", "乱停车、堵路", "Bad parking, road blocked"], ["SJ0501", "占道摆摊", "Stalls on the road"], ["SJ0301", "施工噪音扰民", "Building-site noise"],
    ["SJ0101", "私搭乱建", "Illegal building"], ["SJ0601", "食品安全问题", "Food safety"], ["SJ1004", "邻里矛盾", "Trouble with neighbours"],
    ["SJ1002", "被拖欠工资", "Unpaid wages"], ["SJ1005", "消费纠纷：退款、质量", "Shopping dispute: refund, quality"], ["SJ1007", "被偷、被骗", "Theft or fraud"],
    ["SJ1001", "治安问题", "Public order"], ["SJ1101", "交通事故", "Traffic accident"], ["SJ1008", "其他问题、意见建议", "Anything else, suggestions"],
  ];
  function fillCategories() {
    const known = new Set(categories.map((c) => c.code));
    const plain = PLAIN.filter(([code]) => known.has(code));
    $("category").innerHTML = plain.length
      ? plain.map(([code, zh, en]) => `<option value="${code}">${CG.esc(CG.lang() === "en" ? en : zh)}</option>`).join("")
      : categories.map((c) => `<option value="${c.code}">${CG.esc(catName(c.code))}</option>`).join("");
  }
  function showWhere() { $("where").textContent = here ? `${here.lat.toFixed(5)}, ${here.lng.toFixed(5)}` : ""; }
  $("locate").onclick = () => navigator.geolocation.getCurrentPosition(
    (p) => { here = { lat: p.coords.latitude, lng: p.coords.longitude }; showWhere(); },
    (e) => { $("report-error").textContent = e.message; }, { enableHighAccuracy: true, timeout: 10000 });
  $("pin").onclick = async () => {
    // The map library loads only when a resident wants it (phones, data plans).
    const script = (src) => new Promise((ok) => { const s = document.createElement("script"); s.src = src; s.onload = ok; document.head.append(s); });
    if (!window.echarts) await script("/assets/vendor/echarts-5.6.0.min.js");
    if (!CG.basemap) await script("/assets/basemap.js");
    $("pick-map").hidden = false;
    const base = await CG.basemap.load();
    const chart = echarts.getInstanceByDom($("pick-map")) || echarts.init($("pick-map"));
    const draw = () => chart.setOption({
      geo: CG.basemap.geos(base, { dark: false, inset: 0.32 }),
      graphic: CG.basemap.caption(base, { dark: false }),
      series: [...CG.basemap.roads(base, { dark: false }),
        ...CG.basemap.split(base, [{ name: "pin", type: "scatter", coordinateSystem: "geo", symbol: "pin", symbolSize: 30, z: 9, itemStyle: { color: "#d32f2f" }, data: here ? [[here.lng, here.lat]] : [] }])],
    }, { replaceMerge: ["series", "geo"] });
    draw();
    // A tap (or click) on either map sets the pin there.
    chart.getZr().off("click");
    chart.getZr().on("click", (e) => {
      const px = [e.offsetX, e.offsetY];
      const gi = [1, 0].find((i) => chart.containPixel({ geoIndex: i }, px));
      if (gi === undefined) return;
      const p = chart.convertFromPixel({ geoIndex: gi }, px);
      if (p) { here = { lat: p[1], lng: p[0] }; showWhere(); draw(); }
    });
  };

  $("report-form").onsubmit = async (e) => {
    e.preventDefault();
    $("report-error").textContent = ""; $("report-ok").textContent = "";
    if (!here) { $("report-error").textContent = w("pick_first"); return; }
    try {
      if (!forceSubmit) {
        const near = await CG.api("GET", `/api/v1/cases/nearby?category=${$("category").value}&lat=${here.lat}&lng=${here.lng}`);
        if (near.length) {
          $("duplicates").innerHTML = `<div class="card dup"><p>${w("nearby")}</p>` + near.map((c) => `<p data-nearby="${c.id}">#${c.id} · ${CG.esc(c.description)} · ${c.distance_metres} m
            <button type="button" data-follow="${c.id}">${w("follow")}</button></p>`).join("") + `<button type="button" class="secondary" id="submit-anyway">${w("submit_anyway")}</button></div>`;
          $("duplicates").querySelectorAll("[data-follow]").forEach((b) => { b.onclick = async () => {
            await CG.api("POST", `/api/v1/cases/${b.dataset.follow}/follow`, { category: $("category").value, ...here }); $("duplicates").innerHTML = ""; $("report-form").reset(); tab("mine"); }; });
          $("submit-anyway").onclick = () => { forceSubmit = true; $("report-form").requestSubmit(); };
          return;
        }
      }
      forceSubmit = false;
      const c = await CG.api("POST", "/api/v1/cases", { category: $("category").value, description: $("description").value, location: here, source: "resident_app", anonymous: $("anonymous").checked });
      for (const f of $("photo").files) await CG.api("POST", `/api/v1/cases/${c.id}/attachments`, undefined, { data: f, type: f.type });
      $("duplicates").innerHTML = "";
      $("report-error").textContent = "";
      $("report-ok").textContent = w("sent_ok") + c.id;
      $("report-form").reset();
      // The next report starts from nowhere: it must be located again.
      here = null; showWhere();
    } catch (x) { $("report-error").textContent = x.message || String(x); }
  };

  async function loadMine() {
    const [page, notes] = await Promise.all([CG.api("GET", "/api/v1/cases?limit=50"), CG.api("GET", "/api/v1/notifications")]);
    const noticeBox = notes.length ? `<div class="card" id="notices" style="margin-bottom:10px" aria-live="polite">${notes.slice(0, 5).map((n) =>
      `<p style="margin:2px 0">• ${CG.esc(n.subject)}${CG.colon()}${CG.esc(n.body)}</p>`).join("")}</div>` : "";
    $("mine").innerHTML = page.cases.map((c) => {
      // One line per change the resident can see: steps that leave the status as it was
      // (contacting the party, taking the assignment) add nothing to say.
      const shown = c.events.filter((e) => !["warn", "escalate"].includes(e.action))
        .filter((e, i, all) => i === 0 || e.to !== all[i - 1].to || ["feedback", "close", "reject", "void"].includes(e.action));
      const steps = shown.map((e) =>
        `<li>${CG.fmtTime(e.at)} · ${w("s_" + e.to)}${e.note && ["feedback", "close", "reject", "void"].includes(e.action) ? CG.colon() + CG.esc(e.note) : ""}</li>`).join("");
      const rate = c.status === "closed" ? `<p>${w("rate_it")}</p><div class="row">${["satisfied", "basically_satisfied", "dissatisfied"].map((r) => `<button type="button" data-rate="${r}">${w(r)}</button>`).join("")}</div>` : "";
      const reopen = ["closed", "rated"].includes(c.status) ? `<label for="why-${c.id}">${CG.t("note")}</label><textarea id="why-${c.id}" rows="2"></textarea><div class="row"><button type="button" class="danger" data-reopen="1">${w("reopen")}</button></div>` : "";
      return `<article class="card task" data-case-id="${c.id}"><h2 style="font-size:17px;margin:0">#${c.id} ${CG.esc(catName(c.category))}</h2>
        <p><strong class="status-words">${w("s_" + c.status)}</strong>${c.satisfaction ? " · " + w(c.satisfaction) : ""}</p>
        <p>${CG.esc(c.description)}</p><ol class="steps">${steps}</ol>${c.reported_by_me ? rate + reopen : `<p class="muted">${w("following")}</p>`}<p class="error" role="alert"></p></article>`;
    }).join("") || `<p class="muted">${CG.t("no_tasks")}</p>`;
    $("mine").insertAdjacentHTML("afterbegin", noticeBox);
    $("mine").querySelectorAll("article").forEach((card) => {
      const id = card.dataset.caseId, err = card.querySelector(".error");
      // The photos: one's own, and on one's own report those the staff took of the work done.
      CG.api("GET", `/api/v1/cases/${id}/attachments`).then(async (list) => {
        if (!list.length) return;
        const imgs = await Promise.all(list.map(async (a) => {
          const r = await fetch(a.url, { headers: { Authorization: "Bearer " + CG.token() } });
          return r.ok ? `<img alt="" src="${URL.createObjectURL(await r.blob())}" style="max-width:48%;margin:2px;border-radius:4px">` : "";
        }));
        card.querySelector(".steps").insertAdjacentHTML("afterend", `<div class="case-photos"><p class="muted">${w("photos")}</p>${imgs.join("")}</div>`);
      }).catch(() => {});
      card.querySelectorAll("[data-rate]").forEach((b) => { b.onclick = () => CG.api("POST", `/api/v1/cases/${id}/actions`, { action: "rate", satisfaction: b.dataset.rate }).then(loadMine, (e) => { err.textContent = e.message; }); });
      const r = card.querySelector("[data-reopen]");
      if (r) r.onclick = () => CG.api("POST", `/api/v1/cases/${id}/actions`, { action: "reopen", reason: card.querySelector("textarea").value.trim() || "问题仍未解决" }).then(loadMine, (e) => { err.textContent = e.message; });
    });
  }

  // 我的信访: the petitions I filed, as dated milestones, who handles them and how to reach
  // them, and the rating after the reply.
  function petitionCard(p) {
    return `<article class="card task" data-petition-id="${p.id}">
      <h2 style="font-size:17px;margin:0">${CG.t("pt_no")}${p.id} ${CG.esc(p.matter).slice(0, 40)}</h2>
      <p><strong>${CG.t("ps_" + p.status)}</strong>${p.satisfaction ? " · " + w(p.satisfaction) : ""}</p>
      ${p.officer_name ? `<p>${CG.t("pt_officer_contact")}${CG.colon()}${CG.esc(p.officer_name)}${p.officer_phone ? ` · <a href="tel:${CG.esc(p.officer_phone)}">${CG.esc(p.officer_phone)}</a>` : ""}</p>` : ""}
      ${p.reply_due && !p.reply ? `<p class="muted">${CG.t("pt_reply_due")}：${new Date(new Date(p.reply_due) - 1000).toLocaleDateString(CG.lang() === "en" ? "en-GB" : "zh-CN")}</p>` : ""}
      <ol class="steps">${p.milestones.map((m) => `<li>${CG.fmtTime(m.at)} · ${CG.esc(m.what)}${m.detail ? CG.colon() + CG.esc(m.detail) : ""}</li>`).join("")}</ol>
      ${p.reply ? `<p>${CG.t("pt_reply")}${CG.colon()}${CG.esc(p.reply)}</p>` : ""}
      ${p.may_rate ? `<p>${CG.t("pt_rate_it")}</p><label for="pwhy-${p.id}">${CG.t("pt_why")}</label><textarea id="pwhy-${p.id}" rows="2"></textarea>
        <div class="row">${["satisfied", "basically_satisfied", "dissatisfied"].map((r) => `<button type="button" data-prate="${r}">${w(r)}</button>`).join("")}</div>` : ""}
      <p class="error" role="alert"></p></article>`;
  }
  async function loadPetitions() {
    const list = await CG.api("GET", "/api/v1/me/petitions");
    $("petitions").innerHTML = list.map(petitionCard).join("") || `<p class="muted">${CG.t("pt_none")}</p>`;
    $("petitions").querySelectorAll("article").forEach((card) => {
      const id = card.dataset.petitionId, err = card.querySelector(".error");
      card.querySelectorAll("[data-prate]").forEach((b) => { b.onclick = () => {
        const reason = card.querySelector("textarea")?.value.trim() || null;
        CG.api("POST", `/api/v1/me/petitions/${id}/rate`, { satisfaction: b.dataset.prate, reason }).then(loadPetitions, (e) => { err.textContent = e.message; });
      }; });
    });
  }
  // 信访查询: with the code texted with the reply, no account needed.
  async function queryPetition() {
    const code = $("pq-code").value.trim();
    $("pq-error").textContent = "";
    const r = await fetch("/api/v1/petition-query?code=" + encodeURIComponent(code));
    const body = await r.json().catch(() => null);
    if (!r.ok) { $("pq-error").textContent = body?.error?.message || r.statusText; $("pq-result").innerHTML = ""; return; }
    $("pq-result").innerHTML = petitionCard(body);
    $("pq-result").querySelectorAll("[data-prate]").forEach((b) => { b.onclick = async () => {
      const reason = $("pq-result").querySelector("textarea")?.value.trim() || null;
      const x = await fetch("/api/v1/petition-query/rate", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ code, satisfaction: b.dataset.prate, reason }) });
      if (x.ok) queryPetition(); else $("pq-error").textContent = (await x.json().catch(() => null))?.error?.message || x.statusText;
    }; });
  }
  $("pq-go").onclick = queryPetition;

  // 食安查询: a business's face at the door and its last inspection, as residents see ratings.
  async function loadFood() {
    const q = $("food-q").value.trim();
    const list = await fetch("/api/v1/food/public" + (q ? "?q=" + encodeURIComponent(q) : "")).then((r) => r.json());
    $("food-list").innerHTML = list.map((b) => `<article class="card task"><h2 style="font-size:16px;margin:0">${CG.esc(b.name)}
      ${b.face ? `<span class="face ${b.face}">${CG.t("ff_" + b.face)}</span>` : `<span class="muted">${CG.t("fd_no_grade")}</span>`}</h2>
      <p class="muted">${CG.esc(b.address)} · ${CG.t("fk_" + b.kind)} · ${CG.t("fd_last")} ${CG.esc(b.last_inspected_on || "—")}</p></article>`).join("") || `<p class="muted">${CG.t("fd_none")}</p>`;
  }
  let foodTimer = null;
  $("food-q").oninput = () => { clearTimeout(foodTimer); foodTimer = setTimeout(loadFood, 300); };

  // 我的燃气报警器: the household's detectors, whether each is working, and what they raised.
  async function loadGas() {
    const list = await CG.api("GET", "/api/v1/me/gas").catch(() => []);
    $("gas").innerHTML = list.map((d) => `<article class="card task"><h2 style="font-size:16px;margin:0">${CG.esc(d.address)} <span class="tag st-${d.status}">${CG.t("gst_" + d.status)}</span></h2>
      <p class="muted">${CG.esc(d.model)} · ${CG.t("gs_installed")} ${CG.esc(d.installed_on)} · ${CG.t("gs_life_until")} ${CG.esc(d.end_of_life)}</p>
      <p>${d.last_seen_at ? `${CG.t("gs_last")} ${CG.fmtTime(d.last_seen_at)}` : CG.t("gst_never_seen")}${d.last_lel_pct != null ? ` · ${d.last_lel_pct.toFixed(1)}%LEL` : ""}${d.battery_pct != null ? ` · ${CG.t("gs_battery")} ${d.battery_pct}%` : ""}</p>
      ${d.alarms.length ? `<h3 style="font-size:15px;margin:6px 0">${CG.t("gs_alarms")}</h3><ul class="plain">${d.alarms.map((a) => `<li>${CG.fmtTime(a.started_at)} · ${CG.t("gk_" + a.kind)} · ${CG.t("gas_state_" + a.state)}${a.case_id ? ` · ${CG.t("gs_case")} #${a.case_id}` : ""}</li>`).join("")}</ul>` : `<p class="muted">${CG.t("gs_no_history")}</p>`}
      </article>`).join("") || `<p class="muted">${CG.t("gs_my_none")}</p>`;
  }

  // 议事: my community's next deliberation day, the topics there (support one, raise one).
  CG.words({
    ra_deliberation: "议事", ra_volunteer: "志愿服务", ra_my_community: "我所在的村社", ra_raise: "提议题", ra_body: "说说情况和建议", ra_topics: "本村社议题",
    ra_board: "查看议事公示栏（决议办理进度）", ra_next: "下次议事：{t}，{p}", ra_places: "已报名 {n}/{c}", ra_join: "报名参加", ra_leave: "取消报名",
    ra_support: "我也支持", ra_supported: "已支持", ra_supporters: "{n}人关注", ra_mine: "我提的", ra_outcome: "议事结果", ra_sent: "议题已提交，网格员将在7天内初审，进展会通知您。",
    ra_s_raised: "已提交，待初审", ra_s_accepted: "已受理，待列入议程", ra_s_on_agenda: "已列入议事日议程", ra_s_discussed: "已上会讨论", ra_s_declined: "未予受理",
    ra_none: "还没有议题，欢迎提出", ra_no_meeting: "暂无安排", ra_on: "议事时间：{t}",
    vo_shifts: "近期活动排班", vo_visit: "记录反诈入户", vo_households: "走访户数", vo_leaflets: "发放资料（份）", vo_note: "情况说明", vo_record: "服务记录",
    vo_hours: "累计服务 {h} 小时", vo_next: "再服务 {h} 小时升至 {n} 星", vo_top: "已达最高星级", vo_teams: "所在服务队：{t}", vo_cert: "打印服务证明", vo_lead: "管理我的服务队",
    vo_slots: "需 {n} 人 · 已报 {f} 人", vo_signup: "报名", vo_cancel: "取消报名", vo_in: "已签到", vo_out: "签退", vo_done: "已签退",
    vo_scan: "到达后请扫描现场二维码签到（需在活动地点{r}米内）", vo_signed: "已报名", vo_waitlisted: "候补中", vo_full: "已满员，可报名候补", vo_visit_ok: "已记录，谢谢！",
    vo_by_leader: "负责人补录", vo_checkin: "签到签退", vo_reports: "上报事件 {n} 件 · 反诈入户 {h} 户", vo_far: "距活动地点约 {d} 米，请在 {r} 米内签到",
    vo_need_pos: "请允许获取位置后再扫码签到", vo_full_now: "名额已满，无法签到", vo_not_now: "不在签到时间内（开始前2小时至结束）",
  }, {
    ra_deliberation: "Deliberation", ra_volunteer: "Volunteering", ra_my_community: "My community", ra_raise: "Raise a topic", ra_body: "What is the matter, what do you suggest", ra_topics: "Topics here",
    ra_board: "See the public board (how resolutions are going)", ra_next: "Next meeting: {t}, {p}", ra_places: "{n}/{c} registered", ra_join: "Register", ra_leave: "Cancel",
    ra_support: "Support", ra_supported: "Supported", ra_supporters: "{n} following", ra_mine: "Mine", ra_outcome: "Outcome", ra_sent: "Topic sent: a grid worker screens it within 7 days, and you will be told of every step.",
    ra_s_raised: "Sent, to be screened", ra_s_accepted: "Accepted, waiting for an agenda", ra_s_on_agenda: "On the meeting's agenda", ra_s_discussed: "Discussed", ra_s_declined: "Not taken up",
    ra_none: "No topics yet — raise one", ra_no_meeting: "None planned", ra_on: "Meeting: {t}",
    vo_shifts: "Coming shifts", vo_visit: "Record an anti-fraud visit", vo_households: "Households visited", vo_leaflets: "Leaflets handed out", vo_note: "Notes", vo_record: "Service record",
    vo_hours: "{h} hours served", vo_next: "{h} more hours to {n} stars", vo_top: "Top star level", vo_teams: "My teams: {t}", vo_cert: "Print my certificate", vo_lead: "Manage my team",
    vo_slots: "{f} of {n} places taken", vo_signup: "Sign up", vo_cancel: "Cancel", vo_in: "Checked in", vo_out: "Check out", vo_done: "Checked out",
    vo_scan: "On arrival scan the QR code at the place (within {r} m)", vo_signed: "Signed up", vo_waitlisted: "Waiting list", vo_full: "Full: join the waiting list", vo_visit_ok: "Recorded, thank you!",
    vo_by_leader: "added by the leader", vo_checkin: "check-in/out", vo_reports: "{n} reports · {h} households visited", vo_far: "About {d} m from the place: check in within {r} m",
    vo_need_pos: "Allow the location, then scan again", vo_full_now: "Every place is taken", vo_not_now: "Check-in opens 2 hours before the start and closes at the end",
  });
  i18n();
  const fmt = (k, o) => Object.entries(o).reduce((s, [a, b]) => s.replaceAll("{" + a + "}", b), w(k));
  async function loadDeliberation() {
    const cs = await CG.api("GET", "/api/v1/deliberation/communities");
    const keep = localStorage.getItem("cg_community") || cs[0].code;
    $("ra-community").innerHTML = cs.map((c) => `<option value="${c.code}">${CG.esc(CG.lang() === "en" ? c.name_en : c.name)}</option>`).join("");
    $("ra-community").value = keep;
    const c = cs.find((x) => x.code === $("ra-community").value) || cs[0];
    $("ra-board").href = "/board?community=" + c.code;
    const m = c.next_meeting;
    $("ra-meeting").innerHTML = `<article class="card task">${m ? `<p><strong>${fmt("ra_next", { t: CG.fmtTime(m.starts_at).slice(0, -3), p: CG.esc(m.place) })}</strong></p>
      <p>${fmt("ra_places", { n: m.registered, c: m.capacity })}${m.my_status === "signed" ? " · " + w("signed") : m.my_status === "waitlisted" ? " · " + w("waitlisted") : ""}</p>
      <div class="row">${["signed", "waitlisted"].includes(m.my_status) ? `<button type="button" class="secondary" id="ra-leave">${w("ra_leave")}</button>` : `<button type="button" id="ra-join">${w("ra_join")}</button>`}</div>`
      : `<p>${w("ra_next").split(/：|: /)[0]}${CG.colon()}${w("ra_no_meeting")}</p>`}</article>`;
    if ($("ra-join")) $("ra-join").onclick = () => CG.api("POST", `/api/v1/community/activities/${m.activity_id}/signup`).then(loadDeliberation);
    if ($("ra-leave")) $("ra-leave").onclick = () => CG.api("POST", `/api/v1/community/activities/${m.activity_id}/cancel`).then(loadDeliberation);
    const [topics, notes] = await Promise.all([CG.api("GET", "/api/v1/deliberation/topics?community=" + c.code), CG.api("GET", "/api/v1/notifications")]);
    // What I was told about topics I raised or support, newest first.
    const mineNotes = notes.filter((n) => /^(议题进展|决议进展|活动提醒)/.test(n.subject)).slice(0, 4);
    $("ra-notes").innerHTML = mineNotes.map((n) => `<p style="margin:2px 0">• ${CG.esc(n.body)}</p>`).join("");
    $("ra-notes").hidden = !mineNotes.length;
    $("ra-topics").innerHTML = topics.map((t) => `<article class="card task" data-topic-id="${t.id}"><h3 style="margin:0 0 4px;font-size:16px">${CG.esc(t.title)}</h3>
      <p><span class="tag">${w("ra_s_" + t.status)}</span> ${t.mine ? `<span class="tag">${w("ra_mine")}</span>` : ""} <span class="muted">${fmt("ra_supporters", { n: t.supporters + 1 })}</span></p>
      ${t.body ? `<p>${CG.esc(t.body)}</p>` : ""}${t.meeting_at && t.status === "on_agenda" ? `<p>${fmt("ra_on", { t: CG.fmtTime(t.meeting_at).slice(0, -3) })}</p>` : ""}
      ${t.outcome ? `<p><strong>${w("ra_outcome")}${CG.lang() === "en" ? ": " : "："}</strong>${CG.esc(t.outcome)}</p>` : ""}
      ${!t.mine && ["raised", "accepted", "on_agenda"].includes(t.status) ? `<div class="row"><button type="button" ${t.i_support ? "disabled" : ""} data-support>${w(t.i_support ? "ra_supported" : "ra_support")}</button></div>` : ""}</article>`).join("") || `<p class="muted">${w("ra_none")}</p>`;
    $("ra-topics").querySelectorAll("[data-support]").forEach((b) => { b.onclick = () => CG.api("POST", `/api/v1/deliberation/topics/${b.closest("article").dataset.topicId}/actions`, { action: "support" }).then(loadDeliberation); });
  }
  $("ra-community").onchange = () => { localStorage.setItem("cg_community", $("ra-community").value); loadDeliberation(); };
  $("ra-topic-form").onsubmit = async (e) => {
    e.preventDefault(); $("ra-error").textContent = ""; $("ra-ok").textContent = "";
    try {
      await CG.api("POST", "/api/v1/deliberation/topics", { community: $("ra-community").value, title: $("ra-title").value, body: $("ra-body").value });
      $("ra-topic-form").reset(); $("ra-ok").textContent = w("ra_sent"); loadDeliberation();
    } catch (x) { $("ra-error").textContent = CG.said(x); }
  };

  // 志愿服务 (volunteers only): my teams, coming shifts, check-out, hours and stars, visits.
  async function loadVolunteer() {
    const v = await CG.api("GET", "/api/v1/me/volunteer");
    const stars = "★".repeat(v.stars) + "☆".repeat(5 - v.stars);
    const leads = v.teams.some((t) => t.leader_user === CG.user().id);
    $("vo-me").innerHTML = `<h2 style="font-size:18px;margin:0">${CG.esc(v.name)} <span style="color:#c98a00" aria-label="${v.stars}">${stars}</span></h2>
      <p><strong>${fmt("vo_hours", { h: v.hours })}</strong> · ${v.hours_to_next_star != null ? fmt("vo_next", { h: v.hours_to_next_star, n: v.stars + 1 }) : w("vo_top")}</p>
      <p>${fmt("vo_teams", { t: v.teams.map((t) => CG.esc(t.name)).join("、") })}</p><p class="muted">${fmt("vo_reports", { n: v.reports, h: v.households })}</p>
      <div class="row"><button type="button" class="secondary" id="vo-cert">${w("vo_cert")}</button>${leads ? `<a href="/volunteers" style="flex:1 1 40%;text-align:center;padding-top:10px">${w("vo_lead")}</a>` : ""}</div>`;
    $("vo-cert").onclick = () => CG.openPage("/api/v1/me/volunteer/certificate");
    $("vo-shifts").innerHTML = v.shifts.map((s) => {
      const mine = s.my_status, full = s.filled >= s.slots;
      const action = s.checked_out ? `<strong>${w("vo_done")}</strong>` : s.checked_in ? `<strong>${w("vo_in")}</strong> <button type="button" data-out>${w("vo_out")}</button>`
        : ["signed", "waitlisted"].includes(mine) ? `<button type="button" class="secondary" data-cancel>${w("vo_cancel")}</button>` : `<button type="button" data-signup>${w(full ? "vo_full" : "vo_signup")}</button>`;
      return `<article class="card task" data-shift-id="${s.id}"><h3 style="margin:0 0 4px;font-size:16px">${CG.esc(s.title)}</h3>
        <p>${CG.fmtTime(s.starts_at).slice(0, -3)}–${CG.fmtTime(s.ends_at).slice(-8, -3)} · ${CG.esc(s.place)}</p>
        <p>${fmt("vo_slots", { n: s.slots, f: s.filled })}${mine === "signed" ? " · " + w("vo_signed") : mine === "waitlisted" ? " · " + w("vo_waitlisted") : ""}</p>
        ${mine === "signed" && !s.checked_in ? `<p class="muted">${fmt("vo_scan", { r: s.radius_m })}</p>` : ""}<div class="row">${action}</div></article>`;
    }).join("") || `<p class="muted">–</p>`;
    $("vo-shifts").querySelectorAll("article").forEach((card) => {
      const id = card.dataset.shiftId;
      const on = (sel, call) => { const b = card.querySelector(sel); if (b) b.onclick = () => call().then(loadVolunteer).catch((e) => { $("vo-error").textContent = e.message; }); };
      on("[data-signup]", () => CG.api("POST", `/api/v1/community/activities/${id}/signup`));
      on("[data-cancel]", () => CG.api("POST", `/api/v1/community/activities/${id}/cancel`));
      on("[data-out]", () => CG.api("POST", `/api/v1/volunteers/shifts/${id}/checkout`));
    });
    $("vo-record").innerHTML = v.record.slice(0, 20).map((l) => `<p>${CG.fmtTime(l.starts_at).slice(0, 10)} ${CG.esc(l.title)} · ${l.hours} h <span class="muted">(${w(l.source === "leader" ? "vo_by_leader" : "vo_checkin")}${l.reason ? CG.colon() + CG.esc(l.reason) : ""})</span></p>`).join("") || `<p class="muted">–</p>`;
  }
  $("vo-visit").onsubmit = async (e) => {
    e.preventDefault(); $("vo-error").textContent = ""; $("vo-ok").textContent = "";
    try { await CG.api("POST", "/api/v1/me/volunteer/visits", { households: Number($("vo-households").value), leaflets: Number($("vo-leaflets").value), note: $("vo-note").value }); $("vo-visit").reset(); $("vo-ok").textContent = w("vo_visit_ok"); loadVolunteer(); }
    catch (x) { $("vo-error").textContent = CG.said(x); }
  };

  // 首页: the app's scenes as tiles, and what is new — my reports under way, the latest news,
  // the next activities, my community's next deliberation day.
  CG.words({
    ho_home: "首页", ho_open: "我的报事：{n} 件在办", ho_latest: "最新资讯", ho_next: "近期活动", ho_meeting: "下次议事",
  }, {
    ho_home: "Home", ho_open: "My reports: {n} under way", ho_latest: "Latest news", ho_next: "Coming activities", ho_meeting: "Next deliberation day",
  });
  i18n();
  // Each scene with a one-character mark (fonts every phone has; no emoji).
  const SCENES = [["report", "报", "report_problem"], ["mine", "查", "my_reports"], ["help", "邻", "mutual_help"], ["news", "闻", "news"], ["guides", "办", "toolbox"],
    ["events", "活", "events"], ["deliberation", "议", "ra_deliberation"], ["food", "食", "my_food"], ["gas", "气", "gs_my_gas"], ["petitions", "信", "my_petitions"], ["volunteer", "志", "ra_volunteer"]];
  async function loadHome() {
    const volunteer = CG.user().role === "volunteer";
    $("tiles").innerHTML = SCENES.filter(([t]) => t !== "volunteer" || volunteer).map(([t, icon, key]) => `<button type="button" data-scene="${t}"><b aria-hidden="true">${icon}</b>${CG.esc(w(key))}</button>`).join("");
    $("tiles").querySelectorAll("[data-scene]").forEach((b) => { b.onclick = () => tab(b.dataset.scene); });
    const [mine, news, events, cs] = await Promise.all([CG.api("GET", "/api/v1/cases?limit=50").catch(() => ({ cases: [] })), CG.api("GET", "/api/v1/community/articles?kind=news").catch(() => []),
      CG.api("GET", "/api/v1/community/activities").catch(() => []), CG.api("GET", "/api/v1/deliberation/communities").catch(() => [])]);
    const open = mine.cases.filter((c) => c.reported_by_me && !["closed", "rated", "archived", "rejected", "voided"].includes(c.status)).length;
    const c = cs.find((x) => x.code === localStorage.getItem("cg_community")) || cs[0];
    const fmt2 = (k, o) => Object.entries(o).reduce((s, [a, b]) => s.replaceAll("{" + a + "}", b), w(k));
    $("home-feed").innerHTML = `<article class="card task" data-scene="mine"><p><strong>${fmt2("ho_open", { n: open })}</strong></p></article>
      ${news.length ? `<article class="card task" data-scene="news"><h3 style="margin:0 0 6px;font-size:16px">${w("ho_latest")}</h3>${news.slice(0, 3).map((a) => `<p>· ${CG.esc(a.title)}</p>`).join("")}</article>` : ""}
      ${events.length ? `<article class="card task" data-scene="events"><h3 style="margin:0 0 6px;font-size:16px">${w("ho_next")}</h3>${events.slice(0, 3).map((a) => `<p>· ${CG.fmtTime(a.starts_at).slice(5, -3)} ${CG.esc(a.title)}</p>`).join("")}</article>` : ""}
      ${c && c.next_meeting ? `<article class="card task" data-scene="deliberation"><h3 style="margin:0 0 6px;font-size:16px">${w("ho_meeting")}</h3><p>${CG.esc(CG.lang() === "en" ? c.name_en : c.name)} · ${CG.fmtTime(c.next_meeting.starts_at).slice(5, -3)} · ${CG.esc(c.next_meeting.place)}</p></article>` : ""}`;
    $("home-feed").querySelectorAll("article[data-scene]").forEach((a) => { a.style.cursor = "pointer"; a.onclick = () => tab(a.dataset.scene); });
  }

  const TABS = ["home", "report", "mine", "help", "news", "guides", "events", "petitions", "food", "gas", "deliberation", "volunteer"];
  function tab(which) {
    for (const t of TABS) { $("tab-" + t).setAttribute("aria-selected", which === t); $(t).hidden = which !== t; }
    ({ mine: loadMine, help: loadPosts, news: () => loadArticles("news"), guides: () => loadArticles("guide"), events: loadEvents, petitions: loadPetitions, food: loadFood, gas: loadGas, deliberation: loadDeliberation, volunteer: loadVolunteer, home: loadHome }[which] || (() => {}))();
  }
  for (const t of TABS) $("tab-" + t).onclick = () => tab(t);

  // 邻里互助: asks and offers, matched by topic.
  const TOPICS = ["pickup", "repair", "care", "shopping", "tutoring", "other"];
  CG.words({
    mh_body: "具体情况", mh_place: "地点（如：临江花园3幢）", mh_when: "时间（可不填）", mh_respond: "我来帮忙", mh_respond_ask: "我也需要", mh_note: "留言（什么时候方便、怎么联系您）",
    mh_send: "发送", mh_sent: "已告知发帖邻居", mh_answers: "查看回应（{n}）", mh_none_yet: "还没有邻居回应", mh_at: "时间：{t}", mh_where: "地点：{p}", mh_n: "{n}位邻居已回应",
  }, {
    mh_body: "Details", mh_place: "Place (e.g. Linjiang Garden block 3)", mh_when: "When (optional)", mh_respond: "I can help", mh_respond_ask: "I need this too", mh_note: "Message (when suits you, how to reach you)",
    mh_send: "Send", mh_sent: "The neighbour has been told", mh_answers: "Answers ({n})", mh_none_yet: "No answers yet", mh_at: "When: {t}", mh_where: "Where: {p}", mh_n: "{n} neighbours answered",
  });
  i18n();
  async function loadPosts() {
    $("post-topic").innerHTML = TOPICS.map((t) => `<option value="${t}">${w("t_" + t)}</option>`).join("");
    const fm = (k, o) => Object.entries(o).reduce((s, [a, b]) => s.replaceAll("{" + a + "}", b), w(k));
    const posts = await CG.api("GET", "/api/v1/community/posts");
    $("posts").innerHTML = posts.map((p) => `<article class="card task" data-post-id="${p.id}">
      <p><span class="tag">${w(p.kind)}</span> <span class="tag">${w("t_" + p.topic)}</span> <span class="muted">${CG.fmtTime(p.created_at).slice(0, -3)}</span></p><h3 style="margin:4px 0">${CG.esc(p.title)}</h3>
      ${p.body ? `<p>${CG.esc(p.body)}</p>` : ""}${p.place ? `<p class="muted">${fm("mh_where", { p: CG.esc(p.place) })}</p>` : ""}${p.needed_at ? `<p class="muted">${fm("mh_at", { t: CG.fmtTime(p.needed_at).slice(0, -3) })}</p>` : ""}
      ${p.responses ? `<p class="muted">${fm("mh_n", { n: p.responses })}</p>` : ""}
      <div class="row">${p.mine ? `<button type="button" class="secondary" data-answers>${fm("mh_answers", { n: p.responses })}</button><button type="button" data-done>${w("mark_done")}</button>`
        : `<button type="button" data-respond>${w(p.kind === "ask" ? "mh_respond" : "mh_respond_ask")}</button><button type="button" class="secondary" data-matches>${w("matches")}</button><button type="button" class="secondary" data-report>${w("report_abuse")}</button>`}</div>
      <div class="found"></div></article>`).join("");
    $("posts").querySelectorAll("article").forEach((card) => {
      const id = card.dataset.postId, found = card.querySelector(".found");
      const m = card.querySelector("[data-matches]");
      if (m) m.onclick = async () => {
        const list = await CG.api("GET", `/api/v1/community/posts/${id}/matches`);
        found.innerHTML = list.map((x) => `<p>→ ${CG.esc(x.title)}</p>`).join("") || `<p class="muted">–</p>`;
      };
      const a = card.querySelector("[data-answers]");
      if (a) a.onclick = async () => {
        const list = await CG.api("GET", `/api/v1/community/posts/${id}/responses`);
        found.innerHTML = list.map((x) => `<p><strong>${CG.esc(x.name)}</strong>${CG.colon()}${CG.esc(x.note)} <span class="muted">${CG.fmtTime(x.at).slice(0, -3)}</span></p>`).join("") || `<p class="muted">${w("mh_none_yet")}</p>`;
      };
      const r = card.querySelector("[data-respond]");
      if (r) r.onclick = () => {
        found.innerHTML = `<label>${w("mh_note")}<textarea rows="2" maxlength="500"></textarea></label><div class="row"><button type="button" data-send>${w("mh_send")}</button></div><p class="error" role="alert"></p>`;
        found.querySelector("[data-send]").onclick = async () => {
          try { await CG.api("POST", `/api/v1/community/posts/${id}/respond`, { note: found.querySelector("textarea").value }); found.innerHTML = `<p class="ok">${w("mh_sent")}</p>`; }
          catch (e) { found.querySelector(".error").textContent = CG.said(e); }
        };
      };
      const d = card.querySelector("[data-done]"); if (d) d.onclick = () => CG.api("POST", `/api/v1/community/posts/${id}/done`).then(loadPosts);
      const rep = card.querySelector("[data-report]"); if (rep) rep.onclick = () => CG.api("POST", `/api/v1/community/posts/${id}/report`, { reason: "举报" }).then(() => { rep.textContent = w("reported"); rep.disabled = true; });
    });
  }
  $("post-form").onsubmit = async (e) => {
    e.preventDefault();
    try {
      const when = $("post-when").value;
      await CG.api("POST", "/api/v1/community/posts", { kind: $("post-kind").value, topic: $("post-topic").value, title: $("post-title").value, body: $("post-body").value,
        place: $("post-place").value, needed_at: when ? when + ":00+08:00" : null });
      $("post-form").reset(); loadPosts();
    }
    catch (x) { $("post-error").textContent = x.message; }
  };

  async function loadArticles(kind) {
    const list = await CG.api("GET", `/api/v1/community/articles?kind=${kind}`);
    $(kind === "news" ? "news" : "guides").innerHTML = list.map((a) => `<article class="card task"><h3 style="margin:0 0 6px">${CG.esc(a.title)}</h3>
      ${a.image_url ? `<img alt="" data-src="${a.image_url}" style="max-width:100%;border-radius:6px">` : ""}
      <p style="white-space:pre-wrap">${CG.esc(a.body)}</p>
      ${a.documents ? `<p><strong>${w("documents")}${CG.colon()}</strong>${CG.esc(a.documents)}</p>` : ""}${a.office_hours ? `<p><strong>${w("office_hours")}${CG.colon()}</strong>${CG.esc(a.office_hours)}</p>` : ""}
      ${a.phone ? `<p><strong>${w("contact")}${CG.colon()}</strong><a href="tel:${CG.esc(a.phone)}">${CG.esc(a.phone)}</a></p>` : ""}<p class="muted">${CG.fmtTime(a.updated_at)}</p></article>`).join("") || `<p class="muted">–</p>`;
    // Pictures need the sign-in token, so they are fetched rather than linked.
    document.querySelectorAll("img[data-src]").forEach(async (img) => {
      const r = await fetch(img.dataset.src, { headers: { Authorization: "Bearer " + CG.token() } });
      if (r.ok) img.src = URL.createObjectURL(await r.blob());
    });
  }

  // Activities: sign up (or the waiting list), cancel, and check in with the door's QR.
  async function loadEvents() {
    const list = await CG.api("GET", "/api/v1/community/activities");
    $("events").innerHTML = list.map((a) => `<article class="card task" data-activity-id="${a.id}"><h3 style="margin:0 0 6px">${CG.esc(a.title)}</h3>
      <p>${CG.fmtTime(a.starts_at).slice(0, -3)} · ${CG.esc(a.place)}</p>${a.body ? `<p>${CG.esc(a.body)}</p>` : ""}<p>${w("places")}: ${a.signed}/${a.capacity}${a.waitlisted ? " · " + w("waitlisted") + " " + a.waitlisted : ""}</p>
      <p class="my-status"><strong>${a.checked_in ? w("checked_in") : a.my_status === "signed" ? w("signed") : a.my_status === "waitlisted" ? w("waitlisted") : ""}</strong></p>
      <div class="row">${["signed", "waitlisted"].includes(a.my_status) ? `<button type="button" class="secondary" data-cancel>${w("cancel")}</button>` : `<button type="button" data-signup>${w("sign_up")}</button>`}</div></article>`).join("") || `<p class="muted">–</p>`;
    $("events").querySelectorAll("article").forEach((card) => {
      const id = card.dataset.activityId;
      const s = card.querySelector("[data-signup]"); if (s) s.onclick = () => CG.api("POST", `/api/v1/community/activities/${id}/signup`).then(loadEvents);
      const c = card.querySelector("[data-cancel]"); if (c) c.onclick = () => CG.api("POST", `/api/v1/community/activities/${id}/cancel`).then(loadEvents);
    });
  }
  async function checkInFromQr() {
    const q = new URLSearchParams(location.search);
    if (!q.get("checkin")) return;
    // A shift checks in only near its place: the phone's position is asked for when the
    // place needs it (a public activity or a meeting does not).
    const position = () => new Promise((ok) => {
      if (!navigator.geolocation) return ok(null);
      navigator.geolocation.getCurrentPosition((p) => ok({ lat: p.coords.latitude, lng: p.coords.longitude }), () => ok(null), { enableHighAccuracy: true, timeout: 8000 });
    });
    const path = `/api/v1/community/activities/${q.get("checkin")}/checkin`;
    const code = q.get("code") || "";
    try {
      try { await CG.api("POST", path, { code }); }
      catch (e) {
        if (!/position/.test(e.message || "")) throw e;
        const pos = await position();
        await CG.api("POST", path, { code, ...(pos || {}) });
      }
      alertBox(w("checkin_ok"), true);
    }
    catch (e) {
      const m = /([0-9]+) m away, within ([0-9]+) m/.exec(e.message || "");
      const say = { too_far: m ? fmt("vo_far", { d: m[1], r: m[2] }) : e.message, full: w("vo_full_now"), not_now: w("vo_not_now") }[e.code]
        || (/position/.test(e.message || "") ? w("vo_need_pos") : e.message);
      alertBox(say, false);
    }
    history.replaceState(null, "", "/app");
    tab(CG.user().role === "volunteer" ? "volunteer" : "events");
  }
  // Good news in green, a refusal in red.
  function alertBox(text, ok) { $("app-status").className = ok ? "ok" : "error"; $("app-status").textContent = text; document.body.dataset.checkin = text; }

  async function start() {
    $("signin").hidden = true; $("pquery").hidden = true; $("main").hidden = false; $("sign-out").hidden = false;
    $("tab-volunteer").hidden = CG.user().role !== "volunteer";
    categories = await CG.api("GET", "/api/v1/categories");
    fillCategories();
    await loadHome();
    await checkInFromQr();
    document.body.dataset.ready = "1";
    CG.stream((kind) => { if (kind === "case" && !$("mine").hidden) loadMine(); });
  }
  if (CG.token()) start(); else document.body.dataset.ready = "signin";
})();
