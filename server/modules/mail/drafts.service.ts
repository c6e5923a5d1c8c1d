import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { AttachmentRef, DraftDto, DraftFields, Recipient } from '../../../shared/mail/compose';
import type { Clock } from '../../platform/clock';
import { returning } from '../../platform/db/returning';
import { ConflictError, NotFoundError } from '../../platform/errors';
import type { Actor } from '../../platform/http/actor';
import type { AttachmentUploadsService } from './attachments-upload.service';
import { sanitizeMailHtml } from './html-sanitizer';
import { insertMessages, putBlob, systemFolderIds, threadIds } from './mail-store.repository';
import { buildMime, newMessageId, type MimeAttachment } from './mime-builder';
import { parseMessage } from './message-parser';
import type { ParsedMessage } from './parsed-message';
import { documentTokens } from './search-tokens';

/** The member's own mailbox, as a sender. */
export interface Sender {
  tenantId: string;
  memberId: string;
  mailboxId: string;
  address: string;
  displayName: string;
  domain: string;
}

/** What a draft holds besides its MIME blob: what the user typed and how it threads. */
export interface DraftState {
  to: Recipient[];
  cc: Recipient[];
  bcc: Recipient[];
  subject: string;
  text: string | null;
  html: string | null;
  importance: 'high' | 'normal' | 'low';
  /** Header values without angle brackets. */
  inReplyTo: string | null;
  references: string[];
  /** With angle brackets; fixed for the life of the draft and kept when it is sent. */
  messageIdHeader: string;
}

export interface DraftRecord {
  id: string;
  folderRole: 'drafts' | 'scheduled' | null;
  version: number;
  state: DraftState;
  replyOf: string | null;
  forwardOf: string | null;
  size: number;
}

export interface WriteDraft {
  /** null: a new draft. */
  id: string | null;
  folderRole: 'drafts' | 'scheduled';
  state: Omit<DraftState, 'messageIdHeader'> & { messageIdHeader?: string };
  attachments: AttachmentRef[];
  replyOf: string | null;
  forwardOf: string | null;
}

/**
 * Drafts (and scheduled messages, which are drafts waiting in the Scheduled folder): a message row
 * with its composed MIME blob, plus a message_drafts row with what the user typed. Saving rebuilds
 * the blob from the fields and the attachment refs and bumps the version.
 */
export class DraftStore {
  constructor(private readonly d: { ds: DataSource; clock: Clock; uploads: AttachmentUploadsService }) {}

  /** The actor's active mailbox with its address and display name; 404 without one. */
  async sender(em: EntityManager, actor: Pick<Actor, 'tenantId' | 'memberId'>): Promise<Sender> {
    const [row] = await em.query(
      `SELECT b.id, b.local_part, d.name AS domain, m.display_name FROM mailboxes b
         JOIN domains d ON d.tenant_id = b.tenant_id AND d.id = b.domain_id
         JOIN members m ON m.tenant_id = b.tenant_id AND m.id = b.member_id
        WHERE b.tenant_id = $1 AND b.member_id = $2 AND b.status = 'active'`,
      [actor.tenantId, actor.memberId],
    );
    if (!row) throw new NotFoundError('Mailbox');
    return {
      tenantId: actor.tenantId,
      memberId: actor.memberId,
      mailboxId: row.id,
      address: `${row.local_part}@${row.domain}`,
      displayName: row.display_name,
      domain: row.domain,
    };
  }

