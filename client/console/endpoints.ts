import { type z } from 'zod';
import { AuditPage } from '../../shared/audit';
import { SecurityPolicy } from '../../shared/auth';
import { AntispamSettings } from '../../shared/mail/antispam';
import { SendPolicy } from '../../shared/mail/send-policy';
import { JobRunStarted, RegisteredJobList } from '../../shared/rules/api';
import { AdminMemberDto, AdminMemberPage } from '../../shared/directory/admin-members';
import { SyncPolicy } from '../../shared/directory/sync-policy';
import { SyncRunDto, SyncRunList, SyncStarted } from '../../shared/directory/sync';
import { CapturedMailList, OutboundItemDto, OutboundList } from '../../shared/mail/outbound';
import { MailboxExportDto, MailboxExportList } from '../../shared/mailboxes/exports';
import { GroupList } from '../../shared/mailboxes/groups';
import {
  DepartmentTree,
  GroupDetailDto,
  type CreateGroupBody,
  type UpdateGroupBody,
} from '../../shared/mailboxes/group-admin';
import { DirectoryEventList } from '../../shared/directory/sync';
import { DirectoryEventDetailDto } from '../../shared/directory/event-detail';
import { RuleDto, RuleDtoList, type SaveOrgRuleBody } from '../../shared/rules/api';
import { MailboxAddressesDto } from '../../shared/mailboxes/mailbox-address';
import { StatsDto } from '../../shared/stats';
import { BreakdownDto } from '../../shared/dashboard/breakdown';
import { OutboundCancelled } from '../../shared/outbound-admin/cancel';
import { QuarantinePage, QuarantineReleased } from '../../shared/antispam/quarantine';
import { type CreateGrantBody, MailboxGrantDto, MailboxGrantList } from '../../shared/mail/grants';
import { type AutoReplyBody, AutoReplyDto } from '../../shared/mail/vacation';
import {
  DeletedMailboxDto,
  type ForwardingBody,
  ForwardingDto,
  MemberAppPasswordList,
  RevokedCount,
} from '../../shared/member-ops/member-ops';
import {
  ApprovalPolicy,
  MailApprovalDetailDto,
  MailApprovalDto,
  MailApprovalPage,
} from '../../shared/approval/mail-approval';
import { DomainDto, DomainList } from '../../shared/tenants/domains';
import { api, apiBlob, apiVoid, withQuery, type Query } from '../common/api';

/** The admin API the console uses; every answer is checked against its shared schema. */

export const stats = {
  series: (from: string, to: string) => api(StatsDto, '/admin/stats', { query: { from, to } }),
  breakdown: (from: string, to: string, department?: string) =>
    api(BreakdownDto, '/admin/stats/breakdown', { query: { from, to, department } }),
};

export const members = {
  list: (q: { q?: string; department?: string; status?: string; cursor?: string }) =>
    api(AdminMemberPage, '/admin/members', { query: { limit: 50, ...q } }),
  get: (id: string) => api(AdminMemberDto, `/admin/members/${id}`),
  setQuota: (id: string, quotaBytes: number) =>
    api(AdminMemberDto, `/admin/members/${id}/quota`, { method: 'PUT', body: { quotaBytes } }),
  suspend: (id: string, reason?: string) =>
    api(AdminMemberDto, `/admin/members/${id}/suspend-signin`, {
      method: 'POST',
      body: reason ? { reason } : {},
    }),
  restore: (id: string) => api(AdminMemberDto, `/admin/members/${id}/restore-signin`, { method: 'POST' }),
  addresses: (id: string) => api(MailboxAddressesDto, `/admin/members/${id}/addresses`),
  addAlias: (id: string, localPart: string) =>
    api(MailboxAddressesDto, `/admin/members/${id}/aliases`, { method: 'POST', body: { localPart } }),
  removeAlias: (id: string, aliasId: string) =>
    apiVoid(`/admin/members/${id}/aliases/${aliasId}`, { method: 'DELETE' }),
  exportMailbox: (id: string) => api(MailboxExportDto, `/admin/members/${id}/export`, { method: 'POST' }),
};

export const groups = {
  list: (kind?: 'department' | 'custom') =>
    api(GroupList, '/admin/groups', { query: { kind } }).then((r) => r.groups),
};

