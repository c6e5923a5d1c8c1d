import { UpstreamError } from '../../platform/errors';
import type {
  RawDepartmentDetail,
  RawDeptOrder,
  RawLeaderInDept,
  RawListedUser,
  RawSubDepartment,
  RawUserBase,
} from './dingtalk-types';

/**
 * Cheap, defensive normalisation of DingTalk replies. Real replies use numbers, booleans and
 * arrays, but doc samples (and some fakes copied from them) render them as strings:
 * `"has_more":"true"`, `"dept_id_list":"[2,3,4]"`. Empty optional strings are dropped so that
 * "absent" and "" mean the same thing downstream.
 */

export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

export function toBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 1 || value === '1') return true;
  if (value === 'false' || value === 0 || value === '0') return false;
  return undefined;
}

export function toNumberList(value: unknown): number[] {
  let list: unknown = value;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text.startsWith('[')) {
      try {
        list = JSON.parse(text);
      } catch {
        list = [];
      }
    } else {
      list = text === '' ? [] : text.split(',');
    }
  }
  if (!Array.isArray(list)) return [];
  return list.map(toNumber).filter((n): n is number => n !== undefined);
}

export function toStringList(value: unknown): string[] {
  let list: unknown = value;
  if (typeof value === 'string') {
    const text = value.trim();
    try {
      list = text.startsWith('[') ? JSON.parse(text) : text === '' ? [] : text.split(',');
    } catch {
      list = [];
    }
  }
  if (!Array.isArray(list)) return [];
  return list.filter((s) => typeof s === 'string' || typeof s === 'number').map(String);
}

export function badReply(what: string, details: Record<string, unknown> = {}): UpstreamError {
  return new UpstreamError('dingtalk', `DingTalk reply not understood: ${what}`, false, 'bad_reply', {
    details,
  });
}

function asRecord(raw: unknown, what: string): Record<string, unknown> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw badReply(`${what} is not an object`);
  return { ...(raw as Record<string, unknown>) };
}

function setIfDefined(target: Record<string, unknown>, key: string, value: unknown): void {
  if (value === undefined) delete target[key];
  else target[key] = value;
}

const USER_NUMBER_FIELDS = ['hired_date', 'dept_order'];
const USER_BOOLEAN_FIELDS = [
  'active',
  'admin',
  'boss',
  'leader',
  'hide_mobile',
  'exclusive_account',
  'real_authed',
  'senior',
];
const OPTIONAL_STRING_FIELDS = [
  'avatar',
  'email',
  'org_email',
  'mobile',
  'telephone',
  'job_number',
  'title',
  'work_place',
  'remark',
];

/** Normalises a user from `v2/user/list` or `v2/user/get`. */
export function normalizeUser<T extends RawUserBase = RawListedUser>(raw: unknown): T {
  const user = asRecord(raw, 'user');
  if (typeof user.userid === 'number') user.userid = String(user.userid);
  if (typeof user.userid !== 'string' || user.userid === '') throw badReply('user without userid');
  user.name = typeof user.name === 'string' ? user.name : '';
  user.dept_id_list = toNumberList(user.dept_id_list);
  for (const key of USER_NUMBER_FIELDS) if (key in user) setIfDefined(user, key, toNumber(user[key]));
  for (const key of USER_BOOLEAN_FIELDS) if (key in user) setIfDefined(user, key, toBoolean(user[key]));
  for (const key of OPTIONAL_STRING_FIELDS) {
    if (key in user && (typeof user[key] !== 'string' || user[key] === '')) delete user[key];
  }
  if ('dept_order_list' in user) user.dept_order_list = normalizeDeptOrders(user.dept_order_list);
  if ('leader_in_dept' in user) user.leader_in_dept = normalizeLeaderInDept(user.leader_in_dept);
  return user as T;
}

function parseMaybeJson(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return [];
  }
}

function normalizeDeptOrders(value: unknown): RawDeptOrder[] {
  const list = parseMaybeJson(value);
  if (!Array.isArray(list)) return [];
  return list.flatMap((item) => {
    const deptId = toNumber((item as Record<string, unknown>)?.dept_id);
    const order = toNumber((item as Record<string, unknown>)?.order);
    return deptId === undefined ? [] : [{ dept_id: deptId, order: order ?? 0 }];
  });
}

function normalizeLeaderInDept(value: unknown): RawLeaderInDept[] {
  const list = parseMaybeJson(value);
  if (!Array.isArray(list)) return [];
  return list.flatMap((item) => {
    const deptId = toNumber((item as Record<string, unknown>)?.dept_id);
    const leader = toBoolean((item as Record<string, unknown>)?.leader);
    return deptId === undefined ? [] : [{ dept_id: deptId, leader: leader ?? false }];
  });
}

/** Normalises a `listsub` item; a missing parent becomes 0. */
export function normalizeSubDepartment(raw: unknown): RawSubDepartment {
  const dept = asRecord(raw, 'department');
  const deptId = toNumber(dept.dept_id);
  if (deptId === undefined) throw badReply('department without dept_id');
  dept.dept_id = deptId;
  dept.name = typeof dept.name === 'string' ? dept.name : '';
  dept.parent_id = toNumber(dept.parent_id) ?? 0;
  for (const key of ['auto_add_user', 'create_dept_group'])
    if (key in dept) setIfDefined(dept, key, toBoolean(dept[key]));
  return dept as unknown as RawSubDepartment;
}

/** Normalises a `department/get` result. */
export function normalizeDepartmentDetail(raw: unknown): RawDepartmentDetail {
  const dept = asRecord(raw, 'department');
  const deptId = toNumber(dept.dept_id);
  if (deptId === undefined) throw badReply('department without dept_id');
  dept.dept_id = deptId;
  dept.name = typeof dept.name === 'string' ? dept.name : '';
  for (const key of ['parent_id', 'order', 'member_count', 'owning_member_count']) {
    if (key in dept) setIfDefined(dept, key, toNumber(dept[key]));
  }
  if ('dept_manager_userid_list' in dept)
    dept.dept_manager_userid_list = toStringList(dept.dept_manager_userid_list);
  return dept as unknown as RawDepartmentDetail;
}
