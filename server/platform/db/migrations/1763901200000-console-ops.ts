import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Console operations: outbound mail held for approval (邮件审核) and time-boxed mailbox grants
 * (an auditor's access to named mailboxes ends at `expires_at`; every read is audited).
 */
export class ConsoleOps1763901200000 implements MigrationInterface {
  name = 'ConsoleOps1763901200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE mail_approvals (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        mailbox_id uuid NOT NULL,
        sender_member_id uuid,
        envelope_from text NOT NULL,
        recipients text[] NOT NULL,
        -- the held message (with its Bcc); the blob stays while this row points at it
        blob_sha256 text NOT NULL,
        sent_message_id uuid,
        message_id text NOT NULL,
        subject text NOT NULL DEFAULT '',
        size bigint NOT NULL,
        reasons jsonb NOT NULL DEFAULT '[]',
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
        released boolean NOT NULL DEFAULT false,
        decided_by uuid,
        decision_reason text,
        expires_at timestamptz NOT NULL,
        decided_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id),
        FOREIGN KEY (tenant_id, mailbox_id) REFERENCES mailboxes (tenant_id, id) ON DELETE CASCADE,
        FOREIGN KEY (tenant_id, blob_sha256) REFERENCES mail_blobs (tenant_id, sha256)
      )`);
    await q.query(
      `CREATE INDEX mail_approvals_tenant_status_idx ON mail_approvals (tenant_id, status, created_at DESC, id DESC)`,
    );
    await q.query(
      `CREATE INDEX mail_approvals_tenant_expiry_idx ON mail_approvals (tenant_id, expires_at) WHERE status = 'pending'`,
    );
    await q.query(`ALTER TABLE mailbox_grants ADD COLUMN expires_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE mailbox_grants DROP COLUMN expires_at`);
    await q.query(`DROP TABLE mail_approvals`);
  }
}
