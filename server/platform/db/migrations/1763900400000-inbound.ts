import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Inbound mail: each mailbox's vacation auto-reply, and who it has answered lately (RFC 3834:
 * a sender is answered at most once per few days; the row is claimed atomically per reply).
 */
export class Inbound1763900400000 implements MigrationInterface {
  name = 'Inbound1763900400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE mail_auto_replies (
        tenant_id uuid NOT NULL,
        mailbox_id uuid NOT NULL,
        enabled boolean NOT NULL DEFAULT false,
        -- Inclusive days in time_zone; open-ended when null.
        start_date date,
        end_date date,
        time_zone text NOT NULL DEFAULT 'Asia/Shanghai',
        subject text,
        body text NOT NULL DEFAULT '',
        internal_only boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, mailbox_id),
        FOREIGN KEY (tenant_id, mailbox_id) REFERENCES mailboxes (tenant_id, id) ON DELETE CASCADE,
        CHECK (start_date IS NULL OR end_date IS NULL OR start_date <= end_date)
      )`);
    await q.query(`
      CREATE TABLE mail_auto_reply_log (
        tenant_id uuid NOT NULL,
        mailbox_id uuid NOT NULL,
        sender text NOT NULL,
        last_sent_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, mailbox_id, sender),
        FOREIGN KEY (tenant_id, mailbox_id) REFERENCES mailboxes (tenant_id, id) ON DELETE CASCADE
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS mail_auto_reply_log`);
    await q.query(`DROP TABLE IF EXISTS mail_auto_replies`);
  }
}
