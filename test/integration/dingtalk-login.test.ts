import { expect } from 'chai';
import request from 'supertest';
import { DingTalkCallbackCrypto } from '../../server/integrations/dingtalk';
import type { RunningEmulator } from '../../server/sandbox/dingtalk-emulator';
import { startSandbox } from '../../server/sandbox/sandbox-mode';
import { createTenant } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

describe('DingTalk login-free sign-in, callbacks and work notices', function () {
  this.timeout(60_000);
  let app: TestApp;
  let emulator: RunningEmulator;
  let tenantId: string;

  before(async () => {
    app = await startTestApp();
    tenantId = (await createTenant(app, 'loginco')).id;
    emulator = await startSandbox({
      integrations: app.services.dingtalk,
      tenantId,
      callbackBaseUrl: app.url,
      employees: 60,
      depth: 3,
      seed: 11,
      retryDelaysMs: [100],
    });
    await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
  });
  after(async () => {
    await app.services.directoryEvents.stop();
    await emulator.close();
    await app.close();
  });

  const signIn = (code: string) =>
    request(app.url).post('/api/v1/auth/dingtalk').send({ corpId: emulator.corpId, code });

  it('an employee signs in with an authCode and gets the employee role', async () => {
    const user = emulator.org
      .snapshot()
      .users.find((u) => !emulator.org.admins().some((a) => a.userid === u.userid))!;
    const res = await signIn(emulator.issueAuthCode(user.userid)).expect(200);
    expect(res.body.member.externalId).to.equal(user.userid);
    expect(res.body.member.roles).to.deep.equal(['employee']);
    const me = await request(app.url)
      .get('/api/v1/me')
      .set('authorization', `Bearer ${res.body.token}`)
      .expect(200);
    expect(me.body.email).to.match(/@loginco\.test$/);
  });

  it('a DingTalk admin gets the admin role', async () => {
    const admin = emulator.org.admins()[0]!;
    const res = await signIn(emulator.issueAuthCode(admin.userid)).expect(200);
    expect(res.body.member.roles).to.include('admin');
    await request(app.url)
      .get('/api/v1/admin/directory/sync/runs')
      .set('authorization', `Bearer ${res.body.token}`)
      .expect(200);
  });

  it('a code works once; a used or made-up code is refused', async () => {
    const user = emulator.org.snapshot().users[5]!;
    const code = emulator.issueAuthCode(user.userid);
    await signIn(code).expect(200);
    const again = await signIn(code).expect(401);
    expect(again.body.error.code).to.equal('auth.invalid_credentials');
    await signIn('made-up-code').expect(401);
  });

  it('someone who joined since the last sync is brought over at sign-in', async () => {
    emulator.setCallback(undefined);
    const hired = emulator.org.hire({ name: '曾小贤', deptIds: [1] });
    const res = await signIn(emulator.issueAuthCode(hired.userid)).expect(200);
    expect(res.body.member.email).to.match(/^zengxiaoxian\d*@loginco\.test$/);
  });

  it('a departed member is refused, and so is an unknown organization', async () => {
    // Left in DingTalk: the platform no longer vouches for the code.
    const gone = emulator.org.snapshot().users[7]!;
    const code = emulator.issueAuthCode(gone.userid);
    emulator.org.leave(gone.userid);
    await app.services.sync.syncIds(tenantId, { memberIds: [gone.userid], departmentIds: [] }, 'test');
    await signIn(code).expect(401);
    // Suspended on our side while the platform still knows them: refused by us.
    const user = emulator.org.snapshot().users[8]!;
    await app.ds.query(`UPDATE members SET status = 'suspended' WHERE tenant_id = $1 AND external_id = $2`, [
      tenantId,
      user.userid,
    ]);
    const res = await signIn(emulator.issueAuthCode(user.userid)).expect(401);
    expect(res.body.error.code).to.equal('auth.account_suspended');
    await request(app.url)
      .post('/api/v1/auth/dingtalk')
      .send({ corpId: 'dingunknown', code: 'x' })
      .expect(401);
  });

  describe('callback verification', () => {
    let crypto: DingTalkCallbackCrypto;
    const post = (query: Record<string, string>, body: Record<string, string>) =>
      request(app.url).post(`/api/v1/dingtalk/callback/${tenantId}`).query(query).send(body);

    before(async () => {
      const bound = await app.services.dingtalk.app(tenantId);
      crypto = new DingTalkCallbackCrypto({
        token: bound!.secrets.callbackToken!,
        encodingAesKey: bound!.secrets.callbackAesKey!,
        ownerKey: bound!.settings.appKey,
      });
    });

    function signed(
      message: object,
      timestamp = String(Date.now()),
      nonce = Math.random().toString(36).slice(2),
    ) {
      const encrypt = crypto.encrypt(JSON.stringify(message));
      return {
        query: { signature: crypto.signature(timestamp, nonce, encrypt), timestamp, nonce },
        body: { encrypt },
      };
    }

    it('answers check_url with the encrypted success, accepting msg_signature too', async () => {
      const { query, body } = signed({ EventType: 'check_url' });
      const res = await post(
        { msg_signature: query.signature, timestamp: query.timestamp, nonce: query.nonce },
        body,
      ).expect(200);
      expect(
        crypto.decryptVerified(res.body.msg_signature, res.body.timeStamp, res.body.nonce, res.body.encrypt),
      ).to.equal('success');
    });

    it('refuses a forged signature, a stale timestamp and a replay, storing nothing', async () => {
      const before = await app.ds.query(
        `SELECT count(*)::int AS n FROM directory_events WHERE tenant_id = $1`,
        [tenantId],
      );
      const event = { EventType: 'user_add_org', eventId: 'forge-1', userId: ['x'], CorpId: emulator.corpId };

      const forged = signed(event);
      const res1 = await post({ ...forged.query, signature: '0'.repeat(40) }, forged.body).expect(403);
      expect(res1.body.error.code).to.equal('callback.bad_signature');

      const stale = signed(event, String(Date.now() - 10 * 60_000));
      const res2 = await post(stale.query, stale.body).expect(403);
      expect(res2.body.error.code).to.equal('callback.stale');

      const wrongKey = new DingTalkCallbackCrypto({
        token: (await app.services.dingtalk.app(tenantId))!.secrets.callbackToken!,
        encodingAesKey: (await app.services.dingtalk.app(tenantId))!.secrets.callbackAesKey!,
        ownerKey: 'another-app',
      });
      const ts = String(Date.now());
      const enc = wrongKey.encrypt(JSON.stringify(event));
      const res3 = await post(
        { signature: wrongKey.signature(ts, 'n1', enc), timestamp: ts, nonce: 'n1' },
        { encrypt: enc },
      ).expect(403);
      expect(res3.body.error.code).to.equal('callback.undecryptable');

      const after = await app.ds.query(
        `SELECT count(*)::int AS n FROM directory_events WHERE tenant_id = $1`,
        [tenantId],
      );
      expect(after[0].n).to.equal(before[0].n);

      const good = signed({
        ...event,
        eventId: 'replay-1',
        userId: [emulator.org.snapshot().users[1]!.userid],
      });
      await post(good.query, good.body).expect(200);
      const replay = await post(good.query, good.body).expect(409);
      expect(replay.body.error.code).to.equal('callback.replayed');
      const stored = await app.ds.query(
        `SELECT count(*)::int AS n FROM directory_events WHERE tenant_id = $1 AND event_key = 'replay-1'`,
        [tenantId],
      );
      expect(stored[0].n).to.equal(1);
    });

    it('accepts the classic PascalCase keys (UserId, TimeStamp) and de-duplicates by event', async () => {
      const user = emulator.org.snapshot().users[2]!.userid;
      const classic = signed({
        EventType: 'user_modify_org',
        TimeStamp: 1700000000000,
        UserId: [user],
        CorpId: emulator.corpId,
      });
      await post(classic.query, classic.body).expect(200);
      const [row] = await app.ds.query(
        `SELECT user_ids FROM directory_events WHERE tenant_id = $1 AND event_type = 'user_modify_org' AND $2 = ANY(user_ids)`,
        [tenantId, user],
      );
      expect(row.user_ids).to.deep.equal([user]);
    });
  });

  it('work notices reach DingTalk, each with unique content, and stop at the daily limit', async () => {
    const users = emulator.org.snapshot().users.slice(10, 12);
    const rows = await app.ds.query(
      `SELECT id, external_id FROM members WHERE tenant_id = $1 AND external_id = ANY($2)`,
      [tenantId, users.map((u) => u.userid)],
    );
    const ids = rows.map((r: { id: string }) => r.id);
    const notice = { title: '新邮件', body: '来自 张三：季度报告', url: 'https://mail.example.com/app/m/1' };
    expect(await app.services.notifier.notify(tenantId, ids, notice)).to.deep.equal({ sent: 2, skipped: 0 });
    expect(await app.services.notifier.notify(tenantId, ids, notice)).to.deep.equal({ sent: 2, skipped: 0 });
    const inbox = emulator.notifications.inbox(users[0]!.userid);
    expect(inbox).to.have.length(2); // the same notice twice: content was made unique, nothing swallowed
    const oa = inbox[0]!.msg as { oa: { message_url: string; body: { title: string } } };
    expect(oa.oa.body.title).to.equal('新邮件');
    expect(oa.oa.message_url).to.include('dingtalk://dingtalkclient/action/openapp');

    await app.ds.query(`UPDATE notice_counters SET sent = 500 WHERE tenant_id = $1 AND member_id = $2`, [
      tenantId,
      ids[0],
    ]);
    expect(await app.services.notifier.notify(tenantId, ids, notice)).to.deep.equal({ sent: 1, skipped: 1 });
  });
});
