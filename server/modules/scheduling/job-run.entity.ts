import { Column, Entity, PrimaryColumn } from 'typeorm';

export type JobRunStatus = 'running' | 'succeeded' | 'failed' | 'held' | 'cancelled';
export type JobTrigger = 'cron' | 'manual' | 'event' | 'startup';

/** One run of a background job (a sync, a retention pass, ...), with live progress. */
@Entity({ name: 'job_runs' })
export class JobRun {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  @PrimaryColumn({ type: 'uuid', default: () => 'gen_random_uuid()' })
  id!: string;

  @Column({ type: 'text' })
  job!: string;

  @Column({ type: 'text' })
  trigger!: JobTrigger;

  @Column({ type: 'text' })
  status!: JobRunStatus;

  @Column({ name: 'progress_done', type: 'integer', default: 0 })
  progressDone!: number;

  @Column({ name: 'progress_total', type: 'integer', nullable: true })
  progressTotal!: number | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  summary!: Record<string, unknown>;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ name: 'requested_by', type: 'uuid', nullable: true })
  requestedBy!: string | null;

  @Column({ name: 'started_at', type: 'timestamptz', default: () => 'now()' })
  startedAt!: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;

  @Column({ name: 'heartbeat_at', type: 'timestamptz', nullable: true })
  heartbeatAt!: Date | null;
}
