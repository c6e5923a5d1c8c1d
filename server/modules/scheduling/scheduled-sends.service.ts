import type { DataSource, EntityManager } from 'typeorm';
import { ErrorCodes } from '../../../shared/errors';
import type { DraftDto, SaveDraftBody, SendResult } from '../../../shared/mail/compose';
import type {
  RescheduleBody,
  ScheduledSendDto,
  ScheduledSendQuery,
} from '../../../shared/scheduling/scheduled-sends';
import type { z } from 'zod';
import type { Clock } from '../../platform/clock';
import { AppError, NotFoundError, ValidationError } from '../../platform/errors';
import type { Actor } from '../../platform/http/actor';
import { DraftStore, type Sender } from '../mail/drafts.service';
import type { SendScheduler } from '../mail/compose.service';
import type { SendPreferences } from './send-preferences';

const MIN_AHEAD_MS = 60_000;
// A client that picked "in one minute" a moment ago is not refused for the round trip.
const MIN_AHEAD_SLACK_MS = 5_000;
const MAX_AHEAD_MS = 366 * 24 * 60 * 60_000;

interface Row {
  id: string;
  message_id: string | null;
  kind: 'undo' | 'scheduled';
  status: ScheduledSendDto['status'];
  due_at: Date;
  time_zone: string | null;
  attempts: number;
  last_error: string | null;
  sent_at: Date | null;
  is_late: boolean;
  created_at: Date;
  subject: string | null;
  to_addresses: { name?: string; address: string }[] | null;
}

/**
 * Scheduled sends and undo send, one mechanism: a message waits in the Scheduled folder with a
 * row due at the chosen time (or at the end of the undo window). Until the dispatcher sends it,
 * it can be cancelled (back to Drafts), rescheduled, edited or sent at once.
 */
export class ScheduledSendsService implements SendScheduler {
  constructor(
    private readonly d: { ds: DataSource; clock: Clock; drafts: DraftStore; prefs: SendPreferences },
  ) {}

  async enqueue(
    em: EntityManager,
    sender: Sender,
    messageId: string,
    when: { sendAt?: string; timeZone?: string },
  ): Promise<SendResult> {
    const now = this.d.clock.now();
    let kind: 'undo' | 'scheduled' = 'undo';
    let dueAt: Date;
    let timeZone: string | null = null;
    if (when.sendAt !== undefined) {
      kind = 'scheduled';
      timeZone = when.timeZone ?? (await this.tenantZone(em, sender.tenantId));
      dueAt = this.validDueAt(when.sendAt, timeZone, now);
    } else {
      const seconds = await this.d.prefs.undoSeconds(sender.tenantId, sender.memberId, em);
      dueAt = new Date(now.getTime() + seconds * 1000);
    }
    const [row] = await em.query(
      `INSERT INTO scheduled_sends (tenant_id, mailbox_id, member_id, message_id, kind, due_at, next_attempt_at, time_zone, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $8) RETURNING id`,
      [sender.tenantId, sender.mailboxId, sender.memberId, messageId, kind, dueAt, timeZone, now],
    );
    return {
      scheduledId: row.id,
      messageId,
      kind,
      dueAt: dueAt.toISOString(),
      undoUntil: kind === 'undo' ? dueAt.toISOString() : null,
    };
  }

