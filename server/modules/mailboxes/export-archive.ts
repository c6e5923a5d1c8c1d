import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DataSource } from 'typeorm';
import { ZipFile } from 'yazl';
import type { ExportFormat } from '../../../shared/mailboxes/exports';
import { mboxRecord } from './mbox';

/** Archives are written in pieces of this size, so no row (and no buffer) holds a whole mailbox. */
const CHUNK_BYTES = 4 * 1024 * 1024;
/** Messages whose metadata is read per query while listing the archive's entries. */
const LIST_BATCH = 1000;
/** progress_done is written every this many messages (not per message). */
export const PROGRESS_EVERY = 25;

/** One mailbox going into an archive; `prefix` is '' or `address/` (department exports). */
export interface ArchiveSource {
  mailboxId: string;
  address: string;
  displayName: string | null;
  prefix: string;
}

interface MessageEntry {
  id: string;
  folder_id: string;
  blob_sha256: string;
  subject: string;
  from_address: string | null;
  received_at: Date;
  is_seen: boolean;
  is_flagged: boolean;
  is_answered: boolean;
  labels: string[];
}

interface ManifestEntry {
  file: string;
  /** Position of the message inside its mbox file (mbox format only), from 0. */
  index?: number;
  folder: string | null;
  receivedAt: string;
  seen: boolean;
  flagged: boolean;
  answered: boolean;
  labels: string[];
}

/**
 * Writes an archive (zip with manifest.json) of some mailboxes into mailbox_export_chunks, reading
 * one blob at a time, and counts progress on the export row. Message metadata is listed first (so
 * the total is known), then the zip is streamed to the database in chunks.
 */
export class ExportArchiveWriter {
  constructor(private readonly ds: DataSource) {}

  async write(
    tenantId: string,
    exportId: string,
    sources: ArchiveSource[],
    format: ExportFormat,
    manifestOf: (perMailbox: { source: ArchiveSource; messages: ManifestEntry[] }[]) => unknown,
  ): Promise<{ messages: number; size: number; sha256: string }> {
    const zip = new ZipFile();
    const perMailbox: { source: ArchiveSource; messages: ManifestEntry[] }[] = [];
    const used = new Set<string>();
    let total = 0;
    let done = 0;
    const tick = async () => {
      done++;
      if (done % PROGRESS_EVERY !== 0) return;
      await this.ds.query(`UPDATE mailbox_exports SET progress_done = $3 WHERE tenant_id = $1 AND id = $2`, [
        tenantId,
        exportId,
        done,
      ]);
    };
    const blob = async (sha: string): Promise<Buffer> => {
      const rows: { content: Buffer }[] = await this.ds.query(
        `SELECT content FROM mail_blobs WHERE tenant_id = $1 AND sha256 = $2`,
        [tenantId, sha],
      );
      return rows[0]?.content ?? Buffer.alloc(0);
    };

    for (const source of sources) {
      const folders = await this.folderPaths(tenantId, source.mailboxId);
      const entries = await this.listMessages(tenantId, source.mailboxId);
      const manifest: ManifestEntry[] = [];
      const meta = (m: MessageEntry) => ({
        folder: folders.get(m.folder_id) ?? null,
        receivedAt: m.received_at.toISOString(),
        seen: m.is_seen,
        flagged: m.is_flagged,
        answered: m.is_answered,
        labels: m.labels,
      });
      if (format === 'eml-zip') {
        for (const m of entries) {
          const name = uniqueName(
            used,
            `${source.prefix}${folders.get(m.folder_id) ?? 'Other'}/${entryName(m)}`,
          );
          manifest.push({ file: name, ...meta(m) });
          zip.addReadStreamLazy(name, { mtime: m.received_at }, (cb) => {
            blob(m.blob_sha256)
              .then(async (content) => {
                await tick();
                cb(null, Readable.from([content]));
              })
              .catch((err: Error) => cb(err, undefined as unknown as Readable));
          });
        }
      } else {
        const byFolder = new Map<string, MessageEntry[]>();
        for (const m of entries) {
          const list = byFolder.get(m.folder_id) ?? [];
          list.push(m);
          byFolder.set(m.folder_id, list);
        }
        for (const [folderId, list] of byFolder) {
          const name = uniqueName(used, `${source.prefix}${folders.get(folderId) ?? 'Other'}.mbox`);
          list.forEach((m, index) => manifest.push({ file: name, index, ...meta(m) }));
          async function* records() {
            for (const m of list) {
              const content = await blob(m.blob_sha256);
              await tick();
              yield mboxRecord(m.from_address, m.received_at, content);
            }
          }
          zip.addReadStreamLazy(name, { mtime: list[list.length - 1]!.received_at }, (cb) =>
            cb(null, Readable.from(records())),
          );
        }
      }
      total += entries.length;
      perMailbox.push({ source, messages: manifest });
    }
    await this.ds.query(`UPDATE mailbox_exports SET progress_total = $3 WHERE tenant_id = $1 AND id = $2`, [
      tenantId,
      exportId,
      total,
    ]);
    zip.addBuffer(Buffer.from(JSON.stringify(manifestOf(perMailbox), null, 2)), 'manifest.json');
    zip.end();
    const written = await this.store(tenantId, exportId, zip);
    return { messages: total, ...written };
  }

  private async listMessages(tenantId: string, mailboxId: string): Promise<MessageEntry[]> {
    const out: MessageEntry[] = [];
    let cursor: { receivedAt: Date; id: string } | null = null;
    for (;;) {
      const batch: MessageEntry[] = await this.ds.query(
        `SELECT id, folder_id, blob_sha256, subject, from_address, received_at, is_seen, is_flagged, is_answered, labels
           FROM messages WHERE tenant_id = $1 AND mailbox_id = $2
            AND ($3::timestamptz IS NULL OR (received_at, id) > ($3, $4::uuid))
          ORDER BY received_at, id LIMIT $5`,
        [tenantId, mailboxId, cursor?.receivedAt ?? null, cursor?.id ?? null, LIST_BATCH],
      );
      out.push(...batch);
      if (batch.length < LIST_BATCH) return out;
      const last = batch[batch.length - 1]!;
      cursor = { receivedAt: last.received_at, id: last.id };
    }
  }

  /** Streams the zip into mailbox_export_chunks; returns its size and SHA-256. */
  private async store(
    tenantId: string,
    exportId: string,
    zip: ZipFile,
  ): Promise<{ size: number; sha256: string }> {
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
    return { size, sha256: hash.digest('hex') };
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
  for (let i = 2; used.has(candidate); i++) candidate = name.replace(/(\.eml|\.mbox)$/, ` (${i})$1`);
  used.add(candidate);
  return candidate;
}

/** Keeps Chinese and other letters; drops path separators, control and reserved characters. */
export function safeSegment(name: string): string {
  return name
    .replace(/[\p{Cc}/\\:*?"<>|]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^\.+/, '');
}
