import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The org directory and what it provisions: departments, member details, mailboxes, department
 * groups, the one address namespace they share, integration credentials and durable events.
 */
export class Directory1763900100000 implements MigrationInterface {
  name = 'Directory1763900100000';

  async up(q: QueryRunner): Promise<void> {
    // btree_gin lets array (GIN) indexes lead with tenant_id like every other index.
    await q.query(`CREATE EXTENSION IF NOT EXISTS btree_gin`);
    await q.query(`
      CREATE TABLE departments (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        external_id text NOT NULL,
        parent_external_id text,
        name text NOT NULL,
        sort_order bigint NOT NULL DEFAULT 0,
        -- external ids from the root down to this department, itself included: subtree queries use it.
        path text[] NOT NULL,
        manager_external_ids text[] NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id)
      )`);
    await q.query(
      `CREATE UNIQUE INDEX departments_tenant_external_id_key ON departments (tenant_id, external_id)`,
    );
    await q.query(`CREATE INDEX departments_tenant_path_idx ON departments USING gin (tenant_id, path)`);

    await q.query(`
      ALTER TABLE members
        ADD COLUMN source text NOT NULL DEFAULT 'local' CHECK (source IN ('local', 'dingtalk')),
        ADD COLUMN department_ids text[] NOT NULL DEFAULT '{}',
        ADD COLUMN title text,
        ADD COLUMN job_number text,
        ADD COLUMN directory_email text,
        ADD COLUMN avatar_url text,
        ADD COLUMN is_org_admin boolean NOT NULL DEFAULT false,
        ADD COLUMN hired_at timestamptz,
        ADD COLUMN name_pinyin text,
        ADD COLUMN name_initials text,
        ADD COLUMN left_at timestamptz`);
    await q.query(`CREATE INDEX members_department_ids_idx ON members USING gin (tenant_id, department_ids)`);
    await q.query(`CREATE INDEX members_tenant_status_idx ON members (tenant_id, status)`);

    await q.query(`
      CREATE TABLE mailboxes (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        member_id uuid,
        domain_id uuid NOT NULL,
        local_part text NOT NULL,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'purged')),
        quota_bytes bigint NOT NULL DEFAULT 5368709120,
        used_bytes bigint NOT NULL DEFAULT 0,
        suspended_at timestamptz,
        purge_after timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id),
        FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id) ON DELETE SET NULL (member_id),
        FOREIGN KEY (tenant_id, domain_id) REFERENCES domains (tenant_id, id)
      )`);
    await q.query(
      `CREATE UNIQUE INDEX mailboxes_tenant_member_key ON mailboxes (tenant_id, member_id) WHERE member_id IS NOT NULL AND status <> 'purged'`,
    );
    await q.query(
      `CREATE INDEX mailboxes_tenant_purge_idx ON mailboxes (tenant_id, purge_after) WHERE purge_after IS NOT NULL`,
    );

    await q.query(`
      CREATE TABLE mail_groups (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        kind text NOT NULL CHECK (kind IN ('department', 'custom')),
        department_external_id text,
        name text NOT NULL,
        include_subdepartments boolean NOT NULL DEFAULT true,
        send_policy text NOT NULL DEFAULT 'internal' CHECK (send_policy IN ('anyone', 'internal', 'members', 'listed')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id)
      )`);
    await q.query(
      `CREATE UNIQUE INDEX mail_groups_tenant_department_key ON mail_groups (tenant_id, department_external_id) WHERE department_external_id IS NOT NULL`,
    );

    // One namespace per domain: a local part names exactly one mailbox, alias or group.
    await q.query(`
      CREATE TABLE addresses (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        domain_id uuid NOT NULL,
        local_part text NOT NULL CHECK (local_part = lower(local_part)),
        kind text NOT NULL CHECK (kind IN ('mailbox', 'alias', 'group')),
        mailbox_id uuid,
        group_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id),
        FOREIGN KEY (tenant_id, domain_id) REFERENCES domains (tenant_id, id) ON DELETE CASCADE,
        FOREIGN KEY (tenant_id, mailbox_id) REFERENCES mailboxes (tenant_id, id) ON DELETE CASCADE,
        FOREIGN KEY (tenant_id, group_id) REFERENCES mail_groups (tenant_id, id) ON DELETE CASCADE,
        CHECK ((kind = 'group') = (group_id IS NOT NULL) AND (kind <> 'group') = (mailbox_id IS NOT NULL))
      )`);
    await q.query(
      `CREATE UNIQUE INDEX addresses_tenant_domain_local_key ON addresses (tenant_id, domain_id, local_part)`,
    );
    await q.query(
      `CREATE INDEX addresses_tenant_mailbox_idx ON addresses (tenant_id, mailbox_id) WHERE mailbox_id IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX addresses_tenant_group_idx ON addresses (tenant_id, group_id) WHERE group_id IS NOT NULL`,
    );

    await q.query(`
      CREATE TABLE integrations (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        provider text NOT NULL CHECK (provider IN ('dingtalk')),
        settings jsonb NOT NULL,
        -- sealed with the deployment key (SecretBox)
        sealed_secrets text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, provider)
      )`);

    // Events are stored before they are acknowledged, then processed; a failure is retried, never lost.
    await q.query(`
      CREATE TABLE directory_events (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        id bigint GENERATED ALWAYS AS IDENTITY,
        event_key text NOT NULL,
        event_type text NOT NULL,
        user_ids text[] NOT NULL DEFAULT '{}',
        dept_ids text[] NOT NULL DEFAULT '{}',
        payload jsonb NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed', 'ignored')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error text,
        received_at timestamptz NOT NULL DEFAULT now(),
        processed_at timestamptz,
        PRIMARY KEY (tenant_id, id)
      )`);
    await q.query(
      `CREATE UNIQUE INDEX directory_events_tenant_key ON directory_events (tenant_id, event_key)`,
    );
    await q.query(
      `CREATE INDEX directory_events_tenant_due_idx ON directory_events (tenant_id, next_attempt_at) WHERE status = 'pending'`,
    );

    // Signatures of accepted callbacks inside the freshness window: a replayed request is refused.
    await q.query(`
      CREATE TABLE callback_receipts (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        signature text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, signature)
      )`);
    await q.query(
      `CREATE INDEX callback_receipts_tenant_received_idx ON callback_receipts (tenant_id, received_at)`,
    );

    await q.query(`
      CREATE TABLE notice_counters (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        member_id uuid NOT NULL,
        day date NOT NULL,
        sent integer NOT NULL DEFAULT 0,
        PRIMARY KEY (tenant_id, member_id, day)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'notice_counters',
      'directory_events',
      'integrations',
      'addresses',
      'mail_groups',
      'mailboxes',
      'departments',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
    await q.query(`
      ALTER TABLE members DROP COLUMN source, DROP COLUMN department_ids, DROP COLUMN title, DROP COLUMN job_number,
        DROP COLUMN directory_email, DROP COLUMN avatar_url, DROP COLUMN is_org_admin, DROP COLUMN hired_at,
        DROP COLUMN name_pinyin, DROP COLUMN name_initials, DROP COLUMN left_at`);
  }
}
