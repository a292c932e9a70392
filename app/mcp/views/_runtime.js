/* Shared view runtime: the MCP Apps bridge (JSON-RPC 2.0 over postMessage with the host,
   spec 2026-01-26), theme from hostContext, and a small SVG line chart with hover/keyboard. */
const UI = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const KEY = "intervals-gateway/view";
  let next = 0;
  const pending = {};
  const on = {};
  const post = (m) => window.parent.postMessage(m, "*");
  const request = (method, params) =>
    new Promise((resolve, reject) => {
      const id = ++next;
      pending[id] = { resolve, reject };
      post({ jsonrpc: "2.0", id, method, params });
    });
  const notify = (method, params) => post({ jsonrpc: "2.0", method, params: params || {} });
  const css = document.createElement("style");
  css.textContent =
    ":root{--bg:#fff;--fg:#1b1f24;--muted:#5c6570;--grid:#e3e6ea;--a:#1f6feb;--b:#c2410c;--c:#2b8a3e;--d:#8250df}" +
    "[data-theme=dark]{--bg:#16191d;--fg:#e8eaed;--muted:#9aa4ae;--grid:#30363d;--a:#58a6ff;--b:#fb8c3c;--c:#56d364;--d:#c297ff}" +
    "body{margin:0;padding:12px;background:var(--bg);color:var(--fg);font:14px system-ui,sans-serif}" +
    "h1{font-size:16px;margin:0 0 6px}.muted{color:var(--muted)}svg{display:block;width:100%;height:auto}" +
    "svg:focus{outline:2px solid var(--a)}button{font:inherit;color:var(--fg);background:transparent;border:1px solid var(--grid);border-radius:6px;padding:3px 9px;margin:0 4px 6px 0;cursor:pointer}" +
    "button[aria-pressed=true]{border-color:var(--a);color:var(--a)}.tip{min-height:1.3em}.legend span{margin-right:12px}" +
    "table{border-collapse:collapse}td,th{padding:2px 8px;text-align:right}th:first-child,td:first-child{text-align:left}";
  document.head.appendChild(css);
  function theme(ctx) {
    document.documentElement.dataset.theme = ctx && ctx.theme === "dark" ? "dark" : "light";
    const vars = (ctx && ctx.styles && ctx.styles.variables) || {};
    for (const k in vars) if (k.startsWith("--") && vars[k]) document.documentElement.style.setProperty(k, vars[k]);
  }
  function size() {
    const r = document.documentElement.getBoundingClientRect();
    notify("ui/notifications/size-changed", { width: Math.ceil(r.width), height: Math.ceil(r.height) });
  }
  const dataOf = (result) => (result && result._meta && result._meta[KEY]) || (result && result.structuredContent) || null;
  window.addEventListener("message", (event) => {
    if (event.source !== window.parent) return;
    const m = event.data;
    if (!m || m.jsonrpc !== "2.0") return;
    if (m.method === undefined && pending[m.id]) {
      const p = pending[m.id];
      delete pending[m.id];
      return m.error ? p.reject(new Error(m.error.message)) : p.resolve(m.result);
    }
    if (m.method === "ui/resource-teardown") {
      if (on.teardown) on.teardown();
      return post({ jsonrpc: "2.0", id: m.id, result: {} });
    }
    if (m.method === "ui/notifications/host-context-changed") theme(m.params);
    if (on[m.method]) on[m.method](m.params || {});
  });
  async function start(render) {
    on["ui/notifications/tool-input"] = (p) => (UI.input = p.arguments || {});
    on["ui/notifications/tool-result"] = (result) => {
      const data = dataOf(result);
      if (data) render(data);
      size();
    };
    const init = await request("ui/initialize", {
      protocolVersion: "2026-01-26",
      appInfo: { name: "intervals-gateway-view", version: "1" },
      appCapabilities: { availableDisplayModes: ["inline"] },
    });
    theme(init && init.hostContext);
    notify("ui/notifications/initialized");
    new ResizeObserver(size).observe(document.body);
  }
  const callTool = (name, args) => request("tools/call", { name, arguments: args }).then(dataOf);
  const tellModel = (text) => request("ui/update-model-context", { content: [{ type: "text", text }] }).catch(() => null);
  function el(tag, attrs, parent, text) {
    const e = document.createElementNS(NS, tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  const lin = (d0, d1, r0, r1) => (v) => r0 + ((v - d0) / (d1 - d0 || 1)) * (r1 - r0);
  /* A line chart: xs numbers, series [{name, values, color, dash}], marks [{x, label, row}].
     Hover or arrow keys move a cursor; the values under it are written to `tip`. */
  function chart(host, o) {
    host.textContent = "";
    const W = 640, H = o.height || 260, L = 44, R = 12, T = 10, B = 28;
    const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", tabindex: "0", "aria-label": o.label });
    host.appendChild(svg);
    el("title", {}, svg, o.label);
    const xs = o.xs, fx = o.log ? Math.log : (v) => v;
    const all = o.series.flatMap((s) => s.values).filter((v) => v != null);
    const lo = Math.min(0, ...all), hi = Math.max(...all, 1);
    const x = lin(fx(xs[0]), fx(xs[xs.length - 1]), L, W - R), y = lin(lo, hi, H - B, T);
    const X = (v) => x(fx(v));
    for (let i = 0; i <= 4; i++) {
      const v = lo + ((hi - lo) * i) / 4;
      el("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: "var(--grid)" }, svg);
      el("text", { x: L - 4, y: y(v) + 4, "text-anchor": "end", "font-size": 11, fill: "var(--muted)", class: "y-tick" }, svg, Math.round(v));
    }
    (o.ticks || []).forEach((t, i, all) => {
      const anchor = i === 0 ? "start" : i === all.length - 1 ? "end" : "middle";
      el("text", { x: X(t.x), y: H - 8, "text-anchor": anchor, "font-size": 11, fill: "var(--muted)", class: "x-tick" }, svg, t.label);
    });
    for (const m of o.marks || []) {
      el("line", { x1: X(m.x), x2: X(m.x), y1: T, y2: H - B, stroke: m.color || "var(--b)", "stroke-dasharray": "2 3", class: "mark" }, svg);
      el("text", { x: X(m.x) - 3, y: T + 10 + 13 * (m.row || 0), "text-anchor": "end", "font-size": 11, fill: m.color || "var(--b)", class: "mark-label" }, svg, m.label);
    }
    for (const s of o.series) {
      const pts = s.values.map((v, i) => (v == null ? null : `${X(xs[i]).toFixed(1)},${y(v).toFixed(1)}`)).filter(Boolean);
      el("polyline", { points: pts.join(" "), fill: "none", stroke: s.color, "stroke-width": 2, "stroke-dasharray": s.dash || "", class: "series", "data-name": s.name, "data-points": pts.length }, svg);
    }
    const cursor = el("line", { y1: T, y2: H - B, stroke: "var(--muted)", visibility: "hidden" }, svg);
    let at = -1;
    const show = (i) => {
      at = Math.max(0, Math.min(xs.length - 1, i));
      cursor.setAttribute("x1", X(xs[at]));
      cursor.setAttribute("x2", X(xs[at]));
      cursor.setAttribute("visibility", "visible");
      o.tip.textContent = o.describe(at);
    };
    svg.addEventListener("mousemove", (e) => {
      const r = svg.getBoundingClientRect(), px = ((e.clientX - r.left) / r.width) * W;
      let best = 0;
      xs.forEach((v, i) => { if (Math.abs(X(v) - px) < Math.abs(X(xs[best]) - px)) best = i; });
      show(best);
    });
    svg.addEventListener("keydown", (e) => {
      if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
        show(at + (e.key === "ArrowRight" ? 1 : -1));
        e.preventDefault();
      }
    });
    return svg;
  }
  return { start, callTool, tellModel, chart, el, size, input: {} };
})();
