import type { DirectoryDepartment, DirectoryMember } from './directory-provider.port';

/** What we hold for a synced member: the directory's fields, plus our id and lifecycle state. */
export interface HeldMember extends DirectoryMember {
  id: string;
  status: 'active' | 'suspended' | 'purged';
}

/** What we hold for a department: exactly the directory's fields. */
export type HeldDepartment = DirectoryDepartment;

/** Everything we hold of the synced directory, keyed by the platform's ids. */
export interface HeldState {
  departments: Map<string, HeldDepartment>;
  members: Map<string, HeldMember>;
}

export type MemberField =
  | 'displayName'
  | 'departmentIds'
  | 'title'
  | 'jobNumber'
  | 'directoryEmail'
  | 'avatarUrl'
  | 'isOrgAdmin'
  | 'hiredAt';

export interface MemberChange {
  kind: 'update' | 'move';
  memberId: string;
  externalId: string;
  displayName: string;
  changed: MemberField[];
  next: DirectoryMember;
}

export interface SyncPlan {
  departments: {
    create: DirectoryDepartment[];
    update: { externalId: string; changed: (keyof HeldDepartment)[]; next: DirectoryDepartment }[];
    remove: { externalId: string; name: string }[];
  };
  members: {
    create: DirectoryMember[];
    update: MemberChange[];
    suspend: { memberId: string; externalId: string; displayName: string }[];
    reactivate: {
      memberId: string;
      externalId: string;
      displayName: string;
      wasPurged: boolean;
      next: DirectoryMember;
    }[];
  };
  /** Active synced members before the run: the base of the suspension threshold. */
  activeBefore: number;
}

export interface PlanCounts {
  departmentsCreated: number;
  departmentsUpdated: number;
  departmentsRemoved: number;
  membersCreated: number;
  membersUpdated: number;
  membersMoved: number;
  membersSuspended: number;
  membersReactivated: number;
}

/** A full sync compares everything; an event sync only the ids the event names. */
export type SyncScope =
  { kind: 'full' } | { kind: 'ids'; memberIds: ReadonlySet<string>; departmentIds: ReadonlySet<string> };

const MEMBER_FIELDS: MemberField[] = [
  'displayName',
  'departmentIds',
  'title',
  'jobNumber',
  'directoryEmail',
  'avatarUrl',
  'isOrgAdmin',
  'hiredAt',
];

/**
 * The diff, keyed by the platform's stable ids (never names or paths). Pure: the same inputs
 * always give the same plan, and nothing is written.
 */
export function planSync(
  held: HeldState,
  fetched: {
    departments: DirectoryDepartment[];
    members: DirectoryMember[];
    missingMemberIds?: string[];
    missingDepartmentIds?: string[];
  },
  scope: SyncScope,
): SyncPlan {
  const plan: SyncPlan = {
    departments: { create: [], update: [], remove: [] },
    members: { create: [], update: [], suspend: [], reactivate: [] },
    activeBefore: 0,
  };
  for (const m of held.members.values()) if (m.status === 'active') plan.activeBefore++;

  const seenDepartments = new Set<string>();
  for (const next of fetched.departments) {
    seenDepartments.add(next.externalId);
    const before = held.departments.get(next.externalId);
    if (!before) {
      plan.departments.create.push(next);
      continue;
    }
    const changed = departmentChanges(before, next);
    if (changed.length > 0) plan.departments.update.push({ externalId: next.externalId, changed, next });
  }
  const goneDepartments =
    scope.kind === 'full'
      ? [...held.departments.keys()].filter((id) => !seenDepartments.has(id))
      : (fetched.missingDepartmentIds ?? []).filter((id) => held.departments.has(id));
  for (const id of goneDepartments)
    plan.departments.remove.push({ externalId: id, name: held.departments.get(id)!.name });

  const seenMembers = new Set<string>();
  for (const next of fetched.members) {
    seenMembers.add(next.externalId);
    const before = held.members.get(next.externalId);
    if (!before) {
      plan.members.create.push(next);
      continue;
    }
    if (before.status !== 'active') {
      plan.members.reactivate.push({
        memberId: before.id,
        externalId: next.externalId,
        displayName: next.displayName,
        wasPurged: before.status === 'purged',
        next,
      });
      continue;
    }
    const changed = memberChanges(before, next);
    if (changed.length > 0) {
      plan.members.update.push({
        kind: changed.includes('departmentIds') ? 'move' : 'update',
        memberId: before.id,
        externalId: next.externalId,
        displayName: next.displayName,
        changed,
        next,
      });
    }
  }
  const goneMembers =
    scope.kind === 'full'
      ? [...held.members.values()].filter((m) => !seenMembers.has(m.externalId))
      : (fetched.missingMemberIds ?? [])
          .map((id) => held.members.get(id))
          .filter((m): m is HeldMember => m !== undefined);
  for (const m of goneMembers) {
    if (m.status === 'active')
      plan.members.suspend.push({ memberId: m.id, externalId: m.externalId, displayName: m.displayName });
  }
  return plan;
}

export function countPlan(plan: SyncPlan): PlanCounts {
  return {
    departmentsCreated: plan.departments.create.length,
    departmentsUpdated: plan.departments.update.length,
    departmentsRemoved: plan.departments.remove.length,
    membersCreated: plan.members.create.length,
    membersUpdated: plan.members.update.filter((c) => c.kind === 'update').length,
    membersMoved: plan.members.update.filter((c) => c.kind === 'move').length,
    membersSuspended: plan.members.suspend.length,
    membersReactivated: plan.members.reactivate.length,
  };
}

export function planSize(plan: SyncPlan): number {
  const c = countPlan(plan);
  return Object.values(c).reduce((a, b) => a + b, 0);
}

/** The safeguard: suspending more than max(percent of active members, floor) needs an admin. */
export function suspensionLimit(
  activeBefore: number,
  thresholds: { percent: number; floor: number },
): number {
  return Math.max(Math.floor((activeBefore * thresholds.percent) / 100), thresholds.floor);
}

function departmentChanges(before: HeldDepartment, next: DirectoryDepartment): (keyof HeldDepartment)[] {
  const changed: (keyof HeldDepartment)[] = [];
  if (before.name !== next.name) changed.push('name');
  if (before.parentExternalId !== next.parentExternalId) changed.push('parentExternalId');
  if (before.order !== next.order) changed.push('order');
  if (!sameList(before.managerExternalIds, next.managerExternalIds)) changed.push('managerExternalIds');
  return changed;
}

/** The fields that differ between what we hold and what the directory says now. */
export function memberChanges(before: HeldMember, next: DirectoryMember): MemberField[] {
  return MEMBER_FIELDS.filter((field) => {
    const a = before[field];
    const b = next[field];
    if (Array.isArray(a) && Array.isArray(b)) return !sameSet(a, b);
    if (a instanceof Date || b instanceof Date)
      return (a as Date | null)?.getTime() !== (b as Date | null)?.getTime();
    return a !== b;
  });
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((x) => s.has(x));
}
