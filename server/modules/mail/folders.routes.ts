import { z } from 'zod';
import { Uuid } from '../../../shared/common';
import {
  AccessibleMailboxList,
  AffectedDto,
  CreateFolderBody,
  EmptyFolderParams,
  FolderDto,
  FolderList,
  MailboxQuery,
  UpdateFolderBody,
} from '../../../shared/mail/folders';
import type { ApiRegistry } from '../../platform/http/api-router';
import type { FoldersService } from './folders.service';
import type { MailboxGrantsService } from './mailbox-grants.service';
import type { MessageActionsService } from './message-actions.service';

const tag = 'mail';
const auth = {};

export function registerFolderRoutes(
  api: ApiRegistry,
  deps: { folders: FoldersService; actions: MessageActionsService; grants: MailboxGrantsService },
): void {
  const { folders, actions, grants } = deps;
  api.route(
    {
      method: 'get',
      path: '/mail/mailboxes',
      summary: 'The mailboxes the caller can open: their own and any an admin granted',
      tag,
      auth,
      response: AccessibleMailboxList,
    },
    async ({ actor }) => ({ mailboxes: await grants.accessible(actor) }),
  );

  api.route(
    {
      method: 'get',
      path: '/mail/folders',
      summary: 'System and custom folders (nested by parentId) with total and unread counts',
      tag,
      auth,
      query: MailboxQuery,
      response: FolderList,
    },
    async ({ actor, query }) => ({ folders: await folders.list(actor, query.mailboxId) }),
  );

  api.route(
    {
      method: 'post',
      path: '/mail/folders',
      summary: 'Create a custom folder (names are unique per parent, ignoring case)',
      tag,
      auth,
      query: MailboxQuery,
      body: CreateFolderBody,
      response: FolderDto,
      status: 201,
    },
    ({ actor, query, body }) => folders.create(actor, query.mailboxId, body),
  );

  api.route(
    {
      method: 'patch',
      path: '/mail/folders/:id',
      summary: 'Rename or move a custom folder (never into itself or its own subfolders)',
      tag,
      auth,
      params: z.object({ id: Uuid }),
      query: MailboxQuery,
      body: UpdateFolderBody,
      response: FolderDto,
    },
    ({ actor, params, query, body }) => folders.update(actor, query.mailboxId, params.id, body),
  );

  api.route(
    {
      method: 'delete',
      path: '/mail/folders/:id',
      summary: 'Delete a custom folder and its subfolders; their messages go to Trash',
      tag,
      auth,
      params: z.object({ id: Uuid }),
      query: MailboxQuery,
      response: AffectedDto,
    },
    ({ actor, params, query }) => folders.remove(actor, query.mailboxId, params.id),
  );

  api.route(
    {
      method: 'post',
      path: '/mail/folders/:role/empty',
      summary: 'Empty Trash or Junk: delete every message in it for good (frees quota)',
      tag,
      auth,
      params: EmptyFolderParams,
      query: MailboxQuery,
      response: AffectedDto,
    },
    ({ actor, params, query }) => actions.empty(actor, query.mailboxId, params.role),
  );
}
