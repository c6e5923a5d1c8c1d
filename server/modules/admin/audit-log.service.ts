import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { DataSource } from 'typeorm';
import type { AuditEntryDto, AuditFilter } from '../../../shared/audit';
import type { Actor } from '../../platform/http/actor';

interface Row {
  id: string;
  actor_type: AuditEntryDto['actorType'];
  actor_id: string | null;
  actor_name: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  details: Record<string, unknown>;
  ip: string | null;
  request_id: string | null;
  created_at: Date;
}

const EXPORT_BATCH = 1000;
/** A CSV export stops here; narrow the filter for more. */
export const MAX_EXPORT_ROWS = 200_000;

/**
 * Reads the audit log: filtered pages for the console (newest first, keyset by id, which grows
 * with time), and the same filter streamed as CSV (UTF-8 with a BOM so Excel shows Chinese).
 */
export class AuditLogService {
  constructor(private readonly ds: DataSource) {}

  async page(
    actor: Actor,
    q: AuditFilter & { limit: number; cursor?: string },
  ): Promise<{ entries: AuditEntryDto[]; nextCursor: string | null }> {
    const rows = await this.query(actor.tenantId, q, q.cursor ?? null, q.limit + 1);
    const more = rows.length > q.limit;
    const entries = rows.slice(0, q.limit).map(present);
    return { entries, nextCursor: more ? entries[entries.length - 1]!.id : null };
  }

  /** The whole filtered log as CSV, read in batches while it is sent. */
  csv(actor: Actor, filter: AuditFilter): Readable {
    const out = stringify({
      bom: true,
      header: true,
      columns: [
        'time',
        'actor_type',
        'actor',
        'actor_id',
        'action',
        'target_type',
        'target_id',
        'ip',
        'request_id',
        'details',
      ],
    });
    return Readable.from(this.csvRows(actor.tenantId, filter)).pipe(out);
  }

  private async *csvRows(tenantId: string, filter: AuditFilter): AsyncGenerator<string[]> {
    let cursor: string | null = null;
    let sent = 0;
    while (sent < MAX_EXPORT_ROWS) {
      const batch = await this.query(
        tenantId,
        filter,
        cursor,
        Math.min(EXPORT_BATCH, MAX_EXPORT_ROWS - sent),
      );
      for (const r of batch) {
        yield [
          r.created_at.toISOString(),
          r.actor_type,
          r.actor_name ?? '',
          r.actor_id ?? '',
          r.action,
          r.target_type ?? '',
          r.target_id ?? '',
          r.ip ?? '',
          r.request_id ?? '',
          JSON.stringify(r.details),
        ];
      }
      sent += batch.length;
      if (batch.length < EXPORT_BATCH) return;
      cursor = batch[batch.length - 1]!.id;
    }
  }

  private query(tenantId: string, f: AuditFilter, cursor: string | null, limit: number): Promise<Row[]> {
    const prefix = f.action?.endsWith('.') ? f.action : null;
    return this.ds.query(
      `SELECT a.id::text, a.actor_type, a.actor_id, m.display_name AS actor_name, a.action, a.target_type, a.target_id,
              a.details, host(a.ip) AS ip, a.request_id, a.created_at
         FROM audit_log a
         LEFT JOIN members m ON m.tenant_id = a.tenant_id AND m.id = a.actor_id
        WHERE a.tenant_id = $1
          AND ($2::text IS NULL OR a.action = $2)
          AND ($3::text IS NULL OR starts_with(a.action, $3))
          AND ($4::text IS NULL OR a.actor_type = $4)
          AND ($5::uuid IS NULL OR a.actor_id = $5)
          AND ($6::text IS NULL OR a.target_type = $6)
          AND ($7::text IS NULL OR a.target_id = $7)
          AND ($8::timestamptz IS NULL OR a.created_at >= $8)
          AND ($9::timestamptz IS NULL OR a.created_at <= $9)
          AND ($10::bigint IS NULL OR a.id < $10)
        ORDER BY a.id DESC
        LIMIT $11`,
      [
        tenantId,
        prefix ? null : (f.action ?? null),
        prefix,
        f.actorType ?? null,
        f.actorId ?? null,
        f.targetType ?? null,
        f.targetId ?? null,
        f.from ?? null,
        f.to ?? null,
        cursor,
        limit,
      ],
    );
  }
}

function present(r: Row): AuditEntryDto {
  return {
    id: r.id,
    actorType: r.actor_type,
    actorId: r.actor_id,
    actorName: r.actor_name,
    action: r.action,
    targetType: r.target_type,
    targetId: r.target_id,
    details: r.details,
    ip: r.ip,
    requestId: r.request_id,
    createdAt: r.created_at.toISOString(),
  };
}
