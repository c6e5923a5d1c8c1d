import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Indexes behind the foreign keys to mail_blobs. Deleting a blob (purge, a discarded draft) makes
 * PostgreSQL look for rows still referencing it in every referencing table; without these it scanned
 * the whole outbound queue and the approval queue once per blob.
 */
export class BlobReferenceIndexes1763902400000 implements MigrationInterface {
  name = 'BlobReferenceIndexes1763902400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX outbound_queue_tenant_blob_idx ON outbound_queue (tenant_id, blob_sha256)`);
    await q.query(`CREATE INDEX mail_approvals_tenant_blob_idx ON mail_approvals (tenant_id, blob_sha256)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX mail_approvals_tenant_blob_idx`);
    await q.query(`DROP INDEX outbound_queue_tenant_blob_idx`);
  }
}
