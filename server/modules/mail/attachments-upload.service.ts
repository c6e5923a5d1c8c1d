import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { DataSource, EntityManager } from 'typeorm';
import { ErrorCodes } from '../../../shared/errors';
import { SEND_POLICY_KEY, SendPolicy } from '../../../shared/mail/send-policy';
import type { UploadDto } from '../../../shared/mail/compose';
import type { Clock } from '../../platform/clock';
import { AppError, NotFoundError, ValidationError } from '../../platform/errors';
import type { Actor } from '../../platform/http/actor';
import type { Logger } from '../../platform/logger';
import type { SettingsService } from '../tenants';
import { sanitizeFilename } from './message-attachments';

/** Uploads live this long; a draft keeps its attachments in its own blob once saved. */
export const UPLOAD_TTL_MS = 24 * 60 * 60_000;

export interface UploadedFile {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  content: Buffer;
}

/**
 * Attachments uploaded before a draft is saved or a message sent. Each belongs to the member who
 * uploaded it (anyone else gets 404) and expires after a day.
 */
export class AttachmentUploadsService {
  private lastCleanup = 0;

  constructor(
    private readonly d: { ds: DataSource; settings: SettingsService; clock: Clock; logger?: Logger },
  ) {}

  /** Largest single attachment the organization's send policy allows. */
  async maxBytes(tenantId: string, em?: EntityManager): Promise<number> {
    const policy = await this.d.settings.get(tenantId, SEND_POLICY_KEY, SendPolicy, em);
    return policy.maxAttachmentBytes;
  }

  /**
   * Reads the body stream up to the policy's size (answering 413 past it, without buffering the
   * rest), then stores the file. `filename` is percent-decoded UTF-8 (Chinese names survive).
   */
  async upload(
    actor: Actor,
    body: Readable,
    meta: { filename: string | undefined; contentType: string | undefined },
  ): Promise<UploadDto> {
    const filename = sanitizeFilename(decodeName(meta.filename ?? ''));
    if (!filename)
      throw new ValidationError('Give the file name in the "filename" query parameter or X-Filename');
    const contentType = normalizeType(meta.contentType);
    const limit = await this.maxBytes(actor.tenantId);
    const content = await readLimited(body, limit);
    void this.cleanupSoon();
    const sha256 = createHash('sha256').update(content).digest('hex');
    const expiresAt = new Date(this.d.clock.now().getTime() + UPLOAD_TTL_MS);
    const [row] = await this.d.ds.query(
      `INSERT INTO uploads (tenant_id, member_id, filename, content_type, size, sha256, content, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
      [actor.tenantId, actor.memberId, filename, contentType, content.length, sha256, content, expiresAt],
    );
    return { id: row.id, filename, size: content.length, contentType };
  }

  /** The member's live uploads by id, in the order asked; an unknown or expired one → 404. */
  async take(em: EntityManager, tenantId: string, memberId: string, ids: string[]): Promise<UploadedFile[]> {
    if (ids.length === 0) return [];
    const rows: { id: string; filename: string; content_type: string; size: string; content: Buffer }[] =
      await em.query(
        `SELECT id, filename, content_type, size, content FROM uploads
          WHERE tenant_id = $1 AND member_id = $2 AND id = ANY($3) AND expires_at > $4`,
        [tenantId, memberId, ids, this.d.clock.now()],
      );
    return ids.map((id) => {
      const r = rows.find((x) => x.id === id);
      if (!r) throw new NotFoundError('Upload', { details: { uploadId: id } });
      return {
        id: r.id,
        filename: r.filename,
        contentType: r.content_type,
        size: Number(r.size),
        content: r.content,
      };
    });
  }

  /** Deletes expired uploads of every tenant; the job runner calls this, uploads call it now and then. */
  async cleanupExpired(): Promise<number> {
    const rows: { id: string }[] = await this.d.ds.query(
      `WITH gone AS (
         DELETE FROM uploads WHERE ctid = ANY(ARRAY(SELECT ctid FROM uploads WHERE expires_at <= $1 LIMIT 5000))
         RETURNING id)
       SELECT id FROM gone`,
      [this.d.clock.now()],
    );
    return rows.length;
  }

  private async cleanupSoon(): Promise<void> {
    const now = Date.now();
    if (now - this.lastCleanup < 10 * 60_000) return;
    this.lastCleanup = now;
    await this.cleanupExpired().catch((err) => this.d.logger?.warn({ err }, 'upload cleanup failed'));
  }
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

function normalizeType(type: string | undefined): string {
  const t = (type ?? '').split(';')[0]!.trim().toLowerCase();
  return /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/.test(t) ? t : 'application/octet-stream';
}

/**
 * Reads the body up to `limit` bytes. Past it the rest is drained and dropped (like body-parser
 * does), so the client gets a proper 413 instead of a reset connection.
 */
async function readLimited(body: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  if (size > limit) {
    throw new AppError(
      ErrorCodes.mailAttachmentTooLarge,
      413,
      `The file is larger than the ${Math.floor(limit / 1024 / 1024)} MB an attachment may have`,
      { details: { maxBytes: limit } },
    );
  }
  if (size === 0) throw new ValidationError('The file is empty');
  return Buffer.concat(chunks);
}
