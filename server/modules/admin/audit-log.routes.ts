import { AuditFilter, AuditPage, AuditQuery } from '../../../shared/audit';
import type { ApiRegistry } from '../../platform/http/api-router';
import type { AuditLogService } from './audit-log.service';

export function registerAuditLogRoutes(api: ApiRegistry, log: AuditLogService): void {
  api.route(
    {
      method: 'get',
      path: '/admin/audit',
      summary: 'The audit log: every admin action and every sync change, newest first, filterable',
      tag: 'audit',
      auth: { roles: ['admin', 'auditor'] },
      query: AuditQuery,
      response: AuditPage,
    },
    ({ actor, query }) => log.page(actor, query),
  );

  api.download(
    {
      method: 'get',
      path: '/admin/audit/export',
      summary: 'The filtered audit log as CSV (UTF-8 with BOM, opens in Excel)',
      tag: 'audit',
      auth: { roles: ['admin', 'auditor'] },
      query: AuditFilter,
      contentType: 'text/csv; charset=utf-8',
    },
    ({ actor, query }) => ({
      contentType: 'text/csv; charset=utf-8',
      filename: `审计日志 audit-log ${new Date().toISOString().slice(0, 10)}.csv`,
      body: log.csv(actor, query),
    }),
  );
}
