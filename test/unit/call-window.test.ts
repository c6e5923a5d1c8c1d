import { expect } from 'chai';
import { CallWindow } from '../../server/integrations/dingtalk/call-window';

/** A virtual clock: sleeping moves time forward without waiting for it. */
function virtualClock() {
  const clock = {
    t: 0,
    now: () => clock.t,
    sleep: async (ms: number) => {
      await new Promise((resolve) => setImmediate(resolve));
      clock.t += ms;
    },
  };
  return clock;
}

describe('CallWindow (per-API sliding window)', () => {
  it('sends a whole window at once, then one slot a window after each reply', async () => {
    const clock = virtualClock();
    const w = new CallWindow(3, 1000, clock.now, clock.sleep);
    const sent: number[] = [];
    await Promise.all(
      Array.from({ length: 7 }, async () => {
        const release = await w.acquire();
        sent.push(clock.t);
        clock.t += 10; // the reply takes 10 ms
        release();
      }),
    );
    // Slots free 1000 ms after each reply (10, 20, 30, then 1020, ...).
    expect(sent).to.deep.equal([0, 10, 20, 1010, 1020, 1030, 2020]);
  });

  it('never lets limit + 1 calls land within one window at the server, whatever the latency', async () => {
    const clock = virtualClock();
    const w = new CallWindow(20, 1000, clock.now, clock.sleep);
    const arrivals: number[] = [];
    let k = 0;
    await Promise.all(
      Array.from({ length: 100 }, async () => {
        const release = await w.acquire();
        const latency = [5, 120, 40, 300][k++ % 4];
        // The server sees the call somewhere between sending and the reply.
        arrivals.push(clock.t + latency / 2);
        await clock.sleep(latency);
        release();
      }),
    );
    arrivals.sort((a, b) => a - b);
    for (let i = 20; i < arrivals.length; i++) expect(arrivals[i] - arrivals[i - 20]).to.be.at.least(1000);
  });

  it('serves callers in arrival order', async () => {
    const clock = virtualClock();
    const w = new CallWindow(1, 100, clock.now, clock.sleep);
    const order: number[] = [];
    await Promise.all(
      [0, 1, 2, 3].map(async (i) => {
        const release = await w.acquire();
        order.push(i);
        release();
      }),
    );
    expect(order).to.deep.equal([0, 1, 2, 3]);
  });
});
