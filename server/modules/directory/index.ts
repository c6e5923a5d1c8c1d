export * from './address-allocator';
export type {
  DirectoryDepartment,
  DirectoryMember,
  DirectoryProvider,
  DirectorySnapshot,
  FetchProgress,
} from './directory-provider.port';
export { DirectoryEventsService, type DirectoryEvent } from './directory-events.service';
export { DirectoryEventDetails, registerDirectoryEventDetailRoutes } from './directory-event-detail';
export {
  DirectorySyncService,
  SYNC_JOB,
  describePlan,
  type ProviderFor,
  type SyncOutcome,
} from './directory-sync.service';
export { Member, type MemberStatus } from './member.entity';
export { presentMemberSummary } from './member.presenter';
export { registerMemberRoutes } from './members.routes';
export { MembersService } from './members.service';
export { NightlySyncJob } from './nightly-sync.job';
export type { Notice, NoticeChannel } from './notifier.port';
export { DAILY_NOTICE_LIMIT, Notifier } from './notifier.service';
export { romanizeName, romanizeText } from './name-romanizer';
export { SyncApplier } from './sync-applier';
export { countPlan, planSync, type PlanCounts, type SyncPlan } from './sync-plan';
export { SyncPolicyService } from './sync-policy.service';
export { registerSyncRoutes } from './sync.routes';
export { AdminMembersService } from './admin-members.service';
export { registerAdminMemberRoutes } from './admin-members.routes';
