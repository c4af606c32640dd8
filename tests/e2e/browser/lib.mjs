// What the browser scenarios share: a Session (one Chromium, the run's config, screenshots)
// and Tabs (a page in a fresh context that records every console error, uncaught exception,
// failed request and 4xx/5xx response, plus every URL it requested, and the values #state took).
// Every wait polls a condition with a deadline; nothing sleeps a fixed time and then counts.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const POLL_MS = 100;

export class Session {
  constructor(browser, config, name) {
    this.browser = browser;
    this.config = config;
    this.name = name;
    this.tabs = [];
    this.screenshots = [];
    // Generous for the ASan build (loadgen several times slower), still bounded.
    this.waitMs = (config.wait_s || 45) * 1000;
  }

  // A page in a new browser context. credentials: "user:pass" for HTTP basic auth.
  // expectErrors: the tab is meant to see failures (a 401), so they are not counted.
  async newTab({ credentials = null, expectErrors = false } = {}) {
    const options = { acceptDownloads: true, viewport: { width: 1400, height: 1000 } };
    if (credentials) {
      const [username, password] = splitAuth(credentials);
      options.httpCredentials = { username, password };
    }
    const context = await this.browser.newContext(options);
    await context.addInitScript(recordStates);
    const page = await context.newPage();
    page.setDefaultTimeout(this.waitMs);
    const tab = new Tab(this, context, page, expectErrors);
    this.tabs.push(tab);
    return tab;
  }

  // GET <config.url><rel> from Node (not the page), decoded as JSON when asked.
  async api(rel, { auth = this.config.auth, json = true } = {}) {
    const headers = {};
    if (auth) headers.Authorization = 'Basic ' + Buffer.from(auth).toString('base64');
    const response = await fetch(new URL(rel, this.config.url),
      { headers, signal: AbortSignal.timeout(this.waitMs) });
    if (!json) return response;
    assert.equal(response.status, 200, `GET ${rel}: ${response.status}`);
    return response.json();
  }

  async shopStats() {
    const response = await fetch(new URL('/__stats', this.config.shop_url),
      { signal: AbortSignal.timeout(this.waitMs) });
    assert.equal(response.status, 200, 'shopsim /__stats');
    return response.json();
  }

