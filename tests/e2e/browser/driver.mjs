// Runs one browser scenario (browser/<name>.mjs) in Debian's headless Chromium, driven by
// playwright-core (no browser download: executablePath is the system's /usr/bin/chromium).
//   node driver.mjs <name>      with E2E_CONFIG='{"url": ..., "artifacts": ..., "timeout_s": ...}'
// The scenario throws on a failed check; the driver prints one JSON line on stdout
// ({"ok": true, ...what the scenario returned, "screenshots": [...]}) and exits 0, or prints the
// failure on stderr, saves a screenshot of every open page and exits 1. A run longer than
// timeout_s exits 3: every wait inside is bounded as well, this is the last resort.
import { chromium } from 'playwright-core';

import { Session } from './lib.mjs';

const name = process.argv[2];
const config = JSON.parse(process.env.E2E_CONFIG || '{}');

const watchdog = setTimeout(() => {
  console.error(`e2e ${name}: still running after ${config.timeout_s} s; giving up`);
  process.exit(3);
}, (config.timeout_s || 120) * 1000);
watchdog.unref();

// The probe's flags (/work/.library/env/machines/cpp.md): without the background-networking
// ones Chromium's own connections are refused on a closed network. playwright's launch() gives
// the browser a fresh, empty --user-data-dir of its own and removes it on close.
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage'];

const browser = await chromium.launch({
  executablePath: config.chromium || '/usr/bin/chromium',
  headless: true,
  args: FLAGS,
  timeout: 60_000,
});
const session = new Session(browser, config, name);
let code = 0;
try {
  const scenario = (await import(`./${name}.mjs`)).default;
  const result = (await scenario(session)) || {};
  session.assertNoPageErrors();
  console.log(JSON.stringify({ ok: true, ...result, screenshots: session.screenshots }));
} catch (err) {
  code = 1;
  console.error(`e2e ${name} FAILED: ${err && err.stack ? err.stack : err}`);
  await session.failureScreenshots();
  console.error(session.describeErrors());
  console.log(JSON.stringify({ ok: false, error: String(err && err.message),
    screenshots: session.screenshots }));
} finally {
  await browser.close().catch(() => {});
}
process.exit(code);
