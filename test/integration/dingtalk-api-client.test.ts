import http from 'node:http';
import { type AddressInfo } from 'node:net';
import { expect } from 'chai';
import { type UpstreamError } from '../../server/platform/errors';
import { createLogger } from '../../server/platform/logger';
import { type DingTalkApiConfig } from '../../server/integrations/dingtalk/dingtalk-api.client';
import {
  createDingTalkOpenApi,
  type DingTalkOpenApi,
} from '../../server/integrations/dingtalk/dingtalk-open-api';
import {
  startDingTalkEmulator,
  type FaultReply,
  type RunningEmulator,
} from '../../server/sandbox/dingtalk-emulator';
import { generateOrg } from '../../server/sandbox/org-generator';
import type { OrgSnapshot } from '../../server/sandbox/dingtalk-emulator/org-records';
import { details, rejectionOf } from '../support/upstream-errors';

type Emulator = RunningEmulator;

const APP_KEY = 'dingtestappkey0001';
const APP_SECRET = 'test-app-secret-0001';
const CORP_ID = 'ding0123456789abcdef';
const AGENT_ID = 123456789;
const logger = createLogger({ level: 'silent' });

async function startEmulator(org: OrgSnapshot, rateLimit = false): Promise<Emulator> {
  return startDingTalkEmulator({
    org,
    appKey: APP_KEY,
    appSecret: APP_SECRET,
    corpId: CORP_ID,
    agentId: AGENT_ID,
    port: 0,
    rateLimit,
  });
}

function openApi(baseUrl: string, overrides: Partial<DingTalkApiConfig> = {}): DingTalkOpenApi {
  return createDingTalkOpenApi({
    oapiBaseUrl: baseUrl,
    apiBaseUrl: baseUrl,
    appKey: APP_KEY,
    appSecret: APP_SECRET,
    agentId: AGENT_ID,
    // Fast by default; the rate-limit test sets DingTalk's real 20.
    qpsPerApi: 1000,
    maxRetries: 3,
    retryBaseDelayMs: 5,
    throttleRetryDelayMs: 10,
    timeoutMs: 5000,
    logger,
    ...overrides,
  });
}

function directMembers(org: OrgSnapshot, deptId: number): number {
  return org.users.filter((u) => u.dept_id_list.includes(deptId)).length;
}

/** Calls a full sync costs: one listsub per department, the root's get, the user pages, one token. */
function expectedWalkCalls(org: OrgSnapshot): number {
  const pages = org.departments.reduce(
    (sum, d) => sum + Math.max(1, Math.ceil(directMembers(org, d.dept_id) / 100)),
    0,
  );
  return org.departments.length + 1 + pages + 1;
}

