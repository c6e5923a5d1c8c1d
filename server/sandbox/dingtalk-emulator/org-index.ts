import type { DeptRecord, OrgSnapshot, UserRecord } from './org-records';

/**
 * The emulator's org storage and reads, indexed so every directory call is a map lookup or a slice
 * of a precomputed per-department list: the emulator serves 100,000-employee orgs to the sync
 * benchmark. Changes (and their events) live in OrgModel, which extends this.
 */

export class OrgChangeError extends Error {
  constructor(
    readonly code: 'not_found' | 'invalid' | 'conflict',
    message: string,
  ) {
    super(message);
    this.name = 'OrgChangeError';
  }
}

export class OrgIndex {
  readonly corpName: string;
  readonly mailDomain?: string;
  protected readonly depts = new Map<number, DeptRecord>();
  protected readonly children = new Map<number, number[]>();
  protected readonly members = new Map<number, string[]>();
  protected readonly users = new Map<string, UserRecord>();
  protected readonly departed = new Map<string, UserRecord>();
  protected readonly byUnionId = new Map<string, string>();
  private readonly modifiedAt = new Map<string, number>();
  /** Bumped on every change; derived counts are cached against it. */
  protected version = 0;
  private countsCache?: { version: number; memberCount: Map<number, number>; active: number };

  constructor(
    snapshot: OrgSnapshot,
    protected readonly now: () => number = Date.now,
  ) {
    this.corpName = snapshot.corpName;
    this.mailDomain = snapshot.mailDomain;
    // Copies, so one generated snapshot can seed several emulators without them sharing changes.
    for (const dept of snapshot.departments) {
      this.insertDept({ ...dept, dept_manager_userid_list: [...dept.dept_manager_userid_list] });
    }
    if (!this.depts.has(1)) {
      this.insertDept({
        dept_id: 1,
        name: snapshot.corpName,
        order: 0,
        dept_manager_userid_list: [],
        create_dept_group: true,
        auto_add_user: true,
      });
    }
    for (const u of snapshot.users) {
      this.insertUser({
        ...u,
        dept_id_list: [...u.dept_id_list],
        dept_order_list: u.dept_order_list.map((o) => ({ ...o })),
      });
    }
    for (const list of this.children.values()) {
      list.sort((a, b) => this.depts.get(a)!.order - this.depts.get(b)!.order);
    }
  }

  getDept(deptId: number): DeptRecord | undefined {
    return this.depts.get(deptId);
  }

  getUser(userid: string): UserRecord | undefined {
    return this.users.get(userid);
  }

  userByUnionId(unionid: string): UserRecord | undefined {
    const userid = this.byUnionId.get(unionid);
    return userid === undefined ? undefined : this.users.get(userid);
  }

  /** Direct child department ids, in `order`. */
  childIds(deptId: number): readonly number[] {
    return this.children.get(deptId) ?? [];
  }

  /** Direct member userids, in department order. */
  memberIds(deptId: number): readonly string[] {
    return this.members.get(deptId) ?? [];
  }

  lastModified(userid: string): number {
    return this.modifiedAt.get(userid) ?? 0;
  }

  /** The department itself, then each parent up to 1. */
  parentChain(deptId: number): number[] {
    const chain: number[] = [];
    for (let id: number | undefined = deptId; id !== undefined; id = this.depts.get(id)?.parent_id)
      chain.push(id);
    return chain;
  }

  /** Distinct members of the department and everything below it. */
  memberCount(deptId: number): number {
    return this.counts().memberCount.get(deptId) ?? 0;
  }

  userCount(onlyActive: boolean): number {
    return onlyActive ? this.counts().active : this.users.size;
  }

  allUserIds(): IterableIterator<string> {
    return this.users.keys();
  }

  allUsers(): IterableIterator<UserRecord> {
    return this.users.values();
  }

  departments(): IterableIterator<DeptRecord> {
    return this.depts.values();
  }

