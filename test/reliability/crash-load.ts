import nodemailer from 'nodemailer';
import { REMOTE_DOMAIN, type CrashEnv, type Member } from './crash-env';

/**
 * accepted: the server said 250 (or the API said 2xx): must arrive exactly once.
 * refused: the server answered with an error code: must not arrive at all.
 * uncertain: the connection broke (a kill): may arrive or not, but never twice.
 */
export type Outcome = 'accepted' | 'refused' | 'uncertain';

export interface SentRecord {
  kind: 'inbound' | 'submission' | 'undo' | 'scheduled';
  /** Unique per message; also its Subject (scheduled sends get their Message-ID from the server). */
  key: string;
  messageId: string | null;
  local: Member[];
  remote: string[];
  sender: Member | null;
  outcome: Outcome;
  error?: string;
  /** Refused because nothing listened (the server was down): it never reached the server. */
  unreached?: boolean;
  /** Scheduled sends: when they are due. */
  dueAt?: Date;
}

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Continuous mail while `running()`: MX clients, submission clients, API sends (undo window and scheduled). */
export class LoadGenerator {
  readonly records: SentRecord[] = [];
  private seq = 0;

  constructor(
    private readonly env: CrashEnv,
    private readonly rand: () => number,
    private readonly runId: string,
  ) {}

  private pick<T>(list: T[], n: number): T[] {
    const copy = [...list];
    const out: T[] = [];
    while (out.length < n && copy.length > 0)
      out.push(copy.splice(Math.floor(this.rand() * copy.length), 1)[0]!);
    return out;
  }

  private nextKey(kind: string): string {
    return `crash-${this.runId}-${kind}-${++this.seq}`;
  }

  /** Runs every client until `until()` says stop. */
  async run(until: () => boolean, opts: { scheduledAt: Date[] }): Promise<void> {
    const loops: Promise<void>[] = [];
    for (let i = 0; i < 3; i++) loops.push(this.loop(until, () => this.inbound()));
    for (const s of this.env.submitters) loops.push(this.loop(until, () => this.submission(s)));
    loops.push(this.loop(until, () => this.apiSend(null), 1500));
    await this.scheduleAhead(opts.scheduledAt);
    await Promise.all(loops);
  }

  private async loop(until: () => boolean, step: () => Promise<SentRecord>, pauseMs = 50): Promise<void> {
    while (!until()) {
      const r = await step();
      // While the server is down, back off a little instead of spinning on refused connections.
      await sleep(r.outcome === 'accepted' ? pauseMs : 250);
    }
  }

