import type { EntityManager } from 'typeorm';
import type { HeldDepartment, HeldMember } from './sync-plan';

interface MemberRow {
  id: string;
  external_id: string;
  display_name: string;
  department_ids: string[];
  title: string | null;
  job_number: string | null;
  directory_email: string | null;
  avatar_url: string | null;
  is_org_admin: boolean;
  hired_at: Date | null;
  status: HeldMember['status'];
}

interface DepartmentRow {
  external_id: string;
  parent_external_id: string | null;
  name: string;
  sort_order: string;
  manager_external_ids: string[];
}

/** Reads what we hold of the synced directory, in the shape the planner compares. */
export async function loadHeldState(
  em: EntityManager,
  tenantId: string,
  only?: { memberIds: string[]; departmentIds: string[] },
): Promise<{ departments: Map<string, HeldDepartment>; members: Map<string, HeldMember> }> {
  const memberRows: MemberRow[] = await em.query(
    `SELECT id, external_id, display_name, department_ids, title, job_number, directory_email, avatar_url,
            is_org_admin, hired_at, status
       FROM members
      WHERE tenant_id = $1 AND source = 'dingtalk' ${only ? 'AND external_id = ANY($2)' : ''}`,
    only ? [tenantId, only.memberIds] : [tenantId],
  );
  const departmentRows: DepartmentRow[] = await em.query(
    `SELECT external_id, parent_external_id, name, sort_order, manager_external_ids
       FROM departments WHERE tenant_id = $1 ${only ? 'AND external_id = ANY($2)' : ''}`,
    only ? [tenantId, only.departmentIds] : [tenantId],
  );
  const members = new Map<string, HeldMember>();
  for (const r of memberRows) {
    members.set(r.external_id, {
      id: r.id,
      externalId: r.external_id,
      displayName: r.display_name,
      departmentIds: r.department_ids,
      title: r.title,
      jobNumber: r.job_number,
      directoryEmail: r.directory_email,
      avatarUrl: r.avatar_url,
      isOrgAdmin: r.is_org_admin,
      hiredAt: r.hired_at,
      status: r.status,
    });
  }
  const departments = new Map<string, HeldDepartment>();
  for (const r of departmentRows) {
    departments.set(r.external_id, {
      externalId: r.external_id,
      parentExternalId: r.parent_external_id,
      name: r.name,
      order: Number(r.sort_order),
      managerExternalIds: r.manager_external_ids,
    });
  }
  return { departments, members };
}
