#!/usr/bin/env node
// `npm test`: build (which typechecks), lint, then every mocha suite against real services.
// Extra arguments are passed to mocha, e.g. `npm test -- --grep sync`.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';

const extra = process.argv.slice(2);

function step(title, cmd, args) {
  process.stdout.write(`\n== ${title}\n`);
  const result = spawnSync(cmd, args, { stdio: 'inherit', env: process.env });
  if (result.status !== 0) {
    process.stdout.write(`\n${title} failed\n0 passed, 1 failed\n`);
    process.exit(result.status ?? 1);
  }
}

// A clean build: stale compiled tests of deleted sources must never run.
rmSync('dist', { recursive: true, force: true });
step('typecheck and build', 'npx', ['tsc', '-p', 'tsconfig.json']);
step('typecheck the browser apps', 'npx', ['tsc', '-p', 'client/tsconfig.json', '--noEmit']);
// The browser suites run the built apps (dist/client/*); this also checks the first-screen budget.
step('build the browser apps', 'node', ['scripts/build-client.mjs']);
if (!process.env.SKIP_LINT) {
  step('lint', 'npx', ['eslint', '.']);
  step('format', 'npx', ['prettier', '--check', '--log-level', 'warn', '.']);
}
step('tests', 'npx', [
  'mocha',
  '--config',
  '.mocharc.json',
  '--reporter',
  './scripts/summary-reporter.cjs',
  ...extra,
]);