  /** A draft of this mailbox; 404 for anything else (another member's, another tenant's, not a draft). */
  async load(em: EntityManager, sender: Sender, id: string, lock = false): Promise<DraftRecord> {
    const [row] = await em.query(
      `SELECT d.version, d.fields, d.reply_of, d.forward_of, f.role, m.size FROM message_drafts d
         JOIN messages m ON m.tenant_id = d.tenant_id AND m.id = d.message_id
         JOIN folders f ON f.tenant_id = m.tenant_id AND f.id = m.folder_id
        WHERE d.tenant_id = $1 AND d.mailbox_id = $2 AND d.message_id = $3 AND m.mailbox_id = $2
        ${lock ? 'FOR UPDATE OF d' : ''}`,
      [sender.tenantId, sender.mailboxId, id],
    );
    if (!row || (row.role !== 'drafts' && row.role !== 'scheduled')) throw new NotFoundError('Draft');
    return {
      id,
      folderRole: row.role,
      version: row.version,
      state: row.fields as DraftState,
      replyOf: row.reply_of,
      forwardOf: row.forward_of,
      size: Number(row.size),
    };
  }

  /** Conflict unless the client saw the latest version (autosave from two tabs must not lose edits). */
  checkVersion(record: DraftRecord, version: number | undefined): void {
    if (version !== undefined && version !== record.version) {
      throw new ConflictError('This draft was changed elsewhere; reload it before saving', {
        details: { currentVersion: record.version },
      });
    }
  }

  /** Builds the MIME from the fields and attachment refs, stores it, and creates or updates the rows. */
  async write(
    em: EntityManager,
    sender: Sender,
    input: WriteDraft,
  ): Promise<{ id: string; version: number }> {
    const now = this.d.clock.now();
    const attachments = await this.resolveAttachments(em, sender, input.attachments);
    const messageIdHeader = input.state.messageIdHeader ?? newMessageId(randomUUID(), sender.domain);
    const state: DraftState = { ...input.state, messageIdHeader };
    const raw = await buildMime({
      from: { name: sender.displayName, address: sender.address },
      to: state.to,
      cc: state.cc,
      bcc: state.bcc,
      subject: state.subject,
      text: state.text,
      html: state.html === null ? null : outgoingHtml(state.html),
      attachments,
      messageId: messageIdHeader,
      date: now,
      inReplyTo: state.inReplyTo ? `<${state.inReplyTo}>` : null,
      references: state.references.map((r) => `<${r}>`),
      importance: state.importance,
    });
    const parsed = await parseMessage(raw, { now });
    const sha = await putBlob(em, sender.tenantId, raw);
    const folderId = (await systemFolderIds(em, sender.tenantId, [sender.mailboxId], input.folderRole)).get(
      sender.mailboxId,
    )!;

    if (input.id === null) {
      const thread = (await threadIds(em, sender.tenantId, [sender.mailboxId], parsed)).get(
        sender.mailboxId,
      )!;
      const [id] = await insertMessages(
        em,
        sender.tenantId,
        sha,
        parsed,
        [{ mailboxId: sender.mailboxId, folderId, threadId: thread, seen: true }],
        now,
      );
      await em.query(
        `INSERT INTO message_drafts (tenant_id, message_id, mailbox_id, version, fields, reply_of, forward_of)
         VALUES ($1, $2, $3, 1, $4, $5, $6)`,
        [sender.tenantId, id, sender.mailboxId, JSON.stringify(state), input.replyOf, input.forwardOf],
      );
      return { id: id!, version: 1 };
    }

    const [old] = await em.query(`SELECT blob_sha256, size FROM messages WHERE tenant_id = $1 AND id = $2`, [
      sender.tenantId,
      input.id,
    ]);
    await this.updateRow(em, sender, input.id, sha, parsed, folderId, now);
    const [meta] = await returning<{ version: number }>(
      em,
      `UPDATE message_drafts SET version = version + 1, fields = $3, updated_at = $4
        WHERE tenant_id = $1 AND message_id = $2 RETURNING version`,
      [sender.tenantId, input.id, JSON.stringify(state), now],
    );
    await em.query(
      `UPDATE mailboxes SET used_bytes = greatest(0, used_bytes + $3 - $4), updated_at = now() WHERE tenant_id = $1 AND id = $2`,
      [sender.tenantId, sender.mailboxId, parsed.size, Number(old.size)],
    );
    if (old.blob_sha256 !== sha) await dropBlobIfUnused(em, sender.tenantId, old.blob_sha256);
    return { id: input.id, version: meta!.version };
  }

