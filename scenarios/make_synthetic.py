#!/usr/bin/env python3
"""Makes two synthetic scenarios the dispatch policies are checked on besides Linjiang:

- dense-one-force: a dense 8 x 8 km city served by one force (an ambulance service, declared
  with the city's own grid and category codes in settings.toml [scheme]: 16
  units at 8 stations, 280 calls a day, an 8-minute on-site promise, 20 minutes on scene, 60 %
  of calls carried on to the nearest of three hospitals with a 10-minute handover), demand
  peaking in the centre (each grid's `weight`).
- rural-sparse: a 40 x 30 km rural district (4 stations, police by car on day and night
  shifts, one grid worker per grid on an e-bike by day), 60 calls a day, fast empty roads
  (settings.toml), no rush hour.

Deterministic: run it again and the files come out the same. Run from this folder.
"""
import json
import math
import os
import random


def square(lat, lng, dlat, dlng):
    return [[lng, lat], [lng + dlng, lat], [lng + dlng, lat + dlat], [lng, lat + dlat], [lng, lat]]


def write(folder, name, text):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
        f.write(text)


def grids(prefix, lat0, lng0, rows, cols, cell_km, station_of, weight_of, local=False):
    dlat = cell_km / 110.54
    dlng = cell_km / (111.32 * math.cos(math.radians(lat0)))
    feats = []
    for r in range(rows):
        for c in range(cols):
            n = r * cols + c
            community = f"{prefix}{(n // 4) + 1:03d}"
            # A city's own codes (census tracts), or the 15-digit national scheme.
            code = f"tract-{r + 1}-{c + 1}" if local else f"{community}{(n % 4) + 1:03d}"
            props = {
                "code": code,
                "name": f"第{n + 1}网格",
                "name_en": f"Grid {n + 1}",
                "community": community,
                "community_name": f"第{n // 4 + 1}社区",
                "station": station_of(r, c),
                "area": "main",
                "weight": round(weight_of(r, c), 3),
            }
            feats.append({"type": "Feature", "properties": props,
                          "geometry": {"type": "Polygon", "coordinates": [square(lat0 + r * dlat, lng0 + c * dlng, dlat, dlng)]}})
    return {"type": "FeatureCollection", "features": feats}, dlat, dlng


def centre(g):
    ring = g["geometry"]["coordinates"][0][:4]
    return sum(p[1] for p in ring) / 4, sum(p[0] for p in ring) / 4


def stations_json(stations):
    return json.dumps({"stations": [
        {"code": code, "kind": kind, "name_zh": zh, "name_en": en, "lat": round(lat, 6), "lng": round(lng, 6), "address": en}
        for code, kind, zh, en, lat, lng in stations]}, ensure_ascii=False, indent=1) + "\n"


PROFILE = [0.45, 0.38, 0.33, 0.30, 0.30, 0.38, 0.60, 0.95, 1.25, 1.35, 1.40, 1.40,
           1.35, 1.30, 1.30, 1.30, 1.30, 1.35, 1.35, 1.25, 1.10, 0.95, 0.75, 0.58]


def dense():
    folder = "dense-one-force"
    lat0, lng0 = 30.20, 120.10
    def station_of(r, c):
        return f"S{(r // 4) * 4 + (c // 2) + 1}"
    def weight_of(r, c):
        d2 = (r - 3.5) ** 2 + (c - 3.5) ** 2
        return 0.4 + 2.6 * math.exp(-d2 / 8.0)
    gj, dlat, dlng = grids("district-", lat0, lng0, 8, 8, 1.0, station_of, weight_of, local=True)
    write(folder, "grids.geojson", json.dumps(gj, ensure_ascii=False) + "\n")
    st = [("CC", "centre", "调度中心", "Dispatch centre", lat0 + 4 * dlat, lng0 + 4 * dlng)]
    for i in range(8):
        r, c = i // 4, i % 4
        st.append((f"S{i + 1}", "station", f"第{i + 1}站", f"Station {i + 1}",
                   lat0 + (2 + 4 * r) * dlat, lng0 + (1 + 2 * c) * dlng))
    write(folder, "stations.json", stations_json(st))
    rows = ["name,force,station,grid,travel_mode,skills,shift"]
    for i in range(16):
        rows.append(f"Unit {i + 1:02d},ambulance,S{i % 8 + 1},,car,first_aid,all")
    write(folder, "responders.csv", "\n".join(rows) + "\n")
    hospitals = [[round(lat0 + 2.5 * dlat, 5), round(lng0 + 2.5 * dlng, 5)],
                 [round(lat0 + 5.5 * dlat, 5), round(lng0 + 5.0 * dlng, 5)],
                 [round(lat0 + 1.0 * dlat, 5), round(lng0 + 7.0 * dlng, 5)]]
    cats = f"""# One force, two kinds of call: life-threatening (urgent) and the rest.
[[category]]
code = "EMS-A"
name_zh = "危急呼救"
name_en = "Life-threatening emergency"
kind = "event"
forces = ["ambulance"]
priority = "urgent"
weight = 35
deadlines = {{ on_site = "8m" }}
on_scene = {{ distribution = "lognormal", mean = "20m", sd = "8m" }}
transport = {{ share = 0.8, to = {hospitals}, handover = "10m" }}

[[category]]
code = "EMS-B"
name_zh = "一般呼救"
name_en = "Other emergency"
kind = "event"
forces = ["ambulance"]
priority = "high"
weight = 65
deadlines = {{ on_site = "8m" }}
on_scene = {{ distribution = "lognormal", mean = "20m", sd = "10m" }}
transport = {{ share = 0.5, to = {hospitals}, handover = "10m" }}
"""
    write(folder, "categories.toml", cats)
    write(folder, "demand.toml", f"""# 280 calls a day; each grid's share is its own weight (peaking in the centre).
cases_per_day = 280
hourly_profile = {PROFILE}

[sources]
hotline = 1.0

[weights]

[history]
days = 60
seed = 7

[history.streams.all]
source = "hotline"
categories = "weighted"
current_per_day = 280.0
previous_per_day = 270.0
""")
    write(folder, "settings.toml", """# The city's own grid and category codes, and its own force.
[scheme]
codes = "local"
forces = ["ambulance"]

[dispatch]
decision = "90s"

[travel]
setoff = "1m"
car_kmh = 30
off_road_car_kmh = 15
rush_hours = [7, 8, 17, 18]
rush_hour_car_factor = 0.75
""")


