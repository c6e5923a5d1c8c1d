import { expect } from 'chai';
import { DingTalkStreamListener } from '../../server/integrations/dingtalk/dingtalk-stream.listener';
import type { DirectoryEvent } from '../../server/modules/directory';
import { createLogger } from '../../server/platform/logger';
import {
  startDingTalkEmulator,
  type RunningEmulator,
  type StreamDelivery,
  type StreamOptions,
} from '../../server/sandbox/dingtalk-emulator';
import { generateOrg } from '../../server/sandbox/org-generator';

/**
 * Stream mode against the emulator's gateway on 127.0.0.1 over a real WebSocket: events reach the
 * store before they are acked, duplicates and failures are handled, reconnects and stop work.
 */

const APP = {
  appKey: 'dingtestappkey0001',
  appSecret: 'test-app-secret-0001',
  corpId: 'ding0123456789abcdef',
  agentId: 123456789,
};
const TENANT = 'tenant-stream-1';
const OPEN_PATH = '/v1.0/gateway/connections/open';
/** dingtalk-stream 2.1.5 waits a fixed second before reconnecting; a window that must stay quiet. */
const QUIET_WINDOW_MS = 1500;
const logger = createLogger({ level: 'silent' });
const org = generateOrg({ employees: 40, depth: 2, seed: 7 });

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** For "never happens" checks: the condition must hold throughout the window. */
async function holdsFor(condition: () => boolean, what: string, windowMs: number): Promise<void> {
  const end = Date.now() + windowMs;
  while (Date.now() < end) {
    if (!condition()) throw new Error(`expected ${what} to hold`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('DingTalk Stream listener', function () {
  this.timeout(20_000);

  let emu: RunningEmulator;
  let listener: DingTalkStreamListener;
  /** The test's store: keyed like directory_events, so a repeated key is a duplicate. */
  let stored: Array<{ tenantId: string; event: DirectoryEvent }>;
  let calls: DirectoryEvent[];
  let beforeStore: ((event: DirectoryEvent) => Promise<void>) | undefined;
  let afterStore: ((event: DirectoryEvent) => Promise<void>) | undefined;

  async function ingest(tenantId: string, event: DirectoryEvent): Promise<boolean> {
    calls.push(event);
    await beforeStore?.(event);
    if (stored.some((s) => s.event.key === event.key)) return false;
    stored.push({ tenantId, event });
    await afterStore?.(event);
    return true;
  }

  async function setUp(stream: StreamOptions = {}): Promise<void> {
    emu = await startDingTalkEmulator({
      org,
      ...APP,
      port: 0,
      stream: {
        ackTimeoutMs: 5000,
        redeliverDelayMs: 50,
        pingIntervalMs: 100,
        disconnectGraceMs: 50,
        ...stream,
      },
    });
    listener = new DingTalkStreamListener({
      tenantId: TENANT,
      appKey: APP.appKey,
      appSecret: APP.appSecret,
      apiBaseUrl: emu.baseUrl,
      ingest,
      logger,
    });
  }

  const opens = (): number => emu.stats.byPath[OPEN_PATH] ?? 0;
  const storedKeys = (): string[] => stored.map((s) => s.event.key);
  const callsFor = (key: string): number => calls.filter((e) => e.key === key).length;

  async function startConnected(): Promise<void> {
    await listener.start();
    await waitFor(() => emu.stream.connectionCount === 1, 'the stream connection');
  }

  /** The delivery the last org change produced. */
  function lastDelivery(): StreamDelivery {
    const delivery = emu.stream.log.at(-1);
    if (!delivery) throw new Error('the org change was not published');
    return delivery;
  }

  beforeEach(() => {
    stored = [];
    calls = [];
    beforeStore = undefined;
    afterStore = undefined;
  });

  afterEach(async () => {
    await listener?.stop();
    await emu?.close();
  });

  it('stores hire, leave and department events with their ids and acks each after the store', async () => {
    await setUp();
    await startConnected();
    expect(listener.connected).to.equal(true);

    const user = emu.org.hire({ name: '测试员工', deptIds: [1] });
    const hired = lastDelivery();
    await waitFor(() => stored.length === 1, 'the hire event');
    expect(stored[0].tenantId).to.equal(TENANT);
    expect(stored[0].event).to.deep.include({
      key: hired.eventId,
      type: 'user_add_org',
      memberIds: [user.userid],
      departmentIds: [],
    });

    const dept = emu.org.createDept({ name: '流式测试部', parentId: 1 });
    const created = lastDelivery();
    emu.org.leave(user.userid);
    const left = lastDelivery();
    await waitFor(() => stored.length === 3, 'the department and leave events');
    const byKey = new Map(stored.map((s) => [s.event.key, s.event]));
    expect(byKey.get(created.eventId)).to.deep.include({
      type: 'org_dept_create',
      memberIds: [],
      departmentIds: [String(dept.dept_id)],
    });
    expect(byKey.get(left.eventId)).to.deep.include({ type: 'user_leave_org', memberIds: [user.userid] });

    await emu.stream.settled();
    expect(emu.stream.log.map((d) => [d.status, d.deliveries])).to.deep.equal([
      ['acked', 1],
      ['acked', 1],
      ['acked', 1],
    ]);
    // SYSTEM pings are answered (the SDK does it); an unanswered gateway would drop us.
    await waitFor(() => emu.stream.pongCount > 0, 'a ping reply');
  });

  it('acks a duplicate delivery of the same eventId and stores it once', async () => {
    // A slow store: the first ack comes after the gateway gave up waiting and delivered again.
    await setUp({ ackTimeoutMs: 200 });
    await startConnected();
    afterStore = (event) => waitFor(() => callsFor(event.key) >= 2, 'the redelivery');

    emu.org.hire({ name: '重复投递', deptIds: [1] });
    const delivery = lastDelivery();
    await emu.stream.settled();

    expect(delivery.status).to.equal('acked');
    expect(delivery.deliveries).to.equal(2);
    expect(callsFor(delivery.eventId)).to.equal(2);
    expect(storedKeys()).to.deep.equal([delivery.eventId]);
  });

  it('acks LATER when the store fails, so the event is redelivered and then stored', async () => {
    // The ack timeout is far beyond the wait: only a LATER ack can bring the event back in time.
    await setUp({ ackTimeoutMs: 10_000 });
    await startConnected();
    let failures = 0;
    beforeStore = async () => {
      if (failures++ === 0) throw new Error('database unavailable');
    };

    emu.org.hire({ name: '稍后重试', deptIds: [1] });
    const delivery = lastDelivery();
    await waitFor(() => delivery.status === 'acked', 'the redelivered event to be acked', 3000);

    expect(delivery.deliveries).to.equal(2);
    expect(callsFor(delivery.eventId)).to.equal(2);
    expect(storedKeys()).to.deep.equal([delivery.eventId]);
  });

  it('reconnects with a fresh connections/open after the gateway disconnects', async () => {
    await setUp();
    await startConnected();
    const before = opens();

    emu.stream.disconnectAll('maintenance');
    // Published while the old socket is closing: delivered there or, if lost, on the new one.
    emu.org.hire({ name: '断线期间', deptIds: [1] });
    const during = lastDelivery();
    await waitFor(() => opens() > before && emu.stream.connectionCount === 1, 'the reconnect');

    emu.org.hire({ name: '重连之后', deptIds: [1] });
    const after = lastDelivery();
    await emu.stream.settled();
    expect(during.status).to.equal('acked');
    expect(after.status).to.equal('acked');
    expect(storedKeys()).to.have.members([during.eventId, after.eventId]);
    expect(stored).to.have.length(2);
  });

  it('keeps retrying when connections/open fails at first', async () => {
    await setUp();
    emu.failNext(OPEN_PATH, 1, { status: 500 });
    await listener.start();
    expect(listener.connected).to.equal(false);

    await waitFor(() => emu.stream.connectionCount === 1, 'the retried connection');
    expect(opens()).to.equal(2);
    emu.org.hire({ name: '重试之后', deptIds: [1] });
    await waitFor(() => stored.length === 1, 'the event after the retry');
  });

  it('closes its connection on stop', async () => {
    await setUp();
    await startConnected();

    await listener.stop();
    await waitFor(() => emu.stream.connectionCount === 0, 'the connection to close');
    await waitFor(() => !listener.connected, 'the client to notice');
  });

  it('does not reconnect when stopped while waiting to reconnect', async () => {
    await setUp();
    await startConnected();
    emu.stream.disconnectAll('maintenance');
    await waitFor(() => emu.stream.connectionCount === 0, 'the gateway to close the socket');

    await listener.stop();
    const after = opens();
    await holdsFor(
      () => opens() === after && emu.stream.connectionCount === 0,
      'no new connection after stop',
      QUIET_WINDOW_MS,
    );
  });
});