  // Polls fn() (sync or async) until it returns a truthy value, which it returns; throws
  // after timeoutMs naming `what` and the last value seen.
  async until(fn, what, timeoutMs = this.waitMs) {
    const deadline = Date.now() + timeoutMs;
    let last;
    for (;;) {
      try {
        last = await fn();
        if (last) return last;
      } catch (err) {
        last = `threw: ${err.message}`;
      }
      if (Date.now() >= deadline) {
        throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}; ` +
          `last: ${JSON.stringify(last)}`);
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  artifact(file) {
    fs.mkdirSync(this.config.artifacts, { recursive: true });
    return path.join(this.config.artifacts, `${this.name}-${file}`);
  }

  assertNoPageErrors() {
    for (const tab of this.tabs) {
      if (tab.expectErrors) continue;
      assert.deepEqual(tab.errors, [], `errors on ${tab.label()}`);
    }
  }

  async failureScreenshots() {
    for (const [i, tab] of this.tabs.entries()) {
      if (!tab.page.isClosed()) await tab.screenshot(`failure-${i}`).catch(() => {});
    }
  }

  describeErrors() {
    return this.tabs.map((t) => `${t.label()}: errors ${JSON.stringify(t.errors)}; ` +
      `#state values ${JSON.stringify(t.lastStates)}`).join('\n');
  }
}

// Runs in every page before its scripts: records each distinct value #state shows, in order.
function recordStates() {
  window.__e2eStates = [];
  const record = () => {
    const el = document.getElementById('state');
    if (!el) return;
    const text = el.textContent.trim();
    const seen = window.__e2eStates;
    if (text && seen[seen.length - 1] !== text) seen.push(text);
  };
  new MutationObserver(record).observe(document, {
    subtree: true, childList: true, characterData: true,
  });
}

function isFaviconProbe(url) {
  try {
    return new URL(url).pathname === '/favicon.ico';
  } catch {
    return false;
  }
}

function splitAuth(credentials) {
  const i = credentials.indexOf(':');
  return [credentials.slice(0, i), credentials.slice(i + 1)];
}

export class Tab {
  constructor(session, context, page, expectErrors) {
    this.s = session;
    this.context = context;
    this.page = page;
    this.expectErrors = expectErrors;
    this.errors = [];
    this.requests = [];
    this.downloads = new Set();
    // [status, path suffix] pairs the page is meant to get. docs/web-ui.md: a build without
    // stats/slow_traces answers 404 there and the page does without trace links.
    this.expected = [[404, '/stats/slow_traces']];
    this.lastStates = [];
    this.recording = true;
    const note = (what) => { if (this.recording) this.errors.push(what); };
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      const where = m.location().url || '';
      // Chromium's own probe of /favicon.ico (at the origin's root, whatever the page's path)
      // is not a request of the page: its 404 is logged but is nothing the page did.
      if (isFaviconProbe(where)) return;
      const status = /status of (\d+)/.exec(m.text());
      if (status && this.allowed(where, Number(status[1]))) return;
      note(`console: ${m.text()} (${where})`);
    });
    page.on('pageerror', (e) => note(`uncaught: ${e.message}`));
    page.on('request', (r) => { if (this.recording) this.requests.push(r.url()); });
    page.on('requestfailed', (r) => {
      // A link answered as an attachment ends as an aborted navigation: not an error.
      if (this.downloads.has(r.url())) return;
      note(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`);
    });
    page.on('response', (r) => {
      if (r.status() < 400) return;
      if (this.allowed(r.url(), r.status())) return;
      note(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
    });
  }

  // An error status the test provokes on purpose (e.g. a refused POST swarm).
  expectStatus(status, pathSuffix) {
    this.expected.push([status, pathSuffix]);
  }

  allowed(url, status) {
    let path;
    try {
      path = new URL(url).pathname;
    } catch {
      return false;
    }
    return this.expected.some(([st, suffix]) => st === status && path.endsWith(suffix));
  }

  label() {
    return this.page.isClosed() ? 'closed tab' : this.page.url();
  }

  // Navigates to config.url + rel (relative, as the page's own links are).
  async goto(rel = '') {
    return this.page.goto(new URL(rel, this.s.config.url).href, { waitUntil: 'load' });
  }

  async text(selector) {
    const el = await this.page.$(selector);
    return el ? (await el.textContent()).trim() : null;
  }

  async visible(selector) {
    return this.page.isVisible(selector);
  }

  async states() {
    this.lastStates = await this.page.evaluate(() => window.__e2eStates.slice());
    return this.lastStates;
  }

  // Waits until #state reads one of `wanted`; returns it.
  async untilState(...wanted) {
    return this.s.until(async () => {
      const t = await this.text('#state');
      return wanted.includes(t) && t;
    }, `#state in ${JSON.stringify(wanted)} (${JSON.stringify(await this.states())} so far)`);
  }

  // Waits until the text of `selector` satisfies predicate (also when it is empty); returns it.
  async untilText(selector, predicate, what) {
    const found = await this.s.until(async () => {
      const t = await this.text(selector);
      return t !== null && predicate(t) ? { t } : null;
    }, what || selector);
    return found.t;
  }

  // Fills form#start-form and submits it with #start-button. The run stops by itself after
  // runTime even if nothing stops it (every test ends well before).
  async startRun({ users, spawnRate, host, runTime = '180s' }) {
    assert.ok(await this.visible('#start-form'), '#start-form visible before a run');
    const f = '#start-form';
    await this.page.fill(`${f} [name=user_count]`, String(users));
    await this.page.fill(`${f} [name=spawn_rate]`, String(spawnRate));
    if (host !== undefined) await this.page.fill(`${f} [name=host]`, host);
    if (await this.page.$(`${f} [name=run_time]`)) {
      await this.page.fill(`${f} [name=run_time]`, runTime);
    }
    await this.page.click('#start-button');
  }

  async editRun({ users, spawnRate }) {
    assert.ok(await this.visible('#edit-form'), '#edit-form visible while running');
    await this.page.fill('#edit-form [name=user_count]', String(users));
    await this.page.fill('#edit-form [name=spawn_rate]', String(spawnRate));
    await this.page.click('#edit-button');
  }

  async showTab(key) {
    await this.page.click(`button[data-tab="${key}"]`);
    await this.s.until(() => this.page.$eval(`#tab-${key}`,
      (el) => el.classList.contains('active') && getComputedStyle(el).display !== 'none'),
    `#tab-${key} shown`);
  }

  // Request names of table#stats-table's body rows, in display order.
  async tableNames() {
    return this.page.$$eval('#stats-table tbody tr[data-name]',
      (rows) => rows.map((r) => r.dataset.name));
  }

  // {name: text of the cell under th[data-sort=key]} for the body rows.
  async tableColumn(key) {
    return this.page.evaluate((k) => {
      const ths = [...document.querySelectorAll('#stats-table thead th')];
      const i = ths.findIndex((th) => th.dataset.sort === k);
      if (i < 0) return null;
      const out = {};
      for (const tr of document.querySelectorAll('#stats-table tbody tr[data-name]')) {
        out[tr.dataset.name] = tr.cells[i] ? tr.cells[i].textContent.trim() : null;
      }
      return out;
    }, key);
  }

  // {key: {points, series: [[...], ...]}} of window.loadgenCharts (uPlot instances).
  async charts() {
    return this.page.evaluate(() => {
      const charts = window.loadgenCharts;
      if (!charts) return null;
      const out = {};
      for (const [key, chart] of Object.entries(charts)) {
        const data = chart && chart.data ? chart.data : [];
        out[key] = { points: data[0] ? data[0].length : 0, series: data.slice(1).map((s) => [...s]) };
      }
      return out;
    });
  }

  // Clicks `selector` (a link to a download) and saves the file as an artifact.
  async download(selector, file) {
    const href = await this.page.$eval(selector, (a) => a.href);
    this.downloads.add(href);
    const [dl] = await Promise.all([
      this.page.waitForEvent('download', { timeout: this.s.waitMs }),
      this.page.click(selector),
    ]);
    const target = this.s.artifact(file);
    await dl.saveAs(target);
    assert.equal(await dl.failure(), null, `download of ${selector}`);
    console.error(`e2e: downloaded ${dl.url()} to ${target}`);
    return { path: target, suggested: dl.suggestedFilename(), url: dl.url() };
  }

  async screenshot(label) {
    const file = this.s.artifact(`${label}.png`);
    await this.page.screenshot({ path: file, fullPage: true });
    this.s.screenshots.push(file);
    console.error(`e2e: screenshot ${file}`);
    return file;
  }

  // Stops recording (before the server goes away on purpose) and closes the tab.
  async close() {
    this.recording = false;
    await this.states().catch(() => {});
    await this.context.close();
  }
}

// RFC 4180 CSV (quoted fields, doubled quotes) into rows of strings.
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field); rows.push(row); row = []; field = '';
    } else field += c;
  }
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  return rows;
}

// Checks the order of #state values the page showed: only Locust's states, and once it left
// ready, it went through spawning/running before stopping/stopped (and, for one start without
// resizes, spawning before running).
export function assertStateOrder(states, { mustSee = [], oneStart = true } = {}) {
  const rank = { ready: 0, spawning: 1, running: 2, stopping: 3, stopped: 4 };
  for (const s of states) assert.ok(s in rank, `#state showed ${JSON.stringify(s)}: ${states}`);
  for (const s of mustSee) assert.ok(states.includes(s), `#state never showed ${s}: ${states}`);
  const firstUp = states.findIndex((s) => s === 'spawning' || s === 'running');
  const firstDown = states.findIndex((s) => s === 'stopping' || s === 'stopped');
  if (firstDown >= 0 && firstUp >= 0) {
    assert.ok(firstUp < firstDown, `#state stopped before it ran: ${states}`);
  }
  const firstRunning = states.indexOf('running');
  const firstSpawning = states.indexOf('spawning');
  if (oneStart && firstSpawning >= 0 && firstRunning >= 0) {
    assert.ok(firstSpawning < firstRunning, `#state running before spawning: ${states}`);
  }
}

export { assert };
