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
  const final = await s.api('stats/requests');
  const byName = new Map(final.stats.map((r) => [r.name, r]));

  // The table shows the final counts (after its next poll).
  await s.until(async () => {
    const col = await t.tableColumn('num_requests');
    const shown = Object.fromEntries(Object.entries(col || {}).map(
      ([n, v]) => [n, Number(v.replace(/[^0-9]/g, ''))]));
    const want = Object.fromEntries(final.stats.filter((r) => r.name !== 'Aggregated')
      .map((r) => [r.name, r.num_requests]));
    assert.deepEqual(shown, want);
    return true;
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
  const csv = new Map(rows.map((r) => [r[col('Name')], r]));
  assert.deepEqual([...csv.keys()].sort(), [...byName.keys()].sort(), 'the CSV names');
  for (const [name, r] of csv) {
    const j = byName.get(name);
    assert.equal(Number(r[col('Request Count')]), j.num_requests, `${name} request count`);
    assert.equal(Number(r[col('Failure Count')]), j.num_failures, `${name} failure count`);
    if (name !== 'Aggregated') assert.equal(r[col('Type')], j.method, `${name} method`);
  }
  assert.equal(rows[rows.length - 1][col('Name')], 'Aggregated', 'Aggregated row last');
  // Stopped means frozen: the API still answers the same counts.
  const again = await s.api('stats/requests');
  assert.deepEqual(again.stats.map((r) => [r.name, r.num_requests]),
    final.stats.map((r) => [r.name, r.num_requests]));
  return { csv: dl.path, names: csv.size, requests: aggregated(final).num_requests };
}

function aggregated(stats) {
  return stats.stats.find((r) => r.name === 'Aggregated') || { num_requests: 0 };
}
