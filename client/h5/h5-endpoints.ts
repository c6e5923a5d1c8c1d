import { DepartmentList } from '../../shared/directory/departments';
import { DraftDto, type SaveDraftBody } from '../../shared/mail/compose';
import {
  AffectedDto,
  FolderDto,
  type CreateFolderBody,
  type UpdateFolderBody,
} from '../../shared/mail/folders';
import type { BatchBody } from '../../shared/mail/messages';
import { ScheduledSendDto, UndoSendPreference } from '../../shared/scheduling/scheduled-sends';
import { api } from '../common/api';

/** Endpoints only the employee app uses (folder management, batch actions, send preferences …). */

export const folderAdmin = {
  create: (body: CreateFolderBody) => api(FolderDto, '/mail/folders', { method: 'POST', body }),
  update: (id: string, body: UpdateFolderBody) =>
    api(FolderDto, `/mail/folders/${id}`, { method: 'PATCH', body }),
  remove: (id: string) => api(AffectedDto, `/mail/folders/${id}`, { method: 'DELETE' }),
};

export const batch = (body: BatchBody) =>
  api(AffectedDto, '/mail/messages/batch', { method: 'POST', body }).then((r) => r.affected);

export const undoSend = {
  get: () => api(UndoSendPreference, '/mail/preferences/undo-send').then((r) => r.seconds),
  set: (seconds: number) =>
    api(UndoSendPreference, '/mail/preferences/undo-send', { method: 'PUT', body: { seconds } }).then(
      (r) => r.seconds,
    ),
};

export const scheduledContent = {
  /** The waiting message in the draft's shape (its id is the scheduled send's messageId). */
  get: (messageId: string) => api(DraftDto, `/mail/drafts/${messageId}`),
  save: (scheduledId: string, body: SaveDraftBody) =>
    api(DraftDto, `/mail/scheduled/${scheduledId}/content`, { method: 'PUT', body }),
};

export const directory = {
  departments: (q: { q?: string; ids?: string[] }) =>
    api(DepartmentList, '/directory/departments', {
      query: { q: q.q || undefined, ids: q.ids?.length ? q.ids.join(',') : undefined, limit: 50 },
    }).then((r) => r.departments),
};

export const scheduledItem = (id: string) => api(ScheduledSendDto, `/mail/scheduled/${id}`);
