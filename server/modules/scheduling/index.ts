export { withAdvisoryLock } from './advisory-lock';
export { JobRun, type JobRunStatus, type JobTrigger } from './job-run.entity';
export { JobRunsService, type JobRunRow } from './job-runs.service';
export { ScheduledSendsService, parseSendAt } from './scheduled-sends.service';
export { SendDispatcher, type DispatcherOptions, type TickResult } from './send-dispatcher';
export { SendPreferences } from './send-preferences';
export { registerScheduledSendRoutes } from './scheduled-sends.routes';
export {
  JobRegistry,
  jobRunsHousekeeping,
  type JobContext,
  type JobDefinition,
  type RegisteredJob,
} from './job-registry';
export { registerJobRoutes, presentJobRun } from './jobs.routes';
