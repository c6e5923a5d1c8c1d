import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import express, { type Request, type Response, type Router } from 'express';

/**
 * Serves the built browser apps (vite output under dist/client/<name>): hashed files under assets/
 * are immutable for a year, index.html is revalidated on every load (so a deploy is picked up at
 * once), and any other GET below the mount that accepts HTML gets index.html (SPA fallback).
 */

export interface StaticApp {
  /** URL prefix, e.g. `/app`. */
  mount: string;
  /** The app's build directory (contains index.html). */
  dir: string;
}

/** Where `vite build` puts each app (scripts/build-client.mjs): dist/client/<name>. */
export const CLIENT_DIST = path.resolve(__dirname, '../../../client');

/** The apps served, one line each; client/vite.config.ts has the matching entries. */
export const STATIC_APPS: StaticApp[] = [
  { mount: '/app', dir: path.join(CLIENT_DIST, 'h5') },
  { mount: '/console', dir: path.join(CLIENT_DIST, 'console') },
];

/**
 * The app pages' policy: scripts and connections only to this origin; images anywhere, because a
 * mail's remote images (loaded only when the reader asks) render in a sandboxed srcdoc frame that
 * inherits this policy; that frame carries its own stricter policy too.
 */
export const APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  'img-src * data: blob:',
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-src 'self' about: blob:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

const IMMUTABLE = 'public, max-age=31536000, immutable';

export function staticAppRouter(app: StaticApp): Router {
  const router = express.Router();
  const indexPath = path.join(app.dir, 'index.html');
  let indexHtml: Buffer | undefined;
  const loadIndex = (): Buffer | undefined => {
    if (!indexHtml && existsSync(indexPath)) indexHtml = readFileSync(indexPath);
    return indexHtml;
  };

  router.use(
    express.static(app.dir, {
      index: false,
      redirect: false,
      fallthrough: true,
      setHeaders: (res, file) => {
        const rel = path.relative(app.dir, file).split(path.sep).join('/');
        res.setHeader('Cache-Control', rel.startsWith('assets/') ? IMMUTABLE : 'no-cache');
        if (rel.endsWith('.html')) res.setHeader('Content-Security-Policy', APP_CSP);
      },
    }),
  );
  // A missing hashed asset is a 404, never index.html (a stale page would run HTML as a script).
  router.use('/assets', (_req: Request, res: Response) => {
    res.status(404).type('text/plain').send('Not found');
  });
  router.get(/.*/, (req: Request, res: Response, next) => {
    if (!req.accepts('html')) return next();
    const html = loadIndex();
    if (!html) {
      res
        .status(503)
        .type('text/plain; charset=utf-8')
        .send(`This app is not built. Run: npm run build:client (expected ${indexPath})`);
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('Content-Security-Policy', APP_CSP);
    res.type('html').send(html);
  });
  return router;
}

/** Mounts for createHttpApp: one per app, plus `/` → `/app/` for people who type the bare host. */
export function staticAppMounts(
  apps: StaticApp[] = STATIC_APPS,
): { path: string; handler: express.Router }[] {
  const mounts = apps.map((a) => ({ path: a.mount, handler: staticAppRouter(a) }));
  const root = express.Router();
  root.get('/', (req: Request, res: Response, next) => {
    if (req.path !== '/' || !req.accepts('html')) return next();
    const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?')) : '';
    res.redirect(302, `${apps[0]!.mount}/${query}`);
  });
  return [...mounts, { path: '/', handler: root }];
}
