export { BLOCKED_SRC_ATTRIBUTE, sanitizeMailHtml } from './html-sanitizer';
export { sanitizeFilename } from './message-attachments';
export { parseMessage } from './message-parser';
export * from './parsed-message';
export { documentTokens, queryTokens, MAX_DOCUMENT_TOKENS, type QueryTokens } from './search-tokens';
export {
  insertMessages,
  putBlob,
  systemFolderIds,
  threadIds,
  SYSTEM_FOLDERS,
  type FolderRole,
} from './mail-store.repository';
