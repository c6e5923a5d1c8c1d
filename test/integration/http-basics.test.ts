import { expect } from 'chai';
import request from 'supertest';
import { returning } from '../../server/platform/db/returning';
import { startTestApp, type TestApp } from '../support/test-app';

describe('HTTP basics', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  it('/healthz answers while the process is up', async () => {
    const res = await request(app.url).get('/healthz').expect(200);
    expect(res.body).to.deep.equal({ status: 'ok' });
  });

  it('/readyz checks the database and the migrations', async () => {
    const res = await request(app.url).get('/readyz').expect(200);
    expect(res.body).to.deep.equal({ status: 'ready', checks: { database: true, migrations: true } });
  });

  it('/readyz says not_ready when a migration is missing', async () => {
    const [last] = await returning<{ timestamp: string; name: string }>(
      app.ds,
      `DELETE FROM migrations WHERE id = (SELECT max(id) FROM migrations) RETURNING *`,
    );
    const res = await request(app.url).get('/readyz').expect(503);
    expect(res.body.checks).to.deep.equal({ database: true, migrations: false });
    await app.ds.query(`INSERT INTO migrations (timestamp, name) VALUES ($1, $2)`, [
      last.timestamp,
      last.name,
    ]);
    await request(app.url).get('/readyz').expect(200);
  });

  it('answers unknown routes with the error envelope and echoes a request id', async () => {
    const res = await request(app.url)
      .get('/api/v1/does-not-exist')
      .set('x-request-id', 'abc-123')
      .expect(404);
    expect(res.headers['x-request-id']).to.equal('abc-123');
    expect(res.body).to.deep.equal({
      error: { code: 'not_found', message: 'No route for GET /api/v1/does-not-exist', requestId: 'abc-123' },
    });
  });

  it('replaces an unsafe incoming request id with its own', async () => {
    const res = await request(app.url).get('/healthz').set('x-request-id', 'bad id <script>');
    expect(res.headers['x-request-id']).to.match(/^[0-9a-f-]{36}$/);
  });

  it('refuses malformed JSON with 400 bad_request', async () => {
    const res = await request(app.url)
      .post('/api/v1/auth/login')
      .set('content-type', 'application/json')
      .send('{"tenant": ')
      .expect(400);
    expect(res.body.error.code).to.equal('bad_request');
    expect(res.body.error.requestId).to.be.a('string');
  });

  it('refuses an oversized body with 413', async () => {
    const res = await request(app.url)
      .post('/api/v1/auth/login')
      .send({ tenant: 'x', username: 'y', password: 'z'.repeat(1_100_000) })
      .expect(413);
    expect(res.body.error.code).to.equal('payload_too_large');
  });

  it('explains validation failures field by field', async () => {
    const res = await request(app.url)
      .post('/api/v1/auth/login')
      .send({ tenant: '', totpCode: '12' })
      .expect(400);
    expect(res.body.error.code).to.equal('validation_failed');
    const paths = res.body.error.details.issues.map((i: { path: string }) => i.path);
    expect(paths).to.include.members(['body.tenant', 'body.username', 'body.password', 'body.totpCode']);
  });

  it('sets security headers (helmet) and hides the framework', async () => {
    const res = await request(app.url).get('/healthz');
    expect(res.headers['x-content-type-options']).to.equal('nosniff');
    expect(res.headers['x-powered-by']).to.equal(undefined);
  });

  it('publishes an OpenAPI document built from the shared schemas', async () => {
    const res = await request(app.url).get('/api/v1/openapi.json').expect(200);
    expect(res.body.openapi).to.equal('3.1.0');
    expect(res.body.paths).to.have.property('/api/v1/auth/login');
    expect(res.body.paths).to.have.property('/api/v1/members/{id}');
    expect(res.body.components.schemas).to.have.property('LoginBody');
  });

  it('the database is UTF-8 with Unicode-aware lower() and Chinese text intact', async () => {
    const [row] = await app.ds.query(
      `SELECT pg_encoding_to_char(encoding) AS encoding, lower('ÄÖÜ ÉCOLE 张三 Ⅻ') AS lowered,
              length('采购合同') AS chars, '采购合同' LIKE '%合同%' AS found
         FROM pg_database WHERE datname = current_database()`,
    );
    expect(row).to.deep.equal({ encoding: 'UTF8', lowered: 'äöü école 张三 ⅻ', chars: 4, found: true });
  });
});
