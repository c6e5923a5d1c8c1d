import { z } from 'zod';
import { Uuid } from '../common';

/** The dashboard's live breakdowns (not daily series): who sends most, where storage goes, the queue. */
export const BreakdownQuery = z
  .object({
    from: z.iso.date(),
    to: z.iso.date(),
    /** Top senders to list. */
    limit: z.coerce.number().int().min(1).max(50).default(10),
    /** Storage of this department's sub-departments (external id); default: under the root. */
    department: z.string().min(1).max(64).optional(),
  })
  .refine((q) => q.from <= q.to, { message: '`from` must not be after `to`', path: ['from'] })
  .refine((q) => Date.parse(q.to) - Date.parse(q.from) <= 366 * 86_400_000, {
    message: 'at most 366 days at a time',
    path: ['to'],
  });
export type BreakdownQuery = z.infer<typeof BreakdownQuery>;

export const TopSender = z.object({
  mailboxId: Uuid,
  address: z.string(),
  name: z.string().nullable(),
  /** Messages sent in the period (Sent copies). */
  messages: z.number().int(),
  /** Of which with at least one recipient outside. */
  external: z.number().int(),
});

export const DepartmentStorage = z.object({
  externalId: z.string(),
  name: z.string(),
  /** Mailboxes of the department and its sub-departments (each counted once). */
  mailboxes: z.number().int(),
  usedBytes: z.number(),
  quotaBytes: z.number(),
});

export const QueueDepth = z.object({
  queued: z.number().int(),
  /** Queued rows that already failed at least once (retrying). */
  retrying: z.number().int(),
  failed: z.number().int(),
  sent: z.number().int(),
  captured: z.number().int(),
  /** Held for approval (邮件审核). */
  held: z.number().int(),
});

export const BreakdownDto = z
  .object({
    from: z.iso.date(),
    to: z.iso.date(),
    topSenders: z.array(TopSender),
    storageByDepartment: z.array(DepartmentStorage),
    queue: QueueDepth,
  })
  .meta({ id: 'StatsBreakdown' });
export type BreakdownDto = z.infer<typeof BreakdownDto>;
