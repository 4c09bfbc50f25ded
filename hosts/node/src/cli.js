// `openai-ft-node`: the native `openai-ft`'s protocol (host/src/cli.rs) on Node, so Terraform's
// `openai_ft_path` can point here. The host logic reads the arguments and words every line; this
// file reads stdin and writes stdout and stderr.

import { readSync } from 'node:fs';

import { OpenAiFtError, describe, execute, parse } from './index.js';
import { HostError, MissingBuild, PROGRAM, logic, refusal } from './logic.js';

/** How long stdin may stay empty but open (a non-blocking pipe) before the read gives up. */
const STDIN_WAIT_MS = 120_000;

/** Runs the command line `args`; resolves to the exit status. */
export async function main(args) {
  try {
    return await dispatch(args);
  } catch (e) {
    if (!(e instanceof OpenAiFtError || e instanceof HostError)) throw e;
    // Without a build the logic cannot word the line that says so: the one line written here.
    const line = e instanceof MissingBuild ? `openai-ft: ${e.message}` : logic().errorLine(e.message);
    process.stderr.write(`${line}\n`);
    return 1;
  }
}

async function dispatch(args) {
  const l = logic();
  const invocation = l.parseArgs(PROGRAM, args);
  switch (invocation.tag) {
    case 'usage':
      process.stderr.write(l.usage(PROGRAM));
      return 2;
    case 'help':
      process.stdout.write(l.help(PROGRAM, await describe()));
      return 0;
    case 'version':
      process.stdout.write(`${l.version(PROGRAM)}\n`);
      return 0;
    case 'noun-help': {
      const commands = await describe();
      process.stdout.write(refusal(() => l.nounHelp(invocation.val, commands)));
      return 0;
    }
    case 'command': {
      const command = invocation.val.join(' ');
      const finished = await execute(command, readInput(command));
      process.stdout.write(`${finished.line}\n`);
      return 0;
    }
    default:
      process.stderr.write(l.usage(PROGRAM));
      throw new HostError(invocation.val);
  }
}

/** The input: OPENAI_FT_INPUT when set, else stdin (never a terminal), read to one byte past the cap. */
function readInput(command) {
  const fromEnv = process.env.OPENAI_FT_INPUT;
  if (fromEnv !== undefined) return parse(command, Buffer.from(fromEnv, 'utf8'), 'OPENAI_FT_INPUT');
  if (process.stdin.isTTY) throw new HostError(logic().message({ tag: 'no-input' }));
  const buf = Buffer.alloc(logic().bounds().inputBytes + 1);
  let filled = 0;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + STDIN_WAIT_MS;
  try {
    while (filled < buf.length) {
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
    }
  } catch (e) {
    throw new HostError(logic().message({ tag: 'reading-stdin', val: e.message }));
  }
  return parse(command, buf.subarray(0, filled), 'stdin');
}
