import { z } from 'zod';

const IsoDate = z.iso.date({ error: 'expected a date such as 2026-12-24' });

/** A mailbox's vacation auto-reply (RFC 3834), edited by its owner. */
export const AutoReplyBody = z
  .object({
    enabled: z.boolean(),
    /** First and last day it answers, in the time zone below (inclusive); open-ended when null. */
    startDate: IsoDate.nullable().default(null),
    endDate: IsoDate.nullable().default(null),
    /** Empty: "自动回复: <original subject>". */
    subject: z.string().trim().max(200).nullable().default(null),
    body: z.string().max(10_000),
    /** Answer only senders of this organization. */
    internalOnly: z.boolean().default(false),
  })
  .refine((v) => !v.startDate || !v.endDate || v.startDate <= v.endDate, {
    path: ['endDate'],
    message: 'endDate is before startDate',
  })
  .refine((v) => !v.enabled || v.body.trim().length > 0, {
    path: ['body'],
    message: 'an enabled auto-reply needs a text',
  })
  .meta({ id: 'AutoReplyBody' });
export type AutoReplyBody = z.infer<typeof AutoReplyBody>;

export const AutoReplyDto = z
  .object({
    enabled: z.boolean(),
    startDate: z.string().nullable(),
    endDate: z.string().nullable(),
    subject: z.string().nullable(),
    body: z.string(),
    internalOnly: z.boolean(),
    /** The IANA time zone the dates are read in (the organization's). */
    timeZone: z.string(),
    /** Enabled and today is within the dates. */
    activeNow: z.boolean(),
    updatedAt: z.string().nullable(),
  })
  .meta({ id: 'AutoReply' });
export type AutoReplyDto = z.infer<typeof AutoReplyDto>;

/** Senders are answered at most once per this many days (RFC 3834 §2: "not more than once … a few days"). */
export const AUTO_REPLY_INTERVAL_DAYS = 4;
