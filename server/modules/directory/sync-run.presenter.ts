import type { SyncRunDto } from '../../../shared/directory/sync';
import type { JobRunRow } from '../scheduling';

export function presentSyncRun(row: JobRunRow, withChanges = false): SyncRunDto {
  const s = row.summary as Record<string, unknown>;
  return {
    id: row.id,
    trigger: row.trigger,
    status: row.status,
    outcome: (s.outcome as SyncRunDto['outcome']) ?? null,
    dryRun: s.dryRun === true,
    phase: typeof s.phase === 'string' ? s.phase : null,
    progressDone: row.progress_done,
    progressTotal: row.progress_total,
    counts: (s.counts as SyncRunDto['counts']) ?? null,
    suspensionLimit: typeof s.suspensionLimit === 'number' ? s.suspensionLimit : null,
    apiCalls: typeof s.apiCalls === 'number' ? s.apiCalls : null,
    error: row.error,
    startedAt: new Date(row.started_at).toISOString(),
    finishedAt: row.finished_at ? new Date(row.finished_at).toISOString() : null,
    ...(withChanges ? { changes: (s.changes as SyncRunDto['changes']) ?? [] } : {}),
  };
}
