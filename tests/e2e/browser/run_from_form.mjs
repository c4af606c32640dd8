// (a) Open /, start a run from #start-form against shopsim: #state goes spawning/running, the
// stats table fills with the scenario's request names, the figures at a glance follow, the
// columns sort, and every chart's uPlot data grows.
import { assert, assertStateOrder } from './lib.mjs';

const CHARTS = ['requests', 'response_times', 'users', 'spans', 'cpu'];

export default async function (s) {
  const { users } = s.config;
  const t = await s.newTab();
  const response = await t.goto('');
  assert.equal(response.status(), 200);
  assert.equal(await t.untilState('ready'), 'ready');
  assert.ok(!(await t.visible('#edit-form')), '#edit-form hidden while ready');
  assert.match(await t.text('#control'), /UI|loadGeneratorVUs/);

  await t.startRun({ users, spawnRate: 100, host: s.config.shop_url });
  await t.untilState('running');
  assertStateOrder(await t.states(), { mustSee: ['running'] });
  assert.ok(await t.visible('#edit-form'), '#edit-form shown while running');
  assert.ok(!(await t.visible('#start-form')), '#start-form hidden while running');

  // The table fills: one row per request name, all of them the scenario's, all known to
  // /stats/requests; the Aggregated row in the footer.
  const expected = new Set(s.config.expected_names);
  const names = await s.until(async () => {
    const n = await t.tableNames();
    return n.length >= 3 && n;
  }, '3 rows in #stats-table');
  for (const n of names) assert.ok(expected.has(n), `unexpected row ${n}`);
  assert.match(await t.text('#stats-table tfoot'), /Aggregated/);
  const api = await s.api('stats/requests');
  const apiNames = new Set(api.stats.map((r) => r.name));
  for (const n of names) assert.ok(apiNames.has(n), `row ${n} not in /stats/requests`);

  await t.untilText('#user-count', (v) => Number(v) === users, `#user-count ${users}`);
  await t.untilText('#total-rps', (v) => parseFloat(v) > 0, '#total-rps > 0');
  assert.match(await t.text('#fail-ratio'), /%/);
  assert.equal(await t.text('#message'), '');

  // Sorting by name: one click orders the rows, a second reverses them.
  await t.page.click('#stats-table thead th[data-sort="name"]');
  const once = await t.tableNames();
  assert.ok(sorted(once), `rows not sorted by name: ${once}`);
  await t.page.click('#stats-table thead th[data-sort="name"]');
  const twice = await t.tableNames();
  // (a name first seen between the clicks is left out of the comparison)
  assert.deepEqual(twice.filter((n) => once.includes(n)),
    once.filter((n) => twice.includes(n)).reverse(), 'a second click reverses the order');

  // Charts: every instance exists and its x values grow; requests/s and users are drawn.
  await t.showTab('charts');
  const first = await s.until(async () => {
    const c = await t.charts();
    return c && CHARTS.every((k) => c[k] && c[k].points > 0) && c;
  }, `window.loadgenCharts.{${CHARTS}}.data[0] non-empty`);
  const later = await s.until(async () => {
    const c = await t.charts();
    return CHARTS.every((k) => c[k].points > first[k].points) && c;
  }, 'every chart to gain points');
  assert.ok(later.requests.series.some((ys) => ys.some((y) => y > 0)), 'requests/s drawn');
  await s.until(async () => (await t.charts()).users.series.some((ys) => ys.includes(users)),
    `the users chart to reach ${users}`);
  for (const k of CHARTS) {
    const box = await t.page.$eval(`#chart-${k}`, (el) => el.getBoundingClientRect().height);
    assert.ok(box > 0, `#chart-${k} has a height`);
  }
  await t.screenshot('running-charts');
  await t.showTab('stats');
  await t.screenshot('running-stats');
  return { states: await t.states(), names, chart_points: later.requests.points };
}

function sorted(names) {
  const pairs = names.slice(1).map((n, i) => [names[i], n]);
  const asc = (cmp) => pairs.every(([a, b]) => cmp(a, b) <= 0);
  const desc = (cmp) => pairs.every(([a, b]) => cmp(a, b) >= 0);
  const plain = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
  const locale = (a, b) => a.localeCompare(b);
  return asc(plain) || desc(plain) || asc(locale) || desc(locale);
}
