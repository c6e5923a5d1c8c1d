export { BLOCKED_SRC_ATTRIBUTE, sanitizeMailHtml } from './html-sanitizer';
export { sanitizeFilename } from './message-attachments';
export { parseMessage } from './message-parser';
export * from './parsed-message';
export { documentTokens, queryTokens, MAX_DOCUMENT_TOKENS, type QueryTokens } from './search-tokens';
export {
  insertMessageBatch,
  insertMessages,
  putBlob,
  putBlobs,
  systemFolderIds,
  systemFolderMap,
  threadIds,
  threadIdsMany,
  SYSTEM_FOLDERS,
  type NewMessage,
  type FolderRole,
} from './mail-store.repository';
export { MailboxAccess, type MailboxScope, type MailboxGrantLevel } from './mailbox-access';
export { AttachmentLinks } from './attachment-links';
export { FoldersService } from './folders.service';
export { MessageReadService } from './message-read.service';
export { MessageActionsService } from './message-actions.service';
export { MessageSearchService } from './message-search.service';
export { MailboxGrantsService } from './mailbox-grants.service';
export { purgeMessages } from './message-purge';
export { registerFolderRoutes } from './folders.routes';
export { registerMessageRoutes } from './messages.routes';
export { registerMessageDownloadRoutes } from './message-downloads.routes';
export { registerMailboxGrantRoutes } from './mailbox-grants.routes';
