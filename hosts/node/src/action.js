// The GitHub Action's entry (action.yml): one command, inputs from `with:` (INPUT_* variables),
// each output key written to $GITHUB_OUTPUT, progress to the log, an error as an ::error:: line
// and exit status 1. Keys are read from the step's environment by the host, as for the bin.

import { randomUUID } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { parse, run } from './index.js';
import { HostError, PROGRAM, logic } from './logic.js';

/** The command input keys action.yml declares (besides `command` and `input`). */
export function declaredInputs() {
  const yml = readFileSync(new URL('../action.yml', import.meta.url), 'utf8');
  const body = yml.slice(yml.indexOf('\ninputs:\n'));
  return [...body.matchAll(/^ {2}([a-z_]+):$/gm)].map((m) => m[1]).filter((k) => k !== 'command' && k !== 'input');
}

/** The runner's encoding of `with:` values: INPUT_<NAME>, upper case, spaces as underscores. */
function actionInput(env, name) {
  return env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '';
}

/** Workflow-command data escaping, as @actions/core does it. */
function escapeData(s) {
  return s.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
}

/**
 * A line made inert for the runner (the host logic's rule): no server's words can be a workflow
 * command. Without a build there is no logic, and nothing has run that a server could word.
 */
function forLog(line) {
  try {
    return logic().shown(line, 'actions-log');
  } catch {
    return line;
  }
}

/** Runs the action with `env` (the process environment); resolves to the exit status. */
export async function main(env = process.env, write = (line) => process.stdout.write(`${line}\n`)) {
  const log = (line) => write(forLog(line));
  try {
    const l = logic();
    const command = actionInput(env, 'command').trim();
    if (l.cli(PROGRAM, command.split(' '), undefined).tag !== 'command') {
      throw new HostError(l.message({ tag: 'invalid-command', val: command }));
    }
    const given = parse(command, Buffer.from(actionInput(env, 'input') || '{}', 'utf8'), 'with.input');
    const input = Object.fromEntries(given.pairs);
    for (const key of declaredInputs()) {
      const value = actionInput(env, key);
      // The runner passes every declared input, empty when the workflow did not set it.
      if (value !== '') input[key] = value;
    }
    if (!env.GITHUB_OUTPUT) throw new HostError(l.message({ tag: 'no-github-output' }));
    const output = await run(command, input, { env, onProgress: log });
    let text = '';
    for (const [key, value] of Object.entries(output)) {
      const delimiter = `ghadelimiter_${randomUUID()}`;
      text += `${key}<<${delimiter}\n${value}\n${delimiter}\n`;
    }
    appendFileSync(env.GITHUB_OUTPUT, text);
    log(logic().message({ tag: 'action-done', val: [command, Object.keys(output).length] }));
    return 0;
  } catch (e) {
    write(`::error::${escapeData(forLog(e.message))}`);
    return 1;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = await main();
}
