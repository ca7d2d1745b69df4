#!/usr/bin/env python3
"""Writes roads.geojson: a synthetic but plausible road network for the Linjiang demo.

Main area (44 km²): main roads (primary) every ~1.7 km, secondary roads between them, and
local streets every ~210 m with gaps; a river runs west–east through the middle and local
streets stop at its banks — only the main and secondary roads cross it on bridges. The
enclave (105 km²) has tertiary roads every ~2.6 km and farm roads between them, many missing.
A trunk road links the main area's north-east to the enclave's south-west (~15 km).

Lines carry OSM tags (highway, maxspeed, name); vertices shared by lines are junctions.
Deterministic: run from this folder, python3 make_roads.py
"""
import json, math, random

rnd = random.Random(20241127)
KM_PER_DEG_LAT = 110.574
def km_per_deg_lng(lat): return 111.320 * math.cos(math.radians(lat))

grids = json.load(open("grids.geojson"))
def bbox(area):
    pts = [p for f in grids["features"] if f["properties"]["area"] == area for p in f["geometry"]["coordinates"][0]]
    return min(p[0] for p in pts), max(p[0] for p in pts), min(p[1] for p in pts), max(p[1] for p in pts)

features = []
def line(coords, highway, name=None, maxspeed=None):
    props = {"highway": highway}
    if name: props["name"] = name
    if maxspeed: props["maxspeed"] = str(maxspeed)
    features.append({"type": "Feature", "properties": props,
                     "geometry": {"type": "LineString", "coordinates": [[round(x, 7), round(y, 7)] for x, y in coords]}})

def lattice(area, steps, jitter_m):
    """Node positions of a (steps+1)² lattice over the area's box, local nodes jittered."""
    w, e, s, n = bbox(area)
    lat0 = (s + n) / 2
    pts = {}
    for i in range(steps + 1):          # row (south → north)
        for j in range(steps + 1):      # column (west → east)
            x = w + (e - w) * j / steps
            y = s + (n - s) * i / steps
            if i % 4 and j % 4:
                x += rnd.uniform(-jitter_m, jitter_m) / 1000 / km_per_deg_lng(lat0)
                y += rnd.uniform(-jitter_m, jitter_m) / 1000 / KM_PER_DEG_LAT
            pts[i, j] = (x, y)
    return pts

def classify(k, major, minor, local):
    return major if k % 8 == 0 else minor if k % 4 == 0 else local

def road(points, hw, gap, name=None):
    """Lines along `points`, cut after point k (not the last) wherever gap(k) holds."""
    run = []
    for k, p in enumerate(points):
        run.append(p)
        if k < len(points) - 1 and gap(k):
            if len(run) > 1: line(run, hw)
            run = []
    if len(run) > 1: line(run, hw, name)

# Main area: 32 × 32 steps of ~210 m.
M = 32
RIVER = 13  # the river runs between rows 13 and 14
main = lattice("main", M, 40)
street_names = ["江东大道", "青六线", "临江大道", "新湾路", "经六路", "围垦街", "纬一路", "红十五线", "前进路"]
for i in range(M + 1):      # west–east roads along row i; a local street may end anywhere
    hw = classify(i, "primary", "secondary", "residential")
    road([main[i, j] for j in range(M + 1)], hw, lambda k: hw == "residential" and rnd.random() < 0.18,
         street_names[i // 4] if hw != "residential" else None)
for j in range(M + 1):      # south–north roads along column j; local streets stop at the river
    hw = classify(j, "primary", "secondary", "residential")
    road([main[i, j] for i in range(M + 1)], hw,
         lambda k: hw == "residential" and (k == RIVER or rnd.random() < 0.18),
         f"经{j // 4 + 1}路" if hw != "residential" else None)
# The river itself is not a road; it only explains the missing crossings.

# Enclave: 16 × 16 steps of ~640 m; farm roads with many gaps.
E = 16
encl = lattice("enclave", E, 90)
for i in range(E + 1):
    hw = "tertiary" if i % 4 == 0 else "unclassified"
    road([encl[i, j] for j in range(E + 1)], hw, lambda k: hw != "tertiary" and rnd.random() < 0.3)
for j in range(E + 1):
    hw = "tertiary" if j % 4 == 0 else "track"
    road([encl[i, j] for i in range(E + 1)], hw, lambda k: hw != "tertiary" and rnd.random() < 0.3)

# The link: a trunk road from the main area's north-east corner to the enclave's south-west.
a, b = main[M, M], encl[0, 0]
link = [a] + [(a[0] + (b[0] - a[0]) * k / 12 + (0.004 if 0 < k < 12 and k % 2 else 0), a[1] + (b[1] - a[1]) * k / 12) for k in range(1, 12)] + [b]
line(link, "trunk", "江东快速路", 80)

with open("roads.geojson", "w") as f:
    json.dump({"type": "FeatureCollection",
               "note": "Synthetic road network for the demo (not surveyed): main roads, local streets, the river's bridges, farm roads, the link to the enclave.",
               "features": features}, f, ensure_ascii=False, separators=(",", ":"))
print(len(features), "roads")
