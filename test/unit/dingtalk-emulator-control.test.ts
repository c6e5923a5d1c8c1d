import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ManualClock } from '../../server/platform/clock';
import { startDingTalkEmulator, type RunningEmulator } from '../../server/sandbox/dingtalk-emulator';
import { generateOrg } from '../../server/sandbox/org-generator';

// Work notifications, rate limit, fault injection and the /__sandbox control surface.

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const APP = {
  appKey: 'dingtestappkey',
  appSecret: 'test-secret',
  corpId: 'ding0123456789abcdef',
  agentId: 42,
};

async function topapi(emu: RunningEmulator, path: string, body: Json = {}): Promise<Json> {
  const tokenRes = await fetch(`${emu.baseUrl}/gettoken?appkey=${APP.appKey}&appsecret=${APP.appSecret}`);
  const { access_token: tok } = (await tokenRes.json()) as Json;
  const res = await fetch(`${emu.baseUrl}${path}?access_token=${tok}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await res.json()) as Json;
}

async function sandbox(
  emu: RunningEmulator,
  method: string,
  path: string,
  body?: Json,
): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${emu.baseUrl}/__sandbox${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Json };
}

describe('DingTalk emulator: work notifications', () => {
  const clock = new ManualClock(new Date('2026-03-02T02:00:00Z'));
  const org = generateOrg({ employees: 80, depth: 3, seed: 5 });
  let emu: RunningEmulator;
  before(async () => (emu = await startDingTalkEmulator({ org, ...APP, clock })));
  after(() => emu.close());
  const oa = (title: string): Json => ({ msgtype: 'oa', oa: { head: { text: 'Mail' }, body: { title } } });
  const send = (userids: string[], msg: Json, extra: Json = {}): Promise<Json> =>
    topapi(emu, '/topapi/message/corpconversation/asyncsend_v2', {
      agent_id: APP.agentId,
      userid_list: userids.join(','),
      msg,
      ...extra,
    });
  const result = async (taskId: number): Promise<Json> =>
    (
      await topapi(emu, '/topapi/message/corpconversation/getsendresult', {
        agent_id: APP.agentId,
        task_id: taskId,
      })
    ).send_result;

  it('returns a task_id; duplicate content the same day shows as 143106 only in getsendresult', async () => {
    const [a, b] = org.users;
    const first = await send([a.userid, 'ghost'], oa('Q3 report'));
    expect(first.errcode).to.equal(0);
    expect(first.task_id).to.be.a('number');
    const r1 = await result(first.task_id);
    expect(r1.unread_user_id_list).to.deep.equal([a.userid]);
    expect(r1.invalid_user_id_list).to.deep.equal(['ghost']);
    const dup = await send([a.userid, b.userid], oa('Q3 report'));
    expect(dup.errcode).to.equal(0);
    const r2 = await result(dup.task_id);
    expect(r2.forbidden_list).to.deep.equal([{ code: '143106', count: 1, userid: a.userid }]);
    expect(r2.unread_user_id_list).to.deep.equal([b.userid]);
    expect(emu.notifications.inbox(a.userid)).to.have.length(1);
  });

  it('caps a user at 500 a day (143105), then resets the next day', async () => {
    const user = org.users[3];
    for (let i = 0; i < 499; i++)
      emu.notifications.send({ userIds: [user.userid], deptIds: [], toAll: false, msg: oa(`m${i}`) });
    expect(
      (await result((await send([user.userid], oa('500th'))).task_id)).unread_user_id_list,
    ).to.deep.equal([user.userid]);
    const over = await send([user.userid], oa('501st'));
    expect(over.errcode).to.equal(0);
    expect((await result(over.task_id)).forbidden_list).to.deep.equal([
      { code: '143105', count: 500, userid: user.userid },
    ]);
    clock.advance(24 * 3600 * 1000);
    expect((await result((await send([user.userid], oa('501st'))).task_id)).forbidden_list).to.deep.equal([]);
  });

  it('accepts form bodies with msg as a JSON string; dept_id_list covers sub-departments', async () => {
    const tokenRes = await fetch(`${emu.baseUrl}/gettoken?appkey=${APP.appKey}&appsecret=${APP.appSecret}`);
    const { access_token: tok } = (await tokenRes.json()) as Json;
    const form = new URLSearchParams({
      access_token: tok,
      agent_id: String(APP.agentId),
      dept_id_list: '1',
      msg: JSON.stringify({ msgtype: 'text', text: { content: 'all hands' } }),
    });
    const res = (await (
      await fetch(`${emu.baseUrl}/topapi/message/corpconversation/asyncsend_v2`, {
        method: 'POST',
        body: form,
      })
    ).json()) as Json;
    expect(res.errcode).to.equal(0);
    expect((await result(res.task_id)).unread_user_id_list).to.have.length(org.users.length);
  });

  it('rejects a wrong agent_id, a missing recipient list and an unknown msgtype with 40035', async () => {
    expect((await send([org.users[0].userid], oa('x'), { agent_id: 7 })).errcode).to.equal(40035);
    expect((await send([], oa('x'))).errcode).to.equal(40035);
    expect((await send([org.users[0].userid], { msgtype: 'fax', fax: {} })).errcode).to.equal(40035);
  });
});

describe('DingTalk emulator: rate limit, faults and statistics', () => {
  const clock = new ManualClock(new Date('2026-03-02T02:00:00Z'));
  let emu: RunningEmulator;
  before(async () => {
    emu = await startDingTalkEmulator({
      org: generateOrg({ employees: 30, depth: 2, seed: 1 }),
      ...APP,
      clock,
      rateLimit: true,
    });
  });
  after(() => emu.close());

  it('refuses the 21st call within one second on one path with 90018', async () => {
    const tok = (
      (await (
        await fetch(`${emu.baseUrl}/gettoken?appkey=${APP.appKey}&appsecret=${APP.appSecret}`)
      ).json()) as Json
    ).access_token;
    const hit = async (path: string): Promise<Json> =>
      (await (
        await fetch(`${emu.baseUrl}${path}?access_token=${tok}`, {
          method: 'POST',
          body: new URLSearchParams({ dept_id: '1' }),
        })
      ).json()) as Json;
    for (let i = 0; i < 20; i++) expect((await hit('/topapi/user/listid')).errcode).to.equal(0);
    const limited = await hit('/topapi/user/listid');
    expect(limited.errcode).to.equal(90018);
    expect(limited.request_id).to.be.a('string');
    expect((await hit('/topapi/v2/department/listsubid')).errcode).to.equal(0);
    clock.advance(1000);
    expect((await hit('/topapi/user/listid')).errcode).to.equal(0);
    emu.setRateLimit(false);
  });

  it('failNext injects errcode -1 and HTTP 500, then answers normally; stats count every call', async () => {
    emu.resetStats();
    emu.failNext('/topapi/user/count', 2, { body: { errcode: -1, errmsg: '系统繁忙' } });
    emu.failNext('/gettoken', 1, { status: 500 });
    const tokenUrl = `${emu.baseUrl}/gettoken?appkey=${APP.appKey}&appsecret=${APP.appSecret}`;
    expect((await fetch(tokenUrl)).status).to.equal(500);
    const tok = ((await (await fetch(tokenUrl)).json()) as Json).access_token;
    const count = async (): Promise<Json> =>
      (await (
        await fetch(`${emu.baseUrl}/topapi/user/count?access_token=${tok}`, {
          method: 'POST',
          body: new URLSearchParams({ only_active: 'false' }),
        })
      ).json()) as Json;
    expect(await count()).to.include({ errcode: -1, errmsg: '系统繁忙' });
    expect((await count()).request_id).to.be.a('string');
    expect((await count()).result.count).to.equal(30);
    expect(emu.stats.total).to.equal(5);
    expect(emu.stats.byPath).to.deep.equal({ '/gettoken': 2, '/topapi/user/count': 3 });
    emu.resetStats();
    expect(emu.stats).to.deep.equal({ total: 0, byPath: {} });
  });

  it('failNext can drop the connection', async () => {
    emu.failNext('/topapi/user/count', 1, { destroySocket: true });
    let failed = false;
    await fetch(`${emu.baseUrl}/topapi/user/count`, { method: 'POST' }).catch(() => (failed = true));
    expect(failed).to.equal(true);
  });
});

describe('DingTalk emulator: /__sandbox control surface', () => {
  let emu: RunningEmulator;
  before(
    async () =>
      (emu = await startDingTalkEmulator({
        org: generateOrg({ employees: 200, depth: 3, seed: 9 }),
        ...APP,
      })),
  );
  after(() => emu.close());

  it('lists users for a picker by name, userid or pinyin', async () => {
    const byName = await sandbox(emu, 'GET', `/users?q=${encodeURIComponent('张伟')}`);
    expect(byName.body.users.length).to.be.at.least(2);
    expect(byName.body.users[0]).to.include.keys('userid', 'name', 'title', 'deptNames', 'adminLevel');
    const byPinyin = await sandbox(emu, 'GET', '/users?q=zhangwei&limit=50');
    expect(byPinyin.body.users.map((u: Json) => u.name)).to.include('张伟');
    const all = await sandbox(emu, 'GET', '/users?limit=5');
    expect(all.body.users).to.have.length(5);
    expect(all.body.users.map((u: Json) => u.adminLevel).slice(0, 3)).to.deep.equal([1, 2, 2]);
  });

  it('hires, issues an auth code usable once, and maps errors to 400/404/409', async () => {
    const hired = await sandbox(emu, 'POST', '/users', { name: 'Anna Wang', deptIds: [1], title: 'PM' });
    expect(hired.status).to.equal(201);
    const { body: code } = await sandbox(emu, 'POST', '/auth-codes', { userid: hired.body.userid });
    const info = await topapi(emu, '/topapi/v2/user/getuserinfo', { code: code.code });
    expect(info.result.name).to.equal('Anna Wang');
    expect((await sandbox(emu, 'POST', '/users', { deptIds: [1] })).status).to.equal(400);
    expect((await sandbox(emu, 'POST', '/auth-codes', { userid: 'ghost' })).status).to.equal(404);
    expect((await sandbox(emu, 'DELETE', '/departments/1')).status).to.equal(400);
    const busy = emu.org.childIds(1).find((id) => emu.org.memberIds(id).length > 0)!;
    expect((await sandbox(emu, 'DELETE', `/departments/${busy}`)).status).to.equal(409);
  });

  it('creates, renames, moves and removes departments over HTTP', async () => {
    const created = await sandbox(emu, 'POST', '/departments', { name: '创新实验室', parentId: 1 });
    expect(created.status).to.equal(201);
    const id = created.body.dept_id as number;
    const target = emu.org.childIds(1)[0];
    const patched = await sandbox(emu, 'PATCH', `/departments/${id}`, {
      name: '创新研究院',
      parentId: target,
    });
    expect(patched.body).to.include({ name: '创新研究院', parent_id: target });
    const dup = await sandbox(emu, 'POST', '/departments', { name: '创新研究院', parentId: target });
    expect(dup.status).to.equal(409);
    expect((await sandbox(emu, 'DELETE', `/departments/${id}`)).status).to.equal(200);
    expect((await topapi(emu, '/topapi/v2/department/get', { dept_id: id })).errcode).to.equal(60003);
  });

  it('moves, promotes and lets a user leave and rejoin over HTTP', async () => {
    const userid = emu.org.memberIds(emu.org.childIds(1)[0])[1];
    const moved = await sandbox(emu, 'PUT', `/users/${userid}/departments`, { deptIds: [1] });
    expect(moved.body.dept_id_list).to.deep.equal([1]);
    expect((await sandbox(emu, 'PUT', `/users/${userid}/admin`, { level: 2 })).body.admin_level).to.equal(2);
    expect((await sandbox(emu, 'PATCH', `/users/${userid}`, { name: '改名了' })).body.name).to.equal(
      '改名了',
    );
    expect((await sandbox(emu, 'POST', `/users/${userid}/leave`)).status).to.equal(200);
    expect((await sandbox(emu, 'GET', `/users/${userid}`)).status).to.equal(404);
    expect((await sandbox(emu, 'POST', `/users/${userid}/rejoin`, {})).body.userid).to.equal(userid);
  });
});

describe('emulator-cli', () => {
  it('prints the base URL of a running emulator with a generated org', async () => {
    const cli = spawn(process.execPath, [
      join(__dirname, '../../server/sandbox/emulator-cli.js'),
      ...['--employees', '40', '--depth', '3', '--seed', '1', '--port', '0'],
    ]);
    try {
      const baseUrl = await new Promise<string>((resolve, reject) => {
        let out = '';
        cli.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('\n')) resolve(out.split('\n')[0]);
        });
        cli.once('exit', (code) => reject(new Error(`cli exited with ${code}`)));
      });
      expect(baseUrl).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${baseUrl}/gettoken?appkey=dingsandboxappkey&appsecret=sandbox-app-secret`);
      expect(((await res.json()) as Json).errcode).to.equal(0);
      const count = await fetch(`${baseUrl}/__sandbox/users?limit=100`);
      expect(((await count.json()) as Json).users).to.have.length(40);
    } finally {
      cli.kill('SIGTERM');
    }
  });
});
