import { expect } from 'chai';
import { DingTalkCallbackCrypto, randomNonce } from '../../server/integrations/dingtalk/callback-crypto';
import type { RunningEmulator } from '../../server/sandbox/dingtalk-emulator';
import { startSandbox } from '../../server/sandbox/sandbox-mode';
import { createTenant } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers of many shapes, read field by field
type Json = any;

/**
 * @security DingTalk HTTP callbacks through the real endpoint: forged, stale, replayed or tampered
 * pushes are refused with the error envelope and store nothing in directory_events.
 */
describe('@security DingTalk callback forgery and replay', function () {
  this.timeout(60_000);
  let app: TestApp;
  let emulator: RunningEmulator;
  let tenantId: string;
  let good: DingTalkCallbackCrypto;
  let token: string;
  let aesKey: string;
  let seq = 0;

  before(async () => {
    app = await startTestApp();
    tenantId = (await createTenant(app, 'cbforge')).id;
    emulator = await startSandbox({
      integrations: app.services.dingtalk,
      tenantId,
      callbackBaseUrl: app.url,
      employees: 2,
      depth: 1,
      seed: 3,
    });
    emulator.setCallback(undefined);
    const integration = (await app.services.dingtalk.app(tenantId))!;
    token = integration.secrets.callbackToken!;
    aesKey = integration.secrets.callbackAesKey!;
    good = new DingTalkCallbackCrypto({
      token,
      encodingAesKey: aesKey,
      ownerKey:
        integration.settings.callbackOwnerKey === 'appKey'
          ? integration.settings.appKey
          : integration.settings.corpId,
    });
  });
  after(async () => {
    await emulator.close();
    await app.close();
  });

  const events = async () =>
    (
      await app.ds.query(`SELECT count(*)::int AS n FROM directory_events WHERE tenant_id = $1`, [tenantId])
    )[0].n as number;

  /** A signed, encrypted push as DingTalk sends it. */
  function push(opts: { crypto?: DingTalkCallbackCrypto; at?: number } = {}) {
    const c = opts.crypto ?? good;
    const plaintext = JSON.stringify({
      EventType: 'user_modify_org',
      eventId: `forge-${++seq}-${Date.now()}`,
      UserId: ['no-such-user'],
      TimeStamp: String(opts.at ?? app.clock.now().getTime()),
    });
    const encrypt = c.encrypt(plaintext);
    const timestamp = String(opts.at ?? app.clock.now().getTime());
    const nonce = randomNonce(8);
    return { encrypt, timestamp, nonce, signature: c.signature(timestamp, nonce, encrypt) };
  }

  async function post(
    p: { encrypt: string; timestamp: string; nonce: string; signature: string },
    names: { sig?: string; ts?: string } = {},
    target = tenantId,
  ) {
    const q = new URLSearchParams({
      [names.sig ?? 'msg_signature']: p.signature,
      [names.ts ?? 'timestamp']: p.timestamp,
      nonce: p.nonce,
    });
    const res = await fetch(`${app.url}/api/v1/dingtalk/callback/${target}?${q}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ encrypt: p.encrypt }),
    });
    return { status: res.status, body: (await res.json()) as Json };
  }

  it('a genuine push is accepted once (both parameter spellings) and stored', async () => {
    const before = await events();
    const a = await post(push());
    expect(a.status).to.equal(200);
    expect(good.decrypt(a.body.encrypt)).to.equal('success');
    const b = await post(push(), { sig: 'signature', ts: 'timeStamp' });
    expect(b.status).to.equal(200);
    expect(await events()).to.equal(before + 2);
  });

  it('refuses a bad signature, a wrong owner key, a stale or future timestamp and tampered ciphertext', async () => {
    const before = await events();
    const refusals: [string, Awaited<ReturnType<typeof post>>, number, string][] = [];
    const p = push();
    refusals.push(['bad signature', await post({ ...p, signature: 'a'.repeat(40) }), 403, 'callback']);
    refusals.push([
      'signature of another token',
      await post({
        ...p,
        signature: new DingTalkCallbackCrypto({
          token: 'other',
          encodingAesKey: aesKey,
          ownerKey: 'x',
        }).signature(p.timestamp, p.nonce, p.encrypt),
      }),
      403,
      'callback',
    ]);
    const otherOwner = new DingTalkCallbackCrypto({
      token,
      encodingAesKey: aesKey,
      ownerKey: 'ding-other-corp',
    });
    refusals.push(['wrong owner key', await post(push({ crypto: otherOwner })), 403, 'callback']);
    const otherKey = new DingTalkCallbackCrypto({ token, encodingAesKey: 'b'.repeat(43), ownerKey: 'x' });
    refusals.push(['another AES key', await post(push({ crypto: otherKey })), 403, 'callback']);
    const now = app.clock.now().getTime();
    refusals.push(['stale (6 minutes old)', await post(push({ at: now - 6 * 60_000 })), 403, 'callback']);
    refusals.push(['from the future', await post(push({ at: now + 6 * 60_000 })), 403, 'callback']);
    refusals.push(['timestamp not a number', await post(push({ at: Number.NaN })), 403, 'callback']);
    // Ciphertext changed after signing: the signature no longer matches.
    const t = push();
    const flipped = Buffer.from(t.encrypt, 'base64');
    flipped[20] = flipped[20]! ^ 0xff;
    refusals.push([
      'tampered, old signature',
      await post({ ...t, encrypt: flipped.toString('base64') }),
      403,
      'callback',
    ]);
    // Even re-signed (a leaked token, but not the AES key): it does not decrypt to our owner's message.
    const resigned = flipped.toString('base64');
    refusals.push([
      'tampered and re-signed',
      await post({ ...t, encrypt: resigned, signature: good.signature(t.timestamp, t.nonce, resigned) }),
      403,
      'callback',
    ]);
    refusals.push(['missing nonce', await post({ ...push(), nonce: '' }), 400, 'validation']);
    refusals.push([
      'unknown organization',
      await post(push(), {}, '00000000-0000-4000-8000-000000000000'),
      404,
      'not_found',
    ]);
    for (const [name, res, status, code] of refusals) {
      expect(res.status, name).to.equal(status);
      expect(res.body.error?.code, name).to.be.a('string').and.include(code);
      expect(res.body.error.requestId, name).to.be.a('string');
    }
    expect(await events()).to.equal(before);
  });

  it('a replay is refused (409) however the signature or parameter names are written', async () => {
    const p = push();
    expect((await post(p)).status).to.equal(200);
    const before = await events();
    const replays = [
      await post(p),
      await post(p, { sig: 'signature', ts: 'timeStamp' }),
      await post({ ...p, signature: p.signature.toUpperCase() }),
      await post({ ...p, signature: p.signature.slice(0, 10).toUpperCase() + p.signature.slice(10) }),
    ];
    for (const r of replays) {
      expect(r.status).to.equal(409);
      expect(r.body.error.code).to.include('callback');
    }
    expect(await events()).to.equal(before);
  });
});
