/* Live line monitor: machines' sensor charts, each machine's remaining useful
 * life with its 90 % interval (when the line scores a registered model) and
 * the monitor's alerts, pushed by the API's server-sent events (/line/stream),
 * no reload.
 *
 * Readings arrive in batches; they are queued and drawn once per animation
 * frame, only for the machines that changed, so the page keeps up with many
 * machines. window.kiwerkLine exposes the counters (received, rendered,
 * backlog, frames) and every drawing pass is a "line-render" measure in the
 * browser's performance timeline, for the benchmark.
 */
"use strict";
(function () {
  const KEEP = 60;
  const COLOURS = ["#0b5394", "#b45f06", "#38761d", "#990000", "#674ea7", "#127a7a"];
  const machines = new Map();
  const stats = {
    received: 0, rendered: 0, backlog: 0, frames: 0, alerts: 0, maxBacklog: 0, predictions: 0,
  };
  let pending = [];
  let scheduled = false;
  let source = null;
  window.kiwerkLine = stats;

  const $ = (id) => document.getElementById(id);

  function card(m) {
    const canvas = kiwerk.el("canvas", {
      width: 260, height: 64, role: "img",
      "aria-label": `${m.name}: last ${KEEP} readings of ${m.sensors.length} sensors`,
    });
    const badge = kiwerk.el("span", { class: "tag", text: "ok" });
    const values = kiwerk.el("p", { class: "values", text: "no reading yet" });
    const rul = kiwerk.el("p", { class: "rul", hidden: true });
    const node = kiwerk.el("article", { class: "machine", "data-machine": m.name },
      kiwerk.el("h3", {}, kiwerk.el("span", { text: m.name }), badge), rul, canvas, values);
    return { name: m.name, sensors: m.sensors, points: [], node, canvas, badge, values, rul };
  }

  // The model's newest prediction: "RUL 112 cycles (90 %: 85–140)" or a risk.
  function showPrediction(p) {
    const m = machines.get(p.machine);
    if (!m) return;
    m.rul.hidden = false;
    m.rul.replaceChildren();
    if (p.kind === "rul") {
      m.rul.append(
        kiwerk.el("span", { class: "muted", text: "RUL " }),
        kiwerk.el("strong", { class: "rul-value", text: `${Math.round(p.rul)} cycles` }),
        kiwerk.el("span", { class: "rul-interval",
          text: ` (90 %: ${Math.round(p.rul_lower)}–${Math.round(p.rul_upper)})` }));
      m.rul.title = `model v${p.model_version}, at cycle ${Math.round(p.cycle)}`;
    } else {
      m.rul.append(kiwerk.el("span", { class: "muted", text: "failure risk " }),
        kiwerk.el("strong", { class: "rul-value",
          text: `${kiwerk.fmt(100 * p.failure_probability, 1)} %` }));
    }
    stats.predictions += 1;
  }

  function draw(m) {
    const c = m.canvas;
    const ctx = c.getContext("2d");
    ctx.clearRect(0, 0, c.width, c.height);
    const pts = m.points;
    if (!pts.length) return;
    const shown = Math.min(m.sensors.length, COLOURS.length);
    for (let s = 0; s < shown; s++) {
      let lo = Infinity, hi = -Infinity;
      for (const p of pts) {
        const v = p[1][s];
        if (v !== null) { if (v < lo) lo = v; if (v > hi) hi = v; }
      }
      if (!isFinite(lo)) continue;
      const span = hi - lo || 1;
      ctx.strokeStyle = COLOURS[s];
      ctx.lineWidth = 1.2;
      ctx.beginPath();
      let moved = false;
      pts.forEach((p, i) => {
        const v = p[1][s];
        if (v === null) return;
        const x = (i / (KEEP - 1)) * (c.width - 2) + 1;
        const y = c.height - 3 - ((v - lo) / span) * (c.height - 6);
        if (moved) ctx.lineTo(x, y); else { ctx.moveTo(x, y); moved = true; }
      });
      ctx.stroke();
    }
    const [ts, last] = pts[pts.length - 1];
    const shownValues = m.sensors.slice(0, 4).map((s, i) =>
      `${s} ${last[i] === null ? "–" : kiwerk.fmt(last[i], 2)}`);
    m.values.textContent = `${new Date(ts * 1000).toISOString().slice(11, 19)} · ${shownValues.join(", ")}`;
  }

  function render() {
    scheduled = false;
    performance.mark("line-render-start");
    const batch = pending;
    pending = [];
    const touched = new Set();
    for (const [name, ts, values] of batch) {
      const m = machines.get(name);
      if (!m) continue;
      m.points.push([ts, values]);
      if (m.points.length > KEEP) m.points.shift();
      touched.add(m);
    }
    for (const m of touched) draw(m);
    stats.rendered += batch.length;
    stats.frames += 1;
    stats.backlog = pending.length;
    performance.measure("line-render", "line-render-start");
  }

  function queue(rows) {
    for (const row of rows) pending.push(row);
    stats.received += rows.length;
    stats.backlog = pending.length;
    stats.maxBacklog = Math.max(stats.maxBacklog, pending.length);
    if (!scheduled) {
      scheduled = true;
      requestAnimationFrame(render);
    }
  }

  function showAlert(a, fresh) {
    const when = new Date(a.time * 1000).toISOString().replace("T", " ").slice(0, 19);
    const why = a.sensors.map((s) => `${s.sensor} (${Math.round(s.share * 100)}%)`).join(", ");
    const item = kiwerk.el("li", { class: a.kind, "data-machine": a.machine },
      kiwerk.el("strong", { text: `${a.machine}: ${a.kind.replace("_", " ")}` }),
      kiwerk.el("div", { class: "muted", text: `${when} UTC · score ${kiwerk.fmt(a.score, 1)} > ${kiwerk.fmt(a.threshold, 1)}` }),
      kiwerk.el("div", { text: `Driven by ${why || "all sensors"}` }),
      kiwerk.el("p", { class: "action", text: a.action }));
    const list = $("line-alerts");
    if (fresh) list.prepend(item); else list.append(item);
    stats.alerts += 1;
    $("alert-count").textContent = String(list.children.length);
    const m = machines.get(a.machine);
    if (m) {
      m.node.classList.add("alerting");
      m.badge.textContent = a.kind === "sensor_drift" ? "drift" : "alert";
      m.badge.className = a.kind === "sensor_drift" ? "tag warn" : "tag bad";
    }
  }

  async function load() {
    const line = await kiwerk.api(`/line?history=${KEEP}`);
    const grid = $("line-machines");
    grid.replaceChildren();
    machines.clear();
    for (const m of line.machines) {
      const c = card(m);
      machines.set(m.name, c);
      grid.append(c.node);
      c.points = m.history.slice(-KEEP);
      draw(c);
      if (m.prediction) showPrediction(m.prediction);
    }
    $("machine-count").textContent = String(line.machines.length);
    $("line-alerts").replaceChildren();
    const alerts = await kiwerk.api("/line/alerts?limit=100");
    alerts.forEach((a) => showAlert(a, false));
    const state = line.connected ? "listening" : "waiting for the broker";
    $("line-status").textContent =
      `${line.machines.length} machines on ${line.broker} (${state}); alerts from ${line.alert_topic}.`;
    return line.seq;
  }

  function follow(seq) {
    if (source) source.close();
    source = new EventSource(`/line/stream?since=${seq}`);
    source.addEventListener("readings", (e) => queue(JSON.parse(e.data)));
    source.addEventListener("alert", (e) => showAlert(JSON.parse(e.data), true));
    source.addEventListener("predictions", (e) => JSON.parse(e.data).forEach(showPrediction));
    source.addEventListener("reset", async () => follow(await load()));
    source.addEventListener("open", () => kiwerk.clearError("line-error"));
    source.onerror = () => {
      $("line-status").textContent = "Connection to the line lost; reconnecting…";
    };
  }

  (async function () {
    try {
      follow(await load());
    } catch (error) {
      kiwerk.showError("line-error", error);
      $("line-status").textContent = "No live line.";
    }
  })();
})();
