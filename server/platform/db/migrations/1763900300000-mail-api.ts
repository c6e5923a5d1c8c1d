import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The employee mail API: where a trashed message came from (so restore can put it back),
 * admin-granted access to other mailboxes, and the indexes the API's queries walk
 * (all-folder date order for search, threads, unread counts).
 */
export class MailApi1763900300000 implements MigrationInterface {
  name = 'MailApi1763900300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE messages ADD COLUMN trashed_from_folder_id uuid`);
    await q.query(`
      ALTER TABLE messages ADD CONSTRAINT messages_trashed_from_fkey
        FOREIGN KEY (tenant_id, trashed_from_folder_id) REFERENCES folders (tenant_id, id)
        ON DELETE SET NULL (trashed_from_folder_id)`);
    // Search across folders pages by date; without this it would sort every match.
    await q.query(
      `CREATE INDEX messages_tenant_mailbox_date_idx ON messages (tenant_id, mailbox_id, received_at DESC, id DESC)`,
    );
    await q.query(
      `CREATE INDEX messages_tenant_mailbox_thread_idx ON messages (tenant_id, mailbox_id, thread_id, received_at)`,
    );
    // "unread only" lists walk this instead of skipping over read mail
    await q.query(
      `CREATE INDEX messages_tenant_unread_idx ON messages (tenant_id, mailbox_id, folder_id, received_at DESC, id DESC)
        WHERE NOT is_seen`,
    );

    // Folder counts kept by statement-level triggers: counting a 1M-message mailbox on every folder
    // list costs most of a second (measured), a counter read costs nothing. One aggregated UPDATE per
    // statement, folder rows locked in key order so concurrent statements cannot deadlock on them.
    await q.query(`ALTER TABLE folders ADD COLUMN total_count bigint NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE folders ADD COLUMN unread_count bigint NOT NULL DEFAULT 0`);
    await q.query(`
      UPDATE folders f SET total_count = c.total, unread_count = c.unread
        FROM (SELECT tenant_id, folder_id, count(*) AS total, count(*) FILTER (WHERE NOT is_seen) AS unread
                FROM messages GROUP BY tenant_id, folder_id) c
       WHERE f.tenant_id = c.tenant_id AND f.id = c.folder_id`);
    await q.query(`
      CREATE FUNCTION mail_apply_folder_deltas(deltas jsonb) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM 1 FROM folders f
          JOIN jsonb_to_recordset(deltas) AS d(tenant_id uuid, folder_id uuid, total bigint, unread bigint)
            ON f.tenant_id = d.tenant_id AND f.id = d.folder_id
         ORDER BY f.tenant_id, f.id FOR NO KEY UPDATE OF f;
        UPDATE folders f SET total_count = f.total_count + d.total, unread_count = f.unread_count + d.unread
          FROM jsonb_to_recordset(deltas) AS d(tenant_id uuid, folder_id uuid, total bigint, unread bigint)
         WHERE f.tenant_id = d.tenant_id AND f.id = d.folder_id;
      END $$`);
    for (const [event, rows] of [
      ['insert', `SELECT tenant_id, folder_id, 1 AS t, (NOT is_seen)::int AS u FROM new_rows`],
      [
        'update',
        `SELECT tenant_id, folder_id, 1 AS t, (NOT is_seen)::int AS u FROM new_rows
         UNION ALL SELECT tenant_id, folder_id, -1, -((NOT is_seen)::int) FROM old_rows`,
      ],
      ['delete', `SELECT tenant_id, folder_id, -1 AS t, -((NOT is_seen)::int) AS u FROM old_rows`],
    ] as const) {
      await q.query(`
        CREATE FUNCTION messages_folder_counts_${event}() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE deltas jsonb;
        BEGIN
          SELECT jsonb_agg(jsonb_build_object('tenant_id', tenant_id, 'folder_id', folder_id, 'total', total, 'unread', unread))
            INTO deltas
            FROM (SELECT tenant_id, folder_id, sum(t) AS total, sum(u) AS unread FROM (${rows}) x
                   GROUP BY tenant_id, folder_id HAVING sum(t) <> 0 OR sum(u) <> 0) d;
          IF deltas IS NOT NULL THEN PERFORM mail_apply_folder_deltas(deltas); END IF;
          RETURN NULL;
        END $$`);
      const transition =
        event === 'insert'
          ? 'NEW TABLE AS new_rows'
          : event === 'delete'
            ? 'OLD TABLE AS old_rows'
            : 'OLD TABLE AS old_rows NEW TABLE AS new_rows';
      await q.query(
        `CREATE TRIGGER messages_folder_counts_${event} AFTER ${event.toUpperCase()} ON messages
           REFERENCING ${transition} FOR EACH STATEMENT EXECUTE FUNCTION messages_folder_counts_${event}()`,
      );
    }
    await q.query(
      `CREATE INDEX messages_tenant_trashed_from_idx ON messages (tenant_id, trashed_from_folder_id)
        WHERE trashed_from_folder_id IS NOT NULL`,
    );

    await q.query(`
      CREATE TABLE mailbox_grants (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        mailbox_id uuid NOT NULL,
        member_id uuid NOT NULL,
        access text NOT NULL CHECK (access IN ('read', 'full')),
        granted_by uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id),
        FOREIGN KEY (tenant_id, mailbox_id) REFERENCES mailboxes (tenant_id, id) ON DELETE CASCADE,
        FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id) ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE UNIQUE INDEX mailbox_grants_tenant_mailbox_member_key ON mailbox_grants (tenant_id, mailbox_id, member_id)`,
    );
    await q.query(`CREATE INDEX mailbox_grants_tenant_member_idx ON mailbox_grants (tenant_id, member_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS mailbox_grants`);
    for (const event of ['insert', 'update', 'delete']) {
      await q.query(`DROP TRIGGER IF EXISTS messages_folder_counts_${event} ON messages`);
      await q.query(`DROP FUNCTION IF EXISTS messages_folder_counts_${event}()`);
    }
    await q.query(`DROP FUNCTION IF EXISTS mail_apply_folder_deltas(jsonb)`);
    await q.query(
      `ALTER TABLE folders DROP COLUMN IF EXISTS unread_count, DROP COLUMN IF EXISTS total_count`,
    );
    await q.query(`DROP INDEX IF EXISTS messages_tenant_trashed_from_idx`);
    await q.query(`DROP INDEX IF EXISTS messages_tenant_unread_idx`);
    await q.query(`DROP INDEX IF EXISTS messages_tenant_mailbox_thread_idx`);
    await q.query(`DROP INDEX IF EXISTS messages_tenant_mailbox_date_idx`);
    await q.query(`ALTER TABLE messages DROP COLUMN IF EXISTS trashed_from_folder_id`);
  }
}
