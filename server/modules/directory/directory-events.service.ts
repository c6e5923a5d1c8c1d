import type { DataSource } from 'typeorm';
import { returning } from '../../platform/db/returning';
import type { Logger } from '../../platform/logger';
import type { DirectorySyncService } from './directory-sync.service';

/** A directory event in our words, as a platform adapter hands it over. */
export interface DirectoryEvent {
  /** Unique per event (the platform's eventId, or a digest when it has none): duplicates are dropped. */
  key: string;
  type: string;
  memberIds: string[];
  departmentIds: string[];
  payload: Record<string, unknown>;
}

const MEMBER_EVENTS = new Set([
  'user_add_org',
  'user_modify_org',
  'user_leave_org',
  'user_active_org',
  'org_admin_add',
  'org_admin_remove',
]);
const DEPARTMENT_EVENTS = new Set(['org_dept_create', 'org_dept_modify', 'org_dept_remove']);
/** Events that say "much may have changed": answered with a full sync. */
const FULL_SYNC_EVENTS = new Set(['change_auth', 'org_change']);
const MAX_ATTEMPTS = 12;
/** A claimed event is leased for this long; a crashed worker's events come back after it. */
const LEASE_SECONDS = 120;

interface ClaimedRow {
  tenant_id: string;
  id: string;
  event_type: string;
  user_ids: string[];
  dept_ids: string[];
  attempts: number;
}

/**
 * Events are written to `directory_events` before the platform gets its acknowledgement, then
 * processed here: claimed with SKIP LOCKED (any replica may work), merged per tenant into one
 * scoped sync, retried with back-off on failure, never dropped.
 */
export interface DirectoryEventRow {
  id: string;
  event_type: string;
  user_ids: string[];
  dept_ids: string[];
  status: 'pending' | 'done' | 'failed' | 'ignored';
  attempts: number;
  last_error: string | null;
  received_at: Date;
  processed_at: Date | null;
  next_attempt_at: Date | null;
}

