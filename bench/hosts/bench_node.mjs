// Times the Node package in one process: the load (import and compile) and `job read` calls
// after it. Prints one JSON object. Usage: node bench_node.mjs <package-dir> <job-id> <calls>
import { pathToFileURL } from 'node:url';

const [pkg, id, calls] = process.argv.slice(2);
const t0 = performance.now();
const api = await import(pathToFileURL(`${pkg}/src/index.js`).href);
api.load();
const load = performance.now() - t0;
const times = [];
for (let i = 0; i < Number(calls); i++) {
  const t = performance.now();
  await api.run('job read', { id }, { onProgress: () => {} });
  times.push(performance.now() - t);
}
process.stdout.write(`${JSON.stringify({ load_ms: load, call_ms: times })}\n`);
