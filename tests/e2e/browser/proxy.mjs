// (d) The page behind nginx under /loadgen/ (config.url ends in /loadgen/): a run starts from
// the form, the table fills, the charts draw and the run stops, and every request the page
// made stayed under /loadgen/ on the proxy's origin (all the page's URLs are relative).
import { assert } from './lib.mjs';

export default async function (s) {
  const base = new URL(s.config.url);
  assert.ok(base.pathname.endsWith('/loadgen/'));
  const t = await s.newTab();
  const response = await t.goto('');
  assert.equal(response.status(), 200);
  await t.untilState('ready');
  await t.startRun({ users: 2, spawnRate: 100, host: s.config.shop_url });
  await t.untilState('running');
  const names = await s.until(async () => {
    const n = await t.tableNames();
    return n.length >= 2 && n;
  }, '2 rows in #stats-table');
  await t.showTab('charts');
  await s.until(async () => {
    const c = await t.charts();
    return c && c.requests.points > 0;
  }, 'the requests chart to draw');
  await t.screenshot('behind-nginx');
  await t.page.click('#stop-button');
  await t.untilState('stopped');

  const outside = t.requests.filter((u) => {
    const url = new URL(u);
    if (url.protocol === 'data:' || url.protocol === 'blob:') return false;
    return url.origin !== base.origin || !url.pathname.startsWith(base.pathname);
  });
  assert.deepEqual(outside, [], 'requests outside /loadgen/');
  const paths = [...new Set(t.requests.map((u) => new URL(u).pathname))].sort();
  for (const p of ['/loadgen/', '/loadgen/stats/requests', '/loadgen/swarm', '/loadgen/stop']) {
    assert.ok(paths.includes(p), `the page requested ${p} (${paths})`);
  }
  return { names: names.length, paths };
}
