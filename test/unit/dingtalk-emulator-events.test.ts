import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DingTalkCallbackCrypto } from '../../server/integrations/dingtalk/callback-crypto';
import {
  startDingTalkEmulator,
  type CallbackConfig,
  type RunningEmulator,
} from '../../server/sandbox/dingtalk-emulator';
import { generateOrg } from '../../server/sandbox/org-generator';

// Event push over HTTP: crypto, retries, the failed list, register_call_back.

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const APP = {
  appKey: 'dingtestappkey',
  appSecret: 'test-secret',
  corpId: 'ding0123456789abcdef',
  agentId: 42,
};
const CB = { token: 'cbtoken123', aesKey: '1234567890123456789012345678901234567890123' };

type Mode = 'ok' | 'plain-success' | 'http500' | 'slow';

/** A callback endpoint that verifies like our real one and answers per `mode`. */
class Receiver {
  readonly received: Array<{ query: URLSearchParams; payload: Json }> = [];
  mode: Mode = 'ok';
  /** Answer with `failMode` this many times first. */
  failFirst = 0;
  failMode: Mode = 'http500';
  private server!: Server;
  url = '';

  constructor(readonly crypto: DingTalkCallbackCrypto) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const query = new URL(req.url!, 'http://x').searchParams;
        let plain: string;
        try {
          const { encrypt } = JSON.parse(body) as { encrypt: string };
          plain = this.crypto.decryptVerified(
            query.get('signature')!,
            query.get('timestamp')!,
            query.get('nonce')!,
            encrypt,
          );
        } catch {
          return void res.writeHead(400).end(); // what our real endpoint does with a push it cannot verify
        }
        this.received.push({ query, payload: JSON.parse(plain) as Json });
        const mode = this.failFirst > 0 ? (this.failFirst--, this.failMode) : this.mode;
        if (mode === 'http500') return void res.writeHead(500).end();
        if (mode === 'plain-success') return void res.end('success');
        const reply = (): void => {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(this.crypto.encryptedReply('success')));
        };
        if (mode === 'slow') setTimeout(reply, 400);
        else reply();
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/dingtalk/callback`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

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

describe('DingTalk emulator: event push', () => {
  const crypto = new DingTalkCallbackCrypto({
    token: CB.token,
    encodingAesKey: CB.aesKey,
    ownerKey: APP.appKey,
  });
  const receiver = new Receiver(crypto);
  let emu: RunningEmulator;
  let config: CallbackConfig;

  before(async () => {
    await receiver.start();
    config = {
      url: receiver.url,
      token: CB.token,
      aesKey: CB.aesKey,
      ownerKey: APP.appKey,
      retryDelaysMs: [5, 5],
    };
    emu = await startDingTalkEmulator({
      org: generateOrg({ employees: 120, depth: 3, seed: 3 }),
      ...APP,
      callback: config,
    });
  });
  after(async () => {
    await emu.close();
    await receiver.close();
  });
  beforeEach(() => {
    receiver.received.length = 0;
    receiver.mode = 'ok';
    receiver.failFirst = 0;
    emu.setCallback(config);
  });

  it('pushes user_add_org on hire, encrypted, with signature = msg_signature, timestamp and nonce', async () => {
    const user = emu.org.hire({ name: '单雨萱', deptIds: [1], title: '实习生' });
    await emu.events.settled();
    expect(receiver.received).to.have.length(1);
    const { query, payload } = receiver.received[0];
    expect(query.get('msg_signature')).to.equal(query.get('signature'));
    expect(query.get('timestamp')).to.match(/^\d{13}$/);
    expect(query.get('nonce')).to.match(/^[A-Za-z0-9]+$/);
    expect(payload).to.include({ EventType: 'user_add_org', CorpId: APP.corpId });
    expect(payload.userId).to.deep.equal([user.userid]);
    expect(payload.eventId).to.be.a('string');
    expect(payload.EventTime).to.be.a('number');
    expect(emu.events.log.at(-1)).to.include({ status: 'delivered', eventType: 'user_add_org' });
  });

  it('legacyKeys switches to UserId/DeptId/TimeStamp', async () => {
    emu.setCallback({ ...config, legacyKeys: true });
    const dept = emu.org.createDept({ name: '临时项目组', parentId: 1 });
    await emu.events.settled();
    const payload = receiver.received[0].payload;
    expect(payload).to.have.all.keys('EventType', 'TimeStamp', 'DeptId', 'CorpId');
    expect(payload).to.deep.include({ EventType: 'org_dept_create', DeptId: [dept.dept_id] });
  });

  it('every change fires its own event, and the API reflects it at once', async () => {
    const user = emu.org.hire({ name: '曾志强', deptIds: [1] });
    const dept = emu.org.createDept({ name: '新业务部', parentId: 1 });
    emu.org.updateUser(user.userid, { title: '总监' });
    emu.org.moveUser(user.userid, [dept.dept_id]);
    emu.org.setAdmin(user.userid, 2);
    emu.org.setAdmin(user.userid, 0);
    emu.org.activate(user.userid);
    emu.org.renameDept(dept.dept_id, '新业务中心');
    emu.org.leave(user.userid);
    emu.org.removeDept(dept.dept_id);
    emu.org.rejoin(user.userid, [1]);
    await emu.events.settled();
    expect(receiver.received.map((r) => r.payload.EventType)).to.deep.equal([
      'user_add_org',
      'org_dept_create',
      'user_modify_org',
      'user_modify_org',
      'org_admin_add',
      'org_admin_remove',
      'user_active_org',
      'org_dept_modify',
      'user_leave_org',
      'org_dept_remove',
      'user_add_org',
    ]);
    expect((await topapi(emu, '/topapi/v2/department/get', { dept_id: dept.dept_id })).errcode).to.equal(
      60003,
    );
    expect(
      (await topapi(emu, '/topapi/v2/user/get', { userid: user.userid })).result.dept_id_list,
    ).to.deep.equal([1]);
    emu.org.leave(user.userid);
    expect((await topapi(emu, '/topapi/v2/user/get', { userid: user.userid })).errcode).to.equal(60121);
  });

  it('a plain "success" reply is not a delivery: retried, then listed by get_call_back_failed_result', async () => {
    receiver.mode = 'plain-success';
    const user = emu.org.hire({ name: '解文', deptIds: [1] });
    const record = emu.events.log.at(-1)!;
    await record.done;
    expect(record.status).to.equal('failed');
    expect(record.attempts).to.have.length(3);
    expect(receiver.received).to.have.length(3);
    const failed = await topapi(emu, '/call_back/get_call_back_failed_result');
    expect(failed).to.include({ errcode: 0, has_more: false });
    expect(failed.failed_list).to.have.length(1);
    expect(failed.failed_list[0]).to.deep.include({
      call_back_tag: 'user_add_org',
      user_add_org: { userid: [user.userid], corpid: APP.corpId },
    });
    expect(failed.failed_list[0].event_time).to.be.a('number');
    expect((await topapi(emu, '/call_back/get_call_back_failed_result')).failed_list).to.deep.equal([]);
  });

  it('retries after an HTTP 500 and counts the later valid reply as delivered', async () => {
    receiver.failFirst = 1;
    emu.org.hire({ name: '仇佳', deptIds: [1] });
    const record = emu.events.log.at(-1)!;
    await record.done;
    expect(record.status).to.equal('delivered');
    expect(record.attempts.map((a) => a.ok)).to.deep.equal([false, true]);
    expect(record.attempts[0].error).to.equal('HTTP 500');
  });

  it('a reply slower than the timeout does not count', async () => {
    emu.setCallback({ ...config, timeoutMs: 100, retryDelaysMs: [] });
    receiver.mode = 'slow';
    emu.org.hire({ name: '区明', deptIds: [1] });
    const record = await emu.events.log.at(-1)!.done;
    expect(record.status).to.equal('failed');
    expect(record.attempts[0].error).to.equal('timeout');
    await topapi(emu, '/call_back/get_call_back_failed_result');
  });

  it('a receiver with the wrong owner key cannot produce a valid reply', async () => {
    const stranger = new Receiver(
      new DingTalkCallbackCrypto({ token: CB.token, encodingAesKey: CB.aesKey, ownerKey: APP.corpId }),
    );
    await stranger.start();
    try {
      const result = await emu.events.checkUrl({ ...config, url: stranger.url });
      expect(result).to.deep.equal({ ok: false, error: 'HTTP 400' });
      expect(stranger.received).to.have.length(0); // it could not even decrypt the check
    } finally {
      await stranger.close();
    }
  });

  it('checkUrl sends {"EventType":"check_url"} and accepts an encrypted success', async () => {
    expect(await emu.events.checkUrl()).to.deep.equal({ ok: true });
    expect(receiver.received[0].payload).to.deep.equal({ EventType: 'check_url' });
  });

  it('register_call_back checks the URL with corpId as owner key; a second register → 71006', async () => {
    emu.setCallback(undefined);
    const corpReceiver = new Receiver(
      new DingTalkCallbackCrypto({ token: CB.token, encodingAesKey: CB.aesKey, ownerKey: APP.corpId }),
    );
    await corpReceiver.start();
    try {
      const body = {
        call_back_tag: ['user_add_org'],
        token: CB.token,
        aes_key: CB.aesKey,
        url: corpReceiver.url,
      };
      expect((await topapi(emu, '/call_back/register_call_back', body)).errcode).to.equal(0);
      expect((await topapi(emu, '/call_back/register_call_back', body)).errcode).to.equal(71006);
      emu.org.createDept({ name: '不订阅的部门', parentId: 1 }); // not in the tag list
      emu.org.hire({ name: '查理', deptIds: [1] });
      await emu.events.settled();
      expect(corpReceiver.received.map((r) => r.payload.EventType)).to.deep.equal([
        'check_url',
        'user_add_org',
      ]);
      expect((await topapi(emu, '/call_back/delete_call_back')).errcode).to.equal(0);
    } finally {
      await corpReceiver.close();
    }
  });
});