  /** The org as it is now (departed users left out), as copies: O(n), for tests and seeding. */
  snapshot(): OrgSnapshot {
    return {
      corpName: this.corpName,
      mailDomain: this.mailDomain,
      departments: [...this.depts.values()].map((d) => ({
        ...d,
        dept_manager_userid_list: [...d.dept_manager_userid_list],
      })),
      users: [...this.users.values()].map((u) => ({
        ...u,
        dept_id_list: [...u.dept_id_list],
        dept_order_list: u.dept_order_list.map((o) => ({ ...o })),
      })),
    };
  }

  admins(): Array<{ sys_level: 1 | 2; userid: string }> {
    const out: Array<{ sys_level: 1 | 2; userid: string }> = [];
    for (const user of this.users.values()) {
      if (user.admin_level !== 0) out.push({ sys_level: user.admin_level, userid: user.userid });
    }
    return out.sort((a, b) => a.sys_level - b.sys_level);
  }

  protected insertDept(dept: DeptRecord): void {
    if (dept.dept_id === 1) delete dept.parent_id;
    this.depts.set(dept.dept_id, dept);
    if (!this.children.has(dept.dept_id)) this.children.set(dept.dept_id, []);
    if (!this.members.has(dept.dept_id)) this.members.set(dept.dept_id, []);
    if (dept.parent_id !== undefined) {
      const siblings = this.children.get(dept.parent_id) ?? [];
      this.children.set(dept.parent_id, siblings);
      siblings.push(dept.dept_id);
    }
    this.version++;
  }

  protected insertUser(user: UserRecord): void {
    this.users.set(user.userid, user);
    this.byUnionId.set(user.unionid, user.userid);
    this.attachUser(user);
    this.touch(user.userid);
  }

  protected attachUser(user: UserRecord): void {
    for (const deptId of user.dept_id_list) {
      const list = this.members.get(deptId);
      if (!list)
        throw new OrgChangeError('invalid', `user ${user.userid} names unknown department ${deptId}`);
      list.push(user.userid);
      if (!user.dept_order_list.some((o) => o.dept_id === deptId)) {
        user.dept_order_list.push({ dept_id: deptId, order: list.length * 1024 });
      }
    }
    this.version++;
  }

  protected detachUser(user: UserRecord): void {
    for (const deptId of user.dept_id_list) {
      const list = this.members.get(deptId);
      const at = list ? list.indexOf(user.userid) : -1;
      if (at >= 0) list!.splice(at, 1);
    }
    this.version++;
  }

  protected touch(userid: string): void {
    this.modifiedAt.set(userid, this.now());
    this.version++;
  }

  protected requireUser(userid: string): UserRecord {
    const user = this.users.get(userid);
    if (!user) throw new OrgChangeError('not_found', `no user ${userid}`);
    return user;
  }

  protected requireDept(deptId: number): DeptRecord {
    const dept = this.depts.get(deptId);
    if (!dept) throw new OrgChangeError('not_found', `no department ${deptId}`);
    return dept;
  }

  /** Subtree counts for every department at once, recomputed only after a change. */
  private counts(): { memberCount: Map<number, number>; active: number } {
    if (this.countsCache?.version === this.version) return this.countsCache;
    const memberCount = new Map<number, number>();
    let active = 0;
    const seen = new Set<number>();
    for (const user of this.users.values()) {
      if (user.active) active++;
      seen.clear();
      for (const deptId of user.dept_id_list) {
        // Stops at the first ancestor already counted for this user (two depts, one subtree).
        for (
          let id: number | undefined = deptId;
          id !== undefined && !seen.has(id);
          id = this.depts.get(id)?.parent_id
        ) {
          seen.add(id);
          memberCount.set(id, (memberCount.get(id) ?? 0) + 1);
        }
      }
    }
    this.countsCache = { version: this.version, memberCount, active };
    return this.countsCache;
  }
}
