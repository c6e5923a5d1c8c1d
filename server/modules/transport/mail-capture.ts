import type { DataSource } from 'typeorm';
import type { CapturedMailDto } from '../../../shared/mail/outbound';
import { NotFoundError } from '../../platform/errors';

/**
 * Embedded/dev mode (OUTBOUND_MODE=capture, no relay): mail for other domains never leaves the
 * machine. The worker stores it here, signed as it would have been sent; admins list and read it.
 */
export class MailCapture {
  constructor(private readonly ds: DataSource) {}

  async capture(input: {
    tenantId: string;
    queueId: string;
    envelopeFrom: string;
    recipients: string[];
    subject: string;
    content: Buffer;
    now: Date;
  }): Promise<string> {
    const rows: { id: string }[] = await this.ds.query(
      `INSERT INTO captured_mail (tenant_id, queue_id, envelope_from, recipients, subject, size, content, captured_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
      [
        input.tenantId,
        input.queueId,
        input.envelopeFrom,
        input.recipients,
        input.subject,
        input.content.length,
        input.content,
        input.now,
      ],
    );
    return rows[0]!.id;
  }

  async list(tenantId: string, limit: number): Promise<CapturedMailDto[]> {
    const rows: {
      id: string;
      envelope_from: string;
      recipients: string[];
      subject: string;
      size: string;
      captured_at: Date;
    }[] = await this.ds.query(
      `SELECT id, envelope_from, recipients, subject, size, captured_at FROM captured_mail
        WHERE tenant_id = $1 ORDER BY captured_at DESC, id DESC LIMIT $2`,
      [tenantId, limit],
    );
    return rows.map((r) => ({
      id: r.id,
      envelopeFrom: r.envelope_from,
      recipients: r.recipients,
      subject: r.subject,
      size: Number(r.size),
      capturedAt: new Date(r.captured_at).toISOString(),
    }));
  }

  async raw(tenantId: string, id: string): Promise<Buffer> {
    const rows: { content: Buffer }[] = await this.ds.query(
      `SELECT content FROM captured_mail WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id],
    );
    if (!rows[0]) throw new NotFoundError('Captured message');
    return rows[0].content;
  }
}
