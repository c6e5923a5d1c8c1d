import { simpleParser } from 'mailparser';
import type { CrashEnv } from './crash-env';
import type { SentRecord } from './crash-load';

export interface Tally {
  /** Messages (per recipient) that must arrive exactly once. */
  expected: number;
  /** Messages (per recipient) whose outcome was unknown to the client (a kill cut the answer off). */
  uncertain: number;
  /** Refused (an SMTP/HTTP error answer, or no connection at all): must not arrive. */
  refused: number;
  /** Arrived (per recipient), at least once. */
  arrived: number;
  /** Copies beyond the first before deduplication (the sink's raw view; remote only). */
  rawDuplicates: number;
  /** Copies beyond the first after deduplication by Message-ID (for local copies: stored rows). */
  duplicates: number;
  missing: number;
  refusedButArrived: number;
}

export interface Violation {
  kind: string;
  key: string;
  recipient: string;
  detail: string;
}

export interface Verdict {
  tallies: Record<string, { local: Tally; remote: Tally }>;
  violations: Violation[];
  /** Why messages were refused while the server was up (SMTP/HTTP answers), with counts. */
  refusals: Map<string, number>;
  /** Remote copies the sink saw again under the same Message-ID (allowed: the sink dedupes). */
  sinkRedeliveries: { key: string; recipient: string; copies: number }[];
}

function emptyTally(): Tally {
  return {
    expected: 0,
    uncertain: 0,
    refused: 0,
    arrived: 0,
    rawDuplicates: 0,
    duplicates: 0,
    missing: 0,
    refusedButArrived: 0,
  };
}

/** Compares what the clients were told with the database (local copies) and the sink (remote copies). */
export async function verify(env: CrashEnv, records: SentRecord[]): Promise<Verdict> {
  // Local copies: rows per (mailbox, subject) — every subject is a unique key.
  const rows: { mailbox_id: string; subject: string; message_id: string; n: number }[] = await env.ds.query(
    `SELECT mailbox_id, subject, message_id, count(*)::int AS n FROM messages
      WHERE tenant_id = $1 AND subject LIKE 'crash-%' GROUP BY mailbox_id, subject, message_id`,
    [env.tenantId],
  );
  const stored = new Map<string, { copies: number; ids: Set<string> }>();
  for (const r of rows) {
    const k = `${r.mailbox_id}|${r.subject}`;
    const s = stored.get(k) ?? { copies: 0, ids: new Set<string>() };
    s.copies += r.n;
    s.ids.add(r.message_id);
    stored.set(k, s);
  }
  // Remote copies: what the sink received, per (recipient, subject): raw count and distinct Message-IDs.
  const sunk = new Map<string, { copies: number; ids: Set<string> }>();
  for (const m of env.sink.messages) {
    const parsed = await simpleParser(m.raw);
    const subject = parsed.subject ?? '';
    for (const to of m.to) {
      const k = `${to.toLowerCase()}|${subject}`;
      const s = sunk.get(k) ?? { copies: 0, ids: new Set<string>() };
      s.copies++;
      s.ids.add(parsed.messageId ?? `(none ${s.copies})`);
      sunk.set(k, s);
    }
  }

  const verdict: Verdict = { tallies: {}, violations: [], refusals: new Map(), sinkRedeliveries: [] };
  for (const rec of records) {
    if (rec.outcome !== 'refused' || rec.unreached) continue;
    const why = `[${rec.kind}] ${(rec.error ?? '').replace(/\s+/g, ' ').slice(0, 100)}`;
    verdict.refusals.set(why, (verdict.refusals.get(why) ?? 0) + 1);
  }
  const check = (
    tally: Tally,
    rec: SentRecord,
    recipient: string,
    seen: { copies: number; ids: Set<string> } | undefined,
    remote: boolean,
  ) => {
    const copies = seen?.copies ?? 0;
    // Local rows are deduplicated by nothing: every stored row counts. Remote: by Message-ID.
    const distinct = remote ? (seen?.ids.size ?? 0) : copies;
    if (copies > 0) tally.arrived++;
    if (remote && copies > 1) {
      tally.rawDuplicates += copies - 1;
      verdict.sinkRedeliveries.push({ key: rec.key, recipient, copies });
    }
    if (distinct > 1) {
      tally.duplicates += distinct - 1;
      verdict.violations.push({
        kind: rec.kind,
        key: rec.key,
        recipient,
        detail: `${distinct} copies (${remote ? 'distinct Message-IDs at the sink' : 'stored rows'}; client: ${rec.outcome})`,
      });
    }
    if (rec.outcome === 'accepted') {
      tally.expected++;
      if (copies === 0) {
        tally.missing++;
        verdict.violations.push({
          kind: rec.kind,
          key: rec.key,
          recipient,
          detail: `missing (client was told it was accepted${rec.dueAt ? `, due ${rec.dueAt.toISOString()}` : ''})`,
        });
      }
    } else if (rec.outcome === 'uncertain') {
      tally.uncertain++;
    } else {
      tally.refused++;
      if (copies === 0) return;
      tally.refusedButArrived++;
      verdict.violations.push({
        kind: rec.kind,
        key: rec.key,
        recipient,
        detail: `arrived although refused (${rec.error ?? ''})`,
      });
    }
  };

  for (const rec of records) {
    const t = (verdict.tallies[rec.kind] ??= { local: emptyTally(), remote: emptyTally() });
    for (const m of rec.local) check(t.local, rec, m.email, stored.get(`${m.mailboxId}|${rec.key}`), false);
    for (const r of rec.remote) check(t.remote, rec, r, sunk.get(`${r}|${rec.key}`), true);
    // The sender's Sent copy counts like a local copy (submission and API sends).
    if (rec.sender)
      check(
        t.local,
        rec,
        `${rec.sender.email} (Sent)`,
        stored.get(`${rec.sender.mailboxId}|${rec.key}`),
        false,
      );
  }
  return verdict;
}

