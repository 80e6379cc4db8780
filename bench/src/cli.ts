/**
 * `pnpm bench [driver|offload|profile] [options]`: picks the benchmark. No
 * word (or options only) runs the driver benchmark, as before the offload one
 * existed; `profile <file.cpuprofile>` summarises a saved CPU profile (cut
 * to the timed work when its `.window.json` is next to it).
 */
import { readFile } from 'node:fs/promises';
import { driverBench } from './main.js';
import { offloadBench } from './offload/main.js';
import { formatProfileSummary, summariseProfile } from './offload/profile-summary.js';

const [command, ...rest] = process.argv.slice(2);
switch (command) {
  case 'offload':
    await offloadBench(rest);
    break;
  case 'driver':
    await driverBench(rest);
    break;
  case 'profile':
    if (rest.length !== 1 || !rest[0]) {
      console.error('Usage: pnpm bench profile <file.cpuprofile>');
      process.exitCode = 2;
    } else {
      // The offload benchmark saves the timed-work window next to each profile it takes.
      const window = await readFile(`${rest[0]}.window.json`, 'utf8').then(
        (text) => JSON.parse(text) as { start: number; end: number },
        () => undefined,
      );
      console.log(formatProfileSummary(await summariseProfile(rest[0], window)));
    }
    break;
  default:
    await driverBench(command === undefined ? [] : [command, ...rest]);
}