export class DirectoryEventsService {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly ds: DataSource,
    private readonly sync: DirectorySyncService,
    private readonly logger: Logger,
  ) {}

  /** Stores an event durably. Returns false for a duplicate (already stored). */
  async ingest(tenantId: string, event: DirectoryEvent): Promise<boolean> {
    const rows = await this.ds.query(
      `INSERT INTO directory_events (tenant_id, event_key, event_type, user_ids, dept_ids, payload)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (tenant_id, event_key) DO NOTHING RETURNING id`,
      [tenantId, event.key, event.type, event.memberIds, event.departmentIds, JSON.stringify(event.payload)],
    );
    if (rows.length > 0) this.kick();
    return rows.length > 0;
  }

  /** The event log, newest first, keyset-paged by id. */
  async list(
    tenantId: string,
    q: { status?: string; limit: number; cursor?: string },
  ): Promise<{ events: DirectoryEventRow[]; nextCursor: string | null }> {
    const rows: DirectoryEventRow[] = await this.ds.query(
      `SELECT id::text, event_type, user_ids, dept_ids, status, attempts, last_error, received_at, processed_at, next_attempt_at
         FROM directory_events
        WHERE tenant_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::bigint IS NULL OR id < $3)
        ORDER BY id DESC LIMIT $4`,
      [tenantId, q.status ?? null, q.cursor ?? null, q.limit + 1],
    );
    const more = rows.length > q.limit;
    const events = rows.slice(0, q.limit);
    return { events, nextCursor: more ? events[events.length - 1]!.id : null };
  }

  /** Puts a failed event back in the queue (an admin fixed the cause). False when there is no such failed event. */
  async retry(tenantId: string, id: string): Promise<boolean> {
    const rows = await returning<{ id: string }>(
      this.ds,
      `UPDATE directory_events SET status = 'pending', attempts = 0, next_attempt_at = now()
        WHERE tenant_id = $1 AND id = $2 AND status = 'failed' RETURNING id`,
      [tenantId, id],
    );
    if (rows.length > 0) this.kick();
    return rows.length > 0;
  }

  /** Polls for due events every `intervalMs` (retries, and events stored by other replicas). */
  start(intervalMs = 1000): void {
    this.timer ??= setInterval(() => this.kick(), intervalMs);
    this.timer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Processes now (or right after the pass under way). */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          while ((await this.processBatch()) > 0) {
            /* drain */
          }
        } catch (err) {
          this.logger.error({ err }, 'directory event pass failed');
        }
      } while (this.again);
    })().finally(() => {
      this.running = undefined;
    });
  }

  /** Waits until the pass under way (if any) ends: tests and shutdown use it. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Claims up to `limit` due events of one tenant and processes them as one scoped sync. */
  async processBatch(limit = 200): Promise<number> {
    const claimed = await returning<ClaimedRow>(
      this.ds,
      `WITH pick AS (
         SELECT tenant_id FROM directory_events WHERE status = 'pending' AND next_attempt_at <= now()
          ORDER BY next_attempt_at LIMIT 1
       ), due AS (
         SELECT e.tenant_id, e.id FROM directory_events e JOIN pick p ON p.tenant_id = e.tenant_id
          WHERE e.status = 'pending' AND e.next_attempt_at <= now()
          ORDER BY e.id LIMIT $1 FOR UPDATE OF e SKIP LOCKED
       )
       UPDATE directory_events e SET attempts = e.attempts + 1, next_attempt_at = now() + make_interval(secs => $2)
         FROM due WHERE e.tenant_id = due.tenant_id AND e.id = due.id
       RETURNING e.tenant_id, e.id, e.event_type, e.user_ids, e.dept_ids, e.attempts`,
      [limit, LEASE_SECONDS],
    );
    if (claimed.length === 0) return 0;
    const tenantId = claimed[0].tenant_id;
    const ids = claimed.map((r) => r.id);
    const known = claimed.filter(
      (r) =>
        MEMBER_EVENTS.has(r.event_type) ||
        DEPARTMENT_EVENTS.has(r.event_type) ||
        FULL_SYNC_EVENTS.has(r.event_type),
    );
    const ignored = claimed.filter((r) => !known.includes(r)).map((r) => r.id);
    if (ignored.length > 0) {
      await this.ds.query(
        `UPDATE directory_events SET status = 'ignored', processed_at = now() WHERE tenant_id = $1 AND id = ANY($2)`,
        [tenantId, ignored],
      );
    }
    try {
      if (known.some((r) => FULL_SYNC_EVENTS.has(r.event_type))) {
        await this.sync.fullSync(tenantId, { trigger: 'event' });
      } else if (known.length > 0) {
        const memberIds = unique(known.flatMap((r) => r.user_ids));
        const departmentIds = unique(known.flatMap((r) => r.dept_ids));
        await this.sync.syncIds(
          tenantId,
          { memberIds, departmentIds },
          unique(known.map((r) => r.event_type)).join(','),
        );
      }
      await this.ds.query(
        `UPDATE directory_events SET status = 'done', processed_at = now(), last_error = NULL
          WHERE tenant_id = $1 AND id = ANY($2)`,
        [tenantId, known.map((r) => r.id)],
      );
    } catch (err) {
      const message = (err as Error)?.message ?? String(err);
      this.logger.warn({ err, tenantId, events: ids.length }, 'directory events failed; will retry');
      // Back-off 5 s, 10 s, 20 s ... capped at an hour; after MAX_ATTEMPTS the event is marked failed (kept, visible).
      await this.ds.query(
        `UPDATE directory_events
            SET last_error = $3,
                status = CASE WHEN attempts >= $4 THEN 'failed' ELSE 'pending' END,
                next_attempt_at = now() + make_interval(secs => least(3600, 5 * power(2, attempts - 1)))
          WHERE tenant_id = $1 AND id = ANY($2)`,
        [tenantId, known.map((r) => r.id), message.slice(0, 2000), MAX_ATTEMPTS],
      );
    }
    return claimed.length;
  }
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
