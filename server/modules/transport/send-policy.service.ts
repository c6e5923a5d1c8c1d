import type { DataSource, EntityManager } from 'typeorm';
import { SEND_POLICY_KEY, SendPolicy } from '../../../shared/mail/send-policy';
import type { Actor, RequestContext } from '../../platform/http/actor';
import type { AuditService } from '../admin';
import { AuditedSetting, type SettingsService } from '../tenants';

/**
 * The organization's sending rules (who may mail outside, how much per day, how large) and the
 * per-member daily counter of external recipients, kept per day in the organization's time zone.
 */
export class SendPolicyService {
  private readonly setting: AuditedSetting<typeof SendPolicy>;

  constructor(
    private readonly ds: DataSource,
    private readonly settings: SettingsService,
    audit: AuditService,
  ) {
    this.setting = new AuditedSetting(
      { ds, settings, audit },
      SEND_POLICY_KEY,
      SendPolicy,
      'policy.send_updated',
    );
  }

  get(actor: Actor): Promise<SendPolicy> {
    return this.setting.get(actor.tenantId);
  }

  update(actor: Actor, next: SendPolicy, ctx: RequestContext): Promise<SendPolicy> {
    return this.setting.update(actor, next, ctx);
  }

  forTenant(tenantId: string, em: EntityManager = this.ds.manager): Promise<SendPolicy> {
    return this.settings.get(tenantId, SEND_POLICY_KEY, SendPolicy, em);
  }

  /**
   * May this member send outside? A member deny wins, then a member allow, then a department deny,
   * then a department allow (a department covers its sub-departments), then the organization default.
   */
  externalAllowed(
    em: EntityManager,
    tenantId: string,
    memberId: string | null,
    policy: SendPolicy,
  ): Promise<boolean> {
    return this.allowed(em, tenantId, memberId, policy.overrides, policy.externalSendingAllowed);
  }

  /** May this member mail our own organization's addresses? Same precedence as externalAllowed. */
  internalAllowed(
    em: EntityManager,
    tenantId: string,
    memberId: string | null,
    policy: SendPolicy,
  ): Promise<boolean> {
    return this.allowed(em, tenantId, memberId, policy.internalOverrides, policy.internalSendingAllowed);
  }

  private async allowed(
    em: EntityManager,
    tenantId: string,
    memberId: string | null,
    o: SendPolicy['overrides'],
    fallback: boolean,
  ): Promise<boolean> {
    if (memberId) {
      if (o.denyMembers.includes(memberId)) return false;
      if (o.allowMembers.includes(memberId)) return true;
      if (o.denyDepartments.length > 0 || o.allowDepartments.length > 0) {
        // Every department the member is in, and all their ancestors (departments.path is root → self).
        const rows: { ancestors: string[] | null }[] = await em.query(
          `SELECT ARRAY(SELECT DISTINCT unnest(d.path) FROM departments d
                         WHERE d.tenant_id = m.tenant_id AND d.external_id = ANY(m.department_ids)) AS ancestors
             FROM members m WHERE m.tenant_id = $1 AND m.id = $2`,
          [tenantId, memberId],
        );
        const ancestors = new Set(rows[0]?.ancestors ?? []);
        if (o.denyDepartments.some((d) => ancestors.has(d))) return false;
        if (o.allowDepartments.some((d) => ancestors.has(d))) return true;
      }
    }
    return fallback;
  }

  /** External recipients this member has sent to today (organization time zone). */
  async usedToday(em: EntityManager, tenantId: string, memberId: string, now: Date): Promise<number> {
    const rows: { recipients: number }[] = await em.query(
      `SELECT c.recipients FROM outbound_daily_counts c
        WHERE c.tenant_id = $1 AND c.member_id = $2 AND c.day = ${DAY_SQL}`,
      [tenantId, memberId, now],
    );
    return rows[0]?.recipients ?? 0;
  }

  /**
   * Adds `count` to today's counter if it stays within `limit`, atomically (two sends at once
   * cannot both slip under the limit). False when the limit would be exceeded (nothing added).
   */
  async consume(
    em: EntityManager,
    tenantId: string,
    memberId: string,
    count: number,
    limit: number,
    now: Date,
  ): Promise<boolean> {
    if (count <= 0) return true;
    const rows: { recipients: number }[] = await em.query(
      `INSERT INTO outbound_daily_counts AS c (tenant_id, member_id, day, recipients)
       SELECT $1, $2, ${DAY_SQL}, $4::int WHERE $4::int <= $5::int
       ON CONFLICT (tenant_id, member_id, day)
         DO UPDATE SET recipients = c.recipients + EXCLUDED.recipients WHERE c.recipients + EXCLUDED.recipients <= $5::int
       RETURNING c.recipients`,
      [tenantId, memberId, now, count, limit],
    );
    return rows.length > 0;
  }
}

/** Today in the organization's time zone, for `$1` = tenant id and `$3` = now. */
const DAY_SQL = `(($3::timestamptz) AT TIME ZONE coalesce((SELECT t.time_zone FROM tenants t WHERE t.id = $1), 'Asia/Shanghai'))::date`;
