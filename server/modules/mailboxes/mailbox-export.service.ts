import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DataSource } from 'typeorm';
import { ZipFile } from 'yazl';
import type { Clock } from '../../platform/clock';
import { returning } from '../../platform/db/returning';
import { NotFoundError } from '../../platform/errors';
import type { Logger } from '../../platform/logger';

/** Archives are written in pieces of this size, so no row (and no buffer) holds a whole mailbox. */
const CHUNK_BYTES = 4 * 1024 * 1024;
/** Messages whose metadata is read per query while listing the archive's entries. */
const LIST_BATCH = 1000;

export interface ExportOptions {
  reason: 'purge' | 'admin';
  requestedBy?: string | null;
  /** Days the archive is kept for download. */
  keepDays: number;
}

export interface ExportRow {
  id: string;
  mailbox_id: string;
  member_id: string | null;
  address: string;
  display_name: string | null;
  reason: 'purge' | 'admin';
  status: 'running' | 'ready' | 'failed';
  messages: number;
  size: string;
  sha256: string | null;
  error: string | null;
  requested_by: string | null;
  created_at: Date;
  finished_at: Date | null;
  expires_at: Date;
}

interface MessageEntry {
  id: string;
  folder_id: string;
  blob_sha256: string;
  subject: string;
  received_at: Date;
  is_seen: boolean;
  is_flagged: boolean;
  is_answered: boolean;
  labels: string[];
}

/**
 * Exports a mailbox as a zip: one `.eml` per message (the stored bytes, untouched) under its folder
 * path, and `manifest.json` with flags and labels so the mailbox can be restored or imported
 * elsewhere. Blobs are read one at a time as the zip is written, and the zip goes to the database
 * in chunks, so memory stays flat whatever the mailbox size.
 */
export class MailboxExportService {
  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Exports and waits for the archive to be complete. */
  async exportMailbox(tenantId: string, mailboxId: string, opts: ExportOptions): Promise<ExportRow> {
    return (await this.start(tenantId, mailboxId, opts)).done;
  }

