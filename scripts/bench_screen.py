#!/usr/bin/env python3
"""Measures the big screen in headless Chromium against a running civicgrid demo:
first load (navigation start until the page has drawn its data, from the page's own
performance clock) and how long a new case takes to reach an open screen.

Usage: civicgrid serve --demo ... then
  python3 scripts/bench_screen.py http://127.0.0.1:8080 [runs]
Needs chromium and chromium-driver (Debian packages). Standard library only.
"""
import json, subprocess, sys, time, urllib.request, socket, tempfile, statistics

base = sys.argv[1].rstrip("/")
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5

def call(method, url, body=None, token=None):
    req = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode())
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req) as r:
        text = r.read()
        return json.loads(text) if text else None

s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
driver = subprocess.Popen(["/usr/bin/chromedriver", f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
wd = f"http://127.0.0.1:{port}"
for _ in range(100):
    try:
        call("GET", wd + "/status"); break
    except Exception:
        time.sleep(0.1)
profile = tempfile.mkdtemp()
caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-sync", f"--user-data-dir={profile}", "--window-size=1920,1080"]}}}}
sid = call("POST", wd + "/session", caps)["value"]["sessionId"]
S = f"{wd}/session/{sid}"
ev = lambda js: call("POST", S + "/execute/sync", {"script": js, "args": []})["value"]

login = call("POST", base + "/api/v1/auth/login", {"username": "dispatcher", "password": "linjiang2024"})
token, user = login["token"], login["user"]
call("POST", S + "/url", {"url": base + "/login"})
ev(f"sessionStorage.setItem('cg_token', {json.dumps(token)}); sessionStorage.setItem('cg_user', {json.dumps(json.dumps(user))});")

loads = []
for i in range(runs):
    call("POST", S + "/url", {"url": base + "/screen"})
    t0 = time.time()
    while not ev("return document.body.dataset.readyMs || ''"):
        if time.time() - t0 > 30: raise SystemExit("screen did not load")
        time.sleep(0.02)
    loads.append(int(ev("return document.body.dataset.readyMs")))
print(f"first load (navigation start → data drawn), {runs} runs: ms", loads, "median", statistics.median(loads))

lat = []
body = {"category": "SJ1004", "description": "bench: 邻里纠纷", "location": {"lat": 30.2662, "lng": 120.57}, "source": "hotline"}
time.sleep(2)
for i in range(runs):
    t0 = time.time()
    c = call("POST", base + "/api/v1/cases", body, token)
    while ev("return document.body.dataset.lastCase || ''") != str(c["id"]):
        if time.time() - t0 > 10: raise SystemExit("change did not reach the screen")
        time.sleep(0.005)
    lat.append(round((time.time() - t0) * 1000))
    time.sleep(0.5)
print(f"change → open screen (POST answered … marker drawn), {runs} runs: ms", lat, "median", statistics.median(lat))
call("DELETE", S)
driver.kill()
