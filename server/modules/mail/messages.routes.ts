import { z } from 'zod';
import { Uuid } from '../../../shared/common';
import { AffectedDto, MailboxQuery } from '../../../shared/mail/folders';
import {
  BatchBody,
  DeleteMessageResult,
  ListMessagesQuery,
  MessageDetailDto,
  MessagePage,
  MessageParams,
  MessageSummaryDto,
  ReadMessageQuery,
  ThreadDto,
  UpdateMessageBody,
} from '../../../shared/mail/messages';
import { SearchQuery, SearchResults } from '../../../shared/mail/search';
import type { ApiRegistry } from '../../platform/http/api-router';
import type { MessageActionsService } from './message-actions.service';
import type { MessageReadService } from './message-read.service';
import type { MessageSearchService } from './message-search.service';

const tag = 'mail';
const auth = {};

export function registerMessageRoutes(
  api: ApiRegistry,
  deps: { read: MessageReadService; actions: MessageActionsService; search: MessageSearchService },
): void {
  const { read, actions, search } = deps;
  api.route(
    {
      method: 'get',
      path: '/mail/messages',
      summary: 'One page of a folder, newest first (keyset cursor; the Inbox by default)',
      tag,
      auth,
      query: ListMessagesQuery,
      response: MessagePage,
    },
    ({ actor, query }) => read.list(actor, query),
  );

  api.route(
    {
      method: 'get',
      path: '/mail/search',
      summary: 'Search subject, addresses and body (Chinese and English), newest first',
      tag,
      auth,
      query: SearchQuery,
      response: SearchResults,
    },
    ({ actor, query }) => search.search(actor, query),
  );

  api.route(
    {
      method: 'get',
      path: '/mail/threads/:threadId',
      summary: 'The messages of one conversation in this mailbox, oldest first',
      tag,
      auth,
      params: z.object({ threadId: Uuid }),
      query: MailboxQuery,
      response: ThreadDto,
    },
    ({ actor, params, query }) => read.thread(actor, query.mailboxId, params.threadId),
  );

  api.route(
    {
      method: 'post',
      path: '/mail/messages/batch',
      summary: 'Apply one action to up to 500 messages (move, seen, flag, trash, restore, delete)',
      tag,
      auth,
      query: MailboxQuery,
      body: BatchBody,
      response: AffectedDto,
    },
    ({ actor, query, body }) => actions.batch(actor, query.mailboxId, body),
  );

  api.route(
    {
      method: 'get',
      path: '/mail/messages/:id',
      summary:
        'Read a message: headers, text, sanitized HTML (remote images blocked unless asked), attachments',
      tag,
      auth,
      params: MessageParams,
      query: ReadMessageQuery,
      response: MessageDetailDto,
    },
    ({ actor, params, query }) => read.read(actor, params.id, query),
  );

  api.route(
    {
      method: 'patch',
      path: '/mail/messages/:id',
      summary: 'Set seen / flagged / answered / labels, or move to a folder',
      tag,
      auth,
      params: MessageParams,
      query: MailboxQuery,
      body: UpdateMessageBody,
      response: MessageSummaryDto,
    },
    ({ actor, params, query, body }) => actions.update(actor, query.mailboxId, params.id, body),
  );

  api.route(
    {
      method: 'delete',
      path: '/mail/messages/:id',
      summary: 'Move to Trash; a message already in Trash or Junk is deleted for good',
      tag,
      auth,
      params: MessageParams,
      query: MailboxQuery,
      response: DeleteMessageResult,
    },
    ({ actor, params, query }) => actions.remove(actor, query.mailboxId, params.id),
  );
}