  /** Moves a draft between Drafts and Scheduled (send, undo, cancel). */
  async move(
    em: EntityManager,
    tenantId: string,
    mailboxId: string,
    id: string,
    role: 'drafts' | 'scheduled',
  ) {
    const folderId = (await systemFolderIds(em, tenantId, [mailboxId], role)).get(mailboxId)!;
    await em.query(
      `UPDATE messages SET folder_id = $4 WHERE tenant_id = $1 AND mailbox_id = $2 AND id = $3`,
      [tenantId, mailboxId, id, folderId],
    );
  }

  async remove(em: EntityManager, sender: Sender, id: string): Promise<void> {
    const record = await this.load(em, sender, id, true);
    if (record.folderRole !== 'drafts')
      throw new ConflictError('Cancel the scheduled send before deleting it');
    const [row] = await em.query(`SELECT blob_sha256 FROM messages WHERE tenant_id = $1 AND id = $2`, [
      sender.tenantId,
      id,
    ]);
    await em.query(`DELETE FROM messages WHERE tenant_id = $1 AND mailbox_id = $2 AND id = $3`, [
      sender.tenantId,
      sender.mailboxId,
      id,
    ]);
    await em.query(
      `UPDATE mailboxes SET used_bytes = greatest(0, used_bytes - $3), updated_at = now() WHERE tenant_id = $1 AND id = $2`,
      [sender.tenantId, sender.mailboxId, record.size],
    );
    await dropBlobIfUnused(em, sender.tenantId, row.blob_sha256);
  }

  async present(em: EntityManager, sender: Sender, id: string): Promise<DraftDto> {
    const record = await this.load(em, sender, id);
    const [row] = await em.query(
      `SELECT m.attachments, d.updated_at FROM messages m JOIN message_drafts d ON d.tenant_id = m.tenant_id AND d.message_id = m.id
        WHERE m.tenant_id = $1 AND m.id = $2`,
      [sender.tenantId, id],
    );
    const s = record.state;
    return {
      id,
      version: record.version,
      folder: record.folderRole === 'scheduled' ? 'scheduled' : 'drafts',
      to: s.to,
      cc: s.cc,
      bcc: s.bcc,
      subject: s.subject,
      text: s.text,
      html: s.html,
      importance: s.importance,
      attachments: (
        row.attachments as { id: string; filename: string; contentType: string; size: number }[]
      ).map((a) => ({
        messageId: id,
        attachmentId: a.id,
        filename: a.filename,
        contentType: a.contentType,
        size: a.size,
      })),
      replyOf: record.replyOf,
      forwardOf: record.forwardOf,
      messageIdHeader: s.messageIdHeader,
      updatedAt: new Date(row.updated_at).toISOString(),
    };
  }

  /** The draft fields as the user typed them, normalized. */
  static stateOf(
    fields: DraftFields,
    keep?: Pick<DraftState, 'inReplyTo' | 'references' | 'messageIdHeader'>,
  ) {
    return {
      to: dedupe(fields.to),
      cc: dedupe(fields.cc),
      bcc: dedupe(fields.bcc),
      subject: fields.subject,
      text: fields.text ?? null,
      html: fields.html ?? null,
      importance: fields.importance,
      inReplyTo: keep?.inReplyTo ?? null,
      references: keep?.references ?? [],
      messageIdHeader: keep?.messageIdHeader,
    };
  }

