import type { Params } from './legacy-envelope';
import type { OrgModel } from './org-model';
import type { DeptRecord, UserRecord } from './org-records';

/**
 * Org records → DingTalk wire objects. Conditional fields (email, org_email, work_place, remark,
 * extension, telephone) are omitted when empty, as the real API does (doc §3.1).
 */

function optional(user: UserRecord): Params {
  const out: Params = {};
  if (user.telephone) out.telephone = user.telephone;
  if (user.email) out.email = user.email;
  if (user.org_email) out.org_email = user.org_email;
  if (user.work_place) out.work_place = user.work_place;
  if (user.remark) out.remark = user.remark;
  if (user.extension) out.extension = user.extension;
  return out;
}

/** An item of `v2/user/list` for one department (dept_order and leader refer to that department). */
export function presentListUser(org: OrgModel, user: UserRecord, deptId: number): Params {
  const dept = org.getDept(deptId);
  return {
    userid: user.userid,
    unionid: user.unionid,
    name: user.name,
    // The list leaves the default avatar out; `v2/user/get` sends "" (doc §3.2: tolerate both).
    ...(user.avatar ? { avatar: user.avatar } : {}),
    state_code: user.state_code,
    mobile: user.mobile,
    hide_mobile: false,
    job_number: user.job_number,
    title: user.title,
    ...optional(user),
    dept_id_list: [...user.dept_id_list],
    dept_order: user.dept_order_list.find((o) => o.dept_id === deptId)?.order ?? 0,
    hired_date: user.hired_date,
    active: user.active,
    admin: user.admin_level !== 0,
    boss: user.boss,
    leader: !!dept?.dept_manager_userid_list.includes(user.userid),
    exclusive_account: false,
  };
}

export function presentUserDetail(org: OrgModel, user: UserRecord): Params {
  const roleNames = { 1: '主管理员', 2: '子管理员' } as const;
  return {
    active: user.active,
    admin: user.admin_level !== 0,
    avatar: user.avatar,
    boss: user.boss,
    dept_id_list: [...user.dept_id_list],
    dept_order_list: user.dept_order_list.map((o) => ({ ...o })),
    exclusive_account: false,
    hide_mobile: false,
    hired_date: user.hired_date,
    job_number: user.job_number,
    leader_in_dept: user.dept_id_list.map((id) => ({
      dept_id: id,
      leader: !!org.getDept(id)?.dept_manager_userid_list.includes(user.userid),
    })),
    ...(user.manager_userid ? { manager_userid: user.manager_userid } : {}),
    mobile: user.mobile,
    name: user.name,
    real_authed: true,
    role_list:
      user.admin_level === 0
        ? []
        : [{ group_name: '默认', id: 570022220 + user.admin_level, name: roleNames[user.admin_level] }],
    senior: false,
    state_code: user.state_code,
    title: user.title,
    ...optional(user),
    union_emp_ext: {},
    unionid: user.unionid,
    userid: user.userid,
  };
}

export function presentDeptSummary(dept: DeptRecord): Params {
  return {
    auto_add_user: dept.auto_add_user,
    create_dept_group: dept.create_dept_group,
    dept_id: dept.dept_id,
    name: dept.name,
    parent_id: dept.parent_id ?? 0,
  };
}

export function presentDeptDetail(org: OrgModel, dept: DeptRecord): Params {
  return {
    auto_add_user: dept.auto_add_user,
    brief: '',
    create_dept_group: dept.create_dept_group,
    ...(dept.create_dept_group
      ? { dept_group_chat_id: `chat${dept.dept_id.toString(16).padStart(12, '0')}` }
      : {}),
    dept_id: dept.dept_id,
    dept_manager_userid_list: [...dept.dept_manager_userid_list],
    dept_permits: [],
    group_contain_sub_dept: false,
    hide_dept: false,
    member_count: org.memberCount(dept.dept_id),
    name: dept.name,
    order: dept.order,
    org_dept_owner: dept.dept_manager_userid_list[0] ?? '',
    outer_dept: false,
    outer_permit_depts: [],
    outer_permit_users: [],
    owning_member_count: org.memberIds(dept.dept_id).length,
    // [U] root's parent_id is undocumented: the emulator omits it, so clients must not rely on it.
    ...(dept.parent_id !== undefined ? { parent_id: dept.parent_id } : {}),
    user_permits: [],
  };
}
