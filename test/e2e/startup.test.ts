import { mkdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import { freePort } from '../support/postgres';
import { httpOk, runServer, waitFor } from '../support/process';

describe('start-up (the real binary)', function () {
  this.timeout(90_000);
  const dataDir = path.resolve('.test-data', `startup-${process.pid}`);
  before(() => {
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('a bad config value gives one clear line and a non-zero exit', async () => {
    const run = runServer({ PORT: 'abc', ROLES: 'http,email' });
    expect(await run.exited).to.equal(1);
    const lines = run.output().trim().split('\n');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/^orgmail: Invalid configuration: /);
    expect(lines[0]).to.include('PORT: expected a port number (got "abc")').and.include('ROLES.1');
  });

  it('an unreachable DATABASE_URL gives one clear line and a non-zero exit', async () => {
    const port = await freePort();
    const run = runServer({
      DATABASE_URL: `postgres://u:secretpw@127.0.0.1:${port}/x`,
      PORT: String(await freePort()),
    });
    expect(await run.exited).to.equal(1);
    const out = run.output().trim();
    expect(out.split('\n')).to.have.length(1);
    expect(out).to.match(/Cannot connect to the database at 127\.0\.0\.1:\d+\/x: connection refused/);
    expect(out).to.not.include('secretpw');
  });

  it('starts embedded, answers /readyz, refuses a second instance and a busy port, stops cleanly, reuses data', async () => {
    const pgPort = String(await freePort());
    const port = String(await freePort());
    const env = {
      DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: pgPort,
      PORT: port,
      SMTP_PORT: String(await freePort()),
      SUBMISSION_PORT: String(await freePort()),
    };
    const first = runServer(env);
    await waitFor(() => httpOk(`http://127.0.0.1:${port}/readyz`), 60_000, '/readyz');
    expect(first.output()).to.match(/password: {5}\S+/);

    const second = runServer({ ...env, PORT: String(await freePort()) });
    expect(await second.exited).to.equal(1);
    expect(second.output().trim()).to.match(
      /^orgmail: The database directory .* is already in use by another process/,
    );

    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const busy = String((blocker.address() as net.AddressInfo).port);
    const third = runServer({
      DATA_DIR: path.join(dataDir, 'other'),
      EMBEDDED_PG_PORT: String(await freePort()),
      PORT: busy,
    });
    expect(await third.exited).to.equal(1);
    expect(third.output().trim().split('\n').pop()).to.equal(
      `orgmail: Port ${busy} on 127.0.0.1 is already in use. Set PORT to a free port.`,
    );
    blocker.close();

    first.child.kill('SIGTERM');
    expect(await first.exited).to.equal(0);

    const again = runServer(env);
    await waitFor(() => httpOk(`http://127.0.0.1:${port}/readyz`), 60_000, '/readyz after restart');
    // The admin exists already: no new one-time password on a restart.
    expect(again.output()).to.not.match(/password: {5}\S+/);
    again.child.kill('SIGINT');
    expect(await again.exited).to.equal(0);
  });
});
