import nodemailer, { type SMTPTransportOptions } from 'nodemailer';
import type { OutboundRecipientState } from '../../../shared/mail/outbound';
import type { Clock } from '../../platform/clock';
import type { DnsResolver } from '../../platform/dns/resolver';
import type { Logger } from '../../platform/logger';
import type { DkimKeysService, DkimSigningKey } from './dkim-keys.service';
import { buildDsn } from './dsn';
import type { MailCapture } from './mail-capture';
import { backoffMs, type OutboundQueue, type QueueRow } from './outbound-queue';
import type { OutgoingMailService } from './outgoing-mail.service';
import { DeliveryFailure, mxHosts, type RelayService, type RelayTarget } from './relay';

export interface OutboundWorkerDeps {
  queue: OutboundQueue;
  relay: RelayService;
  dkim: DkimKeysService;
  capture: MailCapture;
  outgoing: OutgoingMailService;
  resolver: DnsResolver;
  clock: Clock;
  logger: Logger;
  /** capture: no relay → captured, never sent; deliver: relay or direct MX. */
  mode: 'capture' | 'deliver';
  /** EHLO name and the Reporting-MTA of bounces. */
  hostname: string;
  /** Port of remote MX hosts (25). */
  mxPort: number;
  batchSize?: number;
  connectionTimeoutMs?: number;
}

/** The outcome of one attempt for the recipients it covered. */
interface Attempt {
  via: string;
  results: Map<
    string,
    { status: 'sent' | 'failed' | 'pending'; code: number | null; response: string | null }
  >;
  error: string | null;
}

const KEEP_FINISHED_MS = 30 * 86_400_000;

/**
 * Sends queued mail: claims due rows (SKIP LOCKED, leased), signs with the domain's DKIM key,
 * hands over to the relay or the recipient domain's MX (or captures it in embedded mode), records
 * per-recipient results, retries temporary failures with back-off for 5 days, then bounces.
 */
export class OutboundWorker {
  private timer: NodeJS.Timeout | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  /** Started: the liveness lock this process's claims point at (taken before the first claim). */
  private holding: Promise<boolean> | undefined;

  constructor(private readonly d: OutboundWorkerDeps) {}

  start(intervalMs = 5000): void {
    this.holding ??= this.d.queue.holdClaims();
    this.timer ??= setInterval(() => this.kick(), intervalMs);
    this.timer.unref();
    // Finished rows are kept 30 days for the admin's list, then deleted.
    this.pruneTimer ??= setInterval(() => void this.prune(), 3_600_000);
    this.pruneTimer.unref();
    this.kick();
  }

  async prune(): Promise<number> {
    const before = new Date(this.d.clock.now().getTime() - KEEP_FINISHED_MS);
    return this.d.queue.prune(before).catch((err) => {
      this.d.logger.warn({ err }, 'outbound queue prune failed');
      return 0;
    });
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.timer = undefined;
    this.pruneTimer = undefined;
    await this.idle();
    if (this.holding) {
      this.holding = undefined;
      await this.d.queue.releaseClaims();
    }
  }

