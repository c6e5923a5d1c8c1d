import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Groups an admin manages in the console: who a custom group reaches (people and departments) and
 * who may send to a group whose policy is "listed". A department entry reaches that department and,
 * with include_subdepartments, every department below it. Entries go with their member or
 * department (a directory sync that removes a department drops its entries).
 * A group's aliases are further `addresses` rows of kind 'group' (the oldest one is its address).
 */
export class GroupAdmin1763901300000 implements MigrationInterface {
  name = 'GroupAdmin1763901300000';

  async up(q: QueryRunner): Promise<void> {
    for (const table of ['mail_group_members', 'mail_group_senders']) {
      await q.query(`
        CREATE TABLE ${table} (
          tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
          group_id uuid NOT NULL,
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          member_id uuid,
          department_external_id text,
          include_subdepartments boolean NOT NULL DEFAULT true,
          created_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (tenant_id, group_id, id),
          FOREIGN KEY (tenant_id, group_id) REFERENCES mail_groups (tenant_id, id) ON DELETE CASCADE,
          FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id) ON DELETE CASCADE,
          FOREIGN KEY (tenant_id, department_external_id)
            REFERENCES departments (tenant_id, external_id) ON DELETE CASCADE ON UPDATE CASCADE,
          CHECK ((member_id IS NULL) <> (department_external_id IS NULL))
        )`);
      await q.query(
        `CREATE UNIQUE INDEX ${table}_member_key ON ${table} (tenant_id, group_id, member_id) WHERE member_id IS NOT NULL`,
      );
      await q.query(
        `CREATE UNIQUE INDEX ${table}_department_key ON ${table} (tenant_id, group_id, department_external_id)
          WHERE department_external_id IS NOT NULL`,
      );
      // Deleting a member or a department finds its entries without scanning every group.
      await q.query(`CREATE INDEX ${table}_tenant_member_idx ON ${table} (tenant_id, member_id)`);
      await q.query(
        `CREATE INDEX ${table}_tenant_department_idx ON ${table} (tenant_id, department_external_id)`,
      );
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS mail_group_senders`);
    await q.query(`DROP TABLE IF EXISTS mail_group_members`);
  }
}
