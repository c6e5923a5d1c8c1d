import { z } from 'zod';
import { Uuid } from '../common';
import { MailboxQuery } from './folders';
import { Cursor, MAX_PAGE_SIZE, MessageSummaryDto } from './messages';

export const SearchQuery = MailboxQuery.extend({
  /** Words of any language: `合同` finds `采购合同`; English by whole word; addresses too. */
  q: z.string().trim().min(1, { error: 'type something to search for' }).max(200),
  folderId: Uuid.optional(),
  limit: z.coerce.number({ error: 'expected a number' }).int().min(1).max(MAX_PAGE_SIZE).default(50),
  cursor: Cursor.optional(),
});
export type SearchQuery = z.infer<typeof SearchQuery>;

export const SearchResults = z
  .object({
    messages: z.array(MessageSummaryDto),
    nextCursor: z.string().nullable(),
    /** True when a one-character CJK query was answered from the most recent mail only. */
    partial: z.boolean(),
  })
  .meta({ id: 'SearchResults' });
export type SearchResults = z.infer<typeof SearchResults>;
