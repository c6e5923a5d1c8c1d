import { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import type { ExportFormat } from '../../../shared/mailboxes/exports';
import type { Clock } from '../../platform/clock';
import { returning } from '../../platform/db/returning';
import { NotFoundError } from '../../platform/errors';
import type { Logger } from '../../platform/logger';
import { type ArchiveSource, ExportArchiveWriter } from './export-archive';

export interface ExportOptions {
  reason: 'purge' | 'admin';
  requestedBy?: string | null;
  /** Days the archive is kept for download. */
  keepDays: number;
  /** Default `eml-zip`. */
  format?: ExportFormat;
}

export interface ExportRow {
  id: string;
  mailbox_id: string | null;
  member_id: string | null;
  /** The mailbox's address, or the department's name for a department export. */
  address: string;
  display_name: string | null;
  reason: 'purge' | 'admin';
  status: 'running' | 'ready' | 'failed';
  format: ExportFormat;
  scope: 'mailbox' | 'department';
  department_external_id: string | null;
  progress_done: number;
  progress_total: number;
  messages: number;
  size: string;
  sha256: string | null;
  error: string | null;
  requested_by: string | null;
  created_at: Date;
  finished_at: Date | null;
  expires_at: Date;
}

interface Started {
  row: ExportRow;
  done: Promise<ExportRow>;
}

/**
 * Exports a mailbox, or every active mailbox of a department subtree, as a zip: `.eml` files by
 * folder or one mboxrd file per folder (see ExportFormat), plus `manifest.json` with flags and
 * labels so mail can be restored or imported elsewhere. Blobs are read one at a time and the zip
 * goes to the database in chunks, so memory stays flat whatever the size.
 */
export class MailboxExportService {
  private readonly writer: ExportArchiveWriter;

  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.writer = new ExportArchiveWriter(ds);
  }

  /** Exports and waits for the archive to be complete. */
  async exportMailbox(tenantId: string, mailboxId: string, opts: ExportOptions): Promise<ExportRow> {
    return (await this.start(tenantId, mailboxId, opts)).done;
  }

  /** Records the export (status `running`) and writes it in the background: `done` settles when finished. */
  async start(tenantId: string, mailboxId: string, opts: ExportOptions): Promise<Started> {
    const [box]: { address: string; member_id: string | null; display_name: string | null }[] =
      await this.ds.query(
        `SELECT mb.local_part || '@' || d.name AS address, mb.member_id, m.display_name
           FROM mailboxes mb JOIN domains d ON d.tenant_id = mb.tenant_id AND d.id = mb.domain_id
           LEFT JOIN members m ON m.tenant_id = mb.tenant_id AND m.id = mb.member_id
          WHERE mb.tenant_id = $1 AND mb.id = $2 AND mb.status <> 'purged'`,
        [tenantId, mailboxId],
      );
    if (!box) throw new NotFoundError('Mailbox');
    const row = await this.insert(tenantId, opts, {
      mailboxId,
      memberId: box.member_id,
      address: box.address,
      displayName: box.display_name,
      departmentExternalId: null,
    });
    const source: ArchiveSource = {
      mailboxId,
      address: box.address,
      displayName: box.display_name,
      prefix: '',
    };
    return {
      row,
      done: this.complete(tenantId, row, [source], (per) => ({
        address: box.address,
        exportedAt: this.clock.now().toISOString(),
        format: row.format,
        messages: per[0]?.messages ?? [],
      })),
    };
  }

  /**
   * Starts an archive of every active mailbox whose member belongs to the department or any
   * sub-department; each mailbox's folders go under a directory named by its address.
   */
  async startDepartment(
    tenantId: string,
    departmentExternalId: string,
    opts: ExportOptions,
  ): Promise<Started> {
    const [dept]: { name: string }[] = await this.ds.query(
      `SELECT name FROM departments WHERE tenant_id = $1 AND external_id = $2`,
      [tenantId, departmentExternalId],
    );
    if (!dept) throw new NotFoundError('Department');
    const boxes: { id: string; address: string; display_name: string | null }[] = await this.ds.query(
      `SELECT mb.id, mb.local_part || '@' || d.name AS address, m.display_name
         FROM members m
         JOIN mailboxes mb ON mb.tenant_id = m.tenant_id AND mb.member_id = m.id AND mb.status = 'active'
         JOIN domains d ON d.tenant_id = mb.tenant_id AND d.id = mb.domain_id
        WHERE m.tenant_id = $1 AND m.status = 'active'
          AND m.department_ids && ARRAY(SELECT x.external_id FROM departments x
                                         WHERE x.tenant_id = $1 AND $2 = ANY (x.path))
        ORDER BY address`,
      [tenantId, departmentExternalId],
    );
    const row = await this.insert(tenantId, opts, {
      mailboxId: null,
      memberId: null,
      address: dept.name,
      displayName: null,
      departmentExternalId,
    });
    const sources = boxes.map((b) => ({
      mailboxId: b.id,
      address: b.address,
      displayName: b.display_name,
      prefix: `${b.address}/`,
    }));
    return {
      row,
      done: this.complete(tenantId, row, sources, (per) => ({
        department: { externalId: departmentExternalId, name: dept.name },
        exportedAt: this.clock.now().toISOString(),
        format: row.format,
        mailboxes: per.map((p) => ({
          address: p.source.address,
          displayName: p.source.displayName,
          messages: p.messages,
        })),
      })),
    };
  }

  private async insert(
    tenantId: string,
    opts: ExportOptions,
    what: {
      mailboxId: string | null;
      memberId: string | null;
      address: string;
      displayName: string | null;
      departmentExternalId: string | null;
    },
  ): Promise<ExportRow> {
    const now = this.clock.now();
    const [row]: ExportRow[] = await this.ds.query(
      `INSERT INTO mailbox_exports (tenant_id, mailbox_id, member_id, address, display_name, reason, requested_by,
                                    created_at, expires_at, format, scope, department_external_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING *`,
      [
        tenantId,
        what.mailboxId,
        what.memberId,
        what.address,
        what.displayName,
        opts.reason,
        opts.requestedBy ?? null,
        now,
        new Date(now.getTime() + opts.keepDays * 86_400_000),
        opts.format ?? 'eml-zip',
        what.departmentExternalId ? 'department' : 'mailbox',
        what.departmentExternalId,
      ],
    );
    return row!;
  }

  private async complete(
    tenantId: string,
    row: ExportRow,
    sources: ArchiveSource[],
    manifestOf: Parameters<ExportArchiveWriter['write']>[4],
  ): Promise<ExportRow> {
    try {
      const { messages, size, sha256 } = await this.writer.write(
        tenantId,
        row.id,
        sources,
        row.format,
        manifestOf,
      );
      const [done] = await returning<ExportRow>(
        this.ds,
        `UPDATE mailbox_exports SET status = 'ready', messages = $3, size = $4, sha256 = $5, finished_at = $6,
                progress_done = $3, progress_total = $3
          WHERE tenant_id = $1 AND id = $2 RETURNING *`,
        [tenantId, row.id, messages, size, sha256, this.clock.now()],
      );
      return done!;
    } catch (err) {
      this.logger.error({ err, tenantId, exportId: row.id }, 'mailbox export failed');
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
}