/** A plain-text table of the tallies, the kill times, and every violation. */
export function report(
  verdict: Verdict,
  info: {
    seed: number;
    seconds: number;
    kills: { at: number; downMs: number }[];
    drainMs: number;
    reclaimed: number;
  },
): string {
  const lines: string[] = [];
  const pad = (s: string | number, n: number) => String(s).padStart(n);
  lines.push('', `Crash test: seed ${info.seed}, ${info.seconds} s of load, ${info.kills.length} SIGKILLs`);
  lines.push(
    `Kills at (s after load start, restart time): ${info.kills.map((k) => `${(k.at / 1000).toFixed(1)} (${(k.downMs / 1000).toFixed(1)} s)`).join(', ') || 'none'}`,
  );
  lines.push(
    `Drained ${(info.drainMs / 1000).toFixed(1)} s after the load stopped; ${info.reclaimed} outbound rows were claimed again after a kill cut their send off`,
    '',
  );
  lines.push(
    `${'flow'.padEnd(22)}${pad('accepted', 9)}${pad('unsure', 8)}${pad('refused', 8)}${pad('arrived', 9)}${pad('missing', 9)}${pad('dup(raw)', 10)}${pad('dup', 6)}${pad('refused+arrived', 17)}`,
  );
  const names: Record<string, string> = {
    inbound: 'inbound MX',
    submission: 'submission',
    undo: 'API undo-send',
    scheduled: 'API scheduled',
  };
  for (const [kind, t] of Object.entries(verdict.tallies)) {
    for (const side of ['local', 'remote'] as const) {
      const x = t[side];
      if (x.expected + x.uncertain + x.arrived === 0) continue;
      const label = `${names[kind] ?? kind} ${side === 'local' ? '(stored)' : '(sink)'}`;
      lines.push(
        `${label.padEnd(22).slice(0, 22)}${pad(x.expected, 9)}${pad(x.uncertain, 8)}${pad(x.refused, 8)}${pad(x.arrived, 9)}${pad(x.missing, 9)}${pad(side === 'remote' ? x.rawDuplicates : '-', 10)}${pad(x.duplicates, 6)}${pad(x.refusedButArrived, 17)}`,
      );
    }
  }
  lines.push(
    '',
    'accepted = per recipient, the client got 250 / HTTP 2xx; unsure = the kill cut the answer off (0 or 1 copy allowed);',
    'refused = an error answer or no connection (server down): must not arrive;',
    'dup(raw) = copies the sink saw again under the same Message-ID (allowed, deduplicated); dup = real duplicates.',
  );
  if (verdict.refusals.size > 0) {
    lines.push('', 'Refused by a running server (answers, not failures):');
    for (const [why, n] of verdict.refusals) lines.push(`  ${n} × ${why}`);
  }
  if (verdict.sinkRedeliveries.length > 0) {
    lines.push('', `Redelivered to the sink under the same Message-ID (deduplicated, not a failure):`);
    for (const r of verdict.sinkRedeliveries.slice(0, 20))
      lines.push(`  ${r.key} → ${r.recipient}: ${r.copies} copies`);
  }
  if (verdict.violations.length > 0) {
    lines.push('', `VIOLATIONS (${verdict.violations.length}):`);
    for (const v of verdict.violations.slice(0, 200))
      lines.push(`  [${v.kind}] ${v.key} → ${v.recipient}: ${v.detail}`);
  } else {
    lines.push('', 'PASS: nothing lost, nothing duplicated.');
  }
  return lines.join('\n');
}
