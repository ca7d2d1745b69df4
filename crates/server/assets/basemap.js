// The base map every map page draws on (the big screen, the console, the field pages and the
// resident app's location picker): the street's grids as two maps — the main area, where most
// people live, filling the view, and the detached enclave as an inset — with the scenario's
// roads drawn under everything. Needs ECharts and app.js.
"use strict";
CG.basemap = (() => {
  let loaded = null;
  /** Grids and roads, fetched once per page. */
  async function load() {
    if (!loaded) {
      loaded = Promise.all([CG.api("GET", "/api/v1/grids"), CG.api("GET", "/api/v1/basemap").catch(() => [])]).then(([grids, roads]) => {
        const part = (area) => ({ type: "FeatureCollection", features: grids.features.filter((f) => (f.properties.area || "main") === area) });
        const main = part("main"), enclave = part("enclave");
        const box = (fc) => {
          let b = [Infinity, Infinity, -Infinity, -Infinity];
          for (const f of fc.features) for (const [x, y] of f.geometry.coordinates[0]) b = [Math.min(b[0], x), Math.min(b[1], y), Math.max(b[2], x), Math.max(b[3], y)];
          return b;
        };
        echarts.registerMap("cg-main", main);
        if (enclave.features.length) echarts.registerMap("cg-enclave", enclave);
        return { grids, roads, main, enclave, mainBox: box(main), enclaveBox: enclave.features.length ? box(enclave) : null };
      });
    }
    return loaded;
  }
  const inBox = (b, [x, y], pad = 0.004) => b && x >= b[0] - pad && x <= b[2] + pad && y >= b[1] - pad && y <= b[3] + pad;
  /** 0 for a point of the main area, 1 for one in the enclave. */
  function geoIndexOf(m, point) { return m.enclaveBox && inBox(m.enclaveBox, point) ? 1 : 0; }
  /**
   * The geo components: the main area filling the chart (less a margin), and the enclave as
   * an inset in the top-right corner with its name. `style` gives the regions' colours.
   */
  function geos(m, { dark = true, regions = () => ({}), inset = 0.3, roam = true } = {}) {
    const border = dark ? "#3d7dd8" : "#7a8ca3";
    const area = dark ? "#112a4a" : "#eef3f8";
    const base = (map) => ({
      map, roam, nameProperty: "name", label: { show: false }, itemStyle: { areaColor: area, borderColor: border, borderWidth: 0.6 },
      emphasis: { label: { show: true, color: dark ? "#fff" : "#102a43" }, itemStyle: { areaColor: dark ? "#2459a8" : "#d8e6f5" } },
      regions: m[map === "cg-main" ? "main" : "enclave"].features.map((f) => ({ name: f.properties.name, ...regions(f.properties) })),
    });
    const out = [{ ...base("cg-main"), left: "3%", right: m.enclaveBox ? `${Math.round(inset * 100) - 6}%` : "3%", top: "4%", bottom: "4%" }];
    if (m.enclaveBox) {
      out.push({ ...base("cg-enclave"), right: "1%", top: "3%", width: `${Math.round(inset * 100) - 8}%`, height: "34%", roam: false,
        itemStyle: { ...base("cg-enclave").itemStyle, borderColor: dark ? "#5fb3ff" : "#5577aa" } });
    }
    return out;
  }
  /** The roads as line series, one per geo, drawn beneath the points. */
  function roads(m, { dark = true } = {}) {
    const width = { trunk: 2.6, primary: 2.2, secondary: 1.8, tertiary: 1.4 };
    const colour = dark ? "rgba(160, 200, 255, 0.45)" : "rgba(90, 100, 120, 0.55)";
    const majorColour = dark ? "rgba(255, 214, 102, 0.55)" : "rgba(200, 140, 40, 0.8)";
    const out = [];
    for (const gi of m.enclaveBox ? [0, 1] : [0]) {
      // A road belongs to a map only if it lies wholly there (a link road between the two is left out).
      const box = gi === 0 ? m.mainBox : m.enclaveBox;
      const mine = m.roads.filter((r) => r.coords.every((p) => inBox(box, p, 0.002)));
      const major = ["trunk", "primary", "secondary"];
      for (const isMajor of [false, true]) {
        const data = mine.filter((r) => major.includes(r.class) === isMajor)
          .map((r) => ({ coords: r.coords, name: r.name || "", lineStyle: { width: width[r.class] || 0.7 } }));
        if (data.length) out.push({ type: "lines", coordinateSystem: "geo", geoIndex: gi, polyline: true, silent: true, z: 1, data,
          lineStyle: { color: isMajor ? majorColour : colour, opacity: 1 } });
      }
    }
    return out;
  }
  /** The enclave inset's caption. */
  function caption(m, { dark = true, inset = 0.3 } = {}) {
    // Over the inset's left edge (the inset spans from 107 − inset % to 99 % of the width).
    const left = `${107 - Math.round(inset * 100)}%`;
    return m.enclaveBox ? [{ type: "text", left, top: 2, z: 10, style: { text: CG.t("bm_enclave"), fill: dark ? "#9fc4ff" : "#334e68", font: "12px sans-serif" } }] : [];
  }
  /** Splits points by area: each series given becomes one per geo. */
  function split(m, series) {
    const out = [];
    for (const s of series) {
      for (const gi of m.enclaveBox ? [0, 1] : [0]) {
        const data = s.data.filter((d) => geoIndexOf(m, d.value || d) === gi);
        out.push({ ...s, geoIndex: gi, data, id: (s.id || s.name) + "-" + gi });
      }
    }
    return out;
  }
  return { load, geos, roads, caption, split, geoIndexOf };
})();
CG.words({ bm_enclave: "飞地（另图）" }, { bm_enclave: "Enclave" });
