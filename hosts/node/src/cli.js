// `openai-ft-node`: the native `openai-ft`'s protocol (host/src/cli.rs) on Node, so Terraform's
// `openai_ft_path` can point here. The host logic reads the arguments and words every line; this
// file reads stdin and writes stdout and stderr.

import { OpenAiFtError, describe, execute, parse } from './index.js';
import { HostError, MissingBuild, PROGRAM, logic } from './logic.js';

/** How long stdin may stay open before the read gives up. */
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
  let step = logic().cli(PROGRAM, args, undefined);
  if (step.tag === 'describe') step = logic().cli(PROGRAM, args, await describe());
  if (step.tag === 'command') {
    const command = step.val.join(' ');
    process.stdout.write(`${(await execute(command, await readInput(command))).line}\n`);
    return 0;
  }
  process.stdout.write(step.val.stdout);
  process.stderr.write(step.val.stderr);
  return step.val.status;
}

/** The input: OPENAI_FT_INPUT when set, else stdin (never a terminal), read to one byte past the cap. */
async function readInput(command) {
  const fromEnv = process.env.OPENAI_FT_INPUT;
  if (fromEnv !== undefined) return parse(command, Buffer.from(fromEnv, 'utf8'), 'OPENAI_FT_INPUT');
  if (process.stdin.isTTY) throw new HostError(logic().message({ tag: 'no-input' }));
  const limit = logic().bounds().inputBytes + 1;
  const chunks = [];
  // Bounded in time, for a pipe that never ends.
  const timer = setTimeout(() => process.stdin.destroy(new Error(`no end of input in ${STDIN_WAIT_MS / 1000} s`)), STDIN_WAIT_MS);
  try {
    for await (const chunk of process.stdin) {
      chunks.push(chunk);
      if (chunks.reduce((n, c) => n + c.length, 0) >= limit) break;
    }
  } catch (e) {
    throw new HostError(logic().message({ tag: 'reading-stdin', val: e.message }));
  } finally {
    clearTimeout(timer);
  }
  return parse(command, Buffer.concat(chunks).subarray(0, limit), 'stdin');
}
