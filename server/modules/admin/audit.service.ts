import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../../platform/http/actor';
import type { AuditActorType } from './audit-entry.entity';

export interface AuditRecord {
  tenantId: string;
  actorType: AuditActorType;
  actorId?: string | null;
  action: string;
  targetType?: string;
  targetId?: string;
  details?: Record<string, unknown>;
  ctx?: RequestContext;
}

/** Writes audit entries inside the caller's transaction, so an action and its record commit together. */
export class AuditService {
  async record(em: EntityManager, record: AuditRecord): Promise<void> {
    await this.recordMany(em, [record]);
  }

  /** One statement for a whole batch (a directory sync audits every change it makes). */
  async recordMany(em: EntityManager, records: AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    await em.query(
      `INSERT INTO audit_log (tenant_id, actor_type, actor_id, action, target_type, target_id, details, ip, request_id)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::inet[], $9::text[])`,
      [
        records.map((r) => r.tenantId),
        records.map((r) => r.actorType),
        records.map((r) => r.actorId ?? null),
        records.map((r) => r.action),
        records.map((r) => r.targetType ?? null),
        records.map((r) => r.targetId ?? null),
        records.map((r) => JSON.stringify(r.details ?? {})),
        records.map((r) => r.ctx?.ip ?? null),
        records.map((r) => r.ctx?.requestId ?? null),
      ],
    );
  }
}
