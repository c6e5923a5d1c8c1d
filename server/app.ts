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
import { ConflictError, ValidationError } from './platform/errors';
import { ApiRegistry } from './platform/http/api-router';
import { API_BASE, createHttpApp } from './platform/http/app';
import { staticAppMounts } from './platform/http/static-apps';
import { PeopleSearchService } from './modules/directory/people-search.service';
import { registerPeopleSearchRoutes } from './modules/directory/people-search.routes';
import { DepartmentsDirectory } from './modules/directory/departments.service';
import { registerDepartmentRoutes } from './modules/directory/departments.routes';
import { registerSandboxSignInRoutes, SandboxSignIn } from './sandbox/sandbox-signin.routes';
import type { Logger } from './platform/logger';
import { deriveKey, SecretBox } from './platform/secrets';
import { readFileSync } from 'node:fs';
import { staticResolver, systemResolver, type DnsResolver, type DnsTable } from './platform/dns/resolver';
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
  DirectoryEventDetails,
  DirectoryEventsService,
  DirectorySyncService,
  MembersService,
  Notifier,
  registerAdminMemberRoutes,
  registerDirectoryEventDetailRoutes,
  registerMemberRoutes,
  registerSyncRoutes,
  SyncApplier,
  SyncPolicyService,
} from './modules/directory';
import {
  GroupAdminService,
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
import {
  AttachmentLinks,
  FoldersService,
  MailboxGrantsService,
  MessageActionsService,
  MessageReadService,
  MessageSearchService,
  registerFolderRoutes,
  registerMailboxGrantRoutes,
  registerMessageDownloadRoutes,
  registerMessageRoutes,
} from './modules/mail';
import { AttachmentUploadsService } from './modules/mail/attachments-upload.service';
import { registerComposeRoutes } from './modules/mail/compose.routes';
import { ComposeService } from './modules/mail/compose.service';
import { DraftStore } from './modules/mail/drafts.service';
import {
  JobRegistry,
  jobRunsHousekeeping,
  JobRunsService,
  registerJobRoutes,
  registerScheduledSendRoutes,
  ScheduledSendsService,
  SendDispatcher,
  SendPreferences,
} from './modules/scheduling';
import {
  AntispamService,
  AutoReplyService,
  DepartedMailService,
  InboundMailService,
  LocalDeliveryService,
  MailAuthenticator,
  NewMailNotices,
  registerAntispamRoutes,
  registerAutoReplyRoutes,
  SpamHook,
} from './modules/transport';
import { registerStatsRoutes, StatsService } from './modules/stats';
import { ApprovalPolicyService, MailApprovalsService, registerApprovalRoutes } from './modules/approval';
import { MemberOpsService, registerMemberOpsRoutes } from './modules/member-ops';
import { QuarantineService, registerQuarantineRoutes } from './modules/quarantine';
import { OutboundCancelService, registerOutboundAdminRoutes } from './modules/outbound-admin';
import { DomainsService, registerDomainRoutes, SettingsService, TenantsService } from './modules/tenants';
import {
  ApplyRulesJob,
  OrgRulesService,
  registerRuleRoutes,
  RulePreviewService,
  RulesDeliveryHook,
  RulesService,
  RuleStats,
} from './modules/rules';
import {
  AppPasswordsService,
  DkimKeysService,
  MailCapture,
  OutboundQueue,
  OutboundWorker,
  OutgoingMailService,
  RelayService,
  registerAppPasswordRoutes,
  registerOutboundRoutes,
  SendPolicyService,
  type OutgoingMessage,
} from './modules/transport';

export interface AppDeps {
  config: Config;
  logger: Logger;
  ds: DataSource;
  clock: Clock;
  masterSecret: string;
  /** DNS for SPF/DKIM/DMARC and MX lookups; tests pass a static table. Default: the system's. */
  resolver?: DnsResolver;
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
  const groupAdmin = new GroupAdminService(ds, groups, settings, audit);
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
  const resolver =
    deps.resolver ??
    (config.dnsStaticFile
      ? staticResolver(JSON.parse(readFileSync(config.dnsStaticFile, 'utf8')) as DnsTable)
      : systemResolver());
  // Auto-replies and over-quota notices leave through the outgoing pipeline (contracts §1);
  // `outgoing` is declared below and only called after a commit.
  const submitOutgoing = (m: OutgoingMessage) => outgoing.submit(m);
  const antispam = new AntispamService({ ds, settings, audit, clock });
  // The spam verdict places copies first; the rules hook comes after it.
  delivery.addHook(new SpamHook());
  // Rules after spam. Outgoing and notifier are declared below; they are only used after a commit.
  const ruleStats = new RuleStats({ ds, logger: logger.child({ module: 'rule-stats' }) });
  delivery.addHook(
    new RulesDeliveryHook({
      ds,
      clock,
      logger: logger.child({ module: 'rules' }),
      outgoing: () => outgoing,
      notifier: { notify: (tenantId, memberIds, notice) => notifier.notify(tenantId, memberIds, notice) },
      stats: ruleStats,
    }),
  );
  const rules = new RulesService(ds);
  const orgRules = new OrgRulesService(ds, audit);
  const rulePreview = new RulePreviewService(ds, clock);
  const applyRules = new ApplyRulesJob({
    ds,
    jobRuns,
    clock,
    logger: logger.child({ module: 'apply-rules' }),
  });
  // The one registry of scheduled jobs; other modules add theirs with jobs.register(...).
  const jobs = new JobRegistry({
    ds,
    jobRuns,
    logger: logger.child({ module: 'jobs' }),
    defaultTimeZone: config.defaultTimeZone,
  });
  jobs.register(jobRunsHousekeeping(ds));
  jobs.register({
    name: 'mailboxes.retention_purge',
    description:
      'Exports, then purges, the mailboxes of members who left longer ago than the retention period',
    cron: '30 2 * * *',
    scope: 'global',
    run: async (ctx) => ({
      ...(await mailboxPurge.purgeDue({ progress: (done, total) => ctx.progress(done, total) })),
    }),
  });
  jobs.register({
    name: 'mailboxes.export_expiry',
    description: 'Deletes mailbox archives past their keep date',
    cron: '45 2 * * *',
    scope: 'global',
    run: async () => ({ deleted: await mailboxExports.deleteExpired() }),
  });
  jobs.register({
    name: 'stats.rollup',
    description: 'Rolls up the daily statistics behind the console charts (today and yesterday)',
    cron: '*/15 * * * *',
    // Per organization, so an admin can refresh their own charts with "run now".
    scope: 'tenant',
    run: async (ctx) => ({ ...(await stats.rollUp(2, ctx.tenantId)) }),
  });
  // Outgoing mail (contracts §1): policy, Sent copy, local delivery, queue; the worker sends the queue.
  const sendPolicy = new SendPolicyService(ds, settings, audit);
  const outboundQueue = new OutboundQueue(ds, logger.child({ module: 'outbound' }));
  const outgoing = new OutgoingMailService({
    ds,
    clock,
    recipients,
    delivery,
    policy: sendPolicy,
    queue: outboundQueue,
    logger: logger.child({ module: 'outgoing' }),
  });
  // 邮件审核: matching 'user' mail is held in submitIn until an approver (or the timeout) decides.
  const approvalPolicy = new ApprovalPolicyService({ ds, settings, audit });
  const mailApprovals = new MailApprovalsService({
    ds,
    clock,
    audit,
    policy: approvalPolicy,
    outgoing: () => outgoing,
    logger: logger.child({ module: 'mail-approval' }),
  });
  outgoing.setApprovalGate({
    reasons: (em, input) => approvalPolicy.reasons(em, input),
    hold: (em, input) => mailApprovals.hold(em, input),
  });
  jobs.register({
    name: 'mail.approval_timeouts',
    description: 'Applies the timeout action (approve or reject) to held mail nobody decided on in time',
    cron: '*/5 * * * *',
    scope: 'tenant',
    run: async (ctx) => ({ ...(await mailApprovals.expireDue(ctx.tenantId!)) }),
  });
  const relay = new RelayService({ ds, settings, audit, box });
  const dkim = new DkimKeysService({ ds, box, audit, clock, mxHostname: config.smtp.hostname });
  const mailCapture = new MailCapture(ds);
  const domains = new DomainsService({
    ds,
    audit,
    clock,
    logger: logger.child({ module: 'domains' }),
    resolver,
    dnsChecks: config.dnsChecks,
    mxHostname: config.smtp.hostname,
    published: async (tenantId, domainId) =>
      dkim.records({ tenantId, memberId: '', roles: ['admin'], scope: 'full' }, domainId),
  });
  jobs.register({
    name: 'domains.dns_recheck',
    description: "Re-checks every domain's DNS records (verification, MX, SPF, DKIM, DMARC)",
    cron: '17 */6 * * *',
    scope: 'tenant',
    run: (ctx) => domains.checkAll(ctx.tenantId!),
  });
  const outboundWorker = new OutboundWorker({
    queue: outboundQueue,
    relay,
    dkim,
    capture: mailCapture,
    outgoing,
    resolver,
    clock,
    logger: logger.child({ module: 'outbound' }),
    mode: config.outbound.mode,
    hostname: config.smtp.hostname,
    mxPort: config.outbound.mxPort,
  });
  const appPasswords = new AppPasswordsService({
    ds,
    hasher,
    recipients,
    settings,
    audit,
    clock,
    submission: config.submission,
  });
  const inbound = new InboundMailService({
    ds,
    recipients,
    delivery,
    logger: logger.child({ module: 'inbound' }),
    clock,
    authenticator: new MailAuthenticator({
      resolver,
      hostname: config.smtp.hostname,
      logger: logger.child({ module: 'mail-auth' }),
    }),
    antispam,
    submit: (m) => submitOutgoing(m),
    hostname: config.smtp.hostname,
  });
  const autoReplies = new AutoReplyService({
    ds,
    clock,
    logger: logger.child({ module: 'auto-reply' }),
    submit: (m) => submitOutgoing(m),
    hostname: config.smtp.hostname,
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
      // A full sync holding the lock (e.g. at start-up) will bring this member in: wait for it briefly.
      for (let attempt = 1; ; attempt++) {
        try {
          await sync.syncIds(tenantId, { memberIds: [externalId], departmentIds: [] }, 'sign_in');
          return;
        } catch (err) {
          if (!(err instanceof ConflictError) || attempt >= 20) throw err;
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
    },
  });
  const notifier = new Notifier({
    ds,
    channel: new DingTalkNoticeChannel(dingtalk),
    clock,
    logger: logger.child({ module: 'notifier' }),
    timeZone: config.defaultTimeZone,
  });
  const newMailNotices = new NewMailNotices({
    notifier,
    logger: logger.child({ module: 'new-mail-notice' }),
    url: config.http.publicUrl,
  });
  delivery.onDelivered(newMailNotices.onDelivered);
  delivery.onDelivered(autoReplies.onDelivered);
  // Mail for members who have left: forward to their manager and tell the sender (per the sync policy).
  const departedMail = new DepartedMailService({
    ds,
    settings,
    clock,
    logger: logger.child({ module: 'departed-mail' }),
    hostname: config.smtp.hostname,
    submit: (m) => submitOutgoing(m),
    // The same once-per-4-days record as vacation replies: a sender hears from a mailbox at most that often.
    claimReply: (tenantId, mailboxId, sender, now) => autoReplies.claim(tenantId, mailboxId, sender, now),
  });
  delivery.onDelivered(departedMail.onDelivered);
  // Compose, drafts, scheduled sends and undo send; the dispatcher runs in the scheduler role.
  const uploads = new AttachmentUploadsService({
    ds,
    settings,
    clock,
    logger: logger.child({ module: 'uploads' }),
  });
  const drafts = new DraftStore({ ds, clock, uploads });
  const sendPreferences = new SendPreferences(
    ds,
    async (tenantId, em) => (await sendPolicy.forTenant(tenantId, em)).undoSendDefaultSeconds,
  );
  const scheduledSends = new ScheduledSendsService({ ds, clock, drafts, prefs: sendPreferences });
  const compose = new ComposeService({ ds, clock, drafts, outgoing, scheduler: scheduledSends });
  const sendDispatcher = new SendDispatcher({
    ds,
    clock,
    outgoing,
    drafts,
    notifier,
    logger: logger.child({ module: 'send-dispatcher' }),
  });
  jobs.register({
    name: 'mail.uploads-cleanup',
    description: 'Deletes attachment uploads older than a day that no draft took',
    cron: '23 * * * *',
    scope: 'global',
    run: async () => ({ deleted: await uploads.cleanupExpired() }),
  });
  const mailApi = {
    folders: new FoldersService(ds),
    read: new MessageReadService(
      ds,
      new AttachmentLinks(deriveKey(deps.masterSecret, 'mail:attachment-links'), clock),
    ),
    actions: new MessageActionsService(ds),
    search: new MessageSearchService(ds),
    grants: new MailboxGrantsService(ds, audit),
  };
  const quarantine = new QuarantineService({ ds, audit });
  const outboundCancel = new OutboundCancelService({
    ds,
    clock,
    audit,
    outgoing: () => outgoing,
    hostname: config.smtp.hostname,
    logger: logger.child({ module: 'outbound-cancel' }),
  });
  const memberOps = new MemberOpsService({ ds, clock, audit, autoReplies, rules, purge: mailboxPurge });
  const peopleSearch = new PeopleSearchService(ds);
  const departments = new DepartmentsDirectory(ds);
  // The emulator starts after the HTTP app; startBackground attaches it (never in production).
  const sandboxSignIn = new SandboxSignIn(config.env === 'production');
  return {
    peopleSearch,
    departments,
    sandboxSignIn,
    rules,
    ruleStats,
    orgRules,
    rulePreview,
    applyRules,
    jobs,
    uploads,
    drafts,
    sendPreferences,
    scheduledSends,
    compose,
    sendDispatcher,
    mailApi,
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
    groupAdmin,
    directoryEventDetails: new DirectoryEventDetails(ds),
    recipients,
    delivery,
    mailboxExports,
    mailboxPurge,
    stats,
    auditLog,
    adminMembers,
    inbound,
    sendPolicy,
    outboundQueue,
    outgoing,
    approvalPolicy,
    mailApprovals,
    memberOps,
    quarantine,
    outboundCancel,
    relay,
    dkim,
    mailCapture,
    domains,
    outboundWorker,
    appPasswords,
    resolver,
    antispam,
    autoReplies,
    departedMail,
    newMailNotices,
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
  registerGroupRoutes(api, services.groups, services.groupAdmin);
  registerDirectoryEventDetailRoutes(api, services.directoryEventDetails);
  registerRuleRoutes(api, {
    rules: services.rules,
    orgRules: services.orgRules,
    preview: services.rulePreview,
    apply: services.applyRules,
  });
  registerJobRoutes(api, { registry: services.jobs, jobRuns: services.jobRuns });
  registerOutboundRoutes(api, {
    policy: services.sendPolicy,
    relay: services.relay,
    queue: services.outboundQueue,
    capture: services.mailCapture,
    dkim: services.dkim,
    clock: deps.clock,
    kick: () => services.outboundWorker.kick(),
  });
  registerAppPasswordRoutes(api, services.appPasswords);
  registerApprovalRoutes(api, { policy: services.approvalPolicy, approvals: services.mailApprovals });
  registerMemberOpsRoutes(api, services.memberOps);
  registerQuarantineRoutes(api, services.quarantine);
  registerOutboundAdminRoutes(api, services.outboundCancel);
  registerDomainRoutes(api, services.domains);
  registerComposeRoutes(api, {
    compose: services.compose,
    uploads: services.uploads,
    authenticator: services.authenticator,
  });
  registerScheduledSendRoutes(api, { scheduled: services.scheduledSends, prefs: services.sendPreferences });
  registerFolderRoutes(api, services.mailApi);
  registerMessageRoutes(api, services.mailApi);
  registerMessageDownloadRoutes(api, { read: services.mailApi.read, authenticator: services.authenticator });
  registerMailboxGrantRoutes(api, services.mailApi.grants);
  registerAntispamRoutes(api, services.antispam);
  registerAutoReplyRoutes(api, services.autoReplies);
  registerStatsRoutes(api, services.stats);
  registerAuditLogRoutes(api, services.auditLog);
  registerAdminMemberRoutes(api, services.adminMembers);
  registerExportRoutes(api, {
    ds: deps.ds,
    exports: services.mailboxExports,
    audit: services.audit,
    logger: deps.logger,
  });
  registerPeopleSearchRoutes(api, services.peopleSearch);
  registerDepartmentRoutes(api, services.departments);
  registerSandboxSignInRoutes(api, {
    sandbox: services.sandboxSignIn,
    appName: 'OrgMail',
    configuredCorpId: deps.config.dingtalk?.corpId ?? null,
  });
  return createHttpApp({
    logger: deps.logger,
    bodyLimitBytes: deps.config.http.bodyLimitBytes,
    api,
    mounts: staticAppMounts(),
    readiness: () => readiness(deps.ds),
    exposeInternals: deps.config.env === 'test',
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
