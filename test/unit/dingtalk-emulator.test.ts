import { expect } from 'chai';
import { ManualClock } from '../../server/platform/clock';
import { startDingTalkEmulator, type RunningEmulator } from '../../server/sandbox/dingtalk-emulator';
import { generateOrg } from '../../server/sandbox/org-generator';
import { LEGACY_REQUEST_ID, raw, TEST_APP, token, topapi } from '../support/emulator-http';

// The directory, token and login surface of the emulator, over real HTTP on 127.0.0.1.

async function start(clock: ManualClock, employees = 300): Promise<RunningEmulator> {
  return startDingTalkEmulator({ org: generateOrg({ employees, depth: 4, seed: 7 }), ...TEST_APP, clock });
}

describe('DingTalk emulator: tokens and envelopes', () => {
  const clock = new ManualClock(new Date('2026-03-02T02:00:00Z'));
  let emu: RunningEmulator;
  before(async () => (emu = await start(clock)));
  after(() => emu.close());

  it('binds to 127.0.0.1 on a free port', () => {
    expect(emu.baseUrl).to.equal(`http://127.0.0.1:${emu.port}`);
    expect(emu.port).to.be.greaterThan(0);
  });

  it('GET /gettoken: 40035 without appkey, 40096 for a wrong secret, always HTTP 200', async () => {
    const missing = await raw(emu, '/gettoken');
    expect(missing.status).to.equal(200);
    expect(missing.body).to.include({ errcode: 40035, errmsg: '缺少参数 corpid or appkey' });
    const wrong = await raw(emu, `/gettoken?appkey=${TEST_APP.appKey}&appsecret=nope`);
    expect(wrong.status).to.equal(200);
    expect(wrong.body).to.include({ errcode: 40096, errmsg: '不合法的appKey或appSecret' });
    expect(wrong.body.request_id).to.match(LEGACY_REQUEST_ID);
  });

  it('returns the same token while valid, extended by each fetch, and a new one after 7200 s', async () => {
    const first = await raw(emu, `/gettoken?appkey=${TEST_APP.appKey}&appsecret=${TEST_APP.appSecret}`);
    expect(first.body).to.include({ errcode: 0, errmsg: 'ok', expires_in: 7200 });
    clock.advance(7000_000);
    expect(await token(emu)).to.equal(first.body.access_token);
    clock.advance(7000_000); // 14000 s after the first issue, 7000 s after the renewal
    const still = await topapi(emu, '/topapi/user/count', { only_active: false }, first.body.access_token);
    expect(still.errcode).to.equal(0);
    clock.advance(7200_000);
    const expired = await topapi(emu, '/topapi/user/count', { only_active: false }, first.body.access_token);
    expect(expired).to.include({ errcode: 88, sub_code: '40014', sub_msg: '不合法的access_token' });
    expect(expired.errmsg).to.equal('ding talk error[subcode=40014,submsg=不合法的access_token]');
    expect(await token(emu)).to.not.equal(first.body.access_token);
  });

  it('expireAllTokens() invalidates tokens mid-run', async () => {
    const tok = await token(emu);
    expect((await topapi(emu, '/topapi/user/count', { only_active: false }, tok)).errcode).to.equal(0);
    emu.expireAllTokens();
    expect((await topapi(emu, '/topapi/user/count', { only_active: false }, tok)).sub_code).to.equal('40014');
  });

  it('topapi auth: blank token → 88/"40000"; the header is ignored; a form-body token works', async () => {
    const tok = await token(emu);
    const blank = await raw(emu, '/topapi/user/count', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-acs-dingtalk-access-token': tok },
      body: '{"only_active":false}',
    });
    expect(blank.status).to.equal(200);
    expect(blank.body).to.deep.include({
      errcode: 88,
      sub_code: '40000',
      sub_msg: 'access_token is blank',
      errmsg: 'ding talk error[subcode=40000,submsg=access_token is blank]',
    });
    const form = await raw(emu, '/topapi/user/count', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `access_token=${tok}&only_active=false`,
    });
    expect(form.body).to.include({ errcode: 0 });
    expect(form.body.result.count).to.equal(300);
  });

  it('unknown legacy path → errcode 22 with the ApiName, HTTP 200, even with a bad token', async () => {
    const res = await raw(emu, '/topapi/v2/user/notexist?access_token=garbage', { method: 'POST' });
    expect(res.status).to.equal(200);
    expect(res.body).to.include({
      errcode: 22,
      sub_msg: '不合法ApiName，ApiName = dingtalk.oapi.v2.user.notexist',
    });
    expect(res.body.request_id).to.match(LEGACY_REQUEST_ID);
  });

  it('unparsable JSON body → a legacy error envelope, not an HTML page', async () => {
    const tok = await token(emu);
    const res = await raw(emu, `/topapi/user/count?access_token=${tok}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"only_active":',
    });
    expect(res.status).to.equal(200);
    expect(res.body.errcode).to.equal(40035);
  });

  it('POST /v1.0/oauth2/accessToken: 400 invalidClientIdOrSecret, else the shared app token', async () => {
    const bad = await raw(emu, '/v1.0/oauth2/accessToken', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ appKey: TEST_APP.appKey, appSecret: 'x' }),
    });
    expect(bad.status).to.equal(400);
    expect(bad.body).to.include({
      code: 'invalidClientIdOrSecret',
      message: '无效的clientId或者clientSecret',
    });
    expect(bad.body.requestid).to.match(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
    const ok = await raw(emu, '/v1.0/oauth2/accessToken', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ appKey: TEST_APP.appKey, appSecret: TEST_APP.appSecret }),
    });
    expect(ok.status).to.equal(200);
    expect(ok.body).to.deep.equal({ accessToken: await token(emu), expireIn: 7200 });
    expect(
      (await topapi(emu, '/topapi/user/count', { only_active: true }, ok.body.accessToken)).errcode,
    ).to.equal(0);
  });

  it('new-API auth: missing header → 400 MissingParameter, bad → 400 InvalidAuthentication', async () => {
    const missing = await raw(emu, `/v1.0/oauth2/jsapiTickets?access_token=${await token(emu)}`, {
      method: 'POST',
    });
    expect(missing.status).to.equal(400);
    expect(missing.body.code).to.equal('AuthenticationFailed.MissingParameter');
    const bad = await raw(emu, '/v1.0/oauth2/jsapiTickets', {
      method: 'POST',
      headers: { 'x-acs-dingtalk-access-token': 'nope' },
    });
    expect(bad.status).to.equal(400);
    expect(bad.body).to.include({ code: 'InvalidAuthentication', message: '不合法的access_token' });
    expect(bad.body.requestid).to.be.a('string');
    const unknown = await raw(emu, '/v1.0/contact/nothing', { method: 'POST' });
    expect(unknown.status).to.equal(404);
  });

  it('jsapi tickets: the same ticket on both families, 7200 s', async () => {
    const tok = await token(emu);
    const fresh = await raw(emu, '/v1.0/oauth2/jsapiTickets', {
      method: 'POST',
      headers: { 'x-acs-dingtalk-access-token': tok },
    });
    expect(fresh.body.expireIn).to.equal(7200);
    const legacy = await raw(emu, `/get_jsapi_ticket?access_token=${tok}`);
    expect(legacy.body).to.include({ errcode: 0, ticket: fresh.body.jsapiTicket, expires_in: 7200 });
  });
});

describe('DingTalk emulator: login-free codes', () => {
  const clock = new ManualClock(new Date('2026-03-02T02:00:00Z'));
  let emu: RunningEmulator;
  before(async () => (emu = await start(clock)));
  after(() => emu.close());

  it('exchanges a code once for the identity, with sys/sys_level', async () => {
    const admin = emu.org.admins().find((a) => a.sys_level === 1)!;
    const code = emu.issueAuthCode(admin.userid);
    const first = await topapi(emu, '/topapi/v2/user/getuserinfo', { code });
    expect(first.errcode).to.equal(0);
    expect(first.result).to.include({ userid: admin.userid, sys: true, sys_level: 1 });
    expect(first.result.unionid).to.equal(emu.org.getUser(admin.userid)!.unionid);
    const again = await topapi(emu, '/topapi/v2/user/getuserinfo', { code });
    expect(again).to.include({ errcode: 40078, errmsg: '不存在的临时授权码' });
  });

  it('rejects unknown and expired (5 min) codes with 40078', async () => {
    expect((await topapi(emu, '/topapi/v2/user/getuserinfo', { code: 'made-up' })).errcode).to.equal(40078);
    const someone = [...emu.org.allUserIds()][10];
    const code = emu.issueAuthCode(someone);
    clock.advance(5 * 60 * 1000 + 1);
    expect((await topapi(emu, '/topapi/v2/user/getuserinfo', { code })).errcode).to.equal(40078);
    const fresh = emu.issueAuthCode(someone);
    clock.advance(4 * 60 * 1000);
    const ok = await topapi(emu, '/topapi/v2/user/getuserinfo', { code: fresh });
    expect(ok.result).to.include({ userid: someone, sys: false });
    expect([0, 100]).to.include(ok.result.sys_level);
  });

  it('refuses to issue a code for an unknown user', () => {
    expect(() => emu.issueAuthCode('nobody')).to.throw(/no user/);
  });
});

describe('DingTalk emulator: org snapshot', () => {
  it('snapshot() reflects changes and hands out copies', async () => {
    const emu = await start(new ManualClock());
    try {
      const hired = emu.org.hire({ name: '诸葛亮', deptIds: [1] });
      const leaver = emu.org.snapshot().users[3];
      emu.org.leave(leaver.userid);
      const snap = emu.org.snapshot();
      expect(snap.users).to.have.length(300);
      expect(snap.users.map((u) => u.userid))
        .to.include(hired.userid)
        .and.not.include(leaver.userid);
      snap.users[0].dept_id_list.push(999);
      expect(emu.org.getUser(snap.users[0].userid)!.dept_id_list).to.not.include(999);
    } finally {
      await emu.close();
    }
  });
});
