import type { Express } from 'express';
import type { DataSource } from 'typeorm';
import type { ReadinessDto } from '../shared/health';
import type { Config } from './config';
import {
  DingTalkCallbackHandler,
  DingTalkIdentityProvider,
  DingTalkIntegrations,
  DingTalkNoticeChannel,
  registerDingTalkRoutes,
} from './integrations/dingtalk';
import type { Clock } from './platform/clock';
import { migrationsApplied } from './platform/db/data-source';
import { ValidationError } from './platform/errors';
import { ApiRegistry } from './platform/http/api-router';
import { API_BASE, createHttpApp } from './platform/http/app';
import type { Logger } from './platform/logger';
import { deriveKey, SecretBox } from './platform/secrets';
import { AuditLogService, AuditService, registerAuditLogRoutes } from './modules/admin';
import {
  AccountService,
  ExternalLoginService,
  JwtService,
  LocalLoginService,
  PasswordHasher,
  registerAuthRoutes,
  SecurityPolicyService,
  TokenAuthenticator,
  Totp,
} from './modules/auth';
import {
  AdminMembersService,
  DirectoryEventsService,
  DirectorySyncService,
  MembersService,
  Notifier,
  registerAdminMemberRoutes,
  registerMemberRoutes,
  registerSyncRoutes,
  SyncApplier,
  SyncPolicyService,
} from './modules/directory';
import {
  GroupsService,
  RecipientResolver,
  MailboxAddressesService,
  MailboxExportService,
  MailboxProvisioning,
  MailboxPurgeService,
  registerExportRoutes,
  registerGroupRoutes,
  registerMailboxAddressRoutes,
} from './modules/mailboxes';
import { JobRunsService } from './modules/scheduling';
import { InboundMailService, LocalDeliveryService } from './modules/transport';
import { registerStatsRoutes, StatsService } from './modules/stats';
import { SettingsService, TenantsService } from './modules/tenants';

export interface AppDeps {
  config: Config;
  logger: Logger;
  ds: DataSource;
  clock: Clock;
  masterSecret: string;
}

export type Services = ReturnType<typeof createServices>;

