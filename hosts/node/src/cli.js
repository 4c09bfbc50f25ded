// `openai-ft-node`: the native `openai-ft`'s protocol (host/src/main.rs) on Node, so Terraform's
// `openai_ft_path` can point here. One JSON object of strings in (stdin, or OPENAI_FT_INPUT), one
// on stdout; an error is one `openai-ft: ...` line on stderr and exit status 1; usage, status 2.

import { readFileSync, readSync } from 'node:fs';

import { OpenAiFtError, describe, run } from './index.js';
import { HostError, MAX_INPUT_BYTES, debugQuote, parseInput } from './protocol.js';

/** How long stdin may stay empty but open (a non-blocking pipe) before the read gives up. */
const STDIN_WAIT_MS = 120_000;

const VERSION = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

const USAGE = `\
usage: openai-ft-node <noun> <verb>   run a command (input: a JSON object of strings on stdin,
                                     or in OPENAI_FT_INPUT; output: a JSON object on stdout)
       openai-ft-node <noun> --help   list a noun's commands and their inputs
       openai-ft-node --help | --version

environment: the variables openai-ft reads, with the same defaults and rules (HOST.md,
"configuration"): OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_FT_INPUT, ...
`;

/** Runs the command line `args`; resolves to the exit status. */
export async function main(args) {
  try {
    return await dispatch(args);
  } catch (e) {
    if (e instanceof OpenAiFtError || e instanceof HostError) {
      process.stderr.write(`openai-ft: ${e.message.replace(/[\r\n]/g, ' ')}\n`);
      return 1;
    }
    throw e;
  }
}

async function dispatch(args) {
  const [noun, verb] = args;
  if (args.length === 0) {
    process.stderr.write(USAGE);
    return 2;
  }
  if (args.length === 1 && ['-h', '--help', 'help'].includes(noun)) {
    process.stdout.write(`${USAGE}\ncommands:\n${await commandList(null)}`);
    return 0;
  }
  if (args.length === 1 && ['-V', '--version'].includes(noun)) {
    process.stdout.write(`openai-ft-node ${VERSION} (wit openai:fine-tuning@0.3.0, node ${process.versions.node})\n`);
    return 0;
  }
  if (args.length === 2 && ['-h', '--help'].includes(verb)) {
    const list = await commandList(noun);
    if (list === '') {
      throw new HostError(`unknown noun ${debugQuote(noun)}; run openai-ft --help for the commands`);
    }
    process.stdout.write(list);
    return 0;
  }
  if (args.length === 2 && !noun.startsWith('-') && !verb.startsWith('-')) {
    const input = readInput();
    const output = await run(`${noun} ${verb}`, input);
    process.stdout.write(`${render(input, output)}\n`);
    return 0;
  }
  process.stderr.write(USAGE);
  throw new HostError(`unexpected arguments ${debugQuote(args.join(' '))}; see the usage above`);
}

// With `"output": "summary"` (what the modules' local-exec asks for) the guest answers with the
// one line for a person, printed as text, as the native host does; otherwise the JSON object.
function render(input, output) {
  const summary = input.some(([k, v]) => k === 'output' && v === 'summary');
  const keys = Object.keys(output);
  if (summary && keys.length === 1 && keys[0] === 'summary') return output.summary;
  return renderObject(output);
}

function renderObject(output) {
  return `{${Object.entries(output)
    .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`)
    .join(',')}}`;
}

function readInput() {
  const fromEnv = process.env.OPENAI_FT_INPUT;
  if (fromEnv !== undefined) return parseInput(Buffer.from(fromEnv, 'utf8'), 'OPENAI_FT_INPUT');
  if (process.stdin.isTTY) {
    throw new HostError('no input: pipe a JSON object of strings on stdin or set OPENAI_FT_INPUT');
  }
  // One byte past the cap is enough to know it was passed.
  const buf = Buffer.alloc(MAX_INPUT_BYTES + 1);
  let filled = 0;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + STDIN_WAIT_MS;
  try {
    for (;;) {
      let n;
      try {
        n = readSync(0, buf, filled, buf.length - filled, null);
      } catch (e) {
        // A non-blocking pipe with nothing in it yet: wait a little, for a bounded time.
        if (e.code === 'EAGAIN' && Date.now() < deadline) {
          Atomics.wait(pause, 0, 0, 5);
          continue;
        }
        if (e.code === 'EOF') break;
        throw e;
      }
      if (n === 0) break;
      filled += n;
      if (filled === buf.length) break;
    }
  } catch (e) {
    throw new HostError(`reading stdin: ${e.message}`);
  }
  return parseInput(buf.subarray(0, filled), 'stdin');
}

/** The commands (of one noun, or all), one per line with their inputs, as native lists them. */
async function commandList(noun) {
  let out = '';
  for (const c of await describe()) {
    if (noun !== null && c.name.split(' ')[0] !== noun) continue;
    out += `  ${c.name.padEnd(22)} ${c.summary}\n  ${''.padEnd(22)} inputs: ${c.inputs.join(', ')}\n`;
  }
  return out;
}
