// Peer of snapshot_polling: the official TypeScript SDK (@pieces.app/pieces-os-client) on node, P async
// loops each calling allocationsSnapshot() and counting the clouds, for N requests after the same warm-up.
// Prints one CSV row in snapshot_polling's --csv columns ("-" where node cannot tell).
// Usage: node sdk_poller.mjs URL P N
import sdk from '@pieces.app/pieces-os-client';
import { performance } from 'node:perf_hooks';

const [url, pollersArg, requestsArg] = process.argv.slice(2);
const pollers = Number(pollersArg);
const requests = Math.max(Number(requestsArg), pollers);
const api = new sdk.AllocationsApi(new sdk.Configuration({ basePath: url }));

async function poll(total, latencies) {
  let issued = 0, clouds = 0, errors = 0;
  const loop = async () => {
    while (issued < total) {
      ++issued;
      const t0 = performance.now();
      try {
        clouds += (await api.allocationsSnapshot()).iterable.length;  // touch the result
      } catch {
        ++errors;
      }
      if (latencies) latencies.push((performance.now() - t0) * 1000);
    }
  };
  await Promise.all(Array.from({ length: pollers }, loop));
  return { clouds, errors };
}

await poll(Math.max(2 * pollers, 500), null);  // warm-up: opens the connections, lets the JIT settle
const latencies = [];
const rssBefore = process.resourceUsage().maxRSS;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const { clouds, errors } = await poll(requests, latencies);
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const rss = process.resourceUsage().maxRSS;  // kB

latencies.sort((a, b) => a - b);
const pct = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
if (!latencies.length) { console.error("sdk_poller: no request completed"); process.exit(1); }
const row = ['sdk', pollers, '-', requests, (requests / seconds).toFixed(0), pct(0.5).toFixed(0), pct(0.9).toFixed(0),
  pct(0.99).toFixed(0), latencies[latencies.length - 1].toFixed(0),
  ((cpu.user + cpu.system) / requests).toFixed(2), '-', rss, ((rss - rssBefore) * 1024 / pollers).toFixed(0), '-'];
console.log(row.join(','));
if (errors || clouds === 0) {
  console.error(`sdk_poller: ${errors} failed requests at P=${pollers}`);
  process.exit(1);
}