export const sync = {
  runs: () => api(SyncRunList, '/admin/directory/sync/runs').then((r) => r.runs),
  run: (id: string) => api(SyncRunDto, `/admin/directory/sync/runs/${id}`),
  start: (dryRun: boolean) => api(SyncStarted, '/admin/directory/sync', { method: 'POST', body: { dryRun } }),
  confirm: (id: string) => api(SyncStarted, `/admin/directory/sync/runs/${id}/confirm`, { method: 'POST' }),
  policy: () => api(SyncPolicy, '/admin/directory/sync-policy'),
  savePolicy: (body: z.input<typeof SyncPolicy>) =>
    api(SyncPolicy, '/admin/directory/sync-policy', { method: 'PUT', body }),
};

export const domains = {
  list: () => api(DomainList, '/admin/domains').then((r) => r.domains),
  add: (name: string) => api(DomainDto, '/admin/domains', { method: 'POST', body: { name } }),
  check: (id: string) => api(DomainDto, `/admin/domains/${id}/check`, { method: 'POST' }),
  primary: (id: string) => api(DomainDto, `/admin/domains/${id}/primary`, { method: 'POST' }),
  remove: (id: string) => apiVoid(`/admin/domains/${id}`, { method: 'DELETE' }),
};

export const audit = {
  list: (q: Query) => api(AuditPage, '/admin/audit', { query: { limit: 100, ...q } }),
  csv: (q: Query) => apiBlob(withQuery('/admin/audit/export', q)),
};

export const outbound = {
  list: (status?: 'queued' | 'failed') =>
    api(OutboundList, '/admin/outbound', { query: { status, limit: 500 } }).then((r) => r.items),
};

export const exportsApi = {
  list: () => api(MailboxExportList, '/admin/exports').then((r) => r.exports),
  download: (id: string) => apiBlob(`/admin/exports/${id}/download`),
};

export const policies = {
  send: () => api(SendPolicy, '/admin/send-policy'),
  saveSend: (body: z.input<typeof SendPolicy>) =>
    api(SendPolicy, '/admin/send-policy', { method: 'PUT', body }),
  antispam: () => api(AntispamSettings, '/admin/antispam'),
  saveAntispam: (body: z.input<typeof AntispamSettings>) =>
    api(AntispamSettings, '/admin/antispam', { method: 'PUT', body }),
  security: () => api(SecurityPolicy, '/admin/security-policy'),
  saveSecurity: (body: z.input<typeof SecurityPolicy>) =>
    api(SecurityPolicy, '/admin/security-policy', { method: 'PUT', body }),
};

export const memberOps = {
  appPasswords: (id: string) =>
    api(MemberAppPasswordList, `/admin/members/${id}/app-passwords`).then((r) => r.appPasswords),
  revokeAppPasswords: (id: string) =>
    api(RevokedCount, `/admin/members/${id}/app-passwords/revoke`, { method: 'POST' }),
  endSessions: (id: string) => apiVoid(`/admin/members/${id}/sessions/revoke`, { method: 'POST' }),
  autoReply: (id: string) => api(AutoReplyDto, `/admin/members/${id}/auto-reply`),
  setAutoReply: (id: string, body: z.input<typeof AutoReplyBody>) =>
    api(AutoReplyDto, `/admin/members/${id}/auto-reply`, { method: 'PUT', body }),
  forwarding: (id: string) => api(ForwardingDto, `/admin/members/${id}/forwarding`),
  setForwarding: (id: string, body: z.input<typeof ForwardingBody>) =>
    api(ForwardingDto, `/admin/members/${id}/forwarding`, { method: 'PUT', body }),
  deleteMailbox: (id: string, exportId: string) =>
    api(DeletedMailboxDto, `/admin/members/${id}/delete-mailbox`, { method: 'POST', body: { exportId } }),
};

export const grants = {
  list: (mailboxId: string) =>
    api(MailboxGrantList, '/admin/mailbox-grants', { query: { mailboxId } }).then((r) => r.grants),
  create: (body: z.input<typeof CreateGrantBody>) =>
    api(MailboxGrantDto, '/admin/mailbox-grants', { method: 'POST', body }),
  revoke: (id: string) => apiVoid(`/admin/mailbox-grants/${id}`, { method: 'DELETE' }),
};

