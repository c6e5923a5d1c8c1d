import { expect } from 'chai';
import {
  bucketOptionsForQps,
  KeyedTokenBuckets,
  TokenBucket,
} from '../../server/integrations/dingtalk/token-bucket';

/** A virtual clock: sleeping moves time forward without waiting for it. */
function virtualClock() {
  const clock = {
    t: 0,
    sleeps: [] as number[],
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.sleeps.push(ms);
      // Yield first so callers already served record the time they were served at.
      await new Promise((resolve) => setImmediate(resolve));
      clock.t += ms;
    },
  };
  return clock;
}

async function takeTimes(bucket: TokenBucket, n: number, now: () => number): Promise<number[]> {
  const times: number[] = [];
  await Promise.all(Array.from({ length: n }, () => bucket.take().then(() => times.push(now()))));
  return times;
}

describe('TokenBucket', () => {
  it('serves a full bucket at once, then one token per 1/rate seconds', async () => {
    const clock = virtualClock();
    const bucket = new TokenBucket({ ratePerSecond: 10, capacity: 2, now: clock.now, sleep: clock.sleep });
    const times = await takeTimes(bucket, 5, clock.now);
    expect(times).to.deep.equal([0, 0, 100, 200, 300]);
  });

  it('serves waiting callers in arrival order', async () => {
    const clock = virtualClock();
    const bucket = new TokenBucket({ ratePerSecond: 5, capacity: 1, now: clock.now, sleep: clock.sleep });
    const order: number[] = [];
    await Promise.all([1, 2, 3, 4].map((id) => bucket.take().then(() => order.push(id))));
    expect(order).to.deep.equal([1, 2, 3, 4]);
    expect(clock.t).to.equal(600);
  });

  it('refills while idle but never beyond its capacity', async () => {
    const clock = virtualClock();
    const bucket = new TokenBucket({ ratePerSecond: 10, capacity: 2, now: clock.now, sleep: clock.sleep });
    await takeTimes(bucket, 2, clock.now);
    clock.t += 60_000;
    const start = clock.t;
    const times = await takeTimes(bucket, 3, clock.now);
    expect(times.map((t) => t - start)).to.deep.equal([0, 0, 100]);
  });

  it('tryTake takes only an available token and never jumps the queue', async () => {
    const clock = virtualClock();
    let release: () => void = () => undefined;
    const blockingSleep = (ms: number) =>
      new Promise<void>((resolve) => {
        release = () => {
          clock.t += ms;
          resolve();
        };
      });
    const bucket = new TokenBucket({ ratePerSecond: 10, capacity: 1, now: clock.now, sleep: blockingSleep });
    expect(bucket.tryTake()).to.equal(true);
    expect(bucket.tryTake()).to.equal(false);
    const waiter = bucket.take();
    await Promise.resolve();
    await Promise.resolve();
    clock.t += 500; // a token is due, but the queued caller owns it
    expect(bucket.pending).to.equal(1);
    expect(bucket.tryTake()).to.equal(false);
    release();
    await waiter;
    expect(bucket.pending).to.equal(0);
  });

  it('keeps the queue moving when one sleep fails', async () => {
    const clock = virtualClock();
    let failOnce = true;
    const sleep = async (ms: number) => {
      if (failOnce) {
        failOnce = false;
        throw new Error('timer broke');
      }
      clock.t += ms;
    };
    const bucket = new TokenBucket({ ratePerSecond: 10, capacity: 1, now: clock.now, sleep });
    await bucket.take();
    const results = await Promise.allSettled([bucket.take(), bucket.take()]);
    expect(results.map((r) => r.status)).to.deep.equal(['rejected', 'fulfilled']);
  });

  it('rejects nonsense settings', () => {
    expect(() => new TokenBucket({ ratePerSecond: 0, capacity: 1 })).to.throw(RangeError);
    expect(() => new TokenBucket({ ratePerSecond: Number.NaN, capacity: 1 })).to.throw(RangeError);
    expect(() => new TokenBucket({ ratePerSecond: 1, capacity: 0.5 })).to.throw(RangeError);
    expect(() => bucketOptionsForQps(0)).to.throw(RangeError);
  });
});

describe('bucketOptionsForQps', () => {
  for (const qps of [1, 20, 50]) {
    it(`never lets more than ${qps} calls into any sliding second, with jitter margin, at ≥90% of ${qps}/s`, async () => {
      const clock = virtualClock();
      const bucket = new TokenBucket({ ...bucketOptionsForQps(qps), now: clock.now, sleep: clock.sleep });
      const n = qps * 10;
      const times = await takeTimes(bucket, n, clock.now);
      // 1050 ms: a call may reach the server up to 50 ms earlier, relative to another, than it left us.
      const windowMs = 1050;
      let maxInWindow = 0;
      for (let i = 0, j = 0; i < times.length; i++) {
        while (times[i] - times[j] >= windowMs) j++;
        maxInWindow = Math.max(maxInWindow, i - j + 1);
      }
      expect(maxInWindow).to.be.at.most(qps);
      const achievedQps = (n - 1) / (times[n - 1] / 1000);
      expect(achievedQps).to.be.at.least(qps * 0.9);
    });
  }
});

describe('KeyedTokenBuckets', () => {
  it('keeps one independent bucket per key', async () => {
    const clock = virtualClock();
    const buckets = new KeyedTokenBuckets({
      ratePerSecond: 1,
      capacity: 1,
      now: clock.now,
      sleep: clock.sleep,
    });
    await buckets.take('/topapi/v2/user/list');
    await buckets.take('/topapi/v2/department/listsub');
    expect(clock.t).to.equal(0);
    await buckets.take('/topapi/v2/user/list');
    expect(clock.t).to.equal(1000);
    expect(buckets.bucket('/a')).to.equal(buckets.bucket('/a'));
  });
});
