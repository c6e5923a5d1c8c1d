import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Export formats (a zip of .eml files, or mboxrd files per folder), department exports (one archive
 * for a department subtree: no single mailbox) and progress counters for the console's progress bar.
 */
export class ExportFormats1763901900000 implements MigrationInterface {
  name = 'ExportFormats1763901900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE mailbox_exports
        ALTER COLUMN mailbox_id DROP NOT NULL,
        ADD COLUMN format text NOT NULL DEFAULT 'eml-zip' CHECK (format IN ('eml-zip', 'mbox')),
        ADD COLUMN scope text NOT NULL DEFAULT 'mailbox' CHECK (scope IN ('mailbox', 'department')),
        ADD COLUMN department_external_id text,
        ADD COLUMN progress_done integer NOT NULL DEFAULT 0,
        ADD COLUMN progress_total integer NOT NULL DEFAULT 0,
        ADD CONSTRAINT mailbox_exports_scope_target_check CHECK (
          (scope = 'mailbox' AND mailbox_id IS NOT NULL)
          OR (scope = 'department' AND mailbox_id IS NULL AND department_external_id IS NOT NULL))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM mailbox_exports WHERE scope = 'department'`);
    await q.query(`
      ALTER TABLE mailbox_exports
        DROP CONSTRAINT mailbox_exports_scope_target_check,
        DROP COLUMN progress_total,
        DROP COLUMN progress_done,
        DROP COLUMN department_external_id,
        DROP COLUMN scope,
        DROP COLUMN format,
        ALTER COLUMN mailbox_id SET NOT NULL`);
  }
}
