import { z } from 'zod';
import { Timestamp, Uuid } from '../common';

export const StartSyncBody = z.object({ dryRun: z.boolean().default(false) }).meta({ id: 'StartSyncBody' });
export type StartSyncBody = z.infer<typeof StartSyncBody>;

export const SyncCounts = z.object({
  departmentsCreated: z.number().int(),
  departmentsUpdated: z.number().int(),
  departmentsRemoved: z.number().int(),
  membersCreated: z.number().int(),
  membersUpdated: z.number().int(),
  membersMoved: z.number().int(),
  membersSuspended: z.number().int(),
  membersReactivated: z.number().int(),
});

export const SyncChange = z.object({
  kind: z.string(),
  target: z.string(),
  name: z.string(),
  detail: z.string().optional(),
});

export const SyncRunDto = z
  .object({
    id: Uuid,
    trigger: z.enum(['cron', 'manual', 'event', 'startup']),
    status: z.enum(['running', 'succeeded', 'failed', 'held', 'cancelled']),
    outcome: z.enum(['applied', 'dry_run', 'held', 'unchanged']).nullable(),
    dryRun: z.boolean(),
    phase: z.string().nullable(),
    progressDone: z.number().int(),
    progressTotal: z.number().int().nullable(),
    counts: SyncCounts.nullable(),
    suspensionLimit: z.number().int().nullable(),
    apiCalls: z.number().int().nullable(),
    error: z.string().nullable(),
    startedAt: Timestamp,
    finishedAt: Timestamp.nullable(),
    /** Present on a single run: the planned changes (dry runs and held runs). */
    changes: z.array(SyncChange).optional(),
  })
  .meta({ id: 'SyncRun' });
export type SyncRunDto = z.infer<typeof SyncRunDto>;

export const SyncRunList = z.object({ runs: z.array(SyncRunDto) }).meta({ id: 'SyncRunList' });
export const SyncStarted = z.object({ runId: Uuid }).meta({ id: 'SyncStarted' });

/** A DingTalk contact event as received and processed (the console's event log). */
export const DirectoryEventDto = z
  .object({
    id: z.string(),
    type: z.string(),
    userIds: z.array(z.string()),
    deptIds: z.array(z.string()),
    status: z.enum(['pending', 'done', 'failed', 'ignored']),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    receivedAt: z.iso.datetime(),
    processedAt: z.iso.datetime().nullable(),
    nextAttemptAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'DirectoryEvent' });
export type DirectoryEventDto = z.infer<typeof DirectoryEventDto>;

export const DirectoryEventQuery = z.object({
  status: z.enum(['pending', 'done', 'failed', 'ignored']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** Opaque: the id of the last event of the previous page (newest first). */
  cursor: z
    .string()
    .regex(/^\d{1,18}$/, 'expected a cursor from a previous page')
    .optional(),
});

export const DirectoryEventList = z
  .object({ events: z.array(DirectoryEventDto), nextCursor: z.string().nullable() })
  .meta({ id: 'DirectoryEventList' });

export const DirectoryEventParams = z.object({
  id: z.string().regex(/^\d{1,18}$/, 'expected an event id'),
});
