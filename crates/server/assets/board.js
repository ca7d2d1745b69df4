// The public board of grid deliberation (公示栏): resolutions open, in progress and solved,
// for the whole street or one community. Anyone may read it; it names no one.
"use strict";
CG.words({
  bd_title: "“临距离”网格议事公示栏", bd_community: "村社", bd_all: "全街道", bd_open: "待开始", bd_in_progress: "推进中", bd_solved: "已解决",
  bd_items: "{n} 项", bd_due: "计划完成", bd_done: "解决于", bd_none: "暂无", bd_progress: "进度",
}, {
  bd_title: "Grid deliberation: public board", bd_community: "Community", bd_all: "Whole street", bd_open: "Not started", bd_in_progress: "In progress", bd_solved: "Solved",
  bd_items: "{n}", bd_due: "Due", bd_done: "Solved on", bd_none: "None yet", bd_progress: "Progress",
});
(async () => {
  const $ = (id) => document.getElementById(id);
  const en = () => CG.lang() === "en";
  let phase = "in_progress", data = null;
  const day = (iso) => iso ? new Date(iso).toLocaleDateString(en() ? "en-GB" : "zh-CN", { timeZone: "Asia/Shanghai" }) : "";
  async function load() {
    const c = $("bd-community").value;
    const r = await fetch("/api/v1/public/board" + (c ? "?community=" + c : ""));
    data = await r.json();
    if (!$("bd-community").options.length) {
      $("bd-community").innerHTML = `<option value="">${CG.t("bd_all")}</option>` + data.communities.map((x) => `<option value="${x.code}">${CG.esc(en() ? x.name_en : x.name)}</option>`).join("");
      const want = new URLSearchParams(location.search).get("community");
      if (want) { $("bd-community").value = want; return load(); }
    }
    render();
  }
  // A community's name in the page's language (the board lists every community's).
  const cname = (i) => { const c = data.communities.find((x) => x.name === i.community_name); return c && en() ? c.name_en : i.community_name; };
  function render() {
    const phases = ["solved", "in_progress", "open"];
    $("bd-counts").innerHTML = phases.map((p) => `<div class="card ${p}"><b>${data[p]}</b>${CG.t("bd_" + p)}</div>`).join("");
    $("bd-tabs").innerHTML = ["in_progress", "open", "solved"].map((p) => `<button type="button" role="tab" aria-selected="${p === phase}" data-p="${p}">${CG.t("bd_" + p)}${CG.paren(data[p])}</button>`).join("");
    $("bd-tabs").querySelectorAll("button").forEach((b) => { b.onclick = () => { phase = b.dataset.p; render(); }; });
    const items = data.items.filter((i) => i.phase === phase);
    $("bd-list").innerHTML = items.map((i) => `<article class="card"><h3>${CG.esc(i.title)}</h3>
      <span class="tag phase-${i.phase}">${CG.t("bd_" + i.phase)}</span> <span class="muted">${CG.esc(cname(i))}</span>
      <div class="bar" role="progressbar" aria-valuenow="${i.progress}" aria-valuemin="0" aria-valuemax="100"><i style="width:${i.progress}%"></i></div>
      <div class="muted">${CG.t("bd_progress")} ${i.progress}% · ${i.solved_at ? CG.t("bd_done") + " " + day(i.solved_at) : CG.t("bd_due") + " " + day(i.due_at)}</div>
      <ol>${i.steps.map((s) => `<li>${s.done ? "✓ " : ""}${CG.esc(s.title)}</li>`).join("")}</ol></article>`).join("") || `<p class="muted">${CG.t("bd_none")}</p>`;
  }
  CG.applyI18n();
  $("lang-switch").onclick = () => CG.setLang(en() ? "zh" : "en");
  document.addEventListener("cg:lang", () => { $("bd-community").innerHTML = ""; load(); });
  $("bd-community").onchange = load;
  await load();
  document.body.dataset.ready = "1";
})();
