import { IdParams } from '../../../shared/common';
import {
  CreateExportBody,
  MailboxExportDto,
  MailboxExportList,
  MailboxExportQuery,
} from '../../../shared/mailboxes/exports';
import type { DataSource } from 'typeorm';
import { NotFoundError } from '../../platform/errors';
import type { ApiRegistry } from '../../platform/http/api-router';
import type { Logger } from '../../platform/logger';
import type { AuditService } from '../admin';
import type { ExportRow, MailboxExportService } from './mailbox-export.service';

/** Admins export a member's mailbox on demand and download any archive (purge exports included). */
export function registerExportRoutes(
  api: ApiRegistry,
  d: { ds: DataSource; exports: MailboxExportService; audit: AuditService; logger: Logger },
): void {
  api.route(
    {
      method: 'get',
      path: '/admin/exports',
      summary: 'Mailbox archives, newest first (made before purges, or asked for by an admin)',
      tag: 'retention',
      auth: { roles: ['admin', 'auditor'] },
      query: MailboxExportQuery,
      response: MailboxExportList,
    },
    async ({ actor, query }) => ({
      exports: (await d.exports.list(actor.tenantId, query)).map(present),
    }),
  );

  api.route(
    {
      method: 'post',
      path: '/admin/members/:id/export',
      summary: "Start an archive of a member's mailbox (runs in the background; poll the list)",
      tag: 'retention',
      auth: { roles: ['admin'] },
      params: IdParams,
      response: MailboxExportDto,
      status: 202,
    },
    async ({ actor, params, ctx }) => {
      const [box]: { id: string }[] = await d.ds.query(
        `SELECT id FROM mailboxes WHERE tenant_id = $1 AND member_id = $2 AND status <> 'purged'`,
        [actor.tenantId, params.id],
      );
      if (!box) throw new NotFoundError('Mailbox');
      const started = await d.exports.start(actor.tenantId, box.id, {
        reason: 'admin',
        requestedBy: actor.memberId,
        keepDays: 30,
      });
      started.done.catch((err: unknown) => d.logger.warn({ err }, 'export failed'));
      await d.ds.transaction((em) =>
        d.audit.record(em, {
          tenantId: actor.tenantId,
          actorType: 'member',
          actorId: actor.memberId,
          action: 'mailbox.export_requested',
          targetType: 'mailbox',
          targetId: box.id,
          details: { exportId: started.row.id, memberId: params.id },
          ctx,
        }),
      );
      return present(started.row);
    },
  );

  api.route(
    {
      method: 'post',
      path: '/admin/exports',
      summary:
        "Start an archive of a member's mailbox or of a department subtree, as .eml files or mbox (runs in the background; poll the list)",
      tag: 'retention',
      auth: { roles: ['admin'] },
      body: CreateExportBody,
      response: MailboxExportDto,
      status: 202,
    },
    async ({ actor, body, ctx }) => {
      const opts = {
        reason: 'admin' as const,
        requestedBy: actor.memberId,
        keepDays: 30,
        format: body.format,
      };
      let started: Awaited<ReturnType<MailboxExportService['start']>>;
      if (body.scope === 'mailbox') {
        const [box]: { id: string }[] = await d.ds.query(
          `SELECT id FROM mailboxes WHERE tenant_id = $1 AND member_id = $2 AND status <> 'purged'`,
          [actor.tenantId, body.memberId],
        );
        if (!box) throw new NotFoundError('Mailbox');
        started = await d.exports.start(actor.tenantId, box.id, opts);
      } else {
        started = await d.exports.startDepartment(actor.tenantId, body.departmentExternalId, opts);
      }
      started.done.catch((err: unknown) => d.logger.warn({ err }, 'export failed'));
      const row = started.row;
      await d.ds.transaction((em) =>
        d.audit.record(em, {
          tenantId: actor.tenantId,
          actorType: 'member',
          actorId: actor.memberId,
          action: row.scope === 'department' ? 'department.export_requested' : 'mailbox.export_requested',
          targetType: row.scope === 'department' ? 'department' : 'mailbox',
          targetId: row.scope === 'department' ? row.department_external_id! : row.mailbox_id!,
          details: {
            exportId: row.id,
            format: row.format,
            ...(body.scope === 'mailbox' ? { memberId: body.memberId } : {}),
          },
          ctx,
        }),
      );
      return present(row);
    },
  );

  api.download(
    {
      method: 'get',
      path: '/admin/exports/:id/download',
      summary: 'Download an archive (zip); every download is audited',
      tag: 'retention',
      auth: { roles: ['admin'] },
      params: IdParams,
      contentType: 'application/zip',
    },
    async ({ actor, params, ctx }) => {
      const { row, body } = await d.exports.open(actor.tenantId, params.id);
      await d.ds.transaction((em) =>
        d.audit.record(em, {
          tenantId: actor.tenantId,
          actorType: 'member',
          actorId: actor.memberId,
          action: 'mailbox.export_downloaded',
          targetType: 'mailbox_export',
          targetId: row.id,
          details: { address: row.address },
          ctx,
        }),
      );
      return {
        contentType: 'application/zip',
        filename:
          row.scope === 'department'
            ? `${row.address} ${row.created_at.toISOString().slice(0, 10)}.zip`
            : `${row.display_name ?? row.address} ${row.address} ${row.created_at.toISOString().slice(0, 10)}.zip`,
        body,
        size: Number(row.size),
      };
    },
  );
}

function present(r: ExportRow): MailboxExportDto {
  return {
    id: r.id,
    mailboxId: r.mailbox_id,
    memberId: r.member_id,
    address: r.address,
    scope: r.scope,
    departmentExternalId: r.department_external_id,
    format: r.format,
    progressDone: r.progress_done,
    progressTotal: r.progress_total,
    displayName: r.display_name,
    reason: r.reason,
    status: r.status,
    messages: r.messages,
    size: Number(r.size),
    sha256: r.sha256,
    error: r.error,
    createdAt: r.created_at.toISOString(),
    finishedAt: r.finished_at?.toISOString() ?? null,
    expiresAt: r.expires_at.toISOString(),
  };
}
