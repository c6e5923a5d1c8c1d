export { AuditEntry, type AuditActorType } from './audit-entry.entity';
export { AuditService, type AuditRecord } from './audit.service';
