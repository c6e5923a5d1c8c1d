import type { DataSource, EntityManager } from 'typeorm';
import type {
  AttachmentDto,
  ListMessagesQuery,
  MessageDetailDto,
  MessagePage,
  ReadMessageQuery,
} from '../../../shared/mail/messages';
import { NotFoundError } from '../../platform/errors';
import type { Actor } from '../../platform/http/actor';
import type { AttachmentLinks } from './attachment-links';
import { folderOf, roleFolderId } from './folders.service';
import { htmlTooComplex } from './html-guard';
import { sanitizeMailHtml } from './html-sanitizer';
import { MailboxAccess, type MailboxScope, type ReadAudit } from './mailbox-access';
import { decodeCursor, pageOf, presentSummary, SUMMARY_COLUMNS, type SummaryRow } from './mail.presenter';
import { parseMessage } from './message-parser';
import type { ParsedAttachment } from './parsed-message';

const API_BASE = '/api/v1';

export interface AttachmentBytes {
  filename: string;
  contentType: string;
  contentId: string | null;
  content: Buffer;
}

/** Reading: folder lists by keyset, threads, one message parsed from its stored bytes, raw and parts. */
export class MessageReadService {
  constructor(
    private readonly ds: DataSource,
    private readonly links: AttachmentLinks,
  ) {}

