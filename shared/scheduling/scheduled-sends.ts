import { z } from 'zod';
import { Timestamp, Uuid } from '../common';

export const ScheduledSendStatus = z.enum(['queued', 'sending', 'sent', 'cancelled', 'failed']);

export const ScheduledSendDto = z
  .object({
    id: Uuid,
    messageId: Uuid.nullable(),
    kind: z.enum(['undo', 'scheduled']),
    status: ScheduledSendStatus,
    dueAt: Timestamp,
    timeZone: z.string().nullable(),
    subject: z.string(),
    to: z.array(z.object({ name: z.string().optional(), address: z.string() })),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    sentAt: Timestamp.nullable(),
    late: z.boolean(),
    createdAt: Timestamp,
  })
  .meta({ id: 'ScheduledSend' });
export type ScheduledSendDto = z.infer<typeof ScheduledSendDto>;

export const ScheduledSendList = z
  .object({ items: z.array(ScheduledSendDto), nextCursor: z.string().nullable() })
  .meta({ id: 'ScheduledSendList' });

export const ScheduledSendQuery = z.object({
  status: ScheduledSendStatus.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** Opaque keyset cursor from the previous page. */
  cursor: z.string().max(200).optional(),
});

/** A new time: ISO with an offset, or a local time read in `timeZone` (default: the organization's). */
export const RescheduleBody = z
  .object({ sendAt: z.string().max(40), timeZone: z.string().max(64).optional() })
  .meta({ id: 'RescheduleBody' });
export type RescheduleBody = z.infer<typeof RescheduleBody>;

export const UNDO_SECONDS_DEFAULT = 10;
export const UNDO_SECONDS_MAX = 30;

export const UndoSendPreference = z
  .object({ seconds: z.number().int().min(0).max(UNDO_SECONDS_MAX) })
  .meta({ id: 'UndoSendPreference' });
export type UndoSendPreference = z.infer<typeof UndoSendPreference>;