def rural():
    folder = "rural-sparse"
    lat0, lng0 = 29.80, 119.60
    def station_of(r, c):
        return f"S{(r // 3) * 2 + (c // 4) + 1}"
    rnd = random.Random(11)
    def weight_of(r, c):
        # Villages along a valley in the middle rows, hills around.
        return (2.0 if r in (2, 3) else 0.5) * rnd.uniform(0.6, 1.4)
    gj, dlat, dlng = grids("330200001", lat0, lng0, 6, 8, 5.0, station_of, weight_of)
    write(folder, "grids.geojson", json.dumps(gj, ensure_ascii=False) + "\n")
    st = [("CC", "centre", "镇指挥中心", "Town command centre", lat0 + 3 * dlat, lng0 + 4 * dlng)]
    for i in range(4):
        r, c = i // 2, i % 2
        st.append((f"S{i + 1}", "station", f"第{i + 1}派出所", f"Station {i + 1}",
                   lat0 + (1.5 + 3 * r) * dlat, lng0 + (2 + 4 * c) * dlng))
    write(folder, "stations.json", stations_json(st))
    rows = ["name,force,station,grid,travel_mode,skills,shift"]
    for i in range(4):
        for k in range(3):
            rows.append(f"Officer {i + 1}{k + 1}d,police,S{i + 1},,car,law_enforcement,day")
        for k in range(2):
            rows.append(f"Officer {i + 1}{k + 1}n,police,S{i + 1},,car,law_enforcement,night")
    for f in gj["features"]:
        p = f["properties"]
        rows.append(f"Worker {p['code'][-5:]},grid_worker,{p['station']},{p['code']},ebike,,day")
    write(folder, "responders.csv", "\n".join(rows) + "\n")
    write(folder, "categories.toml", """[[category]]
code = "SJ1006"
name_zh = "治安警情"
name_en = "Public security incident"
kind = "event"
forces = ["police"]
priority = "urgent"
weight = 20
deadlines = { on_site = "20m" }
on_scene = { distribution = "lognormal", mean = "40m", sd = "20m" }
transport = { share = 0.2, to = "station", handover = "20m" }

[[category]]
code = "SJ1001"
name_zh = "矛盾纠纷"
name_en = "Dispute"
kind = "event"
forces = ["police", "grid_worker"]
priority = "high"
tags = ["dispute"]
weight = 30
deadlines = { on_site = "30m" }
on_scene = { distribution = "exponential", mean = "45m" }

[[category]]
code = "SJ0102"
name_zh = "环境卫生"
name_en = "Sanitation"
kind = "event"
forces = ["grid_worker"]
priority = "normal"
weight = 50
deadlines = { on_site = "2h", first_feedback = "4h" }
on_scene = { distribution = "uniform", min = "10m", max = "30m" }
""")
    write(folder, "demand.toml", f"""# 60 calls a day over 1,200 km2.
cases_per_day = 60
hourly_profile = {PROFILE}

[sources]
hotline = 0.6
grid_patrol = 0.4

[weights]

[history]
days = 60
seed = 5

[history.streams.all]
source = "mixed"
categories = "weighted"
current_per_day = 60.0
previous_per_day = 58.0
""")
    write(folder, "settings.toml", """[dispatch]
decision = "2m"

[travel]
car_kmh = 50
ebike_kmh = 20
off_road_car_kmh = 20
rush_hours = []
""")


if __name__ == "__main__":
    dense()
    rural()
