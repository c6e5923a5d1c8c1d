import { LegacyFaults, readBool, readInt, readString, type Params } from './legacy-envelope';
import type { LegacyFault } from './legacy-envelope';
import type { LegacyRoute } from './legacy-gateway';
import type { OrgModel } from './org-model';
import type { DeptRecord, UserRecord } from './org-records';
import {
  presentDeptDetail,
  presentDeptSummary,
  presentListUser,
  presentUserDetail,
} from './directory.presenter';

/** topapi department and user reads (doc §2, §3). Every lookup is a map hit or a per-dept slice. */

const ORDER_FIELDS = new Set(['custom', 'entry_asc', 'entry_desc', 'modify_asc', 'modify_desc']);
const MAX_CURSOR = 100_000;

export function directoryRoutes(org: OrgModel): Array<[string, LegacyRoute]> {
  const dept = (params: Params, required = true): DeptRecord => {
    const deptId = readInt(params, 'dept_id', { required, min: 1 }) ?? 1;
    const found = org.getDept(deptId);
    if (!found) throw LegacyFaults.deptNotFound();
    return found;
  };

  const page = (
    params: Params,
    faults: { size: () => LegacyFault; cursor: () => LegacyFault },
  ): { deptId: number; userids: string[]; hasMore: boolean; nextCursor: number } => {
    const { dept_id: deptId } = dept(params);
    const cursor = readInt(params, 'cursor', {
      required: true,
      min: 0,
      max: MAX_CURSOR,
      fault: faults.cursor,
    })!;
    const size = readInt(params, 'size', { required: true, min: 1, max: 100, fault: faults.size })!;
    const orderField = readString(params, 'order_field') ?? 'custom';
    if (!ORDER_FIELDS.has(orderField)) throw LegacyFaults.invalidParam();
    const members = orderedMembers(org, deptId, orderField);
    // [U] next_cursor looks like an offset in every example; the emulator implements offsets.
    return {
      deptId,
      userids: members.slice(cursor, cursor + size),
      hasMore: cursor + size < members.length,
      nextCursor: cursor + size,
    };
  };

  const user = (params: Params, notFound: () => LegacyFault): UserRecord => {
    const userid = readString(params, 'userid', { required: true, maxLength: 64 })!;
    const found = org.getUser(userid);
    if (!found) throw notFound();
    return found;
  };

  const paged = (hasMore: boolean, nextCursor: number): Params =>
    hasMore ? { has_more: true, next_cursor: nextCursor } : { has_more: false };

  return [
    [
      '/topapi/v2/department/listsub',
      route((p) => ({
        result: org.childIds(dept(p, false).dept_id).map((id) => presentDeptSummary(org.getDept(id)!)),
      })),
    ],
    [
      '/topapi/v2/department/listsubid',
      route((p) => ({ result: { dept_id_list: [...org.childIds(dept(p).dept_id)] } })),
    ],
    ['/topapi/v2/department/get', route((p) => ({ result: presentDeptDetail(org, dept(p)) }))],
    [
      '/topapi/v2/department/listparentbydept',
      route((p) => ({ result: { parent_id_list: org.parentChain(dept(p).dept_id) } })),
    ],
    [
      '/topapi/v2/department/listparentbyuser',
      route((p) => ({
        result: {
          parent_list: user(p, LegacyFaults.invalidUserId).dept_id_list.map((id) => ({
            parent_dept_id_list: org.parentChain(id),
          })),
        },
      })),
    ],
    [
      '/topapi/v2/user/list',
      route((p) => {
        const { deptId, userids, hasMore, nextCursor } = page(p, {
          size: LegacyFaults.invalidParam,
          cursor: LegacyFaults.invalidParam,
        });
        const list = userids.map((id) => presentListUser(org, org.getUser(id)!, deptId));
        return { result: { ...paged(hasMore, nextCursor), list } };
      }),
    ],
    [
      '/topapi/user/listsimple',
      route((p) => {
        const { userids, hasMore, nextCursor } = page(p, {
          size: LegacyFaults.invalidSize,
          cursor: LegacyFaults.invalidOffset,
        });
        const list = userids.map((id) => ({ name: org.getUser(id)!.name, userid: id }));
        return { result: { ...paged(hasMore, nextCursor), list } };
      }),
    ],
    ['/topapi/user/listid', route((p) => ({ result: { userid_list: [...org.memberIds(dept(p).dept_id)] } }))],
    [
      '/topapi/user/count',
      route((p) => ({ result: { count: org.userCount(readBool(p, 'only_active', true)!) } })),
    ],
    ['/topapi/user/listadmin', route(() => ({ result: org.admins() }))],
    [
      '/topapi/v2/user/get',
      route((p) => ({ result: presentUserDetail(org, user(p, LegacyFaults.userNotFound)) })),
    ],
    [
      '/topapi/user/getbyunionid',
      route((p) => {
        const found = org.userByUnionId(readString(p, 'unionid', { required: true })!);
        if (!found) throw LegacyFaults.userNotFound();
        return { result: { contact_type: 0, userid: found.userid } };
      }),
    ],
  ];
}

function route(handler: (params: Params) => Params): LegacyRoute {
  return { auth: true, handler: ({ params }) => handler(params) };
}

/** `custom` is the department's own order; the others sort a copy of this one department. */
function orderedMembers(org: OrgModel, deptId: number, orderField: string): readonly string[] {
  const members = org.memberIds(deptId);
  if (orderField === 'custom') return members;
  const key = orderField.startsWith('entry')
    ? (id: string) => org.getUser(id)!.hired_date
    : (id: string) => org.lastModified(id);
  const sign = orderField.endsWith('desc') ? -1 : 1;
  return [...members].sort((a, b) => sign * (key(a) - key(b)));
}
