export { Domain } from './domain.entity';
export { Setting } from './setting.entity';
export { SettingsService } from './settings.service';
export { Tenant, type TenantStatus } from './tenant.entity';
export { TenantsService, type NewTenant } from './tenants.service';
export { AuditedSetting } from './audited-setting';
export { DomainsService, normalizeDomain, type PublishedRecords } from './domains.service';
export { registerDomainRoutes } from './domains.routes';
