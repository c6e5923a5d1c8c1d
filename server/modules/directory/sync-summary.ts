import type { StreamedChanges } from './sync-stream';
import type { HeldState, SyncPlan } from './sync-plan';

/** How a run reports itself: the whole plan (streamed part included) and its readable rows. */

export function countActive(held: HeldState): number {
  let n = 0;
  for (const m of held.members.values()) if (m.status === 'active') n++;
  return n;
}

/** The whole run's plan: what was streamed plus what is left (a person streamed and changed again counts once). */
export function withStreamed(plan: SyncPlan, streamed: StreamedChanges | undefined): SyncPlan {
  if (!streamed || (streamed.created.length === 0 && streamed.updated.length === 0)) return plan;
  const created = new Set(streamed.created.map((c) => c.m.externalId));
  const updatedLater = new Set(plan.members.update.map((u) => u.externalId));
  return {
    ...plan,
    members: {
      ...plan.members,
      create: [...streamed.created.map((c) => c.m), ...plan.members.create],
      update: [
        ...streamed.updated.filter((u) => !updatedLater.has(u.externalId)),
        ...plan.members.update.filter((u) => !created.has(u.externalId)),
      ],
    },
  };
}

/** The plan as rows an admin reads (the console's diff table). Capped so a huge plan stays readable. */
export function describePlan(
  plan: SyncPlan,
  cap = 5000,
): { kind: string; target: string; name: string; detail?: string }[] {
  const rows: { kind: string; target: string; name: string; detail?: string }[] = [];
  for (const d of plan.departments.create)
    rows.push({ kind: 'department_create', target: d.externalId, name: d.name });
  for (const d of plan.departments.update)
    rows.push({
      kind: 'department_update',
      target: d.externalId,
      name: d.next.name,
      detail: d.changed.join(','),
    });
  for (const d of plan.departments.remove)
    rows.push({ kind: 'department_remove', target: d.externalId, name: d.name });
  for (const m of plan.members.create)
    rows.push({ kind: 'member_create', target: m.externalId, name: m.displayName });
  for (const m of plan.members.update)
    rows.push({
      kind: `member_${m.kind}`,
      target: m.externalId,
      name: m.displayName,
      detail: m.changed.join(','),
    });
  for (const m of plan.members.suspend)
    rows.push({ kind: 'member_suspend', target: m.externalId, name: m.displayName });
  for (const m of plan.members.reactivate)
    rows.push({ kind: 'member_reactivate', target: m.externalId, name: m.displayName });
  return rows.slice(0, cap);
}
