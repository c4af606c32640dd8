// (c) Stop a run with #stop-button, then download stats/requests/csv through a#dl-requests-csv
// (a real browser download) and compare its rows with /stats/requests: the same names and the
// same request and failure counts once stopped; the table shows the final counts too.
import fs from 'node:fs';

import { assert, assertStateOrder, parseCsv } from './lib.mjs';

export default async function (s) {
  const t = await s.newTab();
  await t.goto('');
  await t.untilState('ready');
  await t.startRun({ users: 3, spawnRate: 100, host: s.config.shop_url });
  await t.untilState('running');
  await s.until(async () => (await t.tableNames()).length >= 3, '3 rows in #stats-table');
  await s.until(async () => aggregated(await s.api('stats/requests')).num_requests >= 30,
    '30 requests');

  await t.page.click('#stop-button');
  await t.untilState('stopped');
  assert.equal((await s.api('stats/requests')).state, 'stopped');
  assert.ok(await t.visible('#start-form'), '#start-form shown again once stopped');
  assertStateOrder(await t.states(), { mustSee: ['running', 'stopped'] });
  // The counts of the API, the table and the CSV agree once stopped. (The state and the stats
  // are published one after the other, so a read is compared with one taken after it.)
  const counts = (stats) => Object.fromEntries(stats.stats.map((r) => [r.name,
    [r.method ?? '', r.num_requests, r.num_failures]]));
  const final = await s.until(async () => {
    const a = await s.api('stats/requests');
    const col = await t.tableColumn('num_requests');
    const shown = Object.fromEntries(Object.entries(col || {}).map(
      ([n, v]) => [n, Number(v.replace(/[^0-9]/g, ''))]));
    const want = Object.fromEntries(a.stats.filter((r) => r.name !== 'Aggregated')
      .map((r) => [r.name, r.num_requests]));
    assert.deepEqual(shown, want, '#stats-table # reqs');
    const b = await s.api('stats/requests');
    assert.deepEqual(counts(b), counts(a), '/stats/requests once stopped');
    return b;
  }, '#stats-table # reqs equal to /stats/requests');

  await t.showTab('downloads');
  for (const id of ['dl-requests-csv', 'dl-history-csv', 'dl-failures-csv',
    'dl-exceptions-csv']) {
    const href = await t.page.$eval(`a#${id}`, (a) => a.getAttribute('href'));
    assert.ok(!/^(\/|[a-z]+:)/i.test(href), `a#${id} href ${href} is relative`);
  }
  await t.screenshot('downloads');
  const dl = await t.download('a#dl-requests-csv', 'requests.csv');
  const rows = parseCsv(fs.readFileSync(dl.path, 'utf8')).filter((r) => r.length > 1);
  const header = rows.shift();
  const col = (n) => header.indexOf(n);
  assert.deepEqual(header.slice(0, 4), ['Type', 'Name', 'Request Count', 'Failure Count']);
  const csv = Object.fromEntries(rows.map((r) => [r[col('Name')],
    [r[col('Type')], Number(r[col('Request Count')]), Number(r[col('Failure Count')])]]));
  // The Aggregated row: Type empty in the CSV, method null in the JSON (as Locust's).
  assert.deepEqual(csv, counts(final), 'the CSV rows (type, request and failure counts)');
  assert.equal(rows[rows.length - 1][col('Name')], 'Aggregated', 'Aggregated row last');
  // Stopped means frozen: the API still answers the same counts.
  assert.deepEqual(counts(await s.api('stats/requests')), counts(final));
  return { csv: dl.path, names: rows.length, requests: aggregated(final).num_requests };
}

function aggregated(stats) {
  return stats.stats.find((r) => r.name === 'Aggregated') || { num_requests: 0 };
}
