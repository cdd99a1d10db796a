/* Mobility: forecast vs measured speed per sensor (GET /mobility/forecast),
 * the signal-control comparison (GET /mobility/signals) and the delivery tours
 * drawn as SVG from GeoJSON with the street network itself (GET /mobility/tours). */
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
    "#17becf", "#8c564b", "#e377c2", "#bcbd22", "#7f7f7f"];
  Chart.defaults.animation = false;
  let chart = null;

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    node.append(...children);
    return node;
  }

  async function drawForecast() {
    kiwerk.clearError("forecast-error");
    const sensor = $("forecast-sensor").value;
    const minutes = $("forecast-minutes").value;
    try {
      const f = await kiwerk.api(`/mobility/forecast?sensor=${encodeURIComponent(sensor)}&minutes=${minutes}`);
      const labels = f.ts.map((t) => new Date(t * 1000).toISOString().slice(5, 16).replace("T", " "));
      if (chart) chart.destroy();
      chart = new Chart($("forecast-chart"), {
        type: "line",
        data: {
          labels,
          datasets: [
            { label: "measured", data: f.actual, borderColor: "#1b1f24", backgroundColor: "#1b1f24",
              pointRadius: 0, borderWidth: 1.5, spanGaps: true },
            { label: `forecast ${f.horizon_min} min ahead`, data: f.forecast, borderColor: "#0b5394",
              backgroundColor: "#0b5394", borderDash: [6, 4], pointRadius: 0, borderWidth: 1.5, spanGaps: true },
          ],
        },
        options: {
          responsive: true, maintainAspectRatio: false,
          interaction: { mode: "index", intersect: false },
          scales: { x: { ticks: { maxTicksLimit: 8 } }, y: { title: { display: true, text: "speed (mph)" } } },
          plugins: { legend: { position: "bottom" } },
        },
      });
      $("forecast-summary").textContent =
        `Sensor ${f.sensor}, ${f.horizon_min} minutes ahead, on the Los-loop test week (last 20%): ` +
        `RMSE ${f.rmse.toFixed(2)} mph, MAE ${f.mae.toFixed(2)} mph (${f.model} v${f.version}).`;
    } catch (error) {
      kiwerk.showError("forecast-error", error);
      $("forecast-summary").textContent = "";
    }
  }

  async function forecast() {
    try {
      const sensors = await kiwerk.api("/mobility/forecast/sensors");
      $("forecast-sensor").replaceChildren(...sensors.map((s) => kiwerk.el("option", { value: s, text: s })));
      $("forecast-sensor").addEventListener("change", drawForecast);
      $("forecast-minutes").addEventListener("change", drawForecast);
      await drawForecast();
    } catch (error) {
      kiwerk.showError("forecast-error", error);
      $("forecast-summary").textContent = "";
    }
  }

  async function signals() {
    try {
      const table = await kiwerk.api("/mobility/signals");
      $("signals-table").append(kiwerk.table([
        { label: "Scenario", key: "scenario" },
        { label: "Controller", key: "controller" },
        { label: "Average trip delay (s)", render: (r) => r.delay_s.toFixed(1) },
        { label: "Vehicles", key: "vehicles" },
        { label: "Seeds", key: "seeds" },
        { label: "Simulated (s)", key: "duration_s" },
      ], table.rows, `Recorded ${table.recorded || ""}`));
    } catch (error) {
      kiwerk.showError("signals-error", error);
    }
  }

  function drawMap(geo) {
    const [lon0, lat0, lon1, lat1] = geo.bbox;
    const k = Math.cos(((lat0 + lat1) / 2) * Math.PI / 180);
    const width = 1000;
    const height = Math.round(width * (lat1 - lat0) / ((lon1 - lon0) * k));
    const x = (lon) => ((lon - lon0) / (lon1 - lon0) * width).toFixed(1);
    const y = (lat) => ((lat1 - lat) / (lat1 - lat0) * height).toFixed(1);
    const layers = [];
    const tours = [];
    for (const f of geo.features) {
      const p = f.properties;
      if (p.kind === "streets") {
        const d = f.geometry.coordinates.map(([a, b]) => `M${x(a[0])} ${y(a[1])}L${x(b[0])} ${y(b[1])}`).join("");
        layers.push(svg("path", { class: "streets", d }));
      } else if (p.kind === "tour") {
        tours.push(p);
        const points = f.geometry.coordinates.map(([lo, la]) => `${x(lo)},${y(la)}`).join(" ");
        layers.push(svg("polyline", { class: "tour", points, stroke: COLOURS[p.vehicle % COLOURS.length] },
          svg("title", {}, `vehicle ${p.vehicle} from ${p.hub}: ${p.stops} stops`)));
      }
    }
    for (const f of geo.features) {
      const p = f.properties;
      const [lo, la] = f.geometry.coordinates;
      if (p.kind === "stop") {
        layers.push(svg("circle", { class: "stop", cx: x(lo), cy: y(la), r: 5,
          fill: COLOURS[p.vehicle % COLOURS.length] }, svg("title", {}, `${p.order} (vehicle ${p.vehicle})`)));
      } else if (p.kind === "hub") {
        layers.push(svg("rect", { class: "hub", x: x(lo) - 9, y: y(la) - 9, width: 18, height: 18 },
          svg("title", {}, p.name)));
      }
    }
    const map = svg("svg", {
      class: "map", viewBox: `0 0 ${width} ${height}`, role: "img",
      "aria-labelledby": "tours-map-title",
    }, svg("title", { id: "tours-map-title" },
      `${tours.length} delivery tours on the Aachen street network`), ...layers);
    $("tours-map").replaceChildren(map);
    const hhmm = (s) => `${String(Math.floor(s / 3600)).padStart(2, "0")}:${String(Math.floor(s % 3600 / 60)).padStart(2, "0")}`;
    $("tours-table").replaceChildren(kiwerk.table([
      { label: "Vehicle", render: (t) => {
        const swatch = kiwerk.el("span", { class: "swatch", "aria-hidden": "true" });
        swatch.style.background = COLOURS[t.vehicle % COLOURS.length];
        return kiwerk.el("span", {}, swatch, String(t.vehicle));
      } },
      { label: "Hub", key: "hub" },
      { label: "Stops", key: "stops" },
      { label: "km", render: (t) => (t.distance_m / 1000).toFixed(1) },
      { label: "Start", render: (t) => hhmm(t.start_s) },
      { label: "Back", render: (t) => hhmm(t.end_s) },
    ], tours, "Tours"));
    const unserved = Object.keys(geo.properties.unserved).length;
    $("tours-summary").textContent =
      `${geo.properties.served} parcels in ${tours.length} tours, ` +
      `${(geo.properties.distance_m / 1000).toFixed(1)} km in all` +
      (unserved ? `; ${unserved} not served` : "") +
      ` (solved in ${geo.properties.solve_s.toFixed(1)} s).`;
  }

  async function toursMap() {
    try {
      drawMap(await kiwerk.api("/mobility/tours?parcels=60&seconds=5"));
    } catch (error) {
      kiwerk.showError("tours-error", error);
      $("tours-summary").textContent = "";
    }
  }

  forecast();
  signals();
  toursMap();
})();
