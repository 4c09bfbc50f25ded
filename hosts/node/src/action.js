// The GitHub Action's entry (action.yml): one command, inputs from `with:` (INPUT_* variables),
// each output key written to $GITHUB_OUTPUT, progress to the log, an error as an ::error:: line
// and exit status 1. Keys are read from the step's environment by the host, as for the bin.

import { randomUUID } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { run } from './index.js';

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

/** Runs the action with `env` (the process environment); resolves to the exit status. */
export async function main(env = process.env, log = (line) => process.stdout.write(`${line}\n`)) {
  try {
    const command = actionInput(env, 'command').trim();
    if (!/^[a-z]+ [a-z]+$/.test(command)) {
      throw new Error(`invalid command ${JSON.stringify(command)}: give \`<noun> <verb>\`, for example "job read"`);
    }
    let input;
    try {
      input = JSON.parse(actionInput(env, 'input') || '{}');
    } catch (e) {
      throw new Error(`invalid input: ${e.message}; give one JSON object of strings`);
    }
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      throw new Error('invalid input: give one JSON object of strings');
    }
    for (const key of declaredInputs()) {
      const value = actionInput(env, key);
      // The runner passes every declared input, empty when the workflow did not set it.
      if (value !== '') input[key] = value;
    }
    const outputFile = env.GITHUB_OUTPUT;
    if (!outputFile) throw new Error('GITHUB_OUTPUT is not set: run this as a GitHub Actions step');
    const output = await run(command, input, { env, onProgress: log });
    let text = '';
    for (const [key, value] of Object.entries(output)) {
      const delimiter = `ghadelimiter_${randomUUID()}`;
      text += `${key}<<${delimiter}\n${value}\n${delimiter}\n`;
    }
    appendFileSync(outputFile, text);
    log(`openai-ft: ${command}: ${Object.keys(output).length} outputs`);
    return 0;
  } catch (e) {
    log(`::error::${escapeData(e.message)}`);
    return 1;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = await main();
}
