#!/usr/bin/env python3
"""Writes the approximate geography and roster of the Linjiang demo scenario.

The boundaries are synthetic (a lattice of grids over the right area near the right place),
not official: they exist so that areas, distances and travel times are of the right size.
Run from this folder: python3 make_geography.py
"""
import json, math

LAT0 = 30.295           # centre of the main area, approximately Linjiang Street, Qiantang
KM_PER_DEG_LAT = 110.574
def km_per_deg_lng(lat): return 111.320 * math.cos(math.radians(lat))

def lattice(lat_c, lng_c, rows, cols, cell_km2, skip=()):
    side = math.sqrt(cell_km2)
    dlat = side / KM_PER_DEG_LAT
    dlng = side / km_per_deg_lng(lat_c)
    lat_s = lat_c - rows * dlat / 2
    lng_w = lng_c - cols * dlng / 2
    cells = []
    for r in range(rows):
        for c in range(cols):
            if (r, c) in skip:
                continue
            a, b = lat_s + r * dlat, lng_w + c * dlng
            ring = [[round(b, 6), round(a, 6)], [round(b + dlng, 6), round(a, 6)],
                    [round(b + dlng, 6), round(a + dlat, 6)], [round(b, 6), round(a + dlat, 6)],
                    [round(b, 6), round(a, 6)]]
            cells.append((r, c, ring))
    return cells

# Main area: 8 x 8 lattice minus two corners = 62 grids totalling 44.1 km².
main = lattice(LAT0, 120.600, 8, 8, 44.1 / 62, skip={(7, 0), (7, 7)})
# Enclave (飞地): 105 km² of farmland and reclaimed land to the north-east, 16 large grids.
enclave = lattice(30.385, 120.775, 4, 4, 105.0 / 16)

main_communities = [
    ("001", "临江社区", "Linjiang Community"), ("002", "新围村", "Xinwei Village"),
    ("003", "协谊村", "Xieyi Village"), ("004", "益农村", "Yinong Village"),
    ("005", "江东村", "Jiangdong Village"), ("006", "前峰村", "Qianfeng Village"),
    ("007", "高新社区", "Gaoxin Community"), ("008", "新民村", "Xinmin Village"),
    ("009", "福林村", "Fulin Village"), ("010", "兴围村", "Xingwei Village"),
    ("011", "联围村", "Lianwei Village"), ("012", "港城社区", "Gangcheng Community"),
    ("013", "围垦社区", "Weiken Community"), ("014", "红十五村", "Hongshiwu Village"),
    ("015", "公路港社区", "Gonglugang Community"), ("016", "新湾村", "Xinwan Village"),
]
enclave_communities = [
    ("101", "十六分涵农场", "Culvert-16 Farm"), ("102", "围垦一村", "Weiken No.1 Village"),
    ("103", "江海村", "Jianghai Village"), ("104", "外六工段", "Wailiu Section"),
]

PREFIX = "330114004"   # Qiantang District (330114) + street 004 — illustrative, not official.

stations = [
    {"code": "CC", "kind": "centre", "name_zh": "临江街道社会综合治理中心", "name_en": "Linjiang Social Governance Command Centre"},
    {"code": "S1", "kind": "station", "name_zh": "传化公路港联勤警务站", "name_en": "Chuanhua Highway Port Joint-Duty Station"},
    {"code": "S2", "kind": "station", "name_zh": "新围联勤警务站", "name_en": "Xinwei Joint-Duty Station"},
    {"code": "S3", "kind": "station", "name_zh": "高新联勤警务站", "name_en": "Gaoxin Joint-Duty Station"},
    {"code": "S4", "kind": "station", "name_zh": "江东联勤警务站", "name_en": "Jiangdong Joint-Duty Station"},
    {"code": "S5", "kind": "station", "name_zh": "飞地联勤警务站", "name_en": "Enclave Joint-Duty Station"},
]

def centre(ring):
    xs = [p[0] for p in ring[:-1]]; ys = [p[1] for p in ring[:-1]]
    return sum(ys) / len(ys), sum(xs) / len(xs)

# Station positions: the centre in the middle; S1 at the logistics port in the south-west;
# S2 north, S3 east, S4 south-east; S5 in the enclave.
def cell_centre(cells, r, c):
    for rr, cc, ring in cells:
        if (rr, cc) == (r, c):
            return centre(ring)
pos = {"CC": cell_centre(main, 4, 4), "S1": cell_centre(main, 1, 1), "S2": cell_centre(main, 6, 3),
       "S3": cell_centre(main, 4, 6), "S4": cell_centre(main, 1, 5), "S5": cell_centre(enclave, 1, 1)}
addresses = {"CC": "临江街道办事处", "S1": "传化公路港园区内", "S2": "新围村村委会旁", "S3": "临江高新区管委会旁",
             "S4": "江东村文化礼堂旁", "S5": "围垦一村村委会旁"}
for s in stations:
    s["lat"], s["lng"] = round(pos[s["code"]][0], 6), round(pos[s["code"]][1], 6)
    s["address"] = addresses[s["code"]]

def dist(a, b):
    return math.hypot((a[0] - b[0]) * KM_PER_DEG_LAT, (a[1] - b[1]) * km_per_deg_lng(LAT0))