  async list(actor: Actor, query: z.infer<typeof ScheduledSendQuery>) {
    const sender = await this.d.drafts.sender(this.d.ds.manager, actor);
    const after = query.cursor ? decodeCursor(query.cursor) : null;
    const rows: Row[] = await this.d.ds.query(
      `${SELECT} WHERE s.tenant_id = $1 AND s.mailbox_id = $2 AND ($3::text IS NULL OR s.status = $3)
          AND ($4::timestamptz IS NULL OR (s.due_at, s.id) > ($4, $5::uuid))
        ORDER BY s.due_at, s.id LIMIT $6`,
      [
        sender.tenantId,
        sender.mailboxId,
        query.status ?? null,
        after?.dueAt ?? null,
        after?.id ?? null,
        query.limit + 1,
      ],
    );
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(present),
      nextCursor: rows.length > query.limit && last ? encodeCursor(last.due_at, last.id) : null,
    };
  }

  async get(actor: Actor, id: string): Promise<ScheduledSendDto> {
    const sender = await this.d.drafts.sender(this.d.ds.manager, actor);
    return present(await this.row(this.d.ds.manager, sender, id));
  }

  /** Undo: inside the window (or any time before a scheduled send goes out) it goes back to Drafts. */
  cancel(actor: Actor, id: string): Promise<ScheduledSendDto> {
    return this.d.ds.transaction(async (em) => {
      const { sender, row } = await this.lockQueued(em, actor, id);
      await em.query(
        `UPDATE scheduled_sends SET status = 'cancelled', updated_at = $3 WHERE tenant_id = $1 AND id = $2`,
        [sender.tenantId, id, this.d.clock.now()],
      );
      if (row.message_id)
        await this.d.drafts.move(em, sender.tenantId, sender.mailboxId, row.message_id, 'drafts');
      return present(await this.row(em, sender, id));
    });
  }

  reschedule(actor: Actor, id: string, body: RescheduleBody): Promise<ScheduledSendDto> {
    return this.d.ds.transaction(async (em) => {
      const { sender } = await this.lockQueued(em, actor, id);
      const timeZone = body.timeZone ?? (await this.tenantZone(em, sender.tenantId));
      const dueAt = this.validDueAt(body.sendAt, timeZone, this.d.clock.now());
      await em.query(
        `UPDATE scheduled_sends SET kind = 'scheduled', due_at = $3, next_attempt_at = $3, time_zone = $4, updated_at = now()
          WHERE tenant_id = $1 AND id = $2`,
        [sender.tenantId, id, dueAt, timeZone],
      );
      return present(await this.row(em, sender, id));
    });
  }

  sendNow(actor: Actor, id: string): Promise<ScheduledSendDto> {
    return this.d.ds.transaction(async (em) => {
      const { sender } = await this.lockQueued(em, actor, id);
      await em.query(
        `UPDATE scheduled_sends SET due_at = $3, next_attempt_at = $3, updated_at = $3 WHERE tenant_id = $1 AND id = $2`,
        [sender.tenantId, id, this.d.clock.now()],
      );
      return present(await this.row(em, sender, id));
    });
  }

  /** Content edits of a waiting message, in the draft's shape (with its version). */
  edit(actor: Actor, id: string, body: SaveDraftBody): Promise<DraftDto> {
    return this.d.ds.transaction(async (em) => {
      const { sender, row } = await this.lockQueued(em, actor, id);
      if (!row.message_id) throw new NotFoundError('Scheduled send');
      const record = await this.d.drafts.load(em, sender, row.message_id, true);
      this.d.drafts.checkVersion(record, body.version);
      await this.d.drafts.write(em, sender, {
        id: row.message_id,
        folderRole: 'scheduled',
        state: DraftStore.stateOf(body, record.state),
        attachments: body.attachments,
        replyOf: record.replyOf,
        forwardOf: record.forwardOf,
      });
      return this.d.drafts.present(em, sender, row.message_id);
    });
  }

  private async lockQueued(em: EntityManager, actor: Actor, id: string) {
    const sender = await this.d.drafts.sender(em, actor);
    // Waits while the dispatcher holds the row: afterwards it is either still queued or already sent.
    const [row] = await em.query(
      `SELECT id, status, message_id FROM scheduled_sends WHERE tenant_id = $1 AND mailbox_id = $2 AND id = $3 FOR UPDATE`,
      [sender.tenantId, sender.mailboxId, id],
    );
    if (!row) throw new NotFoundError('Scheduled send');
    if (row.status !== 'queued') {
      throw new AppError(ErrorCodes.mailScheduledNotQueued, 409, `This message is ${row.status} already`, {
        details: { status: row.status },
      });
    }
    return { sender, row: row as { id: string; status: string; message_id: string | null } };
  }

  private async row(em: EntityManager, sender: Sender, id: string): Promise<Row> {
    const [row] = await em.query(`${SELECT} WHERE s.tenant_id = $1 AND s.mailbox_id = $2 AND s.id = $3`, [
      sender.tenantId,
      sender.mailboxId,
      id,
    ]);
    if (!row) throw new NotFoundError('Scheduled send');
    return row;
  }

  private async tenantZone(em: EntityManager, tenantId: string): Promise<string> {
    const [row] = await em.query(`SELECT time_zone FROM tenants WHERE id = $1`, [tenantId]);
    return row?.time_zone ?? 'Asia/Shanghai';
  }

  private validDueAt(sendAt: string, timeZone: string, now: Date): Date {
    const due = parseSendAt(sendAt, timeZone);
    const ahead = due.getTime() - now.getTime();
    if (ahead < MIN_AHEAD_MS - MIN_AHEAD_SLACK_MS)
      throw sendAtError('Schedule a send at least one minute ahead', { sendAt, dueAt: due.toISOString() });
    if (ahead > MAX_AHEAD_MS)
      throw sendAtError('A send can be scheduled at most one year ahead', {
        sendAt,
        dueAt: due.toISOString(),
      });
    return due;
  }
}

