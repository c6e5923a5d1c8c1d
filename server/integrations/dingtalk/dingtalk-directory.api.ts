import { UpstreamError } from '../../platform/errors';
import type { DingTalkApiClient } from './dingtalk-api.client';
import {
  badReply,
  normalizeDepartmentDetail,
  normalizeSubDepartment,
  normalizeUser,
  toBoolean,
  toNumber,
} from './dingtalk-coerce';
import type {
  LegacyEnvelope,
  RawAdmin,
  RawDepartmentDetail,
  RawListedUser,
  RawMergedUser,
  RawSubDepartment,
  RawUserDetail,
} from './dingtalk-types';

/** Org-directory reads: departments and users (legacy `topapi`, all exempt from the monthly quota). */

export const ROOT_DEPT_ID = 1;
/** `v2/user/list` accepts size 1..100. */
export const USER_PAGE_SIZE = 100;
/** A department bigger than this many pages means the server's cursor is not advancing. */
const MAX_USER_PAGES = 10_000;

const DEPT_NOT_FOUND = 60003;
const USER_NOT_FOUND = new Set([60121, 33012]);

export interface DingTalkDirectoryOptions {
  /** Requests in flight during walks and bulk listings; default 6. */
  concurrency?: number;
  /** Sent as `language` where DingTalk accepts it; DingTalk's default is zh_CN. */
  language?: 'zh_CN' | 'en_US';
}

export class DingTalkDirectoryApi {
  private readonly concurrency: number;
  private readonly language?: 'zh_CN' | 'en_US';

  constructor(
    private readonly client: DingTalkApiClient,
    options: DingTalkDirectoryOptions = {},
  ) {
    this.concurrency = Math.max(1, options.concurrency ?? 6);
    this.language = options.language;
  }

  /** Direct children of a department (`topapi/v2/department/listsub`; not paginated). */
  async listSubDepartments(deptId: number): Promise<RawSubDepartment[]> {
    const reply = await this.client.callLegacy<LegacyEnvelope & { result?: unknown }>(
      'topapi/v2/department/listsub',
      this.withLanguage({ dept_id: deptId }),
    );
    const list = reply.result ?? [];
    if (!Array.isArray(list)) throw badReply('listsub result is not a list', { requestId: reply.request_id });
    return list.map(normalizeSubDepartment);
  }

  /** One department's details (`topapi/v2/department/get`), or null when it does not exist (60003). */
  async getDepartment(deptId: number): Promise<RawDepartmentDetail | null> {
    try {
      const reply = await this.client.callLegacy<LegacyEnvelope & { result?: unknown }>(
        'topapi/v2/department/get',
        this.withLanguage({ dept_id: deptId }),
      );
      return normalizeDepartmentDetail(reply.result);
    } catch (err) {
      if (isUpstreamCode(err, DEPT_NOT_FOUND)) return null;
      throw err;
    }
  }

  /**
   * Every department under `rootDeptId` (default the org root, 1), root included, parents before
   * children. Breadth-first over `listsub` with bounded concurrency: one `listsub` per department
   * (leaves included, since only the call tells us they are leaves) plus one `department/get` for
   * the root, because `listsub` never describes the department it was asked about. If the root
   * itself is not found (60003), it is synthesised with an empty name.
   */
  async walkDepartments(
    options: { rootDeptId?: number; concurrency?: number } = {},
  ): Promise<RawSubDepartment[]> {
    const rootId = options.rootDeptId ?? ROOT_DEPT_ID;
    const rootDetail = this.getDepartment(rootId);
    // Observed below; this keeps an early failure from counting as unhandled meanwhile.
    rootDetail.catch(() => undefined);
    const found: RawSubDepartment[] = [];
    const seen = new Set<number>([rootId]);
    await runQueue([rootId], options.concurrency ?? this.concurrency, async (deptId) => {
      const children = await this.listSubDepartments(deptId);
      const fresh = children.filter((child) => !seen.has(child.dept_id));
      for (const child of fresh) {
        seen.add(child.dept_id);
        found.push(child);
      }
      return fresh.map((child) => child.dept_id);
    });
    const detail = await rootDetail;
    const root: RawSubDepartment = {
      dept_id: rootId,
      name: detail?.name ?? '',
      parent_id: detail?.parent_id ?? 0,
      ...(detail?.auto_add_user === undefined ? {} : { auto_add_user: detail.auto_add_user }),
      ...(detail?.create_dept_group === undefined ? {} : { create_dept_group: detail.create_dept_group }),
    };
    return [root, ...found];
  }

  /** Pages of a department's direct members (`topapi/v2/user/list`, size 100, cursor paging). */
  async *iterateDepartmentUsers(deptId: number): AsyncGenerator<RawListedUser[], void, undefined> {
    let cursor: number = 0;
    for (let page = 0; page < MAX_USER_PAGES; page++) {
      const reply = await this.client.callLegacy<LegacyEnvelope & { result?: Record<string, unknown> }>(
        'topapi/v2/user/list',
        this.withLanguage({ dept_id: deptId, cursor, size: USER_PAGE_SIZE }),
      );
      const result = reply.result ?? {};
      const list = result.list ?? [];
      if (!Array.isArray(list))
        throw badReply('user/list result.list is not a list', { requestId: reply.request_id });
      yield list.map((raw) => normalizeUser<RawListedUser>(raw));
      if (toBoolean(result.has_more) !== true) return;
      const next = toNumber(result.next_cursor);
      if (next === undefined || next === cursor) {
        throw badReply('user/list has_more without a new next_cursor', {
          deptId,
          cursor,
          requestId: reply.request_id,
        });
      }
      cursor = next;
    }
    throw badReply('user/list never reached has_more=false', { deptId });
  }

