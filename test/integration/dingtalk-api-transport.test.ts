import http from 'node:http';
import { type AddressInfo } from 'node:net';
import { expect } from 'chai';
import { createLogger } from '../../server/platform/logger';
import { type DingTalkApiConfig } from '../../server/integrations/dingtalk/dingtalk-api.client';
import {
  createDingTalkOpenApi,
  type DingTalkOpenApi,
} from '../../server/integrations/dingtalk/dingtalk-open-api';
import { details, rejectionOf } from '../support/upstream-errors';

/**
 * Transport behaviour the emulator has no switch for (silent server, refused connection, string-typed
 * replies, token lifetime, new-API auth errors), against scripted loopback HTTP servers.
 */

const APP_KEY = 'dingtestappkey0001';
const APP_SECRET = 'test-app-secret-0001';
const logger = createLogger({ level: 'silent' });

function openApi(baseUrl: string, overrides: Partial<DingTalkApiConfig> = {}): DingTalkOpenApi {
  return createDingTalkOpenApi({
    oapiBaseUrl: baseUrl,
    apiBaseUrl: baseUrl,
    appKey: APP_KEY,
    appSecret: APP_SECRET,
    agentId: 123456789,
    qpsPerApi: 1000,
    retryBaseDelayMs: 5,
    throttleRetryDelayMs: 10,
    logger,
    ...overrides,
  });
}

describe('DingTalk API client transport failures', function () {
  this.timeout(20_000);

  /** A loopback server with a scripted handler, for failures the emulator has no switch for. */
  async function stubServer(
    handler: http.RequestListener,
  ): Promise<{ baseUrl: string; close: () => Promise<void> }> {
    const server = http.createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      baseUrl: `http://127.0.0.1:${port}`,
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
  }

  function json(res: http.ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  it('times out a silent server, retries, and reports a retryable timeout', async () => {
    let calls = 0;
    const stub = await stubServer((req, res) => {
      if (req.url?.startsWith('/gettoken'))
        return json(res, 200, { errcode: 0, access_token: 't1', expires_in: 7200 });
      calls += 1; // never answer
    });
    try {
      const api = openApi(stub.baseUrl, { timeoutMs: 150, maxRetries: 1 });
      const err = await rejectionOf(api.directory.countUsers(false));
      expect(err.upstreamCode).to.equal('timeout');
      expect(err.retryable).to.equal(true);
      expect(calls).to.equal(2);
    } finally {
      await stub.close();
    }
  });

  it('retries a refused connection and then reports a network error', async () => {
    const stub = await stubServer((_req, res) => res.end());
    const baseUrl = stub.baseUrl;
    await stub.close();
    const api = openApi(baseUrl, { maxRetries: 2 });
    const err = await rejectionOf(api.directory.countUsers(false));
    expect(err.upstreamCode).to.equal('network');
    expect(details(err).attempts).to.equal(3);
    expect(api.stats().byPath['/gettoken']).to.equal(3);
  });

  it('shares one token fetch between concurrent callers and coerces string-typed replies', async () => {
    let tokenFetches = 0;
    const stub = await stubServer((req, res) => {
      if (req.url?.startsWith('/gettoken')) {
        tokenFetches += 1;
        setTimeout(() => json(res, 200, { errcode: 0, access_token: 'tok', expires_in: '7200' }), 30);
        return;
      }
      // Doc-sample style: every value a string.
      json(res, 200, {
        errcode: '0',
        errmsg: 'ok',
        result: {
          has_more: 'false',
          list: [
            {
              userid: 'u1',
              name: 'A',
              avatar: '',
              dept_id_list: '[2,3]',
              hired_date: '1597573616828',
              active: 'true',
            },
          ],
        },
      });
    });
    try {
      const api = openApi(stub.baseUrl);
      const pages = await Promise.all([2, 3, 4, 5].map((d) => api.directory.listDepartmentUsers(d)));
      expect(tokenFetches).to.equal(1);
      expect(pages[0][0]).to.deep.equal({
        userid: 'u1',
        name: 'A',
        dept_id_list: [2, 3],
        hired_date: 1597573616828,
        active: true,
      });
    } finally {
      await stub.close();
    }
  });

  it('refreshes the cached token ten minutes before it expires', async () => {
    const issued = ['t1', 't2'];
    const used: string[] = [];
    const stub = await stubServer((req, res) => {
      if (req.url?.startsWith('/gettoken')) {
        return json(res, 200, { errcode: 0, access_token: issued.shift(), expires_in: 7200 });
      }
      used.push(new URL(req.url ?? '/', 'http://x').searchParams.get('access_token') ?? '');
      json(res, 200, { errcode: 0, errmsg: 'ok', result: { count: 4 } });
    });
    try {
      let now = 1_700_000_000_000;
      const api = openApi(stub.baseUrl, {
        now: () => now,
        sleep: async (ms) => {
          now += ms;
        },
      });
      await api.directory.countUsers(false);
      now += (7200 - 600 - 1) * 1000;
      await api.directory.countUsers(false);
      now += 2000;
      await api.directory.countUsers(false);
      expect(used).to.deep.equal(['t1', 't1', 't2']);
      expect(api.stats().tokenFetches).to.equal(2);
    } finally {
      await stub.close();
    }
  });

  it('refreshes the token once on a new-API 400 InvalidAuthentication', async () => {
    const tokens = ['old', 'new'];
    const seen: string[] = [];
    const stub = await stubServer((req, res) => {
      if (req.url?.startsWith('/gettoken')) {
        return json(res, 200, { errcode: 0, access_token: tokens.shift(), expires_in: 7200 });
      }
      const token = String(req.headers['x-acs-dingtalk-access-token']);
      seen.push(token);
      if (token !== 'new') {
        return json(res, 400, {
          code: 'InvalidAuthentication',
          message: '不合法的access_token',
          requestid: 'REQ-1',
        });
      }
      return json(res, 200, { jsapiTicket: 'ticket', expireIn: 7200 });
    });
    try {
      const api = openApi(stub.baseUrl);
      const reply = await api.client.callNewApi<{ jsapiTicket: string }>(
        'POST',
        '/v1.0/oauth2/jsapiTickets',
        {},
      );
      expect(reply.jsapiTicket).to.equal('ticket');
      expect(seen).to.deep.equal(['old', 'new']);
      expect(api.stats().tokenFetches).to.equal(2);
    } finally {
      await stub.close();
    }
  });

  it('never puts the token or the secret into errors or logs', async () => {
    const lines: string[] = [];
    const debugLogger = createLogger({ level: 'debug' }, { write: (line: string) => lines.push(line) });
    const stub = await stubServer((req, res) => {
      if (req.url?.startsWith('/gettoken'))
        return json(res, 200, { errcode: 0, access_token: 'SECRET-TOKEN', expires_in: 7200 });
      json(res, 200, { errcode: 400002, errmsg: '无效的参数', request_id: 'abc123' });
    });
    try {
      const api = openApi(stub.baseUrl, { logger: debugLogger });
      const err = await rejectionOf(api.directory.countUsers(false));
      expect(lines.length).to.be.greaterThan(0);
      const text = `${err.message} ${JSON.stringify(err.details)} ${err.stack} ${lines.join('')}`;
      expect(text).not.to.contain('SECRET-TOKEN');
      expect(text).not.to.contain(APP_SECRET);
      expect(details(err).requestId).to.equal('abc123');
    } finally {
      await stub.close();
    }
  });
});
