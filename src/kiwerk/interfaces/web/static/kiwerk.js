/* kiwerk dashboard: shared helpers for every page (no framework).
 *
 * kiwerk.api(path, {method, json, body, headers, raw})  fetch the public API
 *   with the session cookie; unsafe methods carry the CSRF header; a 401
 *   sends the browser to the login page; any other error throws an
 *   ApiError built from the RFC 9457 problem details.
 * kiwerk.showError(element, error)  put an error inline (role=alert).
 * kiwerk.el(tag, attrs, ...children)  build DOM without innerHTML.
 * kiwerk.table(columns, rows, caption)  an accessible table element.
 * kiwerk.download(blob, filename)  save a response body as a file.
 * kiwerk.params  the page's path parameters (from data-params on <main>).
 */
"use strict";
(function () {
  const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

  function cookie(name) {
    for (const part of document.cookie.split(";")) {
      const [k, ...v] = part.trim().split("=");
      if (k === name) return decodeURIComponent(v.join("="));
    }
    return "";
  }

  class ApiError extends Error {
    constructor(problem) {
      super(`${problem.status} ${problem.title}: ${problem.detail}`);
      this.status = problem.status;
      this.title = problem.title;
      this.detail = problem.detail;
      this.problem = problem;
    }
  }

  async function api(path, options = {}) {
    const method = (options.method || "GET").toUpperCase();
    const headers = { Accept: "application/json", ...(options.headers || {}) };
    let body = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers["Content-Type"] = "application/json";
    }
    if (!SAFE.has(method)) headers["X-CSRF-Token"] = cookie("kiwerk_csrf");
    const response = await fetch(path, {
      method, headers, body, credentials: "same-origin",
    });
    if (response.status === 401 && !options.noRedirect) {
      const here = location.pathname + location.search;
      location.assign("/ui/login?next=" + encodeURIComponent(here));
      throw new ApiError({ status: 401, title: "Unauthorized", detail: "log in again" });
    }
    if (!response.ok) {
      let problem;
      try {
        problem = await response.json();
      } catch (e) {
        problem = { status: response.status, title: response.statusText, detail: "" };
      }
      throw new ApiError(problem);
    }
    if (options.raw) return response;
    if (response.status === 204) return null;
    return response.json();
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function table(columns, rows, caption) {
    const head = el("tr", {}, columns.map((c) => el("th", { scope: "col", text: c.label })));
    const body = rows.map((row) =>
      el("tr", {}, columns.map((c) => {
        const value = c.render ? c.render(row) : row[c.key];
        return el("td", {}, value === null || value === undefined ? "–" : value);
      })));
    const empty = rows.length ? [] :
      [el("tr", {}, el("td", { colspan: columns.length, text: "Nothing yet." }))];
    return el("div", { class: "table-wrap" },
      el("table", {}, caption ? el("caption", { text: caption }) : null,
        el("thead", {}, head), el("tbody", {}, body, empty)));
  }

  function showError(target, error) {
    const node = typeof target === "string" ? document.getElementById(target) : target;
    node.textContent = error instanceof ApiError || error.message ? error.message : String(error);
    node.setAttribute("role", "alert");
    node.hidden = false;
  }

  function clearError(target) {
    const node = typeof target === "string" ? document.getElementById(target) : target;
    node.textContent = "";
    node.hidden = true;
  }

  function download(blob, filename) {
    const url = URL.createObjectURL(blob);
    const link = el("a", { href: url, download: filename });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  function fmt(value, digits = 3) {
    if (typeof value !== "number") return value;
    return Number.isInteger(value) ? String(value) : value.toFixed(digits);
  }

  function setupSession() {
    const orgSwitch = document.getElementById("org-switch");
    if (orgSwitch) {
      orgSwitch.addEventListener("change", () => {
        document.cookie = "kiwerk_org=" + encodeURIComponent(orgSwitch.value) +
          "; path=/; SameSite=Strict; max-age=31536000";
        location.reload();
      });
    }
    const logout = document.getElementById("logout");
    if (logout) {
      logout.addEventListener("click", async () => {
        try {
          await api("/auth/session", { method: "DELETE", noRedirect: true });
        } finally {
          location.assign("/ui/login");
        }
      });
    }
  }

  const main = document.getElementById("main");
  const params = main && main.dataset.params ? JSON.parse(main.dataset.params) : {};
  const body = document.body.dataset;
  window.kiwerk = {
    api, ApiError, cookie, el, table, showError, clearError, download, fmt, params,
    org: body.org, role: body.role, actor: body.actor,
  };
  setupSession();
})();
