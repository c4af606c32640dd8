// (b) Change the user count of a running run from #edit-form: shopsim sees one new session per
// new user (every user's requests carry its own session.id in baggage), and /stats/requests
// and #user-count follow, up and down.
import { assert, assertStateOrder } from './lib.mjs';

export default async function (s) {
  const t = await s.newTab();
  await t.goto('');
  await t.untilState('ready');
  await t.startRun({ users: 2, spawnRate: 100, host: s.config.shop_url });
  await t.untilState('running');
  await s.until(async () => (await s.shopStats()).sessions === 2, 'shopsim: 2 sessions');
  await t.untilText('#user-count', (v) => v === '2', '#user-count 2');

  await t.editRun({ users: 5, spawnRate: 100 });
  await s.until(async () => (await s.shopStats()).sessions === 5, 'shopsim: 5 sessions');
  await s.until(async () => (await s.api('stats/requests')).user_count === 5,
    '/stats/requests user_count 5');
  await t.untilText('#user-count', (v) => v === '5', '#user-count 5');
  await t.untilState('running');
  await t.screenshot('five-users');

  await t.editRun({ users: 1, spawnRate: 100 });
  await s.until(async () => (await s.api('stats/requests')).user_count === 1,
    '/stats/requests user_count 1');
  await t.untilText('#user-count', (v) => v === '1', '#user-count 1');
  // The one user left keeps sending; no user was started for the decrease.
  const before = (await s.shopStats()).requests_total;
  await s.until(async () => (await s.shopStats()).requests_total > before, 'requests continue');
  assert.equal((await s.shopStats()).sessions, 5);
  assert.match(await t.text('#control'), /UI/);
  assert.equal(await t.text('#message'), '');
  assertStateOrder(await t.states(), { mustSee: ['running'], oneStart: false });
  return { states: await t.states() };
}
