import type {
  DirectoryDepartment,
  DirectoryMember,
  DirectoryProvider,
  DirectorySnapshot,
  FetchProgress,
} from '../../modules/directory';
import { ROOT_DEPT_ID } from './dingtalk-directory.api';
import type { DingTalkOpenApi } from './dingtalk-open-api';
import type { RawSubDepartment, RawUserBase } from './dingtalk-types';

/**
 * The org chart from DingTalk, in our words. A full fetch walks departments breadth-first and
 * lists each department's members as soon as it is found. Each API has its own rate limit (the
 * client keeps one window per path), so the walk (`listsub`) and the listing (`user/list`) run
 * side by side in separate pools, each deep enough to use its whole budget:
 * calls = departments + Σ⌈members/100⌉ + 2 (root detail, token).
 */
export class DingTalkDirectoryProvider implements DirectoryProvider {
  constructor(
    private readonly api: DingTalkOpenApi,
    /** Requests per API queued at once: above the 20/s window so a freed window is used at once. */
    private readonly concurrency = 32,
  ) {}

  callCount(): number {
    return this.api.stats().total;
  }

  async fetchAll(
    onProgress?: (p: FetchProgress) => void,
    onMembers?: (fresh: DirectoryMember[]) => void,
  ): Promise<DirectorySnapshot> {
    const departments = new Map<number, { raw: RawSubDepartment; order: number }>();
    const members = new Map<string, DirectoryMember>();
    const leaders = new Map<number, string[]>();
    let listed = 0;

    const rootDetail = this.api.directory.getDepartment(ROOT_DEPT_ID);
    rootDetail.catch(() => undefined);
    const failure: { error?: unknown } = {};
    const walkPool = new TaskPool(this.concurrency, failure);
    const listPool = new TaskPool(this.concurrency, failure);

    const listUsers = async (deptId: number) => {
      const dept = String(deptId);
      for await (const page of this.api.directory.iterateDepartmentUsers(deptId)) {
        const fresh: DirectoryMember[] = [];
        for (const raw of page) {
          const existing = members.get(raw.userid);
          if (existing) {
            if (!existing.departmentIds.includes(dept)) {
              existing.departmentIds.push(dept);
              existing.departmentIds.sort(compareNumeric);
            }
          } else {
            const member = toMember(raw);
            if (!member.departmentIds.includes(dept)) {
              member.departmentIds.push(dept);
              member.departmentIds.sort(compareNumeric);
            }
            members.set(raw.userid, member);
            fresh.push(member);
          }
          if (raw.leader === true) leaders.set(deptId, [...(leaders.get(deptId) ?? []), raw.userid]);
        }
        if ('error' in failure) return;
        listed += page.length;
        if (fresh.length > 0) onMembers?.(fresh);
        onProgress?.({ phase: 'members', done: listed });
      }
    };
    const walk = async (deptId: number) => {
      const children = await this.api.directory.listSubDepartments(deptId);
      children.forEach((child, index) => {
        if (departments.has(child.dept_id)) return;
        departments.set(child.dept_id, { raw: child, order: index });
        walkPool.add(() => walk(child.dept_id));
        listPool.add(() => listUsers(child.dept_id));
      });
      onProgress?.({ phase: 'departments', done: departments.size });
    };
    walkPool.add(() => walk(ROOT_DEPT_ID));
    listPool.add(() => listUsers(ROOT_DEPT_ID));
    // The walk adds listings, never the reverse: once it is done every listing is queued.
    await walkPool.drain();
    await listPool.drain();

    const root = await rootDetail;
    const result: DirectoryDepartment[] = [
      {
        externalId: String(ROOT_DEPT_ID),
        parentExternalId: null,
        name: root?.name ?? '',
        order: 0,
        managerExternalIds: sorted(leaders.get(ROOT_DEPT_ID) ?? []),
      },
    ];
    for (const [id, { raw, order }] of departments) {
      result.push({
        externalId: String(id),
        parentExternalId: String(raw.parent_id),
        name: raw.name,
        order,
        managerExternalIds: sorted(leaders.get(id) ?? []),
      });
    }
    for (const m of members.values()) m.departmentIds.sort(compareNumeric);
    return { departments: result, members: [...members.values()] };
  }

