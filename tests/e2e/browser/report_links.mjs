// (g) The page links to the HTML report (a#open-report opens stats/report) and downloads it
// (a#dl-report, stats/report?download=1) after a run.
import fs from 'node:fs';

import { assert } from './lib.mjs';

export default async function (s) {
  const t = await s.newTab();
  await t.goto('');
  await t.untilState('stopped');
  await t.showTab('downloads');
  const href = await t.page.$eval('a#open-report', (a) => a.getAttribute('href'));
  assert.equal(href.replace(/^\.\//, ''), 'stats/report');
  const dl = await t.download('a#dl-report', 'report.html');
  assert.match(fs.readFileSync(dl.path, 'utf8'), /<table/i);
  await t.page.click('a#open-report');
  await s.until(async () => {
    for (const p of t.context.pages()) {
      if (p.url().endsWith('/stats/report') && (await p.$$('table')).length > 0) return true;
    }
    return false;
  }, 'a#open-report to show the report');
  return { report: dl.path };
}
