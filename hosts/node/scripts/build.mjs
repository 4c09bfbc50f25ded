// Transpiles the portable components with jco: openai-ft's (`openai-ft component`) into
// dist/component/, and the host logic's (`openai-ft component host-logic`, HOST.md "The host
// logic") into dist/host-logic/: each one ES module taking its imports at instantiation (so the
// host decides every capability the guest gets; the host logic takes none) and the core wasm
// files. Usage: node scripts/build.mjs [--keep-existing] [--host-logic <wasm>] [component.wasm
// [out-dir]]; without paths it takes $OPENAI_FT_COMPONENT and $OPENAI_FT_HOST_LOGIC, else asks the
// repository's native host; with an out-dir only that component is transpiled there (the tests'
// test component). --keep-existing keeps a build already there unless $OPENAI_FT_COMPONENT is set.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { transpile } from '@bytecodealliance/jco-transpile';

const here = dirname(fileURLToPath(import.meta.url));

/** Transpiles `wasmPath` into `outDir` and writes the manifest the host reads. */
export async function transpileComponent(wasmPath, outDir) {
  const { files } = await transpile(wasmPath, {
    name: 'openai-ft',
    instantiation: 'sync',
    // Every import, WASI included, is supplied by the host at instantiation: nothing defaults
    // to jco's WASI shim (which would hand the guest process.env).
    wasiShim: false,
    // The API's types are generated from the WIT by the repository's own generator (wit.d.ts).
    emitTypescriptDeclarations: false,
    noComponentErrorWrapping: false,
    base64Cutoff: 0,
    // Halves the glue (444 to 214 KB) that every guest worker loads.
    minify: true,
  });
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const cores = [];
  for (const [name, bytes] of Object.entries(files)) {
    writeFileSync(join(outDir, name), bytes);
    if (name.endsWith('.wasm')) cores.push(name);
  }
  writeFileSync(
    join(outDir, 'component.json'),
    `${JSON.stringify({ js: 'openai-ft.js', cores: cores.sort() }, null, 2)}\n`,
  );
}

/** A component from the repository's native host (`openai-ft component ...args`), built by cargo. */
function componentFromRepo(...args) {
  const repo = resolve(here, '..', '..', '..');
  const dir = mkdtempSync(join(tmpdir(), 'openai-ft-component-'));
  const path = join(dir, 'component.wasm');
  const wasm = execFileSync(
    'cargo',
    ['run', '--quiet', '--package', 'openai-ft', '--', 'component', ...args],
    { cwd: repo, maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  writeFileSync(path, wasm);
  return path;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  // `--keep-existing` (npm pack's prepack): a build already in dist/ is what gets packed.
  const keep = args[0] === '--keep-existing' && args.shift();
  const hostLogic = args[0] === '--host-logic' ? args.splice(0, 2)[1] : process.env.OPENAI_FT_HOST_LOGIC;
  const dist = resolve(here, '..', 'dist');
  const out = args[1] ?? join(dist, 'component');
  if (keep && !process.env.OPENAI_FT_COMPONENT && existsSync(join(out, 'component.json'))) {
    process.stderr.write(`build: keeping the components already transpiled in ${dist}\n`);
  } else {
    const builds = [[args[0] ?? process.env.OPENAI_FT_COMPONENT ?? componentFromRepo(), out]];
    if (args[1] === undefined) builds.push([hostLogic ?? componentFromRepo('host-logic'), join(dist, 'host-logic')]);
    for (const [wasm, dir] of builds) {
      await transpileComponent(wasm, dir);
      process.stderr.write(`build: transpiled ${wasm} into ${dir}\n`);
    }
  }
}
