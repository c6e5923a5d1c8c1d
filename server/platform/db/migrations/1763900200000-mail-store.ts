import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Mail storage: raw messages stored once per content (by SHA-256) however many recipients they
 * have, folders per mailbox, and one message row per recipient with the summary fields lists and
 * search need. Lists page by (mailbox, folder, received_at, id), never by OFFSET.
 */
export class MailStore1763900200000 implements MigrationInterface {
  name = 'MailStore1763900200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE mail_blobs (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        sha256 text NOT NULL,
        size bigint NOT NULL,
        content bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, sha256)
      )`);

    await q.query(`
      CREATE TABLE folders (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        mailbox_id uuid NOT NULL,
        parent_id uuid,
        name text NOT NULL,
        role text CHECK (role IN ('inbox', 'sent', 'drafts', 'scheduled', 'trash', 'junk', 'archive')),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id),
        FOREIGN KEY (tenant_id, mailbox_id) REFERENCES mailboxes (tenant_id, id) ON DELETE CASCADE,
        FOREIGN KEY (tenant_id, parent_id) REFERENCES folders (tenant_id, id) ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE UNIQUE INDEX folders_tenant_mailbox_role_key ON folders (tenant_id, mailbox_id, role) WHERE role IS NOT NULL`,
    );
    await q.query(
      `CREATE UNIQUE INDEX folders_tenant_mailbox_name_key
         ON folders (tenant_id, mailbox_id, coalesce(parent_id, '00000000-0000-0000-0000-000000000000'::uuid), lower(name))`,
    );

    await q.query(`
      CREATE TABLE messages (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        mailbox_id uuid NOT NULL,
        folder_id uuid NOT NULL,
        blob_sha256 text NOT NULL,
        message_id text NOT NULL,
        thread_id uuid NOT NULL,
        in_reply_to text,
        subject text NOT NULL DEFAULT '',
        from_name text,
        from_address text,
        to_addresses jsonb NOT NULL DEFAULT '[]',
        cc_addresses jsonb NOT NULL DEFAULT '[]',
        snippet text NOT NULL DEFAULT '',
        has_attachments boolean NOT NULL DEFAULT false,
        attachments jsonb NOT NULL DEFAULT '[]',
        size bigint NOT NULL,
        importance text NOT NULL DEFAULT 'normal' CHECK (importance IN ('high', 'normal', 'low')),
        is_seen boolean NOT NULL DEFAULT false,
        is_flagged boolean NOT NULL DEFAULT false,
        is_answered boolean NOT NULL DEFAULT false,
        labels text[] NOT NULL DEFAULT '{}',
        search_tokens text[] NOT NULL DEFAULT '{}',
        received_at timestamptz NOT NULL,
        sent_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id),
        FOREIGN KEY (tenant_id, mailbox_id) REFERENCES mailboxes (tenant_id, id) ON DELETE CASCADE,
        FOREIGN KEY (tenant_id, folder_id) REFERENCES folders (tenant_id, id),
        FOREIGN KEY (tenant_id, blob_sha256) REFERENCES mail_blobs (tenant_id, sha256)
      )`);
    await q.query(
      `CREATE INDEX messages_tenant_list_idx ON messages (tenant_id, mailbox_id, folder_id, received_at DESC, id DESC)`,
    );
    await q.query(`CREATE INDEX messages_tenant_thread_idx ON messages (tenant_id, mailbox_id, message_id)`);
    await q.query(`CREATE INDEX messages_tenant_search_idx ON messages USING gin (tenant_id, search_tokens)`);
    await q.query(`CREATE INDEX messages_tenant_blob_idx ON messages (tenant_id, blob_sha256)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS messages`);
    await q.query(`DROP TABLE IF EXISTS folders`);
    await q.query(`DROP TABLE IF EXISTS mail_blobs`);
  }
}
