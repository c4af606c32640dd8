// loadgen's web UI: plain JavaScript over Locust's REST API and loadgen's own routes
// (docs/web-ui.md). Every URL is relative, so the page works behind a proxy under any prefix.
// The statistics table is updated in place (a row per request name, cells rewritten only when
// their text changes), so 500 names stay cheap; the charts fetch only the history points they
// lack (stats/history?since=N).
(function () {
  "use strict";

  const POLL_MS = 2000; // Locust's interval
  const SLOW_POLL_MS = 5000; // exceptions and slow traces (Locust polls exceptions every 5 s)

  const $ = (id) => document.getElementById(id);
  const ui = {
    sortKey: null,
    sortDir: 1,
    rows: new Map(), // "method name" -> <tr>
    traces: new Map(), // "method name" -> {trace_id, response_time}
    linkTemplate: "",
    info: null,
    historyNext: 0,
    pollError: false,
    editPrefilled: false,
  };

  // ---- helpers ----

  // Locust HTML-escapes names, errors and exceptions in its JSON (html.escape); shown as text.
  function unescapeHtml(s) {
    return String(s ?? "")
      .replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"')
      .replace(/&#x27;/g, "'").replace(/&amp;/g, "&");
  }

  async function getJson(url) {
    const r = await fetch(url, { cache: "no-store" });
    if (!r.ok) {
      const e = new Error(url + ": HTTP " + r.status);
      e.status = r.status;
      throw e;
    }
    return r.json();
  }

  function setText(el, text) {
    const t = String(text);
    if (el.textContent !== t) el.textContent = t;
  }

  function showMessage(text) {
    setText($("message"), text || "");
  }

  function fixed(x, digits) {
    return typeof x === "number" ? x.toFixed(digits) : "";
  }

  function whole(x) {
    return typeof x === "number" ? String(Math.round(x)) : "";
  }

  // ---- tabs ----

  function showTab(name) {
    for (const b of document.querySelectorAll("button[data-tab]")) {
      b.classList.toggle("active", b.dataset.tab === name);
    }
    for (const p of document.querySelectorAll("section.panel")) {
      p.classList.toggle("active", p.id === "tab-" + name);
    }
    if (name === "charts") resizeCharts();
  }

  // ---- controls ----

  async function postSwarm(form) {
    const body = new URLSearchParams();
    ui.lastSpawnRate = form.elements.spawn_rate.value;
    for (const [k, v] of new FormData(form)) body.append(k, String(v));
    try {
      const r = await fetch("swarm", { method: "POST", body });
      const j = await r.json().catch(() => ({ success: false, message: "HTTP " + r.status }));
      showMessage(j.success ? "" : j.message || "the swarm was refused");
    } catch (e) {
      showMessage("swarm: " + e.message);
    }
    poll();
  }

  async function control(url) {
    try {
      const r = await fetch(url, { cache: "no-store" });
      showMessage(r.ok ? "" : url + ": HTTP " + r.status);
    } catch (e) {
      showMessage(url + ": " + e.message);
    }
    poll();
  }

  function showForms(state) {
    const idle = state === "ready" || state === "stopped";
    const running = state === "spawning" || state === "running";
    $("start-form").hidden = !idle;
    $("edit-form").hidden = !running;
    $("stop-button").disabled = !running;
    if (!running) ui.editPrefilled = false;
  }

  // The edit form starts from the run's current target, once per run.
  function prefillEdit() {
    if (ui.editPrefilled || !ui.info || $("edit-form").hidden) return;
    const f = $("edit-form");
    f.elements.user_count.value = ui.info.target_users;
    f.elements.spawn_rate.value = ui.lastSpawnRate || ui.info.spawn_rate;
    ui.editPrefilled = true;
  }

  // ---- the statistics table ----

  const COLUMNS = [
    (r) => r.method ?? "",
    (r) => r.name,
    (r) => String(r.num_requests),
    (r) => String(r.num_failures),
    (r) => whole(r.avg_response_time),
    (r) => whole(r.min_response_time),
    (r) => whole(r.max_response_time),
    (r) => whole(r.median_response_time),
    (r) => fixed(r.current_rps, 2),
    (r) => fixed(r.current_fail_per_sec, 2),
    (r) => whole(r.ninetieth_response_time),
    (r) => whole(r["response_time_percentile_0.95"]),
    (r) => whole(r.ninety_ninth_response_time),
  ];

  function rowKey(r) {
    return (r.method ?? "") + " " + r.name;
  }

  function makeRow(r) {
    const tr = document.createElement("tr");
    tr.dataset.name = r.name;
    for (let i = 0; i <= COLUMNS.length; i++) tr.appendChild(document.createElement("td"));
    tr.cells[1].className = "name";
    tr.cells[COLUMNS.length].className = "trace";
    return tr;
  }

  function fillRow(tr, r) {
    tr.row = r;
    for (let i = 0; i < COLUMNS.length; i++) setText(tr.cells[i], COLUMNS[i](r));
    fillTrace(tr.cells[COLUMNS.length], ui.traces.get(rowKey(r)));
  }

  function traceHref(id) {
    const t = ui.linkTemplate || (ui.info && ui.info.trace_link) || "";
    return t ? t.replace("{trace_id}", id) : "";
  }

  function fillTrace(td, trace) {
    const id = trace ? trace.trace_id : "";
    if (td.dataset.trace === id) return;
    td.dataset.trace = id;
    td.textContent = "";
    if (!id) return;
    const href = traceHref(id);
    const el = document.createElement(href ? "a" : "span");
    el.className = href ? "trace-link" : "trace-id";
    if (href) {
      el.href = href;
      el.target = "_blank";
      el.rel = "noopener";
    }
    el.textContent = id.slice(0, 8) + "…";
    el.title = "trace " + id + " (" + whole(trace.response_time) + " ms)";
    td.appendChild(el);
  }

  function compareRows(a, b) {
    const k = ui.sortKey;
    const x = a.row[k], y = b.row[k];
    if (typeof x === "number" && typeof y === "number") return (x - y) * ui.sortDir;
    return String(x ?? "").localeCompare(String(y ?? "")) * ui.sortDir;
  }

  // Moves rows only when the order changed (a no-op poll touches no node).
  function orderRows(tbody, trs) {
    if (ui.sortKey) trs.sort(compareRows);
    let same = trs.length === tbody.rows.length;
    for (let i = 0; same && i < trs.length; i++) same = tbody.rows[i] === trs[i];
    if (!same) for (const tr of trs) tbody.appendChild(tr);
  }

  function renderStats(stats) {
    const tbody = $("stats-table").tBodies[0];
    const rows = stats.slice(0, -1);
    const total = stats[stats.length - 1];
    const seen = new Set();
    const trs = [];
    for (const r of rows) {
      const key = rowKey(r);
      seen.add(key);
      let tr = ui.rows.get(key);
      if (!tr) {
        tr = makeRow(r);
        ui.rows.set(key, tr);
        tbody.appendChild(tr);
      }
      fillRow(tr, r);
      trs.push(tr);
    }
    for (const [key, tr] of ui.rows) {
      if (!seen.has(key)) {
        tr.remove();
        ui.rows.delete(key);
      }
    }
    orderRows(tbody, trs);
    renderTotal(total);
    showOptionalColumns(stats);
  }

  function renderTotal(total) {
    const tfoot = $("stats-table").tFoot;
    if (!total) return;
    let tr = tfoot.rows[0];
    if (!tr) {
      tr = makeRow(total);
      tr.classList.add("total");
      tfoot.appendChild(tr);
    }
    tr.dataset.name = total.name;
    fillRow(tr, total);
  }

  // A column whose key Locust 2.12's rows lack (the 95th percentile) shows, and sorts, only
  // when the rows carry it.
  function showOptionalColumns(stats) {
    for (const th of document.querySelectorAll("#stats-table th[data-sort-when-present]")) {
      const key = th.dataset.sortWhenPresent;
      const present = stats.some((r) => r[key] !== undefined);
      if (present) th.dataset.sort = key;
      else delete th.dataset.sort;
      $("stats-table").classList.toggle("no-p95", !present);
    }
  }

  function onSort(th) {
    const key = th.dataset.sort;
    if (!key) return;
    if (ui.sortKey === key) ui.sortDir = -ui.sortDir;
    else {
      ui.sortKey = key;
      ui.sortDir = key === "name" || key === "method" ? 1 : -1; // numbers: largest first
    }
    for (const h of document.querySelectorAll("#stats-table th[data-sort]")) {
      h.classList.toggle("sorted-asc", h === th && ui.sortDir > 0);
      h.classList.toggle("sorted-desc", h === th && ui.sortDir < 0);
    }
    const tbody = $("stats-table").tBodies[0];
    orderRows(tbody, Array.from(tbody.rows));
  }

  // ---- failures and exceptions ----

  function fillTable(table, items, cells) {
    const tbody = table.tBodies[0];
    while (tbody.rows.length > items.length) tbody.deleteRow(-1);
    items.forEach((item, i) => {
      const tr = tbody.rows[i] || tbody.insertRow(-1);
      const values = cells(item);
      while (tr.cells.length < values.length) tr.insertCell(-1);
      values.forEach((v, j) => setText(tr.cells[j], v));
    });
  }

  function renderFailures(errors) {
    fillTable($("failures-table"), errors, (e) => [
      String(e.occurrences), e.method, unescapeHtml(e.name), unescapeHtml(e.error)]);
  }

  function renderExceptions(list) {
    fillTable($("exceptions-table"), list, (e) => [
      String(e.count), unescapeHtml(e.msg), unescapeHtml(e.traceback),
      Array.isArray(e.nodes) ? e.nodes.join(", ") : String(e.nodes ?? "")]);
  }

  // A master's workers (docs/distributed.md): the tab appears when /stats/requests lists them.
  function renderWorkers(workers) {
    $("workers-tab").hidden = !Array.isArray(workers);
    if (!Array.isArray(workers)) return;
    $("workers-tab").textContent = "Workers (" + workers.length + ")";
    fillTable($("workers-table"), workers, (w) => [
      unescapeHtml(w.id), w.state, String(w.user_count), fixed(w.cpu_usage, 1) + " %",
      fixed(w.memory_usage / 1048576, 1) + " MiB"]);
  }

  // ---- thresholds (GET /stats/loadgen "thresholds", docs/thresholds.md) ----

  function thresholdObserved(t) {
    if (t.observed === null || t.observed === undefined) return "no data";
    if (t.unit === "ms") return fixed(t.observed, 2) + " ms";
    if (t.unit === "/s") return fixed(t.observed, 2) + "/s";
    return t.metric === "failure_ratio" ? fixed(t.observed, 4) : String(t.observed);
  }

  function renderThresholds(list) {
    const table = $("thresholds-table");
    table.hidden = list.length === 0;
    fillTable(table, list, (t) => [
      t.expression, thresholdObserved(t),
      (t.passed ? "pass" : t.status === "no_data" ? "FAIL (no data)" : "FAIL") +
        (t.aborted_run ? ", aborted the run" : ""),
      t.origin]);
    Array.from(table.tBodies[0].rows).forEach((tr, i) => {
      tr.classList.toggle("fail", !list[i].passed);
      tr.classList.toggle("pass", list[i].passed);
    });
  }

  // ---- the summary line ----

  function renderSummary(s) {
    setText($("state"), s.state);
    setText($("user-count"), s.user_count);
    setText($("total-rps"), fixed(s.total_rps, 1));
    setText($("fail-ratio"), Math.round((s.fail_ratio || 0) * 100) + "%");
    showForms(s.state);
  }

  function renderInfo(info) {
    ui.info = info;
    setText($("version"), info.version);
    setText($("host"), info.host || "(per user class)");
    const start = $("start-form").elements;
    if (!start.host.value && info.host) start.host.value = info.host;
    if (!ui.startPrefilled) {  // -u and -r, as Locust's form starts from them
      start.user_count.value = info.users;
      start.spawn_rate.value = info.spawn_rate;
      ui.startPrefilled = true;
    }
    const flag = info.flag_name || "loadGeneratorVUs";
    const control = $("control");
    if (info.control === "flag") {
      setText(control, flag + " flag (" + info.flag_users + " users)");
      control.title = "the flag " + flag + " set the user count; a change here works until it changes again";
    } else {
      setText(control, "UI");
      control.title = info.flag_users ? "the flag " + flag + " is " + info.flag_users : "";
    }
    control.classList.toggle("flag", info.control === "flag");
    renderThresholds(Array.isArray(info.thresholds) ? info.thresholds : []);
    prefillEdit();
  }

  // ---- charts (uPlot) ----

  const CHARTS = {
    requests: { title: "Total requests per second", series: [
      { label: "RPS", stroke: "#2a8f3c", key: "rps" },
      { label: "Failures/s", stroke: "#c0392b", key: "fail_per_s" }] },
    response_times: { title: "Response times (ms)", series: [
      { label: "50th percentile", stroke: "#d68910", key: "p50" },
      { label: "95th percentile", stroke: "#7d3c98", key: "p95" }] },
    users: { title: "Number of users", series: [
      { label: "Users", stroke: "#2471a3", key: "users" }] },
    spans: { title: "Spans per second (loadgen's trace export)", series: [
      { label: "Exported", stroke: "#17a589", key: "spans_exported_per_s" },
      { label: "Dropped", stroke: "#c0392b", key: "spans_dropped_per_s" }] },
    cpu: { title: "Busiest event loop CPU (%)", series: [
      { label: "Loop CPU %", stroke: "#566573", key: "loop_cpu_max", scale: 100 }] },
  };

  const charts = {};
  window.loadgenCharts = charts;

  function chartWidth(el) {
    return Math.max(300, (el.clientWidth || el.parentElement.clientWidth || 900) - 8);
  }

  function makeCharts() {
    if (typeof uPlot === "undefined") {
      showMessage("the chart library (assets/uPlot.iife.min.js) did not load");
      return;
    }
    for (const [key, def] of Object.entries(CHARTS)) {
      const el = $("chart-" + key);
      const opts = {
        title: def.title,
        width: chartWidth(el),
        height: 220,
        series: [{}].concat(def.series.map((s) => ({ label: s.label, stroke: s.stroke, width: 1.5,
          spanGaps: false }))),
        axes: [{}, { size: 60 }],
        scales: { x: { time: true } },
      };
      const data = [[]].concat(def.series.map(() => []));
      charts[key] = new uPlot(opts, data, el);
    }
  }

  function resizeCharts() {
    for (const [key, u] of Object.entries(charts)) {
      const el = $("chart-" + key);
      if (el.clientWidth > 0) u.setSize({ width: chartWidth(el), height: 220 });
    }
  }

  function pointValue(p, s) {
    const v = p[s.key];
    if (v === null || v === undefined) return null;
    return s.scale ? v * s.scale : v;
  }

  function applyHistory(h) {
    for (const [key, u] of Object.entries(charts)) {
      const def = CHARTS[key];
      const data = h.replace ? [[]].concat(def.series.map(() => [])) : u.data.map((a) => a.slice());
      for (const p of h.points) {
        data[0].push(p.t);
        def.series.forEach((s, i) => data[i + 1].push(pointValue(p, s)));
      }
      if (h.replace || h.points.length) u.setData(data);
    }
  }

  // ---- polling ----

  let pollTimer = null;
  let polling = false;

  async function pollStats() {
    const s = await getJson("stats/requests");
    renderSummary(s);
    renderStats(s.stats || []);
    renderFailures(s.errors || []);
    renderWorkers(s.workers);
  }

  async function pollHistory() {
    const h = await getJson("stats/history?since=" + ui.historyNext);
    ui.historyNext = h.next;
    applyHistory(h);
  }

  async function pollInfo() {
    renderInfo(await getJson("stats/loadgen"));
  }

  async function poll() {
    if (polling) return;
    polling = true;
    clearTimeout(pollTimer);
    try {
      await Promise.all([pollStats(), pollHistory(), pollInfo()]);
      if (ui.pollError) showMessage("");
      ui.pollError = false;
    } catch (e) {
      ui.pollError = true;
      showMessage("lost contact with loadgen: " + e.message);
    } finally {
      polling = false;
      pollTimer = setTimeout(poll, POLL_MS);
    }
  }

  async function pollSlow() {
    try {
      renderExceptions((await getJson("exceptions")).exceptions || []);
    } catch (e) { /* the main poll says when the server is gone */ }
    try {
      const t = await getJson("stats/slow_traces");
      ui.linkTemplate = t.link_template || "";
      ui.traces = new Map((t.traces || []).map((x) => [rowKey(x), x]));
      for (const tr of ui.rows.values()) fillTrace(tr.cells[COLUMNS.length], ui.traces.get(rowKey(tr.row)));
    } catch (e) { /* 404: this loadgen keeps no slow traces */ }
    setTimeout(pollSlow, SLOW_POLL_MS);
  }

  // ---- start ----

  function init() {
    for (const b of document.querySelectorAll("button[data-tab]")) {
      b.addEventListener("click", () => showTab(b.dataset.tab));
    }
    for (const th of document.querySelectorAll("#stats-table thead th")) {
      th.addEventListener("click", () => onSort(th));
    }
    for (const id of ["start-form", "edit-form"]) {
      $(id).addEventListener("submit", (ev) => {
        ev.preventDefault();
        postSwarm(ev.target);
      });
    }
    $("stop-button").addEventListener("click", () => control("stop"));
    $("reset-button").addEventListener("click", () => control("stats/reset"));
    window.addEventListener("resize", resizeCharts);
    makeCharts();
    const tab = location.hash.slice(1); // e.g. #charts opens that tab
    if (document.querySelector('button[data-tab="' + CSS.escape(tab) + '"]')) showTab(tab);
    poll();
    pollSlow();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
