import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Which worker process holds an outbound row's claim (the key of the advisory lock it holds while
 * it lives): a row claimed by a process that died is claimed again at once, not when its lease ends.
 */
export class OutboundClaims1763901600000 implements MigrationInterface {
  name = 'OutboundClaims1763901600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbound_queue ADD COLUMN claimed_by integer`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbound_queue DROP COLUMN claimed_by`);
  }
}
