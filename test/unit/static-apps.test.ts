import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { staticAppMounts } from '../../server/platform/http/static-apps';

describe('static apps (the built clients at /app)', () => {
  const dir = path.resolve('.test-data', `static-apps-${process.pid}`);
  const app = express();

  before(() => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(path.join(dir, 'h5', 'assets'), { recursive: true });
    writeFileSync(path.join(dir, 'h5', 'index.html'), '<!doctype html><title>企业邮箱</title>');
    writeFileSync(path.join(dir, 'h5', 'assets', 'index-abc123.js'), 'console.log(1)');
    for (const m of staticAppMounts([
      { mount: '/app', dir: path.join(dir, 'h5') },
      { mount: '/console', dir: path.join(dir, 'console') },
    ]))
      app.use(m.path, m.handler);
    app.use((_req, res) => void res.status(404).send('api'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('hashed assets are immutable for a year', async () => {
    const res = await request(app).get('/app/assets/index-abc123.js').expect(200);
    expect(res.headers['cache-control']).to.equal('public, max-age=31536000, immutable');
    expect(res.headers['content-type']).to.match(/javascript/);
  });

  it('index.html is revalidated every time and carries the app CSP', async () => {
    for (const url of ['/app/', '/app', '/app/index.html']) {
      const res = await request(app).get(url).set('accept', 'text/html').expect(200);
      expect(res.headers['cache-control'], url).to.equal('no-cache');
      expect(res.headers['content-security-policy'], url).to.include("script-src 'self'");
      expect(res.text).to.include('企业邮箱');
    }
  });

  it('client routes fall back to index.html; a missing asset is a 404, not the page', async () => {
    const res = await request(app).get('/app/m/123').set('accept', 'text/html').expect(200);
    expect(res.text).to.include('企业邮箱');
    await request(app).get('/app/assets/gone-000.js').expect(404);
    await request(app).get('/app/m/123').set('accept', 'application/json').expect(404);
  });

  it('an app that is not built says how to build it; / goes to /app/ keeping the query', async () => {
    const res = await request(app).get('/console/').set('accept', 'text/html').expect(503);
    expect(res.text).to.include('npm run build:client');
    const root = await request(app).get('/?corpId=ding123').set('accept', 'text/html').expect(302);
    expect(root.headers.location).to.equal('/app/?corpId=ding123');
    await request(app).get('/api/v1/x').expect(404);
  });
});