const SELECT = `SELECT s.id, s.message_id, s.kind, s.status, s.due_at, s.time_zone, s.attempts, s.last_error, s.sent_at,
                       s.is_late, s.created_at, m.subject, m.to_addresses
                  FROM scheduled_sends s
                  LEFT JOIN messages m ON m.tenant_id = s.tenant_id AND m.id = s.message_id`;

function present(r: Row): ScheduledSendDto {
  return {
    id: r.id,
    messageId: r.message_id,
    kind: r.kind,
    status: r.status,
    dueAt: new Date(r.due_at).toISOString(),
    timeZone: r.time_zone,
    subject: r.subject ?? '',
    to: (r.to_addresses ?? []).map((a) =>
      a.name ? { name: a.name, address: a.address } : { address: a.address },
    ),
    attempts: r.attempts,
    lastError: r.last_error,
    sentAt: r.sent_at ? new Date(r.sent_at).toISOString() : null,
    late: r.is_late,
    createdAt: new Date(r.created_at).toISOString(),
  };
}

function sendAtError(message: string, details: Record<string, unknown>): AppError {
  return new AppError(ErrorCodes.mailSendAtInvalid, 400, message, { details });
}

const WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})$/i;
const LOCAL = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/;

/**
 * An ISO time with an offset as is; a local time ("2026-11-24T09:00") in `timeZone`. Throws a 400
 * for anything else, an unknown time zone, or a local time that does not exist there.
 */
export function parseSendAt(sendAt: string, timeZone: string): Date {
  if (!isTimeZone(timeZone)) throw sendAtError(`Unknown time zone "${timeZone}"`, { timeZone });
  if (WITH_OFFSET.test(sendAt)) {
    const date = new Date(sendAt);
    if (Number.isNaN(date.getTime())) throw sendAtError('sendAt is not a valid time', { sendAt });
    return date;
  }
  const m = LOCAL.exec(sendAt);
  if (!m) {
    throw sendAtError('sendAt must be an ISO time with an offset, or a local time like 2026-11-24T09:00', {
      sendAt,
    });
  }
  const [y, mo, d, h, mi, s] = m.slice(1).map((v) => Number(v ?? 0)) as number[];
  const wall = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
  // The offset at the guess, then at the corrected instant (right across a DST change).
  let instant = wall - offsetMs(wall, timeZone);
  instant = wall - offsetMs(instant, timeZone);
  const check = wallClock(instant, timeZone);
  if (check !== wall) throw sendAtError(`${sendAt} does not exist in ${timeZone}`, { sendAt, timeZone });
  return new Date(instant);
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock time at `instant` in `timeZone`, as if it were UTC (ms). */
function wallClock(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(instant));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
}

function offsetMs(instant: number, timeZone: string): number {
  return wallClock(Math.floor(instant / 1000) * 1000, timeZone) - Math.floor(instant / 1000) * 1000;
}

function encodeCursor(dueAt: Date, id: string): string {
  return Buffer.from(`${new Date(dueAt).toISOString()}|${id}`).toString('base64url');
}

function decodeCursor(cursor: string): { dueAt: string; id: string } {
  const [dueAt, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  if (!dueAt || !id || Number.isNaN(Date.parse(dueAt)) || !/^[0-9a-f-]{36}$/i.test(id))
    throw new ValidationError('Bad cursor');
  return { dueAt, id };
}
