// With --trace-link and traces exported, a row of #stats-table links to a recent slow trace of
// its request name: a.trace-link's href is the template filled with a trace id that
// stats/slow_traces names for that row.
import { assert } from './lib.mjs';

export default async function (s) {
  const template = s.config.trace_link;
  const t = await s.newTab();
  await t.goto('');
  await t.untilState('ready');
  await t.startRun({ users: 2, spawnRate: 100, host: s.config.shop_url });
  await t.untilState('running');
  const links = await s.until(async () => {
    const l = await t.page.$$eval('#stats-table tbody tr[data-name] a.trace-link',
      (as) => as.map((a) => ({ name: a.closest('tr').dataset.name, href: a.getAttribute('href') })));
    return l.length >= 2 && l;
  }, '2 rows with a.trace-link');
  const [prefix, suffix] = template.split('{trace_id}');
  const slow = await s.api('stats/slow_traces');
  assert.equal(slow.link_template, template);
  const known = new Set(slow.traces.map((x) => `${x.name} ${x.trace_id}`));
  let matched = 0;
  for (const { name, href } of links) {
    assert.ok(href.startsWith(prefix) && href.endsWith(suffix), `trace link ${href}`);
    const id = href.slice(prefix.length, href.length - suffix.length);
    assert.match(id, /^[0-9a-f]{32}$/, `trace id in ${href}`);
    if (known.has(`${name} ${id}`)) matched++;
  }
  // The page polls every 2 s and a newer slow request may have replaced a row's trace since.
  assert.ok(matched > 0, `no link of ${JSON.stringify(links)} in ${JSON.stringify(slow)}`);
  await t.screenshot('trace-links');
  await t.page.click('#stop-button');
  await t.untilState('stopped');
  return { links: links.length };
}
