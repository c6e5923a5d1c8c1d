import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Auto-classification rules (personal ones per mailbox, organization ones per department subtree)
 * and the runs of jobs that belong to no tenant (the job registry's global jobs).
 */
export class Rules1763900700000 implements MigrationInterface {
  name = 'Rules1763900700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE rules (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        scope text NOT NULL CHECK (scope IN ('personal', 'organization')),
        mailbox_id uuid,
        -- organization rules: members of these departments and of every department below them
        department_external_ids text[] NOT NULL DEFAULT '{}',
        name text NOT NULL,
        position integer NOT NULL DEFAULT 0,
        is_enabled boolean NOT NULL DEFAULT true,
        -- { match, conditions, actions }, validated with shared/rules/rule.ts before it is stored
        definition jsonb NOT NULL,
        match_count bigint NOT NULL DEFAULT 0,
        last_matched_at timestamptz,
        last_error text,
        last_error_at timestamptz,
        created_by uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id),
        FOREIGN KEY (tenant_id, mailbox_id) REFERENCES mailboxes (tenant_id, id) ON DELETE CASCADE,
        CHECK ((scope = 'personal') = (mailbox_id IS NOT NULL))
      )`);
    await q.query(
      `CREATE INDEX rules_tenant_mailbox_idx ON rules (tenant_id, mailbox_id, position) WHERE scope = 'personal'`,
    );
    await q.query(
      `CREATE INDEX rules_tenant_departments_idx ON rules USING gin (tenant_id, department_external_ids)
        WHERE scope = 'organization'`,
    );
    // Global jobs (no tenant) still leave a record of every run; tenant jobs use job_runs.
    await q.query(`
      CREATE TABLE system_job_runs (
        id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
        job text NOT NULL,
        trigger text NOT NULL CHECK (trigger IN ('cron', 'manual', 'event', 'startup')),
        status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'held', 'cancelled')),
        progress_done integer NOT NULL DEFAULT 0,
        progress_total integer,
        summary jsonb NOT NULL DEFAULT '{}',
        error text,
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        heartbeat_at timestamptz
      )`);
    await q.query(`CREATE INDEX system_job_runs_job_started_idx ON system_job_runs (job, started_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS system_job_runs`);
    await q.query(`DROP TABLE IF EXISTS rules`);
  }
}
