import { PeopleSearchResult } from '../../shared/directory/people';
import { AppPasswordList, CreatedAppPassword } from '../../shared/mail/app-passwords';
import {
  DraftDto,
  SendResult,
  UploadDto,
  type CreateDraftBody,
  type SaveDraftBody,
  type SendBody,
} from '../../shared/mail/compose';
import { FolderList } from '../../shared/mail/folders';
import {
  DeleteMessageResult,
  MessageDetailDto,
  MessagePage,
  MessageSummaryDto,
  type UpdateMessageBody,
} from '../../shared/mail/messages';
import { SearchResults } from '../../shared/mail/search';
import { AutoReplyDto, type AutoReplyBody } from '../../shared/mail/vacation';
import {
  RuleDto,
  RuleDtoList,
  RulePreviewDto,
  type SaveRuleBody,
  type RuleDefinition,
} from '../../shared/rules/api';
import { ScheduledSendDto, ScheduledSendList } from '../../shared/scheduling/scheduled-sends';
import { api, apiVoid } from './api';

/** One typed function per endpoint the apps use; shapes come from shared/ only. */

export const mail = {
  folders: () => api(FolderList, '/mail/folders').then((r) => r.folders),
  list: (q: { folderId?: string; folderRole?: string; cursor?: string; limit?: number }) =>
    api(MessagePage, '/mail/messages', { query: { limit: 30, ...q } }),
  read: (id: string, opts: { remoteImages?: boolean; markSeen?: boolean } = {}) =>
    api(MessageDetailDto, `/mail/messages/${id}`, {
      query: { remoteImages: opts.remoteImages ? 1 : undefined, markSeen: opts.markSeen ? 1 : undefined },
    }),
  update: (id: string, body: UpdateMessageBody) =>
    api(MessageSummaryDto, `/mail/messages/${id}`, { method: 'PATCH', body }),
  remove: (id: string) => api(DeleteMessageResult, `/mail/messages/${id}`, { method: 'DELETE' }),
  search: (q: string, cursor?: string) =>
    api(SearchResults, '/mail/search', { query: { q, cursor, limit: 30 } }),
};

export const compose = {
  createDraft: (body: Partial<CreateDraftBody>) => api(DraftDto, '/mail/drafts', { method: 'POST', body }),
  getDraft: (id: string) => api(DraftDto, `/mail/drafts/${id}`),
  saveDraft: (id: string, body: SaveDraftBody) =>
    api(DraftDto, `/mail/drafts/${id}`, { method: 'PUT', body }),
  deleteDraft: (id: string) => apiVoid(`/mail/drafts/${id}`, { method: 'DELETE' }),
  send: (body: SendBody) => api(SendResult, '/mail/send', { method: 'POST', body }),
  upload: (file: File) =>
    api(UploadDto, '/mail/uploads', {
      method: 'POST',
      query: { filename: file.name, type: file.type || 'application/octet-stream' },
      raw: { data: file, contentType: 'application/octet-stream' },
    }),
  people: (q: string) => api(PeopleSearchResult, '/directory/people', { query: { q } }),
};

export const scheduled = {
  list: () => api(ScheduledSendList, '/mail/scheduled', { query: { limit: 100 } }),
  reschedule: (id: string, sendAt: string) =>
    api(ScheduledSendDto, `/mail/scheduled/${id}`, { method: 'PATCH', body: { sendAt } }),
  cancel: (id: string) => api(ScheduledSendDto, `/mail/scheduled/${id}/cancel`, { method: 'POST' }),
  sendNow: (id: string) => api(ScheduledSendDto, `/mail/scheduled/${id}/send-now`, { method: 'POST' }),
};

export const rules = {
  list: () => api(RuleDtoList, '/rules').then((r) => r.rules),
  create: (body: SaveRuleBody) => api(RuleDto, '/rules', { method: 'POST', body }),
  update: (id: string, body: SaveRuleBody) => api(RuleDto, `/rules/${id}`, { method: 'PUT', body }),
  setEnabled: (id: string, enabled: boolean) =>
    api(RuleDto, `/rules/${id}`, { method: 'PATCH', body: { enabled } }),
  remove: (id: string) => apiVoid(`/rules/${id}`, { method: 'DELETE' }),
  reorder: (ids: string[]) =>
    api(RuleDtoList, '/rules/reorder', { method: 'POST', body: { ids } }).then((r) => r.rules),
  preview: (definition: Omit<RuleDefinition, 'actions'> & { actions?: RuleDefinition['actions'] }) =>
    api(RulePreviewDto, '/rules/preview', { method: 'POST', body: { definition } }),
};

export const autoReply = {
  get: () => api(AutoReplyDto, '/mail/auto-reply'),
  save: (body: AutoReplyBody) => api(AutoReplyDto, '/mail/auto-reply', { method: 'PUT', body }),
};

export const appPasswords = {
  list: () => api(AppPasswordList, '/me/app-passwords').then((r) => r.appPasswords),
  create: (name: string) => api(CreatedAppPassword, '/me/app-passwords', { method: 'POST', body: { name } }),
  revoke: (id: string) => apiVoid(`/me/app-passwords/${id}`, { method: 'DELETE' }),
};
