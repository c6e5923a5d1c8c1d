/**
 * The emulator's org data, in DingTalk's own field names (only sandbox/ and integrations/dingtalk
 * may know them). The generator produces an `OrgSnapshot`; the emulator indexes it into an OrgModel.
 */

export interface DeptRecord {
  dept_id: number;
  name: string;
  /** Absent only for the root department 1. */
  parent_id?: number;
  /** Order inside the parent. */
  order: number;
  dept_manager_userid_list: string[];
  create_dept_group: boolean;
  auto_add_user: boolean;
}

/** 0 = everyone else, 1 = main admin (主管理员), 2 = sub-admin (子管理员). */
export type AdminLevel = 0 | 1 | 2;

export interface UserRecord {
  userid: string;
  unionid: string;
  name: string;
  /** '' for the default avatar. */
  avatar: string;
  state_code: string;
  mobile: string;
  telephone: string;
  job_number: string;
  title: string;
  /** Personal email; '' when none (then it is omitted on the wire). */
  email: string;
  /** Enterprise mailbox; '' when not opened. */
  org_email: string;
  work_place: string;
  remark: string;
  /** At least one department; the first is the primary one. */
  dept_id_list: number[];
  /** Order inside each department (one entry per dept in dept_id_list). */
  dept_order_list: Array<{ dept_id: number; order: number }>;
  /** Unix ms. */
  hired_date: number;
  /** Has activated DingTalk. */
  active: boolean;
  admin_level: AdminLevel;
  boss: boolean;
  manager_userid: string;
  extension: string;
}

export interface OrgSnapshot {
  corpName: string;
  /** A suggested mail domain for the demo company (no DNS behind it). */
  mailDomain?: string;
  /** Includes the root department (dept_id 1, name = company name). */
  departments: DeptRecord[];
  users: UserRecord[];
}
