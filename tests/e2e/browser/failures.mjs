// A start with another host than -H is refused with a message in #message (loadgen cannot
// change its target); a run against a host that refuses connections (-H): every request fails,
// #fail-ratio reads 100%, the failures tab lists the errors of /stats/requests, and the
// downloaded failures CSV has one row per row of that table.
import fs from 'node:fs';

import { assert, parseCsv } from './lib.mjs';

export default async function (s) {
  const t = await s.newTab();
  await t.goto('');
  await t.untilState('ready');
  t.expectStatus(400, '/swarm');
  await t.startRun({ users: 2, spawnRate: 100, host: 'http://127.0.0.1:9' });
  await t.untilText('#message', (v) => v.includes('http://127.0.0.1:9'), '#message on a refused start');
  assert.equal(await t.text('#state'), 'ready');
  await t.startRun({ users: 2, spawnRate: 100, host: s.config.refused_url });
  await t.untilState('running');
  await t.untilText('#message', (v) => v === '', '#message cleared by a start');
  await t.untilText('#fail-ratio', (v) => v === '100%', '#fail-ratio 100%');
  await t.showTab('failures');
  await s.until(async () => (await t.page.$$('#failures-table tbody tr')).length >= 2,
    '2 rows in #failures-table');
  const text = await t.text('#failures-table tbody');
  assert.match(text, /connect/i, 'the failures name the refused connection');
  await t.screenshot('failures');
  await t.page.click('#stop-button');
  await t.untilState('stopped');
  const errors = await s.until(async () => {
    const api = (await s.api('stats/requests')).errors;
    const rows = (await t.page.$$('#failures-table tbody tr')).length;
    return rows === api.length && api;
  }, '#failures-table rows equal to /stats/requests errors');
  await t.showTab('downloads');
  const dl = await t.download('a#dl-failures-csv', 'failures.csv');
  const rows = parseCsv(fs.readFileSync(dl.path, 'utf8')).filter((r) => r.length > 1);
  assert.deepEqual(rows.shift(), ['Method', 'Name', 'Error', 'Occurrences']);
  assert.equal(rows.length, errors.length, 'failures CSV rows');
  const total = (list) => list.reduce((n, x) => n + x, 0);
  assert.equal(total(rows.map((r) => Number(r[3]))), total(errors.map((e) => e.occurrences)),
    'occurrences in the CSV and the API');
  return { errors: errors.length };
}
