// With --threshold, #thresholds-table under the stats table lists each threshold with its
// observed value and result as GET /stats/loadgen has them (a failing one in tr.fail); without
// thresholds the table stays hidden (the other scenarios).
import { assert } from './lib.mjs';

export default async function (s) {
  const t = await s.newTab();
  await t.goto('');
  await t.untilState('ready');
  assert.ok(await t.page.$eval('#thresholds-table', (el) => el.hidden === false),
    'the thresholds table shows when thresholds are configured');
  await t.startRun({ users: 2, spawnRate: 100, host: s.config.shop_url });
  await t.untilState('running');
  const rows = await s.until(async () => {
    const r = await t.page.$$eval('#thresholds-table tbody tr', (trs) => trs.map((tr) => ({
      cells: Array.from(tr.cells).map((c) => c.textContent),
      fail: tr.classList.contains('fail'),
    })));
    return r.length === 2 && r.every((x) => x.cells[1] !== 'no data') && r;
  }, '2 threshold rows with data');
  const info = await s.api('stats/loadgen');
  assert.deepEqual(rows.map((r) => r.cells[0]), info.thresholds.map((x) => x.expression));
  assert.deepEqual(rows.map((r) => r.cells[3]), ['--threshold', '--threshold']);
  assert.equal(rows[0].cells[2], 'pass');
  assert.ok(rows[0].cells[1].endsWith(' ms'), rows[0].cells[1]);
  assert.equal(rows[0].fail, false);
  assert.equal(rows[1].cells[2], 'FAIL');
  assert.equal(rows[1].fail, true);
  await t.screenshot('thresholds');
  await t.page.click('#stop-button');
  await t.untilState('stopped');
  return { rows: rows.length };
}
