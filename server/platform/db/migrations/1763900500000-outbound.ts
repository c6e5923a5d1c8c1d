import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Outbound mail: the queue of messages for other domains (one row per remote domain, referencing
 * the stored blob so it stays while queued), DKIM keys per domain, per-member daily counters for
 * the external recipient limit, captured mail (embedded/dev mode: nothing leaves the machine)
 * and app passwords for SMTP submission.
 */
export class Outbound1763900500000 implements MigrationInterface {
  name = 'Outbound1763900500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE outbound_queue (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        mailbox_id uuid,
        kind text NOT NULL CHECK (kind IN ('user', 'auto', 'system')),
        envelope_from text NOT NULL,
        domain text NOT NULL,
        -- every recipient at this domain with its state: pending, sent, failed (permanent)
        recipients jsonb NOT NULL,
        -- the message; released (NULL) once delivered so the blob can be freed with its last message
        blob_sha256 text,
        dkim_domain text,
        message_id text,
        subject text NOT NULL DEFAULT '',
        status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed', 'captured')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL,
        claimed_until timestamptz,
        last_error text,
        via text,
        dsn_sent boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL,
        -- retries stop here (5 days after the first attempt; a manual retry moves it)
        expires_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        finished_at timestamptz,
        PRIMARY KEY (tenant_id, id),
        FOREIGN KEY (tenant_id, blob_sha256) REFERENCES mail_blobs (tenant_id, sha256)
      )`);
    await q.query(
      `CREATE INDEX outbound_queue_tenant_due_idx ON outbound_queue (tenant_id, next_attempt_at) WHERE status = 'queued'`,
    );
    await q.query(
      `CREATE INDEX outbound_queue_tenant_created_idx ON outbound_queue (tenant_id, created_at DESC, id DESC)`,
    );
    await q.query(`
      CREATE TABLE dkim_keys (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        domain_id uuid NOT NULL,
        selector text NOT NULL,
        -- sealed with the deployment key (SecretBox)
        private_key_sealed text NOT NULL,
        public_key text NOT NULL,
        is_active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        retired_at timestamptz,
        PRIMARY KEY (tenant_id, id),
        FOREIGN KEY (tenant_id, domain_id) REFERENCES domains (tenant_id, id) ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE UNIQUE INDEX dkim_keys_tenant_domain_active_key ON dkim_keys (tenant_id, domain_id) WHERE is_active`,
    );
    await q.query(`
      CREATE TABLE outbound_daily_counts (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        member_id uuid NOT NULL,
        day date NOT NULL,
        recipients integer NOT NULL DEFAULT 0,
        PRIMARY KEY (tenant_id, member_id, day)
      )`);
    await q.query(`
      CREATE TABLE captured_mail (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        queue_id uuid,
        envelope_from text NOT NULL,
        recipients text[] NOT NULL,
        subject text NOT NULL DEFAULT '',
        size bigint NOT NULL,
        content bytea NOT NULL,
        captured_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, id)
      )`);
    await q.query(
      `CREATE INDEX captured_mail_tenant_at_idx ON captured_mail (tenant_id, captured_at DESC, id DESC)`,
    );
    await q.query(`
      CREATE TABLE app_passwords (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        member_id uuid NOT NULL,
        name text NOT NULL,
        password_hash text NOT NULL,
        created_at timestamptz NOT NULL,
        last_used_at timestamptz,
        last_used_ip inet,
        revoked_at timestamptz,
        PRIMARY KEY (tenant_id, id),
        FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id) ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE INDEX app_passwords_tenant_member_idx ON app_passwords (tenant_id, member_id) WHERE revoked_at IS NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'app_passwords',
      'captured_mail',
      'outbound_daily_counts',
      'dkim_keys',
      'outbound_queue',
    ])
      await q.query(`DROP TABLE IF EXISTS ${table}`);
  }
}
