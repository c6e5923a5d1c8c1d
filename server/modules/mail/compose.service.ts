import type { DataSource, EntityManager } from 'typeorm';
import { ErrorCodes } from '../../../shared/errors';
import type {
  AttachmentRef,
  CreateDraftBody,
  DraftDto,
  Recipient,
  SendBody,
  SendResult,
} from '../../../shared/mail/compose';
import type { Clock } from '../../platform/clock';
import { AppError, ConflictError, NotFoundError } from '../../platform/errors';
import type { Actor } from '../../platform/http/actor';
import type { OutgoingMailService, OutgoingMessage } from '../transport';
import { DraftStore, type DraftState, type Sender } from './drafts.service';
import { forwardSubject, replySubject, wireCopy } from './mime-builder';
import { parseMessage } from './message-parser';
import type { MailAddress, ParsedMessage } from './parsed-message';

/** Hands a message waiting in the Scheduled folder to the send queue (scheduling module). */
export interface SendScheduler {
  enqueue(
    em: EntityManager,
    sender: Sender,
    messageId: string,
    when: { sendAt?: string; timeZone?: string },
  ): Promise<SendResult>;
}

/** What a reply or forward starts from, computed by the server from the original. */
interface Origin {
  to: Recipient[];
  cc: Recipient[];
  subject: string;
  quoteText: string;
  quoteHtml: string;
  attachments: AttachmentRef[];
  inReplyTo: string | null;
  references: string[];
  replyOf: string | null;
  forwardOf: string | null;
}

const FIELD_KEYS = ['to', 'cc', 'bcc', 'subject', 'text', 'html', 'attachments', 'importance'] as const;

/**
 * Compose and send: new drafts (replies and forwards prefilled from the original), and sending a
 * draft, which moves it to the Scheduled folder with a scheduled send due at `sendAt` or at the
 * end of the sender's undo window. The dispatcher does the actual send.
 */
export class ComposeService {
  constructor(
    private readonly d: {
      ds: DataSource;
      clock: Clock;
      drafts: DraftStore;
      outgoing: OutgoingMailService;
      scheduler: SendScheduler;
    },
  ) {}

  createDraft(actor: Actor, body: CreateDraftBody): Promise<DraftDto> {
    return this.d.ds.transaction(async (em) => {
      const sender = await this.d.drafts.sender(em, actor);
      const id = await this.newDraft(em, sender, body);
      return this.d.drafts.present(em, sender, id);
    });
  }

  saveDraft(actor: Actor, id: string, body: CreateDraftBody & { version: number }): Promise<DraftDto> {
    return this.d.ds.transaction(async (em) => {
      const sender = await this.d.drafts.sender(em, actor);
      const record = await this.d.drafts.load(em, sender, id, true);
      if (record.folderRole !== 'drafts') throw new ConflictError('This message is scheduled; edit it there');
      this.d.drafts.checkVersion(record, body.version);
      await this.d.drafts.write(em, sender, {
        id,
        folderRole: 'drafts',
        state: DraftStore.stateOf(body, record.state),
        attachments: body.attachments,
        replyOf: record.replyOf,
        forwardOf: record.forwardOf,
      });
      return this.d.drafts.present(em, sender, id);
    });
  }

  getDraft(actor: Actor, id: string): Promise<DraftDto> {
    return this.d.ds.transaction(async (em) =>
      this.d.drafts.present(em, await this.d.drafts.sender(em, actor), id),
    );
  }

  deleteDraft(actor: Actor, id: string): Promise<void> {
    return this.d.ds.transaction(async (em) =>
      this.d.drafts.remove(em, await this.d.drafts.sender(em, actor), id),
    );
  }

