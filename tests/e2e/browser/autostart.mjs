// (f) --autostart with -t and --autoquit: the driver's browser is up before loadgen starts
// (config.ready_file tells the Python side); the page, loaded as soon as the port answers,
// shows the run without a click. Recording stops before loadgen quits by itself.
import fs from 'node:fs';

import { assertStateOrder } from './lib.mjs';

export default async function (s) {
  const t = await s.newTab();
  fs.writeFileSync(s.config.ready_file, 'ready\n');
  await s.until(async () => {
    try {
      return (await t.goto('')).status() === 200;
    } catch {
      return false;  // not listening yet
    }
  }, 'the web port to answer');
  t.errors.length = 0;  // the refused loads before loadgen listened
  await t.untilState('running', 'stopping', 'stopped');
  const states = await t.states();
  assertStateOrder(states, { mustSee: ['running'] });
  await t.screenshot('autostart');
  await t.close();
  return { states };
}
