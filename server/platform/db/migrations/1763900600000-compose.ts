import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Compose: uploaded attachments (kept a day), the editable state of drafts and scheduled messages
 * (the message row and its blob hold the composed MIME; this holds what the user typed), per-member
 * send preferences, and scheduled sends (undo send is a scheduled send due a few seconds ahead).
 */
export class Compose1763900600000 implements MigrationInterface {
  name = 'Compose1763900600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE uploads (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        member_id uuid NOT NULL,
        filename text NOT NULL,
        content_type text NOT NULL,
        size bigint NOT NULL,
        sha256 text NOT NULL,
        content bytea NOT NULL,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id),
        FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id) ON DELETE CASCADE
      )`);
    // The cleanup deletes expired uploads of every tenant in one statement, so this index leads
    // with expires_at: a documented exception to "indexes lead with tenant_id" (like domains_name_key).
    await q.query(`CREATE INDEX uploads_expires_idx ON uploads (expires_at)`);

    await q.query(`
      CREATE TABLE message_drafts (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        message_id uuid NOT NULL,
        mailbox_id uuid NOT NULL,
        version integer NOT NULL DEFAULT 1,
        fields jsonb NOT NULL,
        reply_of uuid,
        forward_of uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, message_id),
        FOREIGN KEY (tenant_id, message_id) REFERENCES messages (tenant_id, id) ON DELETE CASCADE,
        FOREIGN KEY (tenant_id, mailbox_id) REFERENCES mailboxes (tenant_id, id) ON DELETE CASCADE
      )`);

    await q.query(`
      CREATE TABLE send_preferences (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        member_id uuid NOT NULL,
        undo_seconds integer NOT NULL DEFAULT 10 CHECK (undo_seconds BETWEEN 0 AND 30),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, member_id),
        FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id) ON DELETE CASCADE
      )`);

    await q.query(`
      CREATE TABLE scheduled_sends (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        mailbox_id uuid NOT NULL,
        member_id uuid,
        message_id uuid,
        kind text NOT NULL CHECK (kind IN ('undo', 'scheduled')),
        status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'sent', 'cancelled', 'failed')),
        due_at timestamptz NOT NULL,
        next_attempt_at timestamptz NOT NULL,
        time_zone text,
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        sent_at timestamptz,
        sent_message_id uuid,
        is_late boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id),
        FOREIGN KEY (tenant_id, mailbox_id) REFERENCES mailboxes (tenant_id, id) ON DELETE CASCADE,
        FOREIGN KEY (tenant_id, message_id) REFERENCES messages (tenant_id, id) ON DELETE SET NULL (message_id)
      )`);
    // The dispatcher claims due rows of every tenant at once, so this index leads with the due time:
    // a documented exception to "indexes lead with tenant_id", like the global domains_name_key.
    // next_attempt_at is due_at until a transient failure pushes it back.
    await q.query(
      `CREATE INDEX scheduled_sends_due_idx ON scheduled_sends (next_attempt_at) WHERE status = 'queued'`,
    );
    await q.query(
      `CREATE INDEX scheduled_sends_tenant_mailbox_idx ON scheduled_sends (tenant_id, mailbox_id, status, due_at)`,
    );
    await q.query(
      `CREATE UNIQUE INDEX scheduled_sends_tenant_message_key ON scheduled_sends (tenant_id, message_id) WHERE status IN ('queued', 'sending')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS scheduled_sends`);
    await q.query(`DROP TABLE IF EXISTS send_preferences`);
    await q.query(`DROP TABLE IF EXISTS message_drafts`);
    await q.query(`DROP TABLE IF EXISTS uploads`);
  }
}