  private async inbound(): Promise<SentRecord> {
    const key = this.nextKey('in');
    const local = this.pick(this.env.members.slice(2), 1 + Math.floor(this.rand() * 2));
    const rec: SentRecord = {
      kind: 'inbound',
      key,
      messageId: `<${key}@sender.example>`,
      local,
      remote: [],
      sender: null,
      outcome: 'uncertain',
    };
    this.records.push(rec);
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: this.env.server.ports.smtp,
      secure: false,
      ignoreTLS: true,
      connectionTimeout: 5000,
      greetingTimeout: 5000,
      socketTimeout: 20_000,
    });
    await this.smtp(rec, () =>
      transport.sendMail({
        from: 'partner@sender.example',
        to: local.map((m) => m.email),
        subject: key,
        messageId: rec.messageId!,
        text: `断电测试 ${key}\n`,
      }),
    );
    transport.close();
    return rec;
  }

  private async submission(s: CrashEnv['submitters'][number]): Promise<SentRecord> {
    const key = this.nextKey('sub');
    const remote = this.pick(['a', 'b', 'c', 'd'], 1 + Math.floor(this.rand() * 2)).map(
      (l) => `${l}@${REMOTE_DOMAIN}`,
    );
    const local = this.rand() < 0.5 ? this.pick(this.env.members.slice(2), 1) : [];
    const rec: SentRecord = {
      kind: 'submission',
      key,
      messageId: `<${key}@crashco.test>`,
      local,
      remote,
      sender: s,
      outcome: 'uncertain',
    };
    this.records.push(rec);
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: this.env.server.ports.submission,
      secure: false,
      ignoreTLS: true,
      auth: { user: s.user, pass: s.pass },
      connectionTimeout: 5000,
      greetingTimeout: 5000,
      socketTimeout: 20_000,
    });
    await this.smtp(rec, () =>
      transport.sendMail({
        from: s.email,
        to: [...remote, ...local.map((m) => m.email)],
        subject: key,
        messageId: rec.messageId!,
        text: `外发测试 ${key}\n`,
      }),
    );
    transport.close();
    return rec;
  }

  private async smtp(rec: SentRecord, send: () => Promise<{ response: string }>): Promise<void> {
    try {
      const info = await send();
      rec.outcome = /^250/.test(info.response) ? 'accepted' : 'uncertain';
    } catch (err) {
      const e = err as { responseCode?: number; message?: string; code?: string };
      rec.error = e.message ?? String(err);
      // An SMTP reply is an answer, and a refused connection never reached the server (both: it must
      // not arrive); a connection broken mid-way is not an answer.
      rec.unreached = /ECONNREFUSED/.test(rec.error);
      rec.outcome = (e.responseCode && e.code !== 'ECONNECTION') || rec.unreached ? 'refused' : 'uncertain';
    }
  }

  /** A send through the web API: with `sendAt` it is scheduled, without it waits for the undo window. */
  private async apiSend(sendAt: Date | null): Promise<SentRecord> {
    const kind = sendAt ? 'scheduled' : 'undo';
    const key = this.nextKey(kind === 'scheduled' ? 'sch' : 'undo');
    const [sender] = this.pick(this.env.members.slice(0, 2), 1);
    const local = this.pick(this.env.members.slice(2), 1);
    const remote = [`${this.pick(['e', 'f', 'g'], 1)[0]}@${REMOTE_DOMAIN}`];
    const rec: SentRecord = {
      kind,
      key,
      messageId: null,
      local,
      remote,
      sender: sender!,
      outcome: 'uncertain',
      dueAt: sendAt ?? undefined,
    };
    this.records.push(rec);
    try {
      const res = await fetch(`${this.env.server.url}/api/v1/mail/send`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.env.token(sender!.id)}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          to: [...remote, ...local.map((m) => m.email)].map((address) => ({ address })),
          subject: key,
          text: `定时发送 ${key}`,
          ...(sendAt ? { sendAt: sendAt.toISOString() } : {}),
        }),
        signal: AbortSignal.timeout(20_000),
      });
      const body = (await res.json().catch(() => ({}))) as { dueAt?: string; error?: { message?: string } };
      if (res.ok) {
        rec.outcome = 'accepted';
        if (body.dueAt) rec.dueAt = new Date(body.dueAt);
      } else if (res.status >= 500) {
        rec.outcome = 'uncertain';
        rec.error = `HTTP ${res.status} ${body.error?.message ?? ''}`;
      } else {
        rec.outcome = 'refused';
        rec.error = `HTTP ${res.status} ${body.error?.message ?? ''}`;
      }
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause;
      rec.error = `${(err as Error).message} ${cause?.code ?? ''}`;
      if (cause?.code === 'ECONNREFUSED') {
        rec.outcome = 'refused';
        rec.unreached = true;
      }
    }
    return rec;
  }

  /** Scheduled sends made up front (the server refuses times less than a minute ahead). */
  private async scheduleAhead(times: Date[]): Promise<void> {
    for (const at of times) {
      for (let attempt = 0; attempt < 20; attempt++) {
        // A kill may have held this back: never less than a minute ahead of now.
        const r = await this.apiSend(new Date(Math.max(at.getTime(), Date.now() + 61_000)));
        if (r.outcome === 'accepted' || (r.outcome === 'refused' && !r.unreached)) break;
        await sleep(500);
      }
    }
  }
}
