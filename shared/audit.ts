import { z } from 'zod';
import { Uuid } from './common';

export const AuditEntryDto = z
  .object({
    id: z.string(),
    actorType: z.enum(['member', 'system', 'sync']),
    actorId: Uuid.nullable(),
    actorName: z.string().nullable(),
    action: z.string(),
    targetType: z.string().nullable(),
    targetId: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
    ip: z.string().nullable(),
    requestId: z.string().nullable(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'AuditEntry' });
export type AuditEntryDto = z.infer<typeof AuditEntryDto>;

const AuditFilterFields = z.object({
  /** An exact action (`mailbox.purged`) or a prefix ending in a dot (`mailbox.`). */
  action: z.string().max(100).optional(),
  actorType: z.enum(['member', 'system', 'sync']).optional(),
  actorId: Uuid.optional(),
  targetType: z.string().max(50).optional(),
  targetId: z.string().max(200).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});

const fromNotAfterTo = (f: { from?: string; to?: string }) =>
  !f.from || !f.to || Date.parse(f.from) <= Date.parse(f.to);
const fromNotAfterToError = { message: '`from` must not be after `to`', path: ['from'] };

export const AuditFilter = AuditFilterFields.refine(fromNotAfterTo, fromNotAfterToError);
export type AuditFilter = z.infer<typeof AuditFilter>;

export const AuditQuery = AuditFilterFields.extend({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  /** Opaque: from the previous page's `nextCursor`. */
  cursor: z
    .string()
    .regex(/^\d{1,18}$/, 'expected a cursor from a previous page')
    .optional(),
}).refine(fromNotAfterTo, fromNotAfterToError);

export const AuditPage = z
  .object({ entries: z.array(AuditEntryDto), nextCursor: z.string().nullable() })
  .meta({ id: 'AuditPage' });