  /** Saves (or creates) the draft, checks the sending policy early, and queues it. */
  send(actor: Actor, body: SendBody): Promise<SendResult> {
    return this.d.ds.transaction(async (em) => {
      const sender = await this.d.drafts.sender(em, actor);
      let id: string;
      if (body.draftId) {
        id = body.draftId;
        const record = await this.d.drafts.load(em, sender, id, true);
        if (record.folderRole !== 'drafts') throw new ConflictError('This message is already scheduled');
        this.d.drafts.checkVersion(record, body.version);
        if (FIELD_KEYS.some((k) => body[k] !== undefined)) {
          const current = await this.d.drafts.present(em, sender, id);
          await this.d.drafts.write(em, sender, {
            id,
            folderRole: 'drafts',
            state: DraftStore.stateOf(
              {
                to: body.to ?? current.to,
                cc: body.cc ?? current.cc,
                bcc: body.bcc ?? current.bcc,
                subject: body.subject ?? current.subject,
                text: body.text ?? current.text ?? undefined,
                html: body.html ?? current.html ?? undefined,
                importance: body.importance ?? current.importance,
                attachments: [],
              },
              record.state,
            ),
            attachments:
              body.attachments ??
              current.attachments.map((a) => ({ messageId: a.messageId, attachmentId: a.attachmentId })),
            replyOf: record.replyOf,
            forwardOf: record.forwardOf,
          });
        }
      } else {
        id = await this.newDraft(em, sender, {
          to: body.to ?? [],
          cc: body.cc ?? [],
          bcc: body.bcc ?? [],
          subject: body.subject ?? '',
          text: body.text,
          html: body.html,
          attachments: body.attachments ?? [],
          importance: body.importance ?? 'normal',
          replyTo: body.replyTo,
          forwardOf: body.forwardOf,
        });
      }
      const record = await this.d.drafts.load(em, sender, id);
      const s = record.state;
      if (s.to.length + s.cc.length + s.bcc.length === 0) {
        throw new AppError(ErrorCodes.mailNoRecipients, 400, 'Add at least one recipient');
      }
      const message = await outgoingFor(em, sender, id, s, this.d.clock.now());
      await this.d.outgoing.checkPolicy(em, message);
      await this.d.drafts.move(em, sender.tenantId, sender.mailboxId, id, 'scheduled');
      return this.d.scheduler.enqueue(em, sender, id, { sendAt: body.sendAt, timeZone: body.timeZone });
    });
  }

  private async newDraft(em: EntityManager, sender: Sender, body: CreateDraftBody): Promise<string> {
    const origin = await this.origin(em, sender, body);
    const state = DraftStore.stateOf(body);
    if (origin) {
      const to = merge(origin.to, state.to);
      state.to = to;
      state.cc = merge(origin.cc, state.cc).filter((r) => !has(to, r.address));
      state.subject = body.subject || origin.subject;
      state.text = (state.text ?? '') + origin.quoteText;
      state.html = state.html === null ? null : state.html + origin.quoteHtml;
      state.inReplyTo = origin.inReplyTo;
      state.references = origin.references;
    }
    const { id } = await this.d.drafts.write(em, sender, {
      id: null,
      folderRole: 'drafts',
      state,
      attachments: [...(origin?.attachments ?? []), ...body.attachments],
      replyOf: origin?.replyOf ?? null,
      forwardOf: origin?.forwardOf ?? null,
    });
    return id;
  }

  /** Recipients, subject, quote, threading headers and attachments of a reply or forward. */
  private async origin(
    em: EntityManager,
    sender: Sender,
    body: Pick<CreateDraftBody, 'replyTo' | 'forwardOf'>,
  ): Promise<Origin | null> {
    const originalId = body.replyTo?.messageId ?? body.forwardOf;
    if (!originalId) return null;
    const [row] = await em.query(
      `SELECT b.content FROM messages m JOIN mail_blobs b ON b.tenant_id = m.tenant_id AND b.sha256 = m.blob_sha256
        WHERE m.tenant_id = $1 AND m.mailbox_id = $2 AND m.id = $3`,
      [sender.tenantId, sender.mailboxId, originalId],
    );
    if (!row) throw new NotFoundError('Message');
    const parsed = await parseMessage(row.content as Buffer, { now: this.d.clock.now() });
    const header = quoteHeader(parsed);

    if (body.replyTo) {
      const mine = await ownAddresses(em, sender);
      const isMine = (a: MailAddress) => mine.has(a.address.toLowerCase());
      const fromMe = parsed.from.length > 0 && parsed.from.every(isMine);
      // Replying to one's own sent message goes to its recipients, like every mail client does.
      const primary = fromMe ? parsed.to : parsed.replyTo.length > 0 ? parsed.replyTo : parsed.from;
      let to = primary.map(recipient);
      let cc: Recipient[] = [];
      if (body.replyTo.mode === 'replyAll') {
        to = merge(to, fromMe ? [] : parsed.to.map(recipient));
        cc = parsed.cc.map(recipient);
      }
      to = merge([], to).filter((r) => !mine.has(r.address.toLowerCase()));
      cc = merge([], cc).filter((r) => !mine.has(r.address.toLowerCase()) && !has(to, r.address));
      const quoted = parsed.text
        .split(/\r?\n/)
        .map((l) => `> ${l}`)
        .join('\n');
      return {
        to,
        cc,
        subject: replySubject(parsed.subject),
        quoteText: `\n\n${header.replyLine}\n${quoted}\n`,
        quoteHtml: `<br><div>${escapeHtml(header.replyLine)}</div><blockquote style="margin:0 0 0 .8ex;border-left:1px solid #ccc;padding-left:1ex">${quoteBody(parsed)}</blockquote>`,
        attachments: [],
        inReplyTo: parsed.messageId,
        references: [...parsed.references, parsed.messageId].slice(-20),
        replyOf: originalId,
        forwardOf: null,
      };
    }
    return {
      to: [],
      cc: [],
      subject: forwardSubject(parsed.subject),
      quoteText: `\n\n${header.forwardBlock}\n\n${parsed.text}\n`,
      quoteHtml: `<br><div>${escapeHtml(header.forwardBlock).replace(/\n/g, '<br>')}</div><br>${quoteBody(parsed)}`,
      attachments: parsed.attachments
        .filter((a) => a.disposition === 'attachment' || !a.isReferencedInline)
        .map((a) => ({ messageId: originalId, attachmentId: a.id })),
      inReplyTo: null,
      references: [],
      replyOf: null,
      forwardOf: originalId,
    };
  }
}

