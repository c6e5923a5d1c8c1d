import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Foundation tables. Every table carries tenant_id and every index leads with it (the
 * distribution column once a deployment outgrows one PostgreSQL). The one exception is the
 * global domain-name index: inbound mail names a domain before any tenant is known.
 */
export class Foundation1763900000000 implements MigrationInterface {
  name = 'Foundation1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tenants (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        slug text NOT NULL,
        name text NOT NULL,
        corp_id text,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
        time_zone text NOT NULL DEFAULT 'Asia/Shanghai',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX tenants_slug_key ON tenants (slug)`);
    await q.query(`CREATE UNIQUE INDEX tenants_corp_id_key ON tenants (corp_id) WHERE corp_id IS NOT NULL`);

    await q.query(`
      CREATE TABLE domains (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        name text NOT NULL CHECK (name = lower(name)),
        is_primary boolean NOT NULL DEFAULT false,
        verification_token text NOT NULL,
        verified_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id)
      )`);
    await q.query(`CREATE UNIQUE INDEX domains_name_key ON domains (name)`);
    await q.query(`CREATE UNIQUE INDEX domains_tenant_primary_key ON domains (tenant_id) WHERE is_primary`);

    await q.query(`
      CREATE TABLE members (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        external_id text,
        username text,
        display_name text NOT NULL,
        email text,
        roles text[] NOT NULL DEFAULT '{employee}'
          CHECK (roles <@ ARRAY['employee', 'admin', 'auditor']::text[] AND cardinality(roles) > 0),
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'purged')),
        password_hash text,
        is_password_change_required boolean NOT NULL DEFAULT false,
        totp_secret text,
        totp_enabled_at timestamptz,
        totp_last_step bigint,
        locked_until timestamptz,
        last_login_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id)
      )`);
    await q.query(
      `CREATE UNIQUE INDEX members_tenant_external_id_key ON members (tenant_id, external_id) WHERE external_id IS NOT NULL`,
    );
    await q.query(
      `CREATE UNIQUE INDEX members_tenant_username_key ON members (tenant_id, lower(username)) WHERE username IS NOT NULL`,
    );

    await q.query(`
      CREATE TABLE audit_log (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        id bigint GENERATED ALWAYS AS IDENTITY,
        actor_type text NOT NULL CHECK (actor_type IN ('member', 'system', 'sync')),
        actor_id uuid,
        action text NOT NULL,
        target_type text,
        target_id text,
        details jsonb NOT NULL DEFAULT '{}',
        ip inet,
        request_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id)
      )`);
    await q.query(
      `CREATE INDEX audit_log_tenant_created_idx ON audit_log (tenant_id, created_at DESC, id DESC)`,
    );
    await q.query(
      `CREATE INDEX audit_log_tenant_action_idx ON audit_log (tenant_id, action, created_at DESC)`,
    );

    await q.query(`
      CREATE TABLE job_runs (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        job text NOT NULL,
        trigger text NOT NULL CHECK (trigger IN ('cron', 'manual', 'event', 'startup')),
        status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'held', 'cancelled')),
        progress_done integer NOT NULL DEFAULT 0,
        progress_total integer,
        summary jsonb NOT NULL DEFAULT '{}',
        error text,
        requested_by uuid,
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        heartbeat_at timestamptz,
        PRIMARY KEY (tenant_id, id)
      )`);
    await q.query(
      `CREATE INDEX job_runs_tenant_job_started_idx ON job_runs (tenant_id, job, started_at DESC)`,
    );

    await q.query(`
      CREATE TABLE settings (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        key text NOT NULL,
        value jsonb NOT NULL,
        updated_by uuid,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, key)
      )`);

    await q.query(`
      CREATE TABLE login_attempts (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        id bigint GENERATED ALWAYS AS IDENTITY,
        login text NOT NULL,
        ip inet,
        is_success boolean NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id)
      )`);
    await q.query(
      `CREATE INDEX login_attempts_tenant_login_idx ON login_attempts (tenant_id, login, created_at DESC)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'login_attempts',
      'settings',
      'job_runs',
      'audit_log',
      'members',
      'domains',
      'tenants',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
