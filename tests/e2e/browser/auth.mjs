// (e) --web-auth user:pass: without credentials the page and the API answer 401 with a Basic
// challenge; with them (playwright's httpCredentials) the page loads, starts a run and fills.
import { assert } from './lib.mjs';

export default async function (s) {
  const anon = await s.newTab({ expectErrors: true });
  // Chromium answers a challenge it has no credentials for with a failed navigation
  // (net::ERR_INVALID_AUTH_CREDENTIALS); the response itself is the 401.
  const [denied, navigation] = await Promise.all([
    anon.page.waitForEvent('response', (r) => r.url() === s.config.url),
    anon.goto('').then(() => 'loaded', (err) => err.message),
  ]);
  assert.notEqual(navigation, 'loaded', 'the page loaded without credentials');
  assert.equal(denied.status(), 401, 'the page without credentials');
  assert.match(denied.headers()['www-authenticate'] || '', /^Basic /i);
  await anon.close();
  for (const rel of ['stats/requests', 'assets/app.js', 'stats/requests/csv']) {
    const r = await s.api(rel, { auth: null, json: false });
    assert.equal(r.status, 401, `GET ${rel} without credentials`);
  }
  const wrong = await s.api('stats/requests', { auth: 'user:wrong', json: false });
  assert.equal(wrong.status, 401, 'a wrong password');

  const t = await s.newTab({ credentials: s.config.auth });
  const ok = await t.goto('');
  assert.equal(ok.status(), 200, 'the page with credentials');
  await t.untilState('ready');
  await t.startRun({ users: 2, spawnRate: 100, host: s.config.shop_url });
  await t.untilState('running');
  await s.until(async () => (await t.tableNames()).length >= 2, '2 rows in #stats-table');
  await t.untilText('#user-count', (v) => v === '2', '#user-count 2');
  await t.screenshot('with-auth');
  await t.page.click('#stop-button');
  await t.untilState('stopped');
  return {};
}