  async fetchMembers(externalIds: string[]): Promise<{ found: DirectoryMember[]; missing: string[] }> {
    const found: DirectoryMember[] = [];
    const missing: string[] = [];
    await mapLimit(externalIds, this.concurrency, async (id) => {
      const raw = await this.api.directory.getUser(id);
      if (raw) found.push(toMember(raw));
      else missing.push(id);
    });
    return { found, missing };
  }

  async fetchDepartments(
    externalIds: string[],
  ): Promise<{ found: DirectoryDepartment[]; missing: string[] }> {
    const found: DirectoryDepartment[] = [];
    const missing: string[] = [];
    await mapLimit(externalIds, this.concurrency, async (id) => {
      const detail = await this.api.directory.getDepartment(Number(id));
      if (!detail) {
        missing.push(id);
        return;
      }
      const isRoot = detail.dept_id === ROOT_DEPT_ID;
      // The position among its siblings, as a full sync sees it (listsub order), so the two agree.
      const siblings = isRoot
        ? []
        : await this.api.directory.listSubDepartments(detail.parent_id ?? ROOT_DEPT_ID);
      const index = siblings.findIndex((s) => s.dept_id === detail.dept_id);
      found.push({
        externalId: String(detail.dept_id),
        parentExternalId: isRoot ? null : String(detail.parent_id ?? ROOT_DEPT_ID),
        name: detail.name,
        order: isRoot ? 0 : Math.max(index, 0),
        managerExternalIds: sorted(detail.dept_manager_userid_list ?? []),
      });
    });
    return { found, missing };
  }
}

function toMember(raw: RawUserBase): DirectoryMember {
  return {
    externalId: raw.userid,
    displayName: raw.name,
    departmentIds: (raw.dept_id_list ?? []).map(String).sort(compareNumeric),
    title: raw.title || null,
    jobNumber: raw.job_number || null,
    directoryEmail: raw.org_email || null,
    avatarUrl: raw.avatar || null,
    isOrgAdmin: raw.admin === true,
    hiredAt: typeof raw.hired_date === 'number' && raw.hired_date > 0 ? new Date(raw.hired_date) : null,
  };
}

function sorted(ids: string[]): string[] {
  return [...new Set(ids)].sort();
}

function compareNumeric(a: string, b: string): number {
  return Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** Runs added tasks with at most `limit` in flight; tasks may add more tasks. */
class TaskPool {
  private active = 0;
  private readonly queue: (() => Promise<void>)[] = [];
  private waiters: (() => void)[] = [];

  /** Pools that share `failure` stop together: the first error in any of them ends them all. */
  constructor(
    private readonly limit: number,
    private readonly failure: { error?: unknown } = {},
  ) {}

  add(task: () => Promise<void>): void {
    this.queue.push(task);
    this.pump();
  }

  async drain(): Promise<void> {
    while (this.active > 0 || (this.queue.length > 0 && !this.failed)) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    if (this.failed) throw this.failure.error;
  }

  private get failed(): boolean {
    return 'error' in this.failure;
  }

  private pump(): void {
    while (this.active < this.limit && this.queue.length > 0 && !this.failed) {
      const task = this.queue.shift()!;
      this.active++;
      task()
        .catch((err) => {
          if (!this.failed) this.failure.error = err ?? new Error('directory fetch failed');
          this.queue.length = 0;
        })
        .finally(() => {
          this.active--;
          this.pump();
          for (const wake of this.waiters.splice(0)) wake();
        });
    }
  }
}

async function mapLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const pool = new TaskPool(limit);
  for (const item of items) pool.add(() => fn(item));
  await pool.drain();
}
