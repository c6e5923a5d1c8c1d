export { AuditEntry, type AuditActorType } from './audit-entry.entity';
export { AuditService, type AuditRecord } from './audit.service';
export { AuditLogService, MAX_EXPORT_ROWS } from './audit-log.service';
export { registerAuditLogRoutes } from './audit-log.routes';
