import 'reflect-metadata';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditEntry } from '../../modules/admin/audit-entry.entity';
import { LoginAttempt } from '../../modules/auth/login-attempt.entity';
import { Member } from '../../modules/directory/member.entity';
import { JobRun } from '../../modules/scheduling/job-run.entity';
import { Domain } from '../../modules/tenants/domain.entity';
import { Setting } from '../../modules/tenants/setting.entity';
import { Tenant } from '../../modules/tenants/tenant.entity';
import { migrations } from './migrations';

/** Every entity the data source knows. Modules add theirs here when they add tables. */
export const entities = [Tenant, Domain, Setting, Member, AuditEntry, JobRun, LoginAttempt];

export interface DataSourceOptions {
  url: string;
  poolSize: number;
  applicationName?: string;
}

export function createDataSource(options: DataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    entities,
    migrations,
    synchronize: false,
    migrationsRun: false,
    migrationsTransactionMode: 'each',
    logging: false,
    poolSize: options.poolSize,
    applicationName: options.applicationName ?? 'orgmail',
    extra: { connectionTimeoutMillis: 5000 },
  });
}

/** Runs `work` in one transaction. Services own their transactions; handlers never see this. */
export function inTransaction<T>(ds: DataSource, work: (em: EntityManager) => Promise<T>): Promise<T> {
  return ds.transaction(work);
}

/** True when every known migration has been applied (what /readyz reports). */
export async function migrationsApplied(ds: DataSource): Promise<boolean> {
  const rows: { name: string }[] = await ds.query(`SELECT name FROM migrations`).catch(() => []);
  const applied = new Set(rows.map((r) => r.name));
  return ds.migrations.every((m) => m.name !== undefined && applied.has(m.name));
}
