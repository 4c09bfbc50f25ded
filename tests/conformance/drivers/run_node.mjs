// Runs one command through the Node package's API, with the component folder given (the runaway
// check's way in; the package's bin always runs its packaged component). Prints like the bin.
// Usage: node run_node.mjs <package-dir> <component-dir|-> <command> [input-json]
import { pathToFileURL } from 'node:url';

const [pkg, component, command, input = '{}'] = process.argv.slice(2);
const { run } = await import(pathToFileURL(`${pkg}/src/index.js`).href);
try {
  const out = await run(command, JSON.parse(input), component === '-' ? {} : { component });
  process.stdout.write(`${JSON.stringify(out)}\n`);
} catch (e) {
  process.stderr.write(`openai-ft: ${e.message}\n`);
  process.exitCode = 1;
}
