import { type z } from 'zod';
import { AuditPage } from '../../shared/audit';
import { SecurityPolicy } from '../../shared/auth';
import { AntispamSettings } from '../../shared/mail/antispam';
import { SendPolicy } from '../../shared/mail/send-policy';
import { JobRunStarted, RegisteredJobList } from '../../shared/rules/api';
import { AdminMemberDto, AdminMemberPage } from '../../shared/directory/admin-members';
import { SyncPolicy } from '../../shared/directory/sync-policy';
import { SyncRunDto, SyncRunList, SyncStarted } from '../../shared/directory/sync';
import { OutboundList } from '../../shared/mail/outbound';
import { MailboxExportDto, MailboxExportList } from '../../shared/mailboxes/exports';
import { GroupList } from '../../shared/mailboxes/groups';
import { MailboxAddressesDto } from '../../shared/mailboxes/mailbox-address';
import { StatsDto } from '../../shared/stats';
import { DomainDto, DomainList } from '../../shared/tenants/domains';
import { api, apiBlob, apiVoid, withQuery, type Query } from '../common/api';

/** The admin API the console uses; every answer is checked against its shared schema. */

export const stats = {
  series: (from: string, to: string) => api(StatsDto, '/admin/stats', { query: { from, to } }),
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

export const groups = { list: () => api(GroupList, '/admin/groups').then((r) => r.groups) };

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

export const jobs = {
  list: () => api(RegisteredJobList, '/admin/jobs').then((r) => r.jobs),
  run: (name: string) =>
    api(JobRunStarted, `/admin/jobs/${encodeURIComponent(name)}/run`, { method: 'POST' }),
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