/** Wires services from their dependencies. Tests build the same graph against their own database. */
export function createServices(deps: AppDeps) {
  const { ds, clock, config, logger } = deps;
  const audit = new AuditService();
  const tenants = new TenantsService(ds);
  const settings = new SettingsService(ds);
  const box = new SecretBox(deps.masterSecret);
  const hasher = new PasswordHasher();
  const totp = new Totp(clock);
  const jwt = new JwtService(
    {
      key: deriveKey(deps.masterSecret, 'jwt:hs256'),
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      ttlSeconds: config.jwt.ttlSeconds,
    },
    clock,
  );
  const jobRuns = new JobRunsService(ds);
  const members = new MembersService(ds);
  const login = new LocalLoginService({ ds, tenants, settings, audit, hasher, totp, jwt, box, clock });
  const accounts = new AccountService({ ds, audit, hasher, totp, box, clock, issuer: 'OrgMail' });
  const securityPolicy = new SecurityPolicyService(ds, settings, audit);
  const authenticator = new TokenAuthenticator(jwt, ds);

  const dingtalk = new DingTalkIntegrations(ds, box, logger);
  const mailboxes = new MailboxProvisioning();
  const sync = new DirectorySyncService({
    ds,
    providerFor: async (tenantId) => {
      const app = await dingtalk.app(tenantId);
      if (!app) throw new ValidationError('This organization is not connected to a directory (DingTalk) yet');
      return app.directory;
    },
    applier: new SyncApplier(ds, mailboxes, audit),
    settings,
    audit,
    jobRuns,
    clock,
    logger: logger.child({ module: 'directory-sync' }),
  });
  const syncPolicy = new SyncPolicyService(ds, settings, audit);
  const mailboxAddresses = new MailboxAddressesService(ds, settings, audit);
  const groups = new GroupsService(ds);
  const recipients = new RecipientResolver(ds, groups);
  const delivery = new LocalDeliveryService(ds, clock, logger.child({ module: 'delivery' }));
  const stats = new StatsService(ds, clock);
  const auditLog = new AuditLogService(ds);
  const adminMembers = new AdminMembersService(ds, audit);
  const mailboxExports = new MailboxExportService(ds, clock, logger.child({ module: 'mailbox-export' }));
  const mailboxPurge = new MailboxPurgeService({
    ds,
    exports: mailboxExports,
    settings,
    audit,
    clock,
    logger: logger.child({ module: 'mailbox-purge' }),
  });
  const inbound = new InboundMailService({
    ds,
    recipients,
    delivery,
    logger: logger.child({ module: 'inbound' }),
  });
  const directoryEvents = new DirectoryEventsService(ds, sync, logger.child({ module: 'directory-events' }));
  const dingtalkCallbacks = new DingTalkCallbackHandler({
    ds,
    integrations: dingtalk,
    ingest: (tenantId, event) => directoryEvents.ingest(tenantId, event),
    clock,
    logger: logger.child({ module: 'dingtalk-callback' }),
  });
  const dingtalkIdentity = new DingTalkIdentityProvider(dingtalk);
  const externalLogin = new ExternalLoginService({
    ds,
    jwt,
    audit,
    clock,
    resolveTenant: (corpId) => dingtalk.tenantIdByCorpId(corpId),
    syncMember: async (tenantId, externalId) => {
      await sync.syncIds(tenantId, { memberIds: [externalId], departmentIds: [] }, 'sign_in');
    },
  });
  const notifier = new Notifier({
    ds,
    channel: new DingTalkNoticeChannel(dingtalk),
    clock,
    logger: logger.child({ module: 'notifier' }),
    timeZone: config.defaultTimeZone,
  });
  return {
    audit,
    tenants,
    settings,
    box,
    hasher,
    totp,
    jwt,
    jobRuns,
    members,
    login,
    accounts,
    securityPolicy,
    authenticator,
    dingtalk,
    mailboxes,
    sync,
    syncPolicy,
    mailboxAddresses,
    groups,
    recipients,
    delivery,
    mailboxExports,
    mailboxPurge,
    stats,
    auditLog,
    adminMembers,
    inbound,
    directoryEvents,
    dingtalkCallbacks,
    dingtalkIdentity,
    externalLogin,
    notifier,
  };
}

export function createHttp(deps: AppDeps, services: Services): Express {
  const api = new ApiRegistry(services.authenticator, {
    validateResponses: deps.config.env !== 'production',
    basePath: API_BASE,
  });
  registerAuthRoutes(api, {
    login: services.login,
    accounts: services.accounts,
    policy: services.securityPolicy,
  });
  registerDingTalkRoutes(api, {
    login: services.externalLogin,
    identity: services.dingtalkIdentity,
    callbacks: services.dingtalkCallbacks,
  });
  registerMemberRoutes(api, services.members);
  registerSyncRoutes(api, {
    sync: services.sync,
    jobRuns: services.jobRuns,
    policy: services.syncPolicy,
    events: services.directoryEvents,
  });
  registerMailboxAddressRoutes(api, services.mailboxAddresses);
  registerGroupRoutes(api, services.groups);
  registerStatsRoutes(api, services.stats);
  registerAuditLogRoutes(api, services.auditLog);
  registerAdminMemberRoutes(api, services.adminMembers);
  registerExportRoutes(api, {
    ds: deps.ds,
    exports: services.mailboxExports,
    audit: services.audit,
    logger: deps.logger,
  });
  return createHttpApp({
    logger: deps.logger,
    bodyLimitBytes: deps.config.http.bodyLimitBytes,
    api,
    readiness: () => readiness(deps.ds),
  });
}

async function readiness(ds: DataSource): Promise<ReadinessDto> {
  const database = await ds
    .query('SELECT 1')
    .then(() => true)
    .catch(() => false);
  const migrations = database && (await migrationsApplied(ds));
  return { status: database && migrations ? 'ready' : 'not_ready', checks: { database, migrations } };
}