export const quarantine = {
  list: (recipient?: string) =>
    api(QuarantinePage, '/admin/quarantine', { query: { recipient, limit: 500 } }).then((r) => r.items),
  release: (id: string) => api(QuarantineReleased, `/admin/quarantine/${id}/release`, { method: 'POST' }),
  remove: (id: string) => apiVoid(`/admin/quarantine/${id}`, { method: 'DELETE' }),
};

export const outboundOps = {
  list: (status: 'queued' | 'failed' | 'sent' | 'captured') =>
    api(OutboundList, '/admin/outbound', { query: { status, limit: 500 } }).then((r) => r.items),
  retry: (id: string) => api(OutboundItemDto, `/admin/outbound/${id}/retry`, { method: 'POST' }),
  cancel: (id: string) => api(OutboundCancelled, `/admin/outbound/${id}/cancel`, { method: 'POST' }),
  captured: () =>
    api(CapturedMailList, '/admin/outbound/captured', { query: { limit: 500 } }).then((r) => r.items),
};

export const approvals = {
  list: (q: { status?: string; q?: string }) =>
    api(MailApprovalPage, '/admin/mail-approvals', { query: { limit: 200, ...q } }),
  get: (id: string) => api(MailApprovalDetailDto, `/admin/mail-approvals/${id}`),
  approve: (id: string, reason?: string) =>
    api(MailApprovalDto, `/admin/mail-approvals/${id}/approve`, {
      method: 'POST',
      body: reason ? { reason } : {},
    }),
  reject: (id: string, reason: string) =>
    api(MailApprovalDto, `/admin/mail-approvals/${id}/reject`, { method: 'POST', body: { reason } }),
  policy: () => api(ApprovalPolicy, '/admin/mail-approval/policy'),
  savePolicy: (body: z.input<typeof ApprovalPolicy>) =>
    api(ApprovalPolicy, '/admin/mail-approval/policy', { method: 'PUT', body }),
};

export const jobs = {
  list: () => api(RegisteredJobList, '/admin/jobs').then((r) => r.jobs),
  run: (name: string) =>
    api(JobRunStarted, `/admin/jobs/${encodeURIComponent(name)}/run`, { method: 'POST' }),
};

export const departments = {
  tree: () => api(DepartmentTree, '/admin/departments').then((r) => r.departments),
};

export const groupAdmin = {
  get: (id: string) => api(GroupDetailDto, `/admin/groups/${id}`),
  update: (id: string, body: z.input<typeof UpdateGroupBody>) =>
    api(GroupDetailDto, `/admin/groups/${id}`, { method: 'PATCH', body }),
  create: (body: z.input<typeof CreateGroupBody>) =>
    api(GroupDetailDto, '/admin/groups', { method: 'POST', body }),
  remove: (id: string) => apiVoid(`/admin/groups/${id}`, { method: 'DELETE' }),
  addAlias: (id: string, localPart: string) =>
    api(GroupDetailDto, `/admin/groups/${id}/aliases`, { method: 'POST', body: { localPart } }),
  removeAlias: (id: string, aliasId: string) =>
    apiVoid(`/admin/groups/${id}/aliases/${aliasId}`, { method: 'DELETE' }),
};

export const orgRules = {
  list: () => api(RuleDtoList, '/admin/rules').then((r) => r.rules),
  create: (body: z.input<typeof SaveOrgRuleBody>) => api(RuleDto, '/admin/rules', { method: 'POST', body }),
  update: (id: string, body: z.input<typeof SaveOrgRuleBody>) =>
    api(RuleDto, `/admin/rules/${id}`, { method: 'PUT', body }),
  setEnabled: (id: string, enabled: boolean) =>
    api(RuleDto, `/admin/rules/${id}`, { method: 'PATCH', body: { enabled } }),
  remove: (id: string) => apiVoid(`/admin/rules/${id}`, { method: 'DELETE' }),
};

export const directoryEvents = {
  list: (q: { status?: string; cursor?: string }) =>
    api(DirectoryEventList, '/admin/directory/events', { query: { limit: 50, ...q } }),
  get: (id: string) => api(DirectoryEventDetailDto, `/admin/directory/events/${id}`),
  retry: (id: string) => apiVoid(`/admin/directory/events/${id}/retry`, { method: 'POST' }),
};

/** Saves a Blob as a file through a temporary link. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
