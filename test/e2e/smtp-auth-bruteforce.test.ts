import { expect } from 'chai';
import request from 'supertest';
import { AppPasswordsService, startSubmission, type RunningSubmission } from '../../server/modules/transport';
import { createLogger } from '../../server/platform/logger';
import type { RunningEmulator } from '../../server/sandbox/dingtalk-emulator';
import { startSandbox } from '../../server/sandbox/sandbox-mode';
import { createTenant, tokenFor } from '../support/fixtures';
import { authPlain, smtpDialog } from '../support/smtp-dialog';
import { startTestApp, type TestApp } from '../support/test-app';

interface Person {
  id: string;
  email: string;
}

/**
 * @security SMTP AUTH brute force on the submission port: limited per account (whatever address,
 * alias or plus-tag is typed) and per client address (across every account, also unknown ones),
 * counted in PostgreSQL so a second replica refuses too; a limited client gets 421 and is cut off.
 */
describe('@security SMTP AUTH brute force: per-account and per-IP limits shared by replicas', function () {
  this.timeout(120_000);
  let app: TestApp;
  let emulator: RunningEmulator;
  let replicaA: RunningSubmission;
  let replicaB: RunningSubmission;
  let tenantId: string;
  let alice: Person;
  let bob: Person;
  const passwords = new Map<string, string>();

  async function startReplica(appPasswords: AppPasswordsService): Promise<RunningSubmission> {
    return startSubmission(
      { appPasswords, outgoing: app.services.outgoing, recipients: app.services.recipients },
      {
        host: '127.0.0.1',
        port: 0,
        maxBytes: 100_000,
        hostname: 'smtp.bruteco.test',
        logger: createLogger({ level: 'silent' }),
      },
    );
  }

  before(async () => {
    app = await startTestApp();
    tenantId = (await createTenant(app, 'bruteco')).id;
    emulator = await startSandbox({
      integrations: app.services.dingtalk,
      tenantId,
      callbackBaseUrl: app.url,
      employees: 3,
      depth: 1,
      seed: 5,
    });
    emulator.setCallback(undefined);
    await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
    [alice, bob] = await app.ds.query(
      `SELECT m.id, m.email FROM members m JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.member_id = m.id
        WHERE m.tenant_id = $1 ORDER BY m.email LIMIT 2`,
      [tenantId],
    );
    for (const p of [alice!, bob!]) {
      const res = await request(app.url)
        .post('/api/v1/me/app-passwords')
        .set('Authorization', `Bearer ${tokenFor(app, tenantId, p.id, ['employee'])}`)
        .send({ name: 'mail client' })
        .expect(201);
      passwords.set(p.id, res.body.password);
    }
    replicaA = await startReplica(app.services.appPasswords);
    // A second replica: its own service instance, sharing only the database (as two processes would).
    const s = app.services;
    replicaB = await startReplica(
      new AppPasswordsService({
        ds: app.ds,
        hasher: s.hasher,
        recipients: s.recipients,
        settings: s.settings,
        audit: s.audit,
        clock: app.clock,
        submission: app.config.submission,
      }),
    );
  });
  after(async () => {
    await replicaA?.close();
    await replicaB?.close();
    await emulator.close();
    await app.close();
  });

  const plusTag = (email: string, tag: string) => email.replace('@', `+${tag}@`);

  it('the right password signs in (235) on either replica', async () => {
    for (const port of [replicaA.port, replicaB.port]) {
      const r = await smtpDialog(port, [
        'EHLO c.example',
        authPlain(alice.email, passwords.get(alice.id)!),
        'QUIT',
      ]);
      expect(r[2]!.code, r[2]!.text).to.equal(235);
    }
  });

  it('the third failure on one connection is answered 421 and the connection is closed', async () => {
    const r = await smtpDialog(replicaA.port, [
      'EHLO c.example',
      authPlain(bob.email, 'wrong-1'),
      authPlain(bob.email, 'wrong-2'),
      authPlain(bob.email, 'wrong-3'),
      authPlain(bob.email, passwords.get(bob.id)!),
    ]);
    expect(r.slice(2).map((x) => x.code)).to.deep.equal([535, 535, 421, 0]);
    expect(r[2]!.text).to.include('5.7.8');
    expect(r[5]!.text).to.equal('closed');
    // A good sign-in resets the account count for the next test.
    const ok = await smtpDialog(replicaB.port, [
      'EHLO c.example',
      authPlain(bob.email, passwords.get(bob.id)!),
    ]);
    expect(ok[2]!.code).to.equal(235);
  });

  it('10 failures through plus-tags, upper case and both replicas lock the account: the right password gets 421 4.7.0', async () => {
    app.clock.advance(1000); // after the earlier good sign-ins (the clock is manual)
    const variants = [
      alice.email.toUpperCase(),
      ...Array.from({ length: 9 }, (_, i) => plusTag(alice.email, `t${i}`)),
    ];
    for (const [i, login] of variants.entries()) {
      const r = await smtpDialog(i % 2 ? replicaA.port : replicaB.port, [
        'EHLO c.example',
        authPlain(login, `guess-${i}`),
      ]);
      expect(r[2]!.code, `${login}: ${r[2]!.text}`).to.equal(535);
    }
    for (const port of [replicaA.port, replicaB.port]) {
      const locked = await smtpDialog(port, [
        'EHLO c.example',
        authPlain(alice.email, passwords.get(alice.id)!),
        'NOOP',
      ]);
      expect(locked[2]!.code).to.equal(421);
      expect(locked[2]!.text).to.match(/4\.7\.0 .*account/);
      expect(locked[3]!.text).to.equal('closed');
    }
    // Bob, signing in from the same address, is not affected by Alice's lock.
    const other = await smtpDialog(replicaA.port, [
      'EHLO c.example',
      authPlain(bob.email, passwords.get(bob.id)!),
    ]);
    expect(other[2]!.code).to.equal(235);
    const [{ n }] = await app.ds.query(
      `SELECT count(*)::int AS n FROM login_attempts WHERE tenant_id = $1 AND login LIKE 'smtp:mailbox:%' AND NOT is_success`,
      [tenantId],
    );
    expect(n).to.be.greaterThanOrEqual(12);
  });

  it('the account unlocks once the failures leave the lockout window', async () => {
    app.clock.advance(16 * 60_000);
    const r = await smtpDialog(replicaB.port, [
      'EHLO c.example',
      authPlain(alice.email, passwords.get(alice.id)!),
    ]);
    expect(r[2]!.code, r[2]!.text).to.equal(235);
  });

  it('30 failures from one address across many accounts (also unknown domains) block that address on every replica', async () => {
    const logins = [
      ...Array.from({ length: 10 }, (_, i) => `nobody${i}@bruteco.test`),
      ...Array.from({ length: 10 }, (_, i) => `someone${i}@not-ours.example`),
      ...Array.from({ length: 10 }, (_, i) => plusTag(bob.email, `x${i}`)),
    ];
    let refused = 0;
    for (const [i, login] of logins.entries()) {
      const r = await smtpDialog(i % 2 ? replicaA.port : replicaB.port, [
        'EHLO c.example',
        authPlain(login, 'pw'),
      ]);
      expect(r[2]!.code).to.be.oneOf([535, 421]);
      if (r[2]!.code === 421) refused++;
    }
    // Bob's own count reached 10 inside the 30: his last attempts were refused without a check.
    expect(refused).to.be.lessThan(5);
    for (const port of [replicaA.port, replicaB.port]) {
      const blocked = await smtpDialog(port, [
        'EHLO c.example',
        authPlain(alice.email, passwords.get(alice.id)!),
        'NOOP',
      ]);
      expect(blocked[2]!.code).to.equal(421);
      expect(blocked[2]!.text).to.match(/4\.7\.0 .*address/);
      expect(blocked[3]!.text).to.equal('closed');
    }
    const [{ n }] = await app.ds.query(`SELECT count(*)::int AS n FROM auth_failures WHERE service = 'smtp'`);
    expect(n).to.be.greaterThanOrEqual(30);
    // The window passes: the address may try again.
    app.clock.advance(16 * 60_000);
    const ok = await smtpDialog(replicaA.port, [
      'EHLO c.example',
      authPlain(alice.email, passwords.get(alice.id)!),
    ]);
    expect(ok[2]!.code).to.equal(235);
  });
});