features = []
grid_station = {}
for area, cells, comms, per in (("main", main, main_communities, 4), ("enclave", enclave, enclave_communities, 4)):
    # Communities are blocks of cells in row-major order of 2x2 blocks.
    cols = max(c for _, c, _ in cells) + 1
    blocks = {}
    for r, c, ring in cells:
        key = (r // 2, c // 2)
        blocks.setdefault(key, []).append((r, c, ring))
    for (key, block), (ccode, cname, cname_en) in zip(sorted(blocks.items()), comms):
        for k, (r, c, ring) in enumerate(block, start=1):
            code = f"{PREFIX}{ccode}{k:03d}"
            p = centre(ring)
            if area == "enclave":
                st = "S5"
            else:
                st = min(("S1", "S2", "S3", "S4"), key=lambda s: dist(p, pos[s]))
            grid_station[code] = (st, p)
            features.append({
                "type": "Feature",
                "properties": {"code": code, "name": f"{cname}第{k}网格", "name_en": f"{cname_en} Grid {k}",
                               "community": f"{PREFIX}{ccode}", "community_name": cname, "station": st, "area": area},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            })

with open("grids.geojson", "w") as f:
    json.dump({"type": "FeatureCollection",
               "note": "Approximate, synthetic boundaries for the demo; not official.",
               "features": features}, f, ensure_ascii=False, indent=1)
with open("stations.json", "w") as f:
    parks = [
        {"name_zh": "传化物流园", "name_en": "Chuanhua Logistics Park", "station": "S1"},
        {"name_zh": "普洛斯物流园", "name_en": "GLP Logistics Park", "station": "S1"},
        {"name_zh": "万维物流园", "name_en": "Wanwei Logistics Park", "station": "S1"},
    ]
    s1 = pos["S1"]
    for i, p in enumerate(parks):
        p["lat"] = round(s1[0] + 0.004 * (i - 1), 6)
        p["lng"] = round(s1[1] + 0.005 * ((i % 2) * 2 - 1), 6)
    json.dump({"note": "Approximate positions for the demo.", "stations": stations, "parks": parks},
              f, ensure_ascii=False, indent=1)

# Duty roster: name, force, station, grid, travel mode, skills, shift.
surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建国文辉力斌宇浩凯鹏飞鑫波宁琳晨阳"
n = 0
def name():
    global n
    n += 1
    return surnames[(n * 7) % len(surnames)] + given[(n * 13) % len(given)] + ("" if n % 3 else given[(n * 5) % len(given)])

rows = []
def add(force, station, grid, mode, skills, shift):
    rows.append([name(), force, station, grid or "", mode, skills, shift])

for st in ("S1", "S2", "S3", "S4", "S5"):
    # Two to four police and three to six patrol members on duty at any time. Police wait at
    # the station; patrol members (巡防队员) patrol beats spread over the station's grids, and
    # a beat's grid is where they are based.
    beats = sorted(code for code, (s_, _) in grid_station.items() if s_ == st)
    for shift, police, patrol in (("day", 4, 6), ("night", 2, 3)):
        for _ in range(police):
            add("police", st, None, "car", "law_enforcement;first_aid", shift)
        for i in range(patrol):
            beat = beats[min(len(beats) - 1, int((i + 0.5) * len(beats) / patrol))]
            add("patrol_member", st, beat, "car", "mediation" if i % 2 == 0 else "first_aid", shift)
for code, (st, _) in sorted(grid_station.items()):
    add("grid_worker", st, code, "ebike", "local_knowledge", "day")
# A night grid worker per community.
seen = set()
for code, (st, _) in sorted(grid_station.items()):
    if code[:12] not in seen:
        seen.add(code[:12])
        add("grid_worker", st, code, "ebike", "local_knowledge", "night")
for i in range(9):
    add("enterprise_security", "S1", None, "foot", "logistics_parks", ("day", "night", "day")[i % 3])
# Mediators: the mediation studio at the centre and the port's labour-dispute desk (labour law),
# and each village or community's own mediator (村调委会), by day.
for st, k in (("CC", 4), ("S1", 2)):
    for _ in range(k):
        add("mediator", st, None, "car", "mediation;labour_law", "day")
seen = set()
for code, (st, _) in sorted(grid_station.items()):
    if code[:12] not in seen:
        seen.add(code[:12])
        add("mediator", st, code, "ebike", "mediation", "day")
# Partner agencies, sized to the demand (about half busy on a normal day): traffic police
# around the clock; city management squads mostly by day; gas emergency crews; market
# regulators by day.
stations_all = ("CC", "S1", "S2", "S3", "S4", "S5")
for force, k, where, shifts in (("traffic_police", 10, ("CC", "S1", "S3", "S4", "S5"), ("day", "night")),
                                ("city_management", 24, stations_all, ("day", "night", "day")),
                                ("gas_company", 4, ("CC", "S1", "S3", "S5"), ("day", "night")),
                                ("market_regulator", 6, ("CC", "S1", "CC", "S3", "CC", "S1"), ("day",))):
    for i in range(k):
        add(force, where[i % len(where)], None, "car", "", shifts[i % len(shifts)])

with open("responders.csv", "w") as f:
    f.write("name,force,station,grid,travel_mode,skills,shift\n")
    for r in rows:
        f.write(",".join(r) + "\n")
print(len(features), "grids,", len(rows), "responders")