  /** Works now (or right after the pass under way); only once started (this process runs the worker). */
  kick(): void {
    if (!this.timer) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          while ((await this.runOnce()) > 0) {
            /* drain what is due */
          }
        } catch (err) {
          this.d.logger.error({ err }, 'outbound pass failed');
        }
      } while (this.again);
    })().finally(() => {
      this.running = undefined;
    });
  }

  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Claims one batch of due rows and attempts each; returns how many were claimed. */
  async runOnce(): Promise<number> {
    // A started worker claims under its liveness lock (taken again if its connection was lost).
    if (this.holding) await (this.holding = this.d.queue.holdClaims());
    const rows = await this.d.queue.claim(this.d.clock.now(), this.d.batchSize ?? 10);
    await Promise.all(
      rows.map((row) =>
        this.process(row).catch((err) =>
          this.d.logger.error({ err, tenantId: row.tenant_id, id: row.id }, 'outbound item failed'),
        ),
      ),
    );
    return rows.length;
  }

  private async process(row: QueueRow): Promise<void> {
    const pending = row.recipients.filter((r) => r.status === 'pending').map((r) => r.address);
    const now = () => this.d.clock.now();
    if (pending.length === 0) {
      await this.d.queue.record(row, {
        ...this.finish(row.recipients),
        nextAttemptAt: now(),
        lastError: row.last_error,
        via: row.via,
        now: now(),
      });
      return;
    }
    const raw = await this.d.queue.blob(row.tenant_id, row.blob_sha256!);
    const dkim = row.dkim_domain ? await this.d.dkim.signingKey(row.tenant_id, row.dkim_domain) : null;
    const relay = await this.d.relay.forTenant(row.tenant_id);

    let attempt: Attempt;
    if (!relay && this.d.mode === 'capture') {
      attempt = await this.captureIt(row, raw, pending, dkim);
    } else {
      attempt = relay
        ? await this.viaRelay(relay, row, raw, pending, dkim)
        : await this.direct(row, raw, pending, dkim);
    }

    const recipients: OutboundRecipientState[] = row.recipients.map((r) => {
      const res = attempt.results.get(r.address);
      return res ? { address: r.address, ...res } : r;
    });
    const expired = now().getTime() >= new Date(row.expires_at).getTime();
    const newlyFailed: OutboundRecipientState[] = [];
    for (const r of recipients) {
      if (r.status === 'pending' && expired) {
        r.status = 'failed';
        r.response = `gave up after 5 days: ${r.response ?? attempt.error ?? 'no answer'}`;
      }
      if (r.status === 'failed' && pending.includes(r.address)) newlyFailed.push(r);
    }
    const stillPending = recipients.some((r) => r.status === 'pending');
    let dsnSent = false;
    if (newlyFailed.length > 0 && row.envelope_from !== '' && row.kind !== 'system') {
      dsnSent = await this.bounce(row, raw, newlyFailed);
    }
    const status = stillPending
      ? ('queued' as const)
      : this.finish(recipients, attempt.via === 'capture').status;
    await this.d.queue.record(row, {
      recipients,
      status,
      nextAttemptAt: stillPending ? new Date(now().getTime() + backoffMs(row.attempts)) : now(),
      lastError: attempt.error,
      via: attempt.via,
      now: now(),
      dsnSent,
    });
    this.d.logger.info(
      {
        tenantId: row.tenant_id,
        id: row.id,
        domain: row.domain,
        via: attempt.via,
        status,
        attempts: row.attempts,
      },
      'outbound attempt',
    );
  }

  private finish(
    recipients: OutboundRecipientState[],
    captured = false,
  ): { recipients: OutboundRecipientState[]; status: QueueRow['status'] } {
    const failed = recipients.some((r) => r.status === 'failed');
    return { recipients, status: failed ? 'failed' : captured ? 'captured' : 'sent' };
  }

  private async captureIt(
    row: QueueRow,
    raw: Buffer,
    pending: string[],
    dkim: DkimSigningKey | null,
  ): Promise<Attempt> {
    const transport = nodemailer.createTransport({
      streamTransport: true,
      buffer: true,
      ...(dkim ? { dkim } : {}),
    });
    const info = await transport.sendMail({ envelope: { from: row.envelope_from, to: pending }, raw });
    await this.d.capture.capture({
      tenantId: row.tenant_id,
      queueId: row.id,
      envelopeFrom: row.envelope_from,
      recipients: pending,
      subject: row.subject,
      content: info.message as Buffer,
      now: this.d.clock.now(),
    });
    const results: Attempt['results'] = new Map(
      pending.map((a) => [
        a,
        { status: 'sent' as const, code: 250, response: 'captured (not sent: OUTBOUND_MODE=capture)' },
      ]),
    );
    return { via: 'capture', results, error: null };
  }

  private async viaRelay(
    relay: RelayTarget,
    row: QueueRow,
    raw: Buffer,
    pending: string[],
    dkim: DkimSigningKey | null,
  ): Promise<Attempt> {
    const via = `relay ${relay.host}:${relay.port}`;
    try {
      return await this.send(
        {
          host: relay.host,
          port: relay.port,
          secure: relay.security === 'tls',
          requireTLS: relay.security === 'starttls',
          ignoreTLS: relay.security === 'none',
          auth: relay.username ? { user: relay.username, pass: relay.password ?? '' } : undefined,
        },
        via,
        row,
        raw,
        pending,
        dkim,
      );
    } catch (err) {
      return this.failedAttempt(via, pending, err);
    }
  }

  /** Straight to the domain's MX hosts in priority order (A record fallback); next host on connection errors. */
  private async direct(
    row: QueueRow,
    raw: Buffer,
    pending: string[],
    dkim: DkimSigningKey | null,
  ): Promise<Attempt> {
    let hosts: { name: string; ip: string }[];
    try {
      hosts = await mxHosts(this.d.resolver, row.domain);
    } catch (err) {
      return this.failedAttempt(`mx ${row.domain}`, pending, err);
    }
    let last: Attempt | null = null;
    for (const host of hosts) {
      const via = `mx ${host.name}`;
      try {
        return await this.send(
          {
            host: host.ip,
            port: this.d.mxPort,
            secure: false,
            tls: { servername: host.name, rejectUnauthorized: false },
          },
          via,
          row,
          raw,
          pending,
          dkim,
        );
      } catch (err) {
        last = this.failedAttempt(via, pending, err);
        // An SMTP answer is the domain's answer; only an unreachable host sends us to the next one.
        if ((err as { responseCode?: number }).responseCode) return last;
      }
    }
    return (
      last ?? this.failedAttempt(`mx ${row.domain}`, pending, new DeliveryFailure('no MX host', false, null))
    );
  }

  private async send(
    options: Record<string, unknown>,
    via: string,
    row: QueueRow,
    raw: Buffer,
    pending: string[],
    dkim: DkimSigningKey | null,
  ): Promise<Attempt> {
    const timeout = this.d.connectionTimeoutMs ?? 30_000;
    const transport = nodemailer.createTransport({
      ...options,
      name: this.d.hostname,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout * 4,
      ...(dkim ? { dkim } : {}),
    } as SMTPTransportOptions);
    try {
      const info = (await transport.sendMail({
        envelope: { from: row.envelope_from, to: pending },
        raw,
      })) as {
        accepted: string[];
        rejectedErrors?: { recipient: string; responseCode?: number; response?: string }[];
        response: string;
      };
      const results: Attempt['results'] = new Map();
      for (const a of pending) results.set(a, { status: 'sent', code: 250, response: info.response ?? null });
      for (const e of info.rejectedErrors ?? [])
        results.set(e.recipient.toLowerCase(), classify(e.responseCode, e.response));
      const firstError = (info.rejectedErrors ?? [])[0];
      return { via, results, error: firstError?.response ?? null };
    } catch (err) {
      const e = err as { rejectedErrors?: { recipient: string; responseCode?: number; response?: string }[] };
      if (e.rejectedErrors && e.rejectedErrors.length > 0) {
        // Every recipient refused at RCPT: each keeps its own answer.
        const results: Attempt['results'] = new Map();
        for (const r of e.rejectedErrors)
          results.set(r.recipient.toLowerCase(), classify(r.responseCode, r.response));
        return { via, results, error: e.rejectedErrors[0]!.response ?? (err as Error).message };
      }
      throw err;
    } finally {
      transport.close();
    }
  }

  private failedAttempt(via: string, pending: string[], err: unknown): Attempt {
    const e = err as { responseCode?: number; response?: string; message?: string; code?: string };
    const response = e.response ?? e.message ?? String(err);
    const outcome =
      err instanceof DeliveryFailure
        ? { status: err.permanent ? ('failed' as const) : ('pending' as const), code: err.code, response }
        : classify(e.responseCode, response);
    this.d.logger.warn({ via, code: e.responseCode ?? e.code, response }, 'outbound attempt failed');
    return { via, results: new Map(pending.map((a) => [a, { ...outcome }])), error: response };
  }

  /** The sender learns which recipients failed: a DSN delivered like any mail (locally, as a rule). */
  private async bounce(row: QueueRow, raw: Buffer, failed: OutboundRecipientState[]): Promise<boolean> {
    try {
      const dsn = await buildDsn({
        to: row.envelope_from,
        reportingMta: this.d.hostname,
        arrivalDate: new Date(row.created_at),
        now: this.d.clock.now(),
        failed: failed.map((f) => ({ address: f.address, code: f.code, response: f.response })),
        original: raw,
        originalMessageId: row.message_id,
      });
      await this.d.outgoing.submit({
        tenantId: row.tenant_id,
        mailboxId: null,
        envelopeFrom: '',
        recipients: [row.envelope_from],
        raw: dsn,
        kind: 'system',
      });
      return true;
    } catch (err) {
      this.d.logger.error({ err, tenantId: row.tenant_id, id: row.id }, 'bounce could not be delivered');
      return false;
    }
  }
}

function classify(code: number | undefined, response: string | undefined) {
  return {
    status: code && code >= 500 ? ('failed' as const) : ('pending' as const),
    code: code ?? null,
    response: response ?? null,
  };
}