  /** Records the export (status `running`) and writes it in the background: `done` settles when finished. */
  async start(
    tenantId: string,
    mailboxId: string,
    opts: ExportOptions,
  ): Promise<{ row: ExportRow; done: Promise<ExportRow> }> {
    const [box]: { address: string; member_id: string | null; display_name: string | null }[] =
      await this.ds.query(
        `SELECT mb.local_part || '@' || d.name AS address, mb.member_id, m.display_name
           FROM mailboxes mb JOIN domains d ON d.tenant_id = mb.tenant_id AND d.id = mb.domain_id
           LEFT JOIN members m ON m.tenant_id = mb.tenant_id AND m.id = mb.member_id
          WHERE mb.tenant_id = $1 AND mb.id = $2 AND mb.status <> 'purged'`,
        [tenantId, mailboxId],
      );
    if (!box) throw new NotFoundError('Mailbox');
    const now = this.clock.now();
    const [row]: ExportRow[] = await this.ds.query(
      `INSERT INTO mailbox_exports (tenant_id, mailbox_id, member_id, address, display_name, reason, requested_by, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
      [
        tenantId,
        mailboxId,
        box.member_id,
        box.address,
        box.display_name,
        opts.reason,
        opts.requestedBy ?? null,
        now,
        new Date(now.getTime() + opts.keepDays * 86_400_000),
      ],
    );
    return { row: row!, done: this.complete(tenantId, mailboxId, row!, box.address) };
  }

  private async complete(
    tenantId: string,
    mailboxId: string,
    row: ExportRow,
    address: string,
  ): Promise<ExportRow> {
    try {
      const { messages, size, sha256 } = await this.writeArchive(tenantId, mailboxId, row.id, address);
      const [done] = await returning<ExportRow>(
        this.ds,
        `UPDATE mailbox_exports SET status = 'ready', messages = $3, size = $4, sha256 = $5, finished_at = $6
          WHERE tenant_id = $1 AND id = $2 RETURNING *`,
        [tenantId, row.id, messages, size, sha256, this.clock.now()],
      );
      return done!;
    } catch (err) {
      this.logger.error({ err, tenantId, mailboxId }, 'mailbox export failed');
      await this.ds.query(`DELETE FROM mailbox_export_chunks WHERE tenant_id = $1 AND export_id = $2`, [
        tenantId,
        row.id,
      ]);
      await this.ds.query(
        `UPDATE mailbox_exports SET status = 'failed', error = $3, finished_at = now() WHERE tenant_id = $1 AND id = $2`,
        [tenantId, row.id, err instanceof Error ? err.message : String(err)],
      );
      throw err;
    }
  }

  /** The archive's bytes, streamed chunk by chunk from the database. */
  async open(tenantId: string, exportId: string): Promise<{ row: ExportRow; body: Readable }> {
    const [row]: ExportRow[] = await this.ds.query(
      `SELECT * FROM mailbox_exports WHERE tenant_id = $1 AND id = $2`,
      [tenantId, exportId],
    );
    if (!row || row.status !== 'ready') throw new NotFoundError('Export');
    const ds = this.ds;
    async function* chunks() {
      for (let seq = 0; ; seq++) {
        const [chunk]: { content: Buffer }[] = await ds.query(
          `SELECT content FROM mailbox_export_chunks WHERE tenant_id = $1 AND export_id = $2 AND seq = $3`,
          [tenantId, exportId, seq],
        );
        if (!chunk) return;
        yield chunk.content;
      }
    }
    return { row, body: Readable.from(chunks()) };
  }

  async list(tenantId: string, opts: { limit: number; mailboxId?: string }): Promise<ExportRow[]> {
    return this.ds.query(
      `SELECT * FROM mailbox_exports WHERE tenant_id = $1 AND ($2::uuid IS NULL OR mailbox_id = $2)
        ORDER BY created_at DESC, id DESC LIMIT $3`,
      [tenantId, opts.mailboxId ?? null, opts.limit],
    );
  }

  /** Drops archives past their keep date; returns how many. */
  async deleteExpired(): Promise<number> {
    const rows = await returning<{ id: string }>(
      this.ds,
      `DELETE FROM mailbox_exports WHERE expires_at < $1 RETURNING id`,
      [this.clock.now()],
    );
    return rows.length;
  }

  private async writeArchive(
    tenantId: string,
    mailboxId: string,
    exportId: string,
    address: string,
  ): Promise<{ messages: number; size: number; sha256: string }> {
    const folders = await this.folderPaths(tenantId, mailboxId);
    const zip = new ZipFile();
    const manifest: unknown[] = [];
    const used = new Set<string>();
    let messages = 0;
    let cursor: { receivedAt: Date; id: string } | null = null;
    for (;;) {
      const batch: MessageEntry[] = await this.ds.query(
        `SELECT id, folder_id, blob_sha256, subject, received_at, is_seen, is_flagged, is_answered, labels
           FROM messages WHERE tenant_id = $1 AND mailbox_id = $2
            AND ($3::timestamptz IS NULL OR (received_at, id) > ($3, $4::uuid))
          ORDER BY received_at, id LIMIT $5`,
        [tenantId, mailboxId, cursor?.receivedAt ?? null, cursor?.id ?? null, LIST_BATCH],
      );
      for (const m of batch) {
        const name = uniqueName(used, `${folders.get(m.folder_id) ?? 'Other'}/${entryName(m)}`);
        manifest.push({
          file: name,
          folder: folders.get(m.folder_id) ?? null,
          receivedAt: m.received_at.toISOString(),
          seen: m.is_seen,
          flagged: m.is_flagged,
          answered: m.is_answered,
          labels: m.labels,
        });
        zip.addReadStreamLazy(name, { mtime: m.received_at }, (cb) => {
          this.ds
            .query(`SELECT content FROM mail_blobs WHERE tenant_id = $1 AND sha256 = $2`, [
              tenantId,
              m.blob_sha256,
            ])
            .then((rows: { content: Buffer }[]) =>
              cb(null, Readable.from([rows[0]?.content ?? Buffer.alloc(0)])),
            )
            .catch((err: Error) => cb(err, undefined as unknown as Readable));
        });
        messages++;
      }
      if (batch.length < LIST_BATCH) break;
      const last = batch[batch.length - 1]!;
      cursor = { receivedAt: last.received_at, id: last.id };
    }
    zip.addBuffer(
      Buffer.from(
        JSON.stringify({ address, exportedAt: this.clock.now().toISOString(), messages: manifest }, null, 2),
      ),
      'manifest.json',
    );
    zip.end();

    const hash = createHash('sha256');
    let size = 0;
    let seq = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      if (pendingBytes === 0) return;
      const content = Buffer.concat(pending);
      pending = [];
      pendingBytes = 0;
      await this.ds.query(
        `INSERT INTO mailbox_export_chunks (tenant_id, export_id, seq, content) VALUES ($1, $2, $3, $4)`,
        [tenantId, exportId, seq++, content],
      );
    };
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        size += chunk.length;
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes < CHUNK_BYTES) return done();
        flush().then(() => done(), done);
      },
      final(done) {
        flush().then(() => done(), done);
      },
    });
    await new Promise<void>((resolve, reject) => {
      zip.on('error', reject);
      pipeline(zip.outputStream, sink).then(resolve, reject);
    });
    return { messages, size, sha256: hash.digest('hex') };
  }

  /** Folder id → "Parent/Child" path, names made safe for archive entries. */
  private async folderPaths(tenantId: string, mailboxId: string): Promise<Map<string, string>> {
    const rows: { id: string; parent_id: string | null; name: string }[] = await this.ds.query(
      `SELECT id, parent_id, name FROM folders WHERE tenant_id = $1 AND mailbox_id = $2`,
      [tenantId, mailboxId],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    const paths = new Map<string, string>();
    for (const r of rows) {
      const parts: string[] = [];
      const seen = new Set<string>();
      for (let f: typeof r | undefined = r; f && !seen.has(f.id); f = byId.get(f.parent_id ?? '')) {
        seen.add(f.id);
        parts.unshift(safeSegment(f.name));
      }
      paths.set(r.id, parts.join('/'));
    }
    return paths;
  }
}

function entryName(m: MessageEntry): string {
  const stamp = m.received_at.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const subject = safeSegment(m.subject).slice(0, 60) || 'no-subject';
  return `${stamp} ${subject}.eml`;
}

function uniqueName(used: Set<string>, name: string): string {
  let candidate = name;
  for (let i = 2; used.has(candidate); i++) candidate = name.replace(/\.eml$/, ` (${i}).eml`);
  used.add(candidate);
  return candidate;
}

/** Keeps Chinese and other letters; drops path separators, control and reserved characters. */
function safeSegment(name: string): string {
  return name
    .replace(/[\p{Cc}/\\:*?"<>|]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^\.+/, '');
}
