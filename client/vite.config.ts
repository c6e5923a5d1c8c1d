import { fileURLToPath } from 'node:url';
import path from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

import apps from './apps.json';

/**
 * One build per browser app: client/<name>/index.html → dist/client/<name>, served by the server at
 * `base` (server/platform/http/static-apps.ts mounts the same paths). Adding an app is one line in
 * client/apps.json, e.g. "console": { "base": "/console/" }. scripts/build-client.mjs builds every
 * app listed there (CLIENT_APP picks one; `vite dev` defaults to h5).
 */
const APPS: Record<string, { base: string }> = apps;

const here = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig(() => {
  const name = process.env.CLIENT_APP ?? 'h5';
  const app = APPS[name];
  if (!app) throw new Error(`Unknown client app "${name}" (known: ${Object.keys(APPS).join(', ')})`);
  return {
    root: path.join(here, name),
    base: app.base,
    plugins: [react()],
    build: {
      outDir: path.join(here, '..', 'dist', 'client', name),
      emptyOutDir: true,
      assetsDir: 'assets',
      sourcemap: false,
      target: 'es2020',
      chunkSizeWarningLimit: 800,
    },
    server: {
      // `npx vite --config client/vite.config.ts` proxies the API to a running server.
      proxy: { '/api': `http://127.0.0.1:${process.env.PORT ?? 3000}` },
    },
  };
});