describe('DingTalk API client against the emulator', function () {
  this.timeout(60_000);

  describe('on a generated org', () => {
    const org = generateOrg({ employees: 2000, depth: 4, seed: 11 });
    let emu: Emulator;

    before(async () => {
      emu = await startEmulator(org);
    });
    after(async () => {
      await emu.close();
    });
    beforeEach(() => {
      emu.clearFaults();
      emu.resetStats();
    });

    it('walks every department and lists every user once, at about one call per dept and page', async () => {
      const api = openApi(emu.baseUrl);
      const depts = await api.directory.walkDepartments();
      expect(depts.map((d) => d.dept_id).sort((a, b) => a - b)).to.deep.equal(
        org.departments.map((d) => d.dept_id).sort((a, b) => a - b),
      );
      expect(depts[0]).to.include({ dept_id: 1, name: org.corpName });
      const byId = new Map(depts.map((d) => [d.dept_id, d]));
      for (const d of org.departments.filter((x) => x.dept_id !== 1)) {
        expect(byId.get(d.dept_id)).to.include({ name: d.name, parent_id: d.parent_id });
      }

      const users = await api.directory.listAllUsers(depts.map((d) => d.dept_id));
      expect(users).to.have.length(org.users.length);
      expect(new Set(users.map((u) => u.userid)).size).to.equal(org.users.length);

      const multi = org.users.filter((u) => u.dept_id_list.length > 1);
      expect(multi.length, 'the generator makes multi-department users').to.be.greaterThan(0);
      const merged = new Map(users.map((u) => [u.userid, u]));
      for (const source of multi) {
        const got = merged.get(source.userid)!;
        expect([...got.dept_id_list].sort()).to.deep.equal([...source.dept_id_list].sort());
        expect(got.dept_order_list.map((o) => o.dept_id).sort()).to.deep.equal(
          [...source.dept_id_list].sort(),
        );
      }
      for (const source of org.users) {
        const got = merged.get(source.userid)!;
        if (source.email === '') expect(got).not.to.have.property('email');
        else expect(got.email).to.equal(source.email);
        if (source.avatar === '') expect(got).not.to.have.property('avatar');
      }

      const stats = api.stats();
      expect(stats.total).to.equal(expectedWalkCalls(org));
      expect(stats.tokenFetches).to.equal(1);
      expect(stats.retries).to.equal(0);
      expect(stats.byPath['/topapi/v2/department/listsub']).to.equal(org.departments.length);
      expect(emu.stats.total, 'the emulator saw what the client counted').to.equal(stats.total);
    });

    it('recovers with exactly one token refresh when tokens expire mid-walk', async () => {
      let requests = 0;
      const api = openApi(emu.baseUrl, {
        fetch: async (input, init) => {
          requests += 1;
          if (requests === 12) emu.expireAllTokens();
          return fetch(input, init);
        },
      });
      const depts = await api.directory.walkDepartments();
      const users = await api.directory.listAllUsers(depts.map((d) => d.dept_id));
      expect(depts).to.have.length(org.departments.length);
      expect(users).to.have.length(org.users.length);
      const stats = api.stats();
      expect(stats.tokenFetches).to.equal(2);
      expect(stats.byPath['/gettoken']).to.equal(2);
      expect(stats.retries).to.equal(0);
      // Calls were rejected with the dead token (at least the 12th) and repeated with the new one.
      expect(stats.total).to.be.greaterThan(expectedWalkCalls(org) + 1);
    });

    it('refreshes once on a new-API 400 InvalidAuthentication', async () => {
      const api = openApi(emu.baseUrl);
      await api.client.callNewApi('POST', '/v1.0/oauth2/jsapiTickets');
      emu.expireAllTokens();
      const reply = await api.client.callNewApi<{ jsapiTicket: string; expireIn: number }>(
        'POST',
        '/v1.0/oauth2/jsapiTickets',
      );
      expect(reply.jsapiTicket).to.be.a('string').and.not.equal('');
      expect(api.stats().tokenFetches).to.equal(2);
      expect(api.stats().byPath['/v1.0/oauth2/jsapiTickets']).to.equal(3);
    });

    it('refreshes once on either token-invalid shape and then gives up', async () => {
      const api = openApi(emu.baseUrl);
      await api.directory.countUsers(false);
      emu.failNext('/topapi/user/count', 1, { body: { errcode: 42001, errmsg: 'access_token超时' } });
      expect(await api.directory.countUsers(false)).to.equal(org.users.length);
      emu.failNext('/topapi/user/count', 2, {
        body: {
          errcode: 88,
          sub_code: '40001',
          sub_msg: '不合法的access_token',
          errmsg: 'ding talk error[subcode=40001]',
        },
      });
      const err = await rejectionOf(api.directory.countUsers(false));
      expect(err.upstreamCode).to.equal(88);
      expect(err.retryable).to.equal(false);
      expect(details(err).subCode).to.equal('40001');
      expect(api.stats().tokenFetches).to.equal(3);
    });

    for (const [label, reply] of [
      ['errcode -1', { body: { errcode: -1, errmsg: '系统繁忙' } }],
      ['errcode 90018', { body: { errcode: 90018, errmsg: '当前应用调用该接口的并发量已经超过限制' } }],
      ['HTTP 500', { status: 500, body: 'Internal Server Error' }],
      ['a dropped connection', { destroySocket: true }],
    ] as const satisfies ReadonlyArray<readonly [string, FaultReply]>) {
      it(`absorbs ${label} with retries`, async () => {
        const api = openApi(emu.baseUrl);
        emu.failNext('/topapi/v2/department/listsub', 2, reply);
        const children = await api.directory.listSubDepartments(1);
        expect(children.map((c) => c.dept_id).sort()).to.deep.equal(
          org.departments
            .filter((d) => d.parent_id === 1)
            .map((d) => d.dept_id)
            .sort(),
        );
        expect(api.stats().retries).to.equal(2);
        expect(api.stats().byPath['/topapi/v2/department/listsub']).to.equal(3);
      });
    }

    it('gives up after four attempts with a retryable error', async () => {
      const api = openApi(emu.baseUrl);
      emu.failNext('/topapi/v2/department/listsub', 10, { body: { errcode: -1, errmsg: '系统繁忙' } });
      const err = await rejectionOf(api.directory.listSubDepartments(1));
      expect(err.upstream).to.equal('dingtalk');
      expect(err.upstreamCode).to.equal(-1);
      expect(err.retryable).to.equal(true);
      expect(details(err)).to.include({ attempts: 4, path: '/topapi/v2/department/listsub' });
      expect(api.stats().byPath['/topapi/v2/department/listsub']).to.equal(4);
    });

    it('surfaces a non-retryable error at once, with its code and request id', async () => {
      const api = openApi(emu.baseUrl);
      emu.failNext('/topapi/v2/user/list', 1, { body: { errcode: 50004, errmsg: '部门不在权限范围内' } });
      const err = await rejectionOf(api.directory.listDepartmentUsers(1));
      expect(err.upstreamCode).to.equal(50004);
      expect(err.retryable).to.equal(false);
      expect(details(err).requestId).to.be.a('string').and.not.equal('');
      expect(err.message).to.contain('50004');
      expect(api.stats().byPath['/topapi/v2/user/list']).to.equal(1);
    });

    it('does not repeat a side-effecting call after an HTTP 500', async () => {
      const api = openApi(emu.baseUrl);
      emu.failNext('/topapi/message/corpconversation/asyncsend_v2', 1, { status: 500, body: 'oops' });
      const err = await rejectionOf(
        api.notices.sendWorkNotice({
          useridList: [org.users[0].userid],
          msg: { msgtype: 'text', text: { content: 'x' } },
        }),
      );
      expect(err.upstreamCode).to.equal('HTTP_500');
      expect(err.retryable).to.equal(true);
      expect(api.stats().byPath['/topapi/message/corpconversation/asyncsend_v2']).to.equal(1);
    });

    it('reads single departments and users, null when unknown', async () => {
      const api = openApi(emu.baseUrl);
      const child = org.departments.find((d) => d.dept_id !== 1)!;
      const dept = await api.directory.getDepartment(child.dept_id);
      expect(dept).to.include({ dept_id: child.dept_id, name: child.name, order: child.order });
      expect(await api.directory.getDepartment(987654321)).to.equal(null);

      const source = org.users.find((u) => u.email === '') ?? org.users[0];
      const user = await api.directory.getUser(source.userid);
      expect(user).to.include({ userid: source.userid, name: source.name });
      expect(user!.dept_id_list).to.deep.equal(source.dept_id_list);
      if (source.email === '') expect(user).not.to.have.property('email');
      expect(await api.directory.getUser('no-such-user-42')).to.equal(null);
    });

    it('lists admins and counts users', async () => {
      const api = openApi(emu.baseUrl);
      const admins = await api.directory.listAdmins();
      const expected = org.users.filter((u) => u.admin_level > 0);
      expect(admins.map((a) => a.userid).sort()).to.deep.equal(expected.map((u) => u.userid).sort());
      for (const a of admins) {
        expect(a.sys_level).to.equal(expected.find((u) => u.userid === a.userid)!.admin_level);
      }
      expect(await api.directory.countUsers(false)).to.equal(org.users.length);
      expect(await api.directory.countUsers(true)).to.equal(org.users.filter((u) => u.active).length);
    });

    it('exchanges a login code once; the second use is 40078', async () => {
      const api = openApi(emu.baseUrl);
      const source = org.users[3];
      const code = emu.issueAuthCode(source.userid);
      const info = await api.login.getUserInfoByCode(code);
      expect(info).to.include({ userid: source.userid, name: source.name });
      const err = await rejectionOf(api.login.getUserInfoByCode(code));
      expect(err.upstreamCode).to.equal(40078);
      expect(err.retryable).to.equal(false);
      expect(err.message).to.match(/login code/);
    });

    it('sends work notices in chunks of 100 and reads the send result', async () => {
      const api = openApi(emu.baseUrl);
      const recipients = org.users.slice(0, 250).map((u) => u.userid);
      const taskIds = await api.notices.sendWorkNotice({
        useridList: recipients,
        msg: { msgtype: 'text', text: { content: `New mail ${Date.now()}` } },
      });
      expect(taskIds).to.have.length(3);
      expect(new Set(taskIds).size).to.equal(3);
      expect(
        await api.notices.sendWorkNotice({
          useridList: [],
          msg: { msgtype: 'text', text: { content: 'x' } },
        }),
      ).to.deep.equal([]);
      const result = await api.notices.getSendResult(taskIds[2]);
      expect(result.invalid_user_id_list).to.deep.equal([]);
      expect(result.failed_user_id_list).to.deep.equal([]);
      expect([...result.read_user_id_list, ...result.unread_user_id_list].sort()).to.deep.equal(
        recipients.slice(200).sort(),
      );
    });

    it('pulls every failed callback across pages, each once', async () => {
      const api = openApi(emu.baseUrl);
      expect(await api.callbacks.getFailedCallbacks()).to.deep.equal([]);
      // Nothing listens on a closed port, so every push fails for good (no retries configured).
      const closed = http.createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const { port } = closed.address() as AddressInfo;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      emu.setCallback({
        url: `http://127.0.0.1:${port}/dingtalk/callback`,
        token: 'cbtoken123',
        aesKey: 'a'.repeat(43),
        ownerKey: APP_KEY,
        retryDelaysMs: [],
      });
      try {
        const userids = org.users.slice(0, 205).map((u) => u.userid);
        for (const userid of userids) emu.events.pushEvent('user_modify_org', { userIds: [userid] });
        await emu.events.settled();
        const failed = await api.callbacks.getFailedCallbacks();
        expect(failed).to.have.length(205);
        expect(failed[0].call_back_tag).to.equal('user_modify_org');
        expect(failed.map((f) => (f.user_modify_org as { userid: string[] }).userid[0])).to.deep.equal(
          userids,
        );
        expect(api.stats().byPath['/call_back/get_call_back_failed_result']).to.equal(3);
        expect(await api.callbacks.getFailedCallbacks()).to.deep.equal([]);
      } finally {
        emu.setCallback(undefined);
      }
    });

    it('maps bad credentials to a non-retryable 40096', async () => {
      const api = openApi(emu.baseUrl, { appSecret: 'wrong-secret' });
      const err = await rejectionOf(api.directory.countUsers(false));
      expect(err.upstreamCode).to.equal(40096);
      expect(err.retryable).to.equal(false);
      expect(JSON.stringify(err.details)).not.to.contain('wrong-secret');
      expect(err.message).not.to.contain('wrong-secret');
    });
  });

  describe('with the emulator rate limit on', () => {
    const org = generateOrg({ employees: 300, depth: 2, seed: 5 });
    let emu: Emulator;

    before(async () => {
      emu = await startEmulator(org, true);
    });
    after(async () => {
      await emu.close();
    });

    it('stays under 20 calls/s per API at qpsPerApi 20, so 90018 never trips', async () => {
      const api = openApi(emu.baseUrl, { qpsPerApi: 20, maxRetries: 0 });
      const ids = org.users.slice(0, 60).map((u) => u.userid);
      const users = await Promise.all(ids.map((id) => api.directory.getUser(id)));
      expect(users.every((u) => u !== null)).to.equal(true);
      const depts = await api.directory.walkDepartments();
      expect(depts).to.have.length(org.departments.length);
      expect(api.stats().retries).to.equal(0);
    });

    it('trips 90018 without the client-side limit (control)', async () => {
      const api = openApi(emu.baseUrl, { qpsPerApi: 10_000, maxRetries: 0 });
      const ids = org.users.slice(0, 60).map((u) => u.userid);
      const results = await Promise.allSettled(ids.map((id) => api.directory.getUser(id)));
      const codes = results.flatMap((r) =>
        r.status === 'rejected' ? [(r.reason as UpstreamError).upstreamCode] : [],
      );
      expect(codes).to.include(90018);
    });
  });
});