  private async updateRow(
    em: EntityManager,
    sender: Sender,
    id: string,
    sha: string,
    parsed: ParsedMessage,
    folderId: string,
    now: Date,
  ): Promise<void> {
    const attachments = parsed.attachments
      .filter((a) => a.disposition === 'attachment' || !a.isReferencedInline)
      .map((a) => ({
        id: a.id,
        filename: a.filename,
        contentType: a.contentType,
        size: a.size,
        contentId: a.contentId,
      }));
    const tokens = documentTokens(
      parsed.subject,
      ...parsed.to.map((a) => `${a.name} ${a.address}`),
      ...parsed.cc.map((a) => `${a.name} ${a.address}`),
      ...parsed.attachments.map((a) => a.filename),
      parsed.text,
    );
    await em.query(
      `UPDATE messages SET blob_sha256 = $4, subject = $5, to_addresses = $6, cc_addresses = $7, snippet = $8,
              has_attachments = $9, attachments = $10, size = $11, importance = $12, search_tokens = $13,
              received_at = $14, sent_at = $14, in_reply_to = $15, folder_id = $16
        WHERE tenant_id = $1 AND mailbox_id = $2 AND id = $3`,
      [
        sender.tenantId,
        sender.mailboxId,
        id,
        sha,
        parsed.subject,
        JSON.stringify(parsed.to),
        JSON.stringify(parsed.cc),
        parsed.snippet,
        parsed.hasAttachments,
        JSON.stringify(attachments),
        parsed.size,
        parsed.importance,
        tokens,
        now,
        parsed.inReplyTo,
        folderId,
      ],
    );
  }

  private async resolveAttachments(
    em: EntityManager,
    sender: Sender,
    refs: AttachmentRef[],
  ): Promise<MimeAttachment[]> {
    const uploadIds = refs.flatMap((r) => ('uploadId' in r ? [r.uploadId] : []));
    const uploads = await this.d.uploads.take(em, sender.tenantId, sender.memberId, uploadIds);
    const parsedById = new Map<string, ParsedMessage>();
    const out: MimeAttachment[] = [];
    for (const ref of refs) {
      if ('uploadId' in ref) {
        const u = uploads.find((x) => x.id === ref.uploadId)!;
        out.push({ filename: u.filename, contentType: u.contentType, content: u.content });
        continue;
      }
      let parsed = parsedById.get(ref.messageId);
      if (!parsed) {
        const [row] = await em.query(
          `SELECT b.content FROM messages m JOIN mail_blobs b ON b.tenant_id = m.tenant_id AND b.sha256 = m.blob_sha256
            WHERE m.tenant_id = $1 AND m.mailbox_id = $2 AND m.id = $3`,
          [sender.tenantId, sender.mailboxId, ref.messageId],
        );
        if (!row) throw new NotFoundError('Message', { details: { messageId: ref.messageId } });
        parsed = await parseMessage(row.content, { maxAttachmentBytes: 1024 * 1024 * 1024 });
        parsedById.set(ref.messageId, parsed);
      }
      const att = parsed.attachments.find((a) => a.id === ref.attachmentId);
      if (!att) throw new NotFoundError('Attachment', { details: ref });
      out.push({ filename: att.filename, contentType: att.contentType, content: att.content });
    }
    return out;
  }
}

/** What leaves is sanitized (scripts, handlers, dangerous URLs gone); the draft keeps what was typed. */
export function outgoingHtml(html: string): string {
  return sanitizeMailHtml(html, { allowRemoteImages: true, cidUrl: () => null }).html;
}

function dedupe(list: Recipient[]): Recipient[] {
  const seen = new Set<string>();
  return list.filter((r) => {
    const key = r.address.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** An autosave replaces the blob; the old one goes unless something else still points at it. */
async function dropBlobIfUnused(em: EntityManager, tenantId: string, sha: string): Promise<void> {
  await em.query('SAVEPOINT drop_blob');
  try {
    await em.query(
      `DELETE FROM mail_blobs b WHERE b.tenant_id = $1 AND b.sha256 = $2
          AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.tenant_id = $1 AND m.blob_sha256 = $2)`,
      [tenantId, sha],
    );
    await em.query('RELEASE SAVEPOINT drop_blob');
  } catch {
    // still referenced elsewhere (an outbound queue row): keep it
    await em.query('ROLLBACK TO SAVEPOINT drop_blob');
  }
}
