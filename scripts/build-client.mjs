#!/usr/bin/env node
// Builds every browser app under client/ (client/vite.config.ts lists them) into dist/client/<app>,
// then prints each bundle's raw and gzipped size. Fails when the first screen (the entry chunk and
// the chunks it imports statically, plus CSS) loads more than 300 KB of gzipped JavaScript.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build, loadConfigFromFile } from 'vite';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const configFile = path.join(root, 'client', 'vite.config.ts');
const FIRST_SCREEN_BUDGET = 300 * 1024;

const APPS = JSON.parse(readFileSync(path.join(root, 'client', 'apps.json'), 'utf8'));
const apps = Object.keys(APPS).filter((name) => existsSync(path.join(root, 'client', name, 'index.html')));
process.env.VITE_CONFIG_NATIVE_IGNORE_WARNING = 'true';
const only = process.argv[2];
let failed = false;

for (const app of only ? apps.filter((a) => a === only) : apps) {
  process.env.CLIENT_APP = app;
  const { config } = (await loadConfigFromFile({ command: 'build', mode: 'production' }, configFile)) ?? {};
  await build({ ...config, configFile: false, logLevel: 'warn' });
  const out = path.join(root, 'dist', 'client', app);
  const assets = path.join(out, 'assets');
  const rows = readdirSync(assets)
    .filter((f) => /\.(js|css)$/.test(f))
    .map((f) => {
      const bytes = readFileSync(path.join(assets, f));
      return { file: f, raw: bytes.length, gzip: gzipSync(bytes).length };
    })
    .sort((a, b) => b.gzip - a.gzip);
  // The first screen: what index.html loads (entry script, modulepreloads, styles).
  const html = readFileSync(path.join(out, 'index.html'), 'utf8');
  const first = new Set([...html.matchAll(/(?:src|href)="[^"]*\/assets\/([^"]+)"/g)].map((m) => m[1]));
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  process.stdout.write(`\n${app}: dist/client/${app}\n`);
  process.stdout.write(`  ${'file'.padEnd(44)} ${'raw'.padStart(10)} ${'gzip'.padStart(10)}\n`);
  for (const r of rows)
    process.stdout.write(
      `${first.has(r.file) ? '* ' : '  '}${r.file.padEnd(44)} ${kb(r.raw).padStart(10)} ${kb(r.gzip).padStart(10)}\n`,
    );
  const firstJs = rows
    .filter((r) => first.has(r.file) && r.file.endsWith('.js'))
    .reduce((s, r) => s + r.gzip, 0);
  const total = rows.reduce((s, r) => s + r.gzip, 0);
  process.stdout.write(
    `  first screen (*) JS: ${kb(firstJs)} gzipped (budget ${kb(FIRST_SCREEN_BUDGET)}); all: ${kb(total)} gzipped\n`,
  );
  if (firstJs > FIRST_SCREEN_BUDGET) {
    process.stderr.write(
      `build-client: ${app}'s first screen loads ${kb(firstJs)} of gzipped JavaScript, over the ${kb(FIRST_SCREEN_BUDGET)} budget\n`,
    );
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
