import { randomBytes, randomInt } from 'node:crypto';
import { OrgChangeError, OrgIndex } from './org-index';
import type { AdminLevel, DeptRecord, UserRecord } from './org-records';
import { UserPicker, type PickerUser } from './user-picker';

export { OrgChangeError } from './org-index';
export type { PickerUser } from './user-picker';

/**
 * The emulator's mutable org: OrgIndex's reads plus the change API. Every change emits the DingTalk
 * contact event it would fire on the real platform, and is visible to the API at once.
 */

export type OrgEventType =
  | 'user_add_org'
  | 'user_modify_org'
  | 'user_leave_org'
  | 'user_active_org'
  | 'org_admin_add'
  | 'org_admin_remove'
  | 'org_dept_create'
  | 'org_dept_modify'
  | 'org_dept_remove';

export interface OrgChange {
  eventType: OrgEventType;
  userIds?: string[];
  deptIds?: number[];
}

export interface HireInput {
  name: string;
  /** Defaults to [1]. */
  deptIds?: number[];
  userid?: string;
  title?: string;
  mobile?: string;
  email?: string;
  org_email?: string;
  job_number?: string;
  /** false = joined but has not activated DingTalk yet. */
  active?: boolean;
}

export type UserPatch = Partial<
  Pick<
    UserRecord,
    | 'name'
    | 'title'
    | 'job_number'
    | 'email'
    | 'org_email'
    | 'mobile'
    | 'telephone'
    | 'work_place'
    | 'remark'
    | 'avatar'
    | 'extension'
    | 'manager_userid'
  >
>;

export class OrgModel extends OrgIndex {
  private readonly listeners: Array<(change: OrgChange) => void> = [];
  private readonly picker = new UserPicker();

  onChange(listener: (change: OrgChange) => void): void {
    this.listeners.push(listener);
  }

  /** For the sandbox sign-in picker (admins first, so a demo sign-in starts with them); see UserPicker. */
  searchUsers(query: string, limit = 20): PickerUser[] {
    return this.picker.search(
      this.adminsFirst(),
      (id) => this.depts.get(id)?.name ?? String(id),
      query,
      limit,
    );
  }

  private *adminsFirst(): Generator<UserRecord> {
    const admins = this.admins().map((a) => this.users.get(a.userid)!);
    yield* admins;
    for (const user of this.users.values()) if (user.admin_level === 0) yield user;
  }

  // ---- changes (each emits the event DingTalk would push) ----

  hire(input: HireInput): UserRecord {
    const name = input.name?.trim();
    if (!name) throw new OrgChangeError('invalid', 'name is required');
    const deptIds = this.checkDeptIds(input.deptIds ?? [1]);
    const userid = input.userid ?? this.newUserId();
    if (this.users.has(userid) || this.departed.has(userid))
      throw new OrgChangeError('conflict', `userid ${userid} exists`);
    const user: UserRecord = {
      userid,
      unionid: `${randomBytes(20).toString('base64url').slice(0, 26)}iE`,
      name,
      avatar: '',
      state_code: '86',
      mobile: input.mobile ?? `1${randomInt(3, 10)}${String(randomInt(0, 1e9)).padStart(9, '0')}`,
      telephone: '',
      job_number: input.job_number ?? '',
      title: input.title ?? '',
      email: input.email ?? '',
      org_email: input.org_email ?? '',
      work_place: '',
      remark: '',
      dept_id_list: deptIds,
      dept_order_list: [],
      hired_date: this.now(),
      active: input.active ?? true,
      admin_level: 0,
      boss: false,
      manager_userid: '',
      extension: '',
    };
    this.insertUser(user);
    this.emit({ eventType: 'user_add_org', userIds: [userid] });
    return user;
  }

  updateUser(userid: string, patch: UserPatch): UserRecord {
    const user = this.requireUser(userid);
    if (patch.name !== undefined && !patch.name.trim())
      throw new OrgChangeError('invalid', 'name must not be empty');
    for (const [key, value] of Object.entries(patch) as Array<[keyof UserPatch, string | undefined]>) {
      if (value !== undefined) user[key] = value;
    }
    this.touch(userid);
    this.emit({ eventType: 'user_modify_org', userIds: [userid] });
    return user;
  }

  /** Replaces the user's department list (DingTalk fires user_modify_org for this). */
  moveUser(userid: string, deptIds: number[]): UserRecord {
    const user = this.requireUser(userid);
    const next = this.checkDeptIds(deptIds);
    this.detachUser(user);
    user.dept_id_list = next;
    user.dept_order_list = [];
    this.attachUser(user);
    this.touch(userid);
    this.emit({ eventType: 'user_modify_org', userIds: [userid] });
    return user;
  }

  leave(userid: string): void {
    const user = this.requireUser(userid);
    this.detachUser(user);
    this.users.delete(userid);
    this.byUnionId.delete(user.unionid);
    for (const dept of this.depts.values()) {
      dept.dept_manager_userid_list = dept.dept_manager_userid_list.filter((id) => id !== userid);
    }
    user.admin_level = 0;
    this.departed.set(userid, user);
    this.emit({ eventType: 'user_leave_org', userIds: [userid] });
  }

  /** Re-hires a departed user under the same userid and unionid. */
  rejoin(userid: string, deptIds?: number[]): UserRecord {
    const user = this.departed.get(userid);
    if (!user) throw new OrgChangeError('not_found', `no departed user ${userid}`);
    const fallback = user.dept_id_list.filter((id) => this.depts.has(id));
    user.dept_id_list = this.checkDeptIds(deptIds ?? (fallback.length ? fallback : [1]));
    user.dept_order_list = [];
    this.departed.delete(userid);
    this.insertUser(user);
    this.emit({ eventType: 'user_add_org', userIds: [userid] });
    return user;
  }

