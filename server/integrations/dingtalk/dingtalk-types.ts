/**
 * Raw DingTalk wire types (legacy `oapi` snake_case). Only `integrations/dingtalk` uses these
 * names; adapters map them to our words. Optional fields are the ones the docs call conditional
 * (permission-gated, "only returned when non-empty") or that real replies sometimes omit.
 */

/** Every legacy reply: errcode 0 on success, always HTTP 200. Auth errors are errcode 88 + sub_code. */
export interface LegacyEnvelope {
  errcode?: number | string;
  errmsg?: string;
  sub_code?: string;
  sub_msg?: string;
  request_id?: string;
  [key: string]: unknown;
}

/** New-API (`api.dingtalk.com`) error body; note the lowercase `requestid`. */
export interface NewApiErrorBody {
  code?: string;
  message?: string;
  requestid?: string;
}

export interface GetTokenReply extends LegacyEnvelope {
  access_token?: string;
  expires_in?: number | string;
}

/** Item of `topapi/v2/department/listsub` (no `order` here). */
export interface RawSubDepartment {
  dept_id: number;
  name: string;
  /** The root (1) has no parent; the docs don't say whether DingTalk sends 0 or nothing, we use 0. */
  parent_id: number;
  auto_add_user?: boolean;
  create_dept_group?: boolean;
  /** A JSON string, e.g. `{"faceCount":"1"}`. */
  ext?: string;
}

/** Result of `topapi/v2/department/get`. */
export interface RawDepartmentDetail {
  dept_id: number;
  name: string;
  parent_id?: number;
  order?: number;
  source_identifier?: string;
  create_dept_group?: boolean;
  auto_add_user?: boolean;
  tags?: string;
  from_union_org?: boolean;
  dept_group_chat_id?: string;
  group_contain_sub_dept?: boolean;
  /** Owner of the department group chat, not the manager. */
  org_dept_owner?: string;
  dept_manager_userid_list?: string[];
  outer_dept?: boolean;
  outer_permit_depts?: number[];
  outer_permit_users?: string[];
  hide_dept?: boolean;
  user_permits?: string[];
  dept_permits?: number[];
  auto_approve_apply?: boolean;
  code?: string;
  /** Includes sub-departments. */
  member_count?: number;
  /** Direct members only. */
  owning_member_count?: number;
  brief?: string;
  [key: string]: unknown;
}

export interface RawDeptOrder {
  dept_id: number;
  order: number;
}

export interface RawLeaderInDept {
  dept_id: number;
  leader: boolean;
}

/** Fields shared by `v2/user/list` items and `v2/user/get` results. */
export interface RawUserBase {
  userid: string;
  unionid?: string;
  name: string;
  /** Absent (doc) or "" (real capture) for the default avatar; we drop "". */
  avatar?: string;
  state_code?: string;
  mobile?: string;
  hide_mobile?: boolean;
  telephone?: string;
  job_number?: string;
  title?: string;
  /** Permission-gated and only present when non-empty. */
  email?: string;
  /** The enterprise mailbox, present only if opened. */
  org_email?: string;
  work_place?: string;
  remark?: string;
  dept_id_list: number[];
  /** A JSON string. */
  extension?: string;
  /** Unix ms. */
  hired_date?: number;
  active?: boolean;
  admin?: boolean;
  boss?: boolean;
  exclusive_account?: boolean;
  login_id?: string;
  exclusive_account_type?: string;
  [key: string]: unknown;
}

/** Item of `topapi/v2/user/list` (one department's view of the user). */
export interface RawListedUser extends RawUserBase {
  /** Order within the queried department. */
  dept_order?: number;
  /** Leader of the queried department. */
  leader?: boolean;
}

/**
 * A user merged from every department listing it appeared in. `dept_order_list` and
 * `leader_in_dept` are built from the per-department `dept_order`/`leader` in the same shape that
 * `v2/user/get` uses, so both sources look alike to the adapter.
 */
export interface RawMergedUser extends RawUserBase {
  dept_order_list: RawDeptOrder[];
  leader_in_dept: RawLeaderInDept[];
}

/** Result of `topapi/v2/user/get`. */
export interface RawUserDetail extends RawUserBase {
  manager_userid?: string;
  dept_order_list?: RawDeptOrder[];
  leader_in_dept?: RawLeaderInDept[];
  real_authed?: boolean;
  senior?: boolean;
  role_list?: Array<{ id: number; name: string; group_name?: string }>;
  union_emp_ext?: unknown;
  dept_position_list?: unknown[];
  extension_i18n?: unknown;
}

/** Result of `topapi/v2/user/list`. */
export interface RawUserPage {
  has_more: boolean;
  /** Absent on the last page. */
  next_cursor?: number;
  list: RawListedUser[];
}

/** Item of `topapi/user/listadmin`. 1 = main admin, 2 = sub-admin. */
export interface RawAdmin {
  userid: string;
  sys_level: number;
}

/** Result of `topapi/v2/user/getuserinfo` (login-free code exchange). */
export interface RawLoginUserInfo {
  userid: string;
  unionid?: string;
  associated_unionid?: string;
  device_id?: string;
  name?: string;
  /** Main or sub-admin. */
  sys?: boolean;
  /** 1 main admin, 2 sub-admin, 100 boss, 0 everyone else. */
  sys_level?: number;
}

/** A work-notification message body (`msg` of asyncsend_v2); one msgtype per message. */
export interface RawWorkNoticeMessage {
  msgtype: 'text' | 'image' | 'voice' | 'file' | 'link' | 'oa' | 'markdown' | 'action_card';
  [key: string]: unknown;
}

/** `send_result` of `topapi/message/corpconversation/getsendresult`. */
export interface RawSendResult {
  invalid_user_id_list: string[];
  forbidden_user_id_list: string[];
  failed_user_id_list: string[];
  read_user_id_list: string[];
  unread_user_id_list: string[];
  invalid_dept_id_list: number[];
  /** Flow-control hits: 143103/143104 QPM, 143105 daily per-user cap, 143106 duplicate content. */
  forbidden_list: Array<{ code: string; count: number; userid: string }>;
}

/**
 * Item of `call_back/get_call_back_failed_result`, e.g.
 * `{"user_add_org":{"userid":["zhangsan"],"corpid":"ding..."},"call_back_tag":"user_add_org","event_time":1606126433000}`.
 */
export interface RawFailedCallback {
  call_back_tag: string;
  event_time?: number;
  [tag: string]: unknown;
}
