import type { DataSource } from 'typeorm';
import type { BreakdownDto, BreakdownQuery } from '../../../shared/dashboard/breakdown';
import type { Actor } from '../../platform/http/actor';

/** `$2`..`$3` local days of the organization (`tz` = its time zone) as a half-open UTC range on `col`. */
const IN_PERIOD = (col: string) =>
  `${col} >= ($2::date::timestamp AT TIME ZONE tz.zone) AND ${col} < (($3::date + 1)::timestamp AT TIME ZONE tz.zone)`;
const TZ = `(SELECT time_zone AS zone FROM tenants WHERE id = $1) tz`;

/**
 * The dashboard's live breakdowns for one organization: top senders in a period, storage by
 * department (each department with its sub-departments), and the outbound queue by state.
 * Read on demand (admins and auditors), scoped by tenant like every query.
 */
export class StatsBreakdownService {
  constructor(private readonly ds: DataSource) {}

  async breakdown(actor: Actor, q: BreakdownQuery): Promise<BreakdownDto> {
    const [topSenders, storageByDepartment, queue] = await Promise.all([
      this.topSenders(actor.tenantId, q),
      this.storage(actor.tenantId, q.department ?? null),
      this.queue(actor.tenantId, q),
    ]);
    return { from: q.from, to: q.to, topSenders, storageByDepartment, queue };
  }

  private async topSenders(tenantId: string, q: BreakdownQuery): Promise<BreakdownDto['topSenders']> {
    const rows: {
      mailbox_id: string;
      address: string;
      name: string | null;
      messages: number;
      external: number;
    }[] = await this.ds.query(
      `SELECT m.mailbox_id, b.local_part || '@' || d.name AS address, mem.display_name AS name,
              count(*)::int AS messages,
              count(*) FILTER (WHERE EXISTS (
                SELECT 1 FROM jsonb_array_elements(m.to_addresses || m.cc_addresses) a
                 WHERE NOT EXISTS (SELECT 1 FROM domains h WHERE h.name = lower(split_part(a->>'address', '@', 2)))
              ))::int AS external
         FROM ${TZ}, messages m
         JOIN folders f ON f.tenant_id = m.tenant_id AND f.id = m.folder_id AND f.role = 'sent'
         JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.id = m.mailbox_id
         JOIN domains d ON d.tenant_id = b.tenant_id AND d.id = b.domain_id
         LEFT JOIN members mem ON mem.tenant_id = b.tenant_id AND mem.id = b.member_id
        WHERE m.tenant_id = $1 AND ${IN_PERIOD('m.received_at')}
        GROUP BY 1, 2, 3
        ORDER BY messages DESC, address
        LIMIT $4`,
      [tenantId, q.from, q.to, q.limit],
    );
    return rows.map((r) => ({
      mailboxId: r.mailbox_id,
      address: r.address,
      name: r.name,
      messages: r.messages,
      external: r.external,
    }));
  }

  private async storage(
    tenantId: string,
    department: string | null,
  ): Promise<BreakdownDto['storageByDepartment']> {
    const rows: { external_id: string; name: string; mailboxes: number; used: string; quota: string }[] =
      await this.ds.query(
        `WITH parent AS (
           SELECT external_id FROM departments
            WHERE tenant_id = $1 AND (($2::text IS NULL AND parent_external_id IS NULL) OR external_id = $2)
            ORDER BY sort_order, external_id LIMIT 1
         ), top AS (
           SELECT d.external_id, d.name, d.sort_order FROM departments d JOIN parent p ON d.parent_external_id = p.external_id
            WHERE d.tenant_id = $1
         ), pairs AS (
           SELECT DISTINCT t.external_id, b.id, b.used_bytes, b.quota_bytes
             FROM top t
             JOIN departments sub ON sub.tenant_id = $1 AND t.external_id = ANY(sub.path)
             JOIN members m ON m.tenant_id = $1 AND m.department_ids && ARRAY[sub.external_id]
             JOIN mailboxes b ON b.tenant_id = $1 AND b.member_id = m.id AND b.status <> 'purged'
         )
         SELECT t.external_id, t.name, count(p.id)::int AS mailboxes,
                coalesce(sum(p.used_bytes), 0) AS used, coalesce(sum(p.quota_bytes), 0) AS quota
           FROM top t LEFT JOIN pairs p ON p.external_id = t.external_id
          GROUP BY t.external_id, t.name, t.sort_order
          ORDER BY used DESC, t.sort_order, t.external_id
          LIMIT 100`,
        [tenantId, department],
      );
    return rows.map((r) => ({
      externalId: r.external_id,
      name: r.name,
      mailboxes: r.mailboxes,
      usedBytes: Number(r.used),
      quotaBytes: Number(r.quota),
    }));
  }

  private async queue(tenantId: string, q: BreakdownQuery): Promise<BreakdownDto['queue']> {
    const [row] = await this.ds.query(
      `SELECT count(*) FILTER (WHERE status = 'queued')::int AS queued,
              count(*) FILTER (WHERE status = 'queued' AND attempts > 0)::int AS retrying,
              count(*) FILTER (WHERE status = 'failed' AND ${IN_PERIOD('created_at')})::int AS failed,
              count(*) FILTER (WHERE status = 'sent' AND ${IN_PERIOD('created_at')})::int AS sent,
              count(*) FILTER (WHERE status = 'captured' AND ${IN_PERIOD('created_at')})::int AS captured,
              (SELECT count(*)::int FROM mail_approvals WHERE tenant_id = $1 AND status = 'pending') AS held
         FROM ${TZ} LEFT JOIN outbound_queue ON outbound_queue.tenant_id = $1`,
      [tenantId, q.from, q.to],
    );
    return row;
  }
}
