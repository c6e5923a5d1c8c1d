export { withAdvisoryLock } from './advisory-lock';
export { JobRun, type JobRunStatus, type JobTrigger } from './job-run.entity';
export { JobRunsService, type JobRunRow } from './job-runs.service';
