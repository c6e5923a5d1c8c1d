import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import {
  acceptKey,
  encodeFrame,
  FrameDecoder,
  Opcode,
  startDingTalkEmulator,
  type RunningEmulator,
} from '../../server/sandbox/dingtalk-emulator';
import { generateOrg } from '../../server/sandbox/org-generator';

// Stream mode: connections/open, then a WebSocket (a minimal client built on the emulator's codec).

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const APP = {
  appKey: 'dingtestappkey',
  appSecret: 'test-secret',
  corpId: 'ding0123456789abcdef',
  agentId: 42,
};

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

class StreamClient {
  readonly messages: Json[] = [];
  closed = false;
  private constructor(private readonly socket: Socket) {}

  static async open(
    emu: RunningEmulator,
    subscriptions: Json[] = [{ type: 'EVENT', topic: '*' }],
  ): Promise<StreamClient> {
    const res = await fetch(`${emu.baseUrl}/v1.0/gateway/connections/open`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ clientId: APP.appKey, clientSecret: APP.appSecret, subscriptions, ua: 'test' }),
    });
    const { endpoint, ticket } = (await res.json()) as Json;
    expect(endpoint).to.equal(`ws://127.0.0.1:${emu.port}/connect`);
    return StreamClient.connect(endpoint, ticket);
  }

  static async connect(endpoint: string, ticket: string): Promise<StreamClient> {
    const url = new URL(endpoint);
    const socket = connect(Number(url.port), url.hostname);
    const key = randomBytes(16).toString('base64');
    socket.write(
      `GET ${url.pathname}?ticket=${ticket} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\n` +
        `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    const client = new StreamClient(socket);
    const decoder = new FrameDecoder();
    await new Promise<void>((resolve, reject) => {
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer): void => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        const status = head.subarray(0, end).toString();
        if (!status.startsWith('HTTP/1.1 101') || !status.includes(acceptKey(key))) {
          return reject(new Error(status.split('\r\n')[0]));
        }
        socket.on('data', (c: Buffer) => {
          for (const frame of decoder.push(c)) {
            if (frame.opcode === Opcode.text)
              client.messages.push(JSON.parse(frame.payload.toString()) as Json);
          }
        });
        const rest = head.subarray(end + 4);
        if (rest.length) socket.emit('data', rest);
        resolve();
      };
      socket.on('data', onData);
      socket.on('error', reject);
    });
    socket.on('close', () => (client.closed = true));
    return client;
  }

  next(what: string, match: (m: Json) => boolean): Promise<Json> {
    return waitFor(what, () => {
      const at = this.messages.findIndex(match);
      return at < 0 ? undefined : this.messages.splice(at, 1)[0];
    });
  }

  reply(message: Json, status?: 'SUCCESS' | 'LATER'): void {
    const data = status ? JSON.stringify({ status, message: status.toLowerCase() }) : message.data;
    const ack = {
      code: 200,
      headers: { contentType: 'application/json', messageId: message.headers.messageId },
      message: 'OK',
      data,
    };
    this.socket.write(encodeFrame(Opcode.text, JSON.stringify(ack), true));
  }

  close(): void {
    this.socket.destroy();
  }
}

describe('DingTalk emulator: Stream mode', () => {
  let emu: RunningEmulator;
  const clients: StreamClient[] = [];
  beforeEach(async () => {
    emu = await startDingTalkEmulator({
      org: generateOrg({ employees: 50, depth: 3, seed: 4 }),
      ...APP,
      stream: {
        ackTimeoutMs: 60,
        redeliverDelayMs: 10,
        maxDeliveries: 3,
        pingIntervalMs: 0,
        disconnectGraceMs: 20,
      },
    });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await emu.close();
  });
  const open = async (): Promise<StreamClient> => {
    const client = await StreamClient.open(emu);
    clients.push(client);
    return client;
  };

  it('connections/open checks credentials and the EVENT topic; a ticket works once', async () => {
    const post = (body: Json): Promise<Response> =>
      fetch(`${emu.baseUrl}/v1.0/gateway/connections/open`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post({ clientId: APP.appKey, clientSecret: 'x', subscriptions: [] })).status).to.equal(400);
    const badTopic = await post({
      clientId: APP.appKey,
      clientSecret: APP.appSecret,
      subscriptions: [{ type: 'EVENT', topic: 'user_add_org' }],
    });
    expect(badTopic.status).to.equal(400);
    const ok = (await (
      await post({
        clientId: APP.appKey,
        clientSecret: APP.appSecret,
        subscriptions: [{ type: 'EVENT', topic: '*' }],
      })
    ).json()) as Json;
    clients.push(await StreamClient.connect(ok.endpoint, ok.ticket));
    let refused = '';
    await StreamClient.connect(ok.endpoint, ok.ticket).catch((err: Error) => (refused = err.message));
    expect(refused).to.match(/401/);
  });

  it('sends an EVENT frame with string data and settles on a SUCCESS ack', async () => {
    const client = await open();
    const user = emu.org.hire({ name: '欧阳娜', deptIds: [1] });
    const frame = await client.next('event', (m) => m.type === 'EVENT');
    expect(frame.specVersion).to.equal('1.0');
    expect(frame.headers).to.include({ topic: '*', eventType: 'user_add_org', eventCorpId: APP.corpId });
    expect(frame.headers.eventId).to.be.a('string');
    expect(frame.data).to.be.a('string');
    const data = JSON.parse(frame.data) as Json;
    expect(data.userId).to.deep.equal([user.userid]);
    expect(data.timeStamp).to.match(/^\d{13}$/);
    client.reply(frame, 'SUCCESS');
    const record = await emu.stream.log[0].done;
    expect(record).to.include({ status: 'acked', deliveries: 1 });
  });

  it('redelivers on LATER and on a missing ack, and drops after maxDeliveries', async () => {
    const client = await open();
    const dept = emu.org.createDept({ name: '流式测试部', parentId: 1 });
    const first = await client.next('first delivery', (m) => m.type === 'EVENT');
    expect(JSON.parse(first.data)).to.deep.include({ deptId: [dept.dept_id] });
    client.reply(first, 'LATER');
    const second = await client.next('redelivery', (m) => m.type === 'EVENT');
    expect(second.headers.eventId).to.equal(first.headers.eventId);
    client.reply(second, 'SUCCESS');
    expect(await emu.stream.log[0].done).to.include({ status: 'acked', deliveries: 2 });

    emu.org.renameDept(dept.dept_id, '流式测试二部'); // never acked
    const dropped = await emu.stream.log[1].done;
    expect(dropped).to.include({ status: 'dropped', deliveries: 3 });
  });

  it('holds events while no client is connected and delivers them on reconnect', async () => {
    const client = await open();
    client.close();
    await waitFor('disconnect', () => (emu.stream.connectionCount === 0 ? true : undefined));
    emu.org.hire({ name: '司马光', deptIds: [1] });
    const again = await open();
    const frame = await again.next('held event', (m) => m.type === 'EVENT');
    expect(frame.headers.eventType).to.equal('user_add_org');
    again.reply(frame, 'SUCCESS');
    await emu.stream.settled();
  });

  it('sends SYSTEM ping (echo counts) and disconnect frames', async () => {
    await emu.close();
    emu = await startDingTalkEmulator({
      org: generateOrg({ employees: 5, depth: 1, seed: 1 }),
      ...APP,
      stream: { pingIntervalMs: 20, disconnectGraceMs: 20 },
    });
    const client = await open();
    const ping = await client.next('ping', (m) => m.type === 'SYSTEM' && m.headers.topic === 'ping');
    expect(JSON.parse(ping.data)).to.have.property('opaque');
    client.reply(ping);
    await waitFor('pong counted', () => (emu.stream.pongCount > 0 ? true : undefined));
    emu.stream.disconnectAll('maintenance');
    const bye = await client.next('disconnect', (m) => m.headers?.topic === 'disconnect');
    expect(JSON.parse(bye.data)).to.deep.equal({ reason: 'maintenance' });
    await waitFor('socket closed', () => (client.closed ? true : undefined));
  });
});