  async list(actor: Actor, query: ListMessagesQuery): Promise<MessagePage> {
    const scope = await MailboxAccess.resolve(this.ds, actor, query.mailboxId, { what: 'list' });
    const after = decodeCursor(query.cursor);
    const folderId = query.folderId
      ? (await folderOf(this.ds, scope, query.folderId)).id
      : await roleFolderId(this.ds.manager, scope, query.folderRole ?? 'inbox');
    const params: unknown[] = [scope.tenantId, scope.mailboxId, folderId];
    const where = ['m.tenant_id = $1', 'm.mailbox_id = $2', 'm.folder_id = $3'];
    if (query.unread !== undefined) where.push(query.unread ? 'NOT m.is_seen' : 'm.is_seen');
    if (query.flagged !== undefined) where.push(query.flagged ? 'm.is_flagged' : 'NOT m.is_flagged');
    if (query.hasAttachments !== undefined) {
      where.push(query.hasAttachments ? 'm.has_attachments' : 'NOT m.has_attachments');
    }
    if (after) {
      params.push(after.receivedAt, after.id);
      where.push(`(m.received_at, m.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(query.limit + 1);
    const rows: SummaryRow[] = await this.ds.query(
      `SELECT ${SUMMARY_COLUMNS} FROM messages m WHERE ${where.join(' AND ')}
        ORDER BY m.received_at DESC, m.id DESC LIMIT $${params.length}`,
      params,
    );
    return pageOf(rows, query.limit);
  }

  async thread(actor: Actor, mailboxId: string | undefined, threadId: string) {
    const scope = await MailboxAccess.resolve(this.ds, actor, mailboxId, { what: 'thread', id: threadId });
    const rows: SummaryRow[] = await this.ds.query(
      `SELECT ${SUMMARY_COLUMNS} FROM messages m
        WHERE m.tenant_id = $1 AND m.mailbox_id = $2 AND m.thread_id = $3
        ORDER BY m.received_at, m.id LIMIT 500`,
      [scope.tenantId, scope.mailboxId, threadId],
    );
    if (rows.length === 0) throw new NotFoundError('Thread');
    return { threadId, messages: rows.map(presentSummary) };
  }

  async read(actor: Actor, id: string, query: ReadMessageQuery): Promise<MessageDetailDto> {
    const scope = await MailboxAccess.resolve(this.ds, actor, query.mailboxId, { what: 'message', id });
    const { row, raw } = await this.load(this.ds.manager, scope, id);
    const parsed = await parseMessage(raw, { now: row.received_at });
    if (query.markSeen && scope.grant !== 'read' && !row.is_seen) {
      await this.ds.query(
        `UPDATE messages SET is_seen = true WHERE tenant_id = $1 AND mailbox_id = $2 AND id = $3`,
        [scope.tenantId, scope.mailboxId, id],
      );
      row.is_seen = true;
    }
    const urlOf = (a: ParsedAttachment) => this.attachmentUrl(scope, id, a.id, query.mailboxId);
    let html: string | null = null;
    let blockedRemoteImages = 0;
    const htmlOmitted = parsed.html === null ? null : htmlTooComplex(parsed.html);
    if (parsed.html !== null && htmlOmitted === null) {
      const byCid = new Map(
        parsed.attachments.filter((a) => a.contentId).map((a) => [a.contentId!.toLowerCase(), a]),
      );
      const clean = sanitizeMailHtml(parsed.html, {
        allowRemoteImages: query.remoteImages === true,
        cidUrl: (cid) => {
          const part = byCid.get(cid.toLowerCase());
          if (!part) return null;
          const token = this.links.sign({
            tenantId: scope.tenantId,
            mailboxId: scope.mailboxId,
            messageId: id,
            attachmentId: part.id,
          });
          return `${API_BASE}/mail/messages/${id}/attachments/${part.id}?inline=1&token=${token}`;
        },
      });
      html = clean.html;
      blockedRemoteImages = clean.blockedRemoteImages;
    }
    const attachments: AttachmentDto[] = parsed.attachments.map((a) => ({
      id: a.id,
      filename: a.filename,
      contentType: a.contentType,
      size: a.size,
      contentId: a.contentId,
      inline: a.isReferencedInline,
      url: urlOf(a),
    }));
    return {
      ...presentSummary(row),
      headers: {
        from: parsed.from,
        to: parsed.to,
        cc: parsed.cc,
        replyTo: parsed.replyTo,
        date: parsed.date ? parsed.date.toISOString() : null,
        subject: parsed.subject,
        messageId: parsed.messageId,
        inReplyTo: parsed.inReplyTo,
      },
      text: parsed.text,
      html,
      htmlOmitted,
      blockedRemoteImages,
      attachments,
    };
  }

  /** The stored bytes, exactly as received (with the headers we prepended at delivery). */
  async raw(actor: Actor, id: string, mailboxId?: string): Promise<{ subject: string; raw: Buffer }> {
    const scope = await MailboxAccess.resolve(this.ds, actor, mailboxId, { what: 'raw', id });
    const { row, raw } = await this.load(this.ds.manager, scope, id);
    return { subject: row.subject, raw };
  }

  /** One MIME part's decoded bytes, for a caller with a token or a signed cid link. */
  async attachment(scope: MailboxScope, id: string, attachmentId: string): Promise<AttachmentBytes> {
    const { raw } = await this.load(this.ds.manager, scope, id);
    let part = (await parseMessage(raw)).attachments.find((a) => a.id === attachmentId);
    if (part?.contentOmitted) {
      // the parse cap kept only its size; this one part is wanted, so read the whole message
      const full = await parseMessage(raw, { maxAttachmentBytes: Number.MAX_SAFE_INTEGER });
      part = full.attachments.find((a) => a.id === attachmentId);
    }
    if (!part) throw new NotFoundError('Attachment');
    return {
      filename: part.filename,
      contentType: part.contentType,
      contentId: part.contentId,
      content: part.content,
    };
  }

  async scopeFor(actor: Actor, mailboxId?: string, read?: ReadAudit): Promise<MailboxScope> {
    return MailboxAccess.resolve(this.ds, actor, mailboxId, read);
  }

  /** Scope of a signed cid link: the mailbox must still be active. */
  async scopeForLink(token: string, id: string, attachmentId: string): Promise<MailboxScope | null> {
    const claims = this.links.verify(token, id, attachmentId);
    if (!claims) return null;
    const [row] = await this.ds.query(
      `SELECT 1 FROM mailboxes WHERE tenant_id = $1 AND id = $2 AND status = 'active'`,
      [claims.tenantId, claims.mailboxId],
    );
    return row ? { ...claims, memberId: '', grant: 'read' } : null;
  }

  private attachmentUrl(scope: MailboxScope, id: string, attachmentId: string, mailboxId?: string): string {
    const base = `${API_BASE}/mail/messages/${id}/attachments/${attachmentId}`;
    return mailboxId ? `${base}?mailboxId=${scope.mailboxId}` : base;
  }

  private async load(em: EntityManager, scope: MailboxScope, id: string) {
    const [row]: (SummaryRow & { content: Buffer })[] = await em.query(
      `SELECT ${SUMMARY_COLUMNS}, b.content FROM messages m
         JOIN mail_blobs b ON b.tenant_id = m.tenant_id AND b.sha256 = m.blob_sha256
        WHERE m.tenant_id = $1 AND m.mailbox_id = $2 AND m.id = $3`,
      [scope.tenantId, scope.mailboxId, id],
    );
    if (!row) throw new NotFoundError('Message');
    return { row, raw: row.content };
  }
}