  /** All direct members of one department. */
  async listDepartmentUsers(deptId: number): Promise<RawListedUser[]> {
    const users: RawListedUser[] = [];
    for await (const page of this.iterateDepartmentUsers(deptId)) users.push(...page);
    return users;
  }

  /**
   * Members of all the given departments, one entry per userid. A user listed in several
   * departments is merged: `dept_id_list` is the union, and the per-department `dept_order` and
   * `leader` become `dept_order_list` / `leader_in_dept` (the `v2/user/get` shapes).
   */
  async listAllUsers(
    deptIds: Iterable<number>,
    options: { concurrency?: number } = {},
  ): Promise<RawMergedUser[]> {
    const merged = new Map<string, RawMergedUser>();
    const unique = [...new Set(deptIds)];
    await runQueue(unique, options.concurrency ?? this.concurrency, async (deptId) => {
      for await (const page of this.iterateDepartmentUsers(deptId)) {
        for (const user of page) mergeUser(merged, user, deptId);
      }
      return [];
    });
    return [...merged.values()];
  }

  /** One user's details (`topapi/v2/user/get`), or null when unknown or gone (60121 or 33012). */
  async getUser(userid: string): Promise<RawUserDetail | null> {
    try {
      const reply = await this.client.callLegacy<LegacyEnvelope & { result?: unknown }>(
        'topapi/v2/user/get',
        this.withLanguage({ userid }),
      );
      return normalizeUser<RawUserDetail>(reply.result);
    } catch (err) {
      if (err instanceof UpstreamError && USER_NOT_FOUND.has(Number(err.upstreamCode))) return null;
      throw err;
    }
  }

  /** The org's administrators (`topapi/user/listadmin`): sys_level 1 main, 2 sub-admin. */
  async listAdmins(): Promise<RawAdmin[]> {
    const reply = await this.client.callLegacy<LegacyEnvelope & { result?: unknown }>(
      'topapi/user/listadmin',
      {},
    );
    const list = reply.result ?? [];
    if (!Array.isArray(list))
      throw badReply('listadmin result is not a list', { requestId: reply.request_id });
    return list.flatMap((item: Record<string, unknown>) =>
      item && item.userid !== undefined
        ? [{ userid: String(item.userid), sys_level: toNumber(item.sys_level) ?? 0 }]
        : [],
    );
  }

  /** Employee count (`topapi/user/count`); `onlyActive` false includes users who never activated DingTalk. */
  async countUsers(onlyActive: boolean): Promise<number> {
    const reply = await this.client.callLegacy<LegacyEnvelope & { result?: { count?: unknown } }>(
      'topapi/user/count',
      { only_active: onlyActive },
    );
    const count = toNumber(reply.result?.count);
    if (count === undefined) throw badReply('user/count without a count', { requestId: reply.request_id });
    return count;
  }

  private withLanguage(body: Record<string, unknown>): Record<string, unknown> {
    return this.language ? { ...body, language: this.language } : body;
  }
}

function isUpstreamCode(err: unknown, code: number): boolean {
  return err instanceof UpstreamError && Number(err.upstreamCode) === code;
}

function mergeUser(merged: Map<string, RawMergedUser>, user: RawListedUser, listedIn: number): void {
  const { dept_order, leader, ...rest } = user;
  let entry = merged.get(user.userid);
  if (!entry) {
    entry = { ...rest, dept_id_list: [...rest.dept_id_list], dept_order_list: [], leader_in_dept: [] };
    merged.set(user.userid, entry);
  }
  for (const id of [...user.dept_id_list, listedIn]) {
    if (!entry.dept_id_list.includes(id)) entry.dept_id_list.push(id);
  }
  if (dept_order !== undefined && !entry.dept_order_list.some((o) => o.dept_id === listedIn)) {
    entry.dept_order_list.push({ dept_id: listedIn, order: dept_order });
  }
  if (leader !== undefined && !entry.leader_in_dept.some((l) => l.dept_id === listedIn)) {
    entry.leader_in_dept.push({ dept_id: listedIn, leader });
  }
}

/**
 * Runs `work` over a queue that the work itself may extend, with at most `concurrency` items in
 * flight. Rejects with the first failure (work already started is left to finish unobserved).
 */
function runQueue<T>(initial: T[], concurrency: number, work: (item: T) => Promise<T[]>): Promise<void> {
  return new Promise((resolve, reject) => {
    const queue = [...initial];
    let active = 0;
    let failed = false;
    const pump = (): void => {
      if (failed) return;
      if (queue.length === 0 && active === 0) {
        resolve();
        return;
      }
      while (active < concurrency && queue.length > 0) {
        const item = queue.shift() as T;
        active += 1;
        work(item).then(
          (more) => {
            active -= 1;
            queue.push(...more);
            pump();
          },
          (err: unknown) => {
            failed = true;
            reject(err);
          },
        );
      }
    };
    pump();
  });
}