/** The envelope and wire bytes of a stored draft: Bcc stripped from the headers, dated now. */
export async function outgoingFor(
  em: EntityManager,
  from: { tenantId: string; mailboxId: string; address: string },
  messageId: string,
  state: DraftState,
  date: Date,
): Promise<OutgoingMessage> {
  const [row] = await em.query(
    `SELECT b.content FROM messages m JOIN mail_blobs b ON b.tenant_id = m.tenant_id AND b.sha256 = m.blob_sha256
      WHERE m.tenant_id = $1 AND m.mailbox_id = $2 AND m.id = $3`,
    [from.tenantId, from.mailboxId, messageId],
  );
  if (!row) throw new NotFoundError('Message');
  return {
    tenantId: from.tenantId,
    mailboxId: from.mailboxId,
    envelopeFrom: from.address,
    recipients: envelopeRecipients(state),
    raw: wireCopy(row.content as Buffer, date),
    kind: 'user',
    existingMessageId: messageId,
  };
}

export function envelopeRecipients(state: Pick<DraftState, 'to' | 'cc' | 'bcc'>): string[] {
  return [...new Set([...state.to, ...state.cc, ...state.bcc].map((r) => r.address.toLowerCase()))];
}

async function ownAddresses(em: EntityManager, sender: Sender): Promise<Set<string>> {
  const rows: { address: string }[] = await em.query(
    `SELECT a.local_part || '@' || d.name AS address FROM addresses a
       JOIN domains d ON d.tenant_id = a.tenant_id AND d.id = a.domain_id
      WHERE a.tenant_id = $1 AND a.mailbox_id = $2`,
    [sender.tenantId, sender.mailboxId],
  );
  return new Set([sender.address.toLowerCase(), ...rows.map((r) => r.address.toLowerCase())]);
}

function recipient(a: MailAddress): Recipient {
  return a.name ? { name: a.name, address: a.address } : { address: a.address };
}

function has(list: Recipient[], address: string): boolean {
  return list.some((r) => r.address.toLowerCase() === address.toLowerCase());
}

/** `first` then those of `second` not already there (case-insensitive). */
function merge(first: Recipient[], second: Recipient[]): Recipient[] {
  const out: Recipient[] = [];
  for (const r of [...first, ...second]) if (!has(out, r.address)) out.push(r);
  return out;
}

function formatDate(date: Date | null): string {
  if (!date) return '';
  return new Intl.DateTimeFormat('zh-CN', {
    timeZone: 'Asia/Shanghai',
    dateStyle: 'long',
    timeStyle: 'short',
  }).format(date);
}

function who(list: MailAddress[]): string {
  return list.map((a) => (a.name ? `${a.name} <${a.address}>` : a.address)).join(', ');
}

function quoteHeader(parsed: ParsedMessage): { replyLine: string; forwardBlock: string } {
  const date = formatDate(parsed.date);
  return {
    replyLine: `在 ${date}，${who(parsed.from)} 写道：`,
    forwardBlock: [
      '---------- 转发的邮件 ----------',
      `发件人: ${who(parsed.from)}`,
      `日期: ${date}`,
      `主题: ${parsed.subject}`,
      `收件人: ${who(parsed.to)}`,
      ...(parsed.cc.length > 0 ? [`抄送: ${who(parsed.cc)}`] : []),
    ].join('\n'),
  };
}

/** The original's HTML (sanitized again when the reply is built) or its text, escaped. */
function quoteBody(parsed: ParsedMessage): string {
  return parsed.html ?? escapeHtml(parsed.text).replace(/\n/g, '<br>');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export type { DraftState };
