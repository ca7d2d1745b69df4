// Sign-in for staff. After it, back to the page that sent here — only a page of this site.
"use strict";
/** The path of `next` if it stays on this origin ("/\\evil.example" and "//evil" do not). */
function sameOrigin(next) {
  if (!next) return null;
  try {
    const u = new URL(next, location.origin);
    return u.origin === location.origin ? u.pathname + u.search + u.hash : null;
  } catch (_) { return null; }
}
CG.applyI18n();
document.getElementById("lang-switch").onclick = () => CG.setLang(CG.lang() === "zh" ? "en" : "zh");
document.getElementById("login-form").onsubmit = async (e) => {
  e.preventDefault();
  const err = document.getElementById("login-error");
  err.textContent = "";
  try {
    const r = await CG.api("POST", "/api/v1/auth/login", { username: username.value.trim(), password: password.value });
    CG.signIn(r.token, r.user);
    // Residents and volunteers use 临灵通; staff go where they were headed, or to their own page.
    if (["resident", "volunteer"].includes(r.user.role)) { location.href = "/app"; return; }
    location.href = sameOrigin(new URLSearchParams(location.search).get("next")) || CG.home(r.user.role);
  } catch (x) { err.textContent = CG.t("login_failed"); }
};