  activate(userid: string): UserRecord {
    const user = this.requireUser(userid);
    user.active = true;
    this.touch(userid);
    this.emit({ eventType: 'user_active_org', userIds: [userid] });
    return user;
  }

  setAdmin(userid: string, level: AdminLevel): UserRecord {
    const user = this.requireUser(userid);
    if (![0, 1, 2].includes(level)) throw new OrgChangeError('invalid', 'admin level must be 0, 1 or 2');
    const was = user.admin_level;
    user.admin_level = level;
    this.touch(userid);
    if (was === 0 && level !== 0) this.emit({ eventType: 'org_admin_add', userIds: [userid] });
    if (was !== 0 && level === 0) this.emit({ eventType: 'org_admin_remove', userIds: [userid] });
    return user;
  }

  setDeptManagers(deptId: number, userids: string[]): DeptRecord {
    const dept = this.requireDept(deptId);
    for (const id of userids) this.requireUser(id);
    dept.dept_manager_userid_list = [...userids];
    this.emit({ eventType: 'org_dept_modify', deptIds: [deptId] });
    return dept;
  }

  createDept(input: { name: string; parentId?: number; deptId?: number }): DeptRecord {
    const parentId = input.parentId ?? 1;
    this.requireDept(parentId);
    const name = this.checkDeptName(parentId, input.name);
    let deptId = input.deptId ?? 0;
    while (!deptId || this.depts.has(deptId)) deptId = randomInt(100_000_000, 999_999_999);
    const siblings = this.children.get(parentId) ?? [];
    const lastOrder = siblings.length ? this.depts.get(siblings[siblings.length - 1])!.order : 0;
    const dept: DeptRecord = {
      dept_id: deptId,
      name,
      parent_id: parentId,
      order: lastOrder + 1024,
      dept_manager_userid_list: [],
      create_dept_group: false,
      auto_add_user: true,
    };
    this.insertDept(dept);
    this.emit({ eventType: 'org_dept_create', deptIds: [deptId] });
    return dept;
  }

  renameDept(deptId: number, name: string): DeptRecord {
    const dept = this.requireDept(deptId);
    dept.name = deptId === 1 ? checkedName(name) : this.checkDeptName(dept.parent_id!, name, deptId);
    this.emit({ eventType: 'org_dept_modify', deptIds: [deptId] });
    return dept;
  }

  moveDept(deptId: number, parentId: number): DeptRecord {
    const dept = this.requireDept(deptId);
    this.requireDept(parentId);
    if (deptId === 1) throw new OrgChangeError('invalid', 'the root department cannot move');
    if (this.parentChain(parentId).includes(deptId)) {
      throw new OrgChangeError('invalid', 'a department cannot move under itself');
    }
    this.checkDeptName(parentId, dept.name, deptId);
    const oldSiblings = this.children.get(dept.parent_id!)!;
    oldSiblings.splice(oldSiblings.indexOf(deptId), 1);
    dept.parent_id = parentId;
    const siblings = this.children.get(parentId)!;
    dept.order = (siblings.length ? this.depts.get(siblings[siblings.length - 1])!.order : 0) + 1024;
    siblings.push(deptId);
    this.version++;
    this.emit({ eventType: 'org_dept_modify', deptIds: [deptId] });
    return dept;
  }

  /** Like DingTalk, refuses to remove a department that still has members or sub-departments. */
  removeDept(deptId: number): void {
    const dept = this.requireDept(deptId);
    if (deptId === 1) throw new OrgChangeError('invalid', 'the root department cannot be removed');
    if (this.childIds(deptId).length) throw new OrgChangeError('conflict', '部门下存在子部门');
    if (this.memberIds(deptId).length) throw new OrgChangeError('conflict', '部门下存在员工');
    const siblings = this.children.get(dept.parent_id!)!;
    siblings.splice(siblings.indexOf(deptId), 1);
    this.depts.delete(deptId);
    this.children.delete(deptId);
    this.members.delete(deptId);
    this.version++;
    this.emit({ eventType: 'org_dept_remove', deptIds: [deptId] });
  }

  private emit(change: OrgChange): void {
    for (const listener of this.listeners) listener(change);
  }

  private checkDeptIds(deptIds: number[]): number[] {
    const unique = [...new Set(deptIds.map(Number))];
    if (unique.length === 0) throw new OrgChangeError('invalid', 'at least one department is required');
    for (const id of unique) this.requireDept(id);
    return unique;
  }

  /** DingTalk refuses two sibling departments with the same name. */
  private checkDeptName(parentId: number, name: string, self?: number): string {
    const clean = checkedName(name);
    for (const id of this.childIds(parentId)) {
      if (id !== self && this.depts.get(id)!.name === clean) {
        throw new OrgChangeError('conflict', `父部门下已存在名为 ${clean} 的部门`);
      }
    }
    return clean;
  }

  private newUserId(): string {
    for (;;) {
      const id = `manager${randomInt(1000, 100_000)}`;
      if (!this.users.has(id) && !this.departed.has(id)) return id;
    }
  }
}

function checkedName(name: string): string {
  const clean = String(name ?? '').trim();
  if (!clean || clean.length > 64)
    throw new OrgChangeError('invalid', 'department name must be 1–64 characters');
  return clean;
}
