// (g) The HTML report at stats/report after a run: opened in Chromium without console errors,
// tables present, self-contained (it requests nothing but itself); the page links to it
// (a#open-report) and downloads it (a#dl-report).
import fs from 'node:fs';

import { assert } from './lib.mjs';

export default async function (s) {
  const r = await s.newTab();
  const response = await r.goto('stats/report');
  assert.equal(response.status(), 200);
  assert.match(response.headers()['content-type'] || '', /^text\/html/);
  const tables = await r.page.$$eval('table', (ts) => ts.map((t) => t.rows.length));
  assert.ok(tables.length > 0 && tables.some((n) => n > 1), `report tables: ${tables}`);
  const names = s.config.expected_names;
  const text = await r.page.textContent('body');
  assert.ok(names.some((n) => text.includes(n)), 'a request name in the report');
  await r.screenshot('report');
  const own = new URL('stats/report', s.config.url).href;
  const others = r.requests.filter((u) => u !== own && !/^(data|blob):/.test(u));
  assert.deepEqual(others, [], 'the report is self-contained');

  const t = await s.newTab();
  await t.goto('');
  await t.untilState('stopped');
  await t.showTab('downloads');
  const href = await t.page.$eval('a#open-report', (a) => a.getAttribute('href'));
  assert.equal(href.replace(/^\.\//, ''), 'stats/report');
  const dl = await t.download('a#dl-report', 'report.html');
  assert.match(fs.readFileSync(dl.path, 'utf8'), /<table/i);
  return { tables: tables.length, report: dl.path };
}
