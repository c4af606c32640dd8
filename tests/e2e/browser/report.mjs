// (g) The HTML report at stats/report after a run, opened in Chromium: no console errors,
// tables present, self-contained (it requests nothing but itself).
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
  return { tables: tables.length };
}
