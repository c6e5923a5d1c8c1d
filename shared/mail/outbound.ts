import { z } from 'zod';
import { Timestamp, Uuid } from '../common';

/** The tenant's smarthost. The password is write-only: answers say only whether one is set. */
export const RelaySettingsDto = z
  .object({
    enabled: z.boolean(),
    host: z.string().nullable(),
    port: z.number().int().nullable(),
    /** 'tls': TLS from the start (465); 'starttls': upgrade required; 'none': plain (loopback/test relays). */
    security: z.enum(['tls', 'starttls', 'none']),
    username: z.string().nullable(),
    hasPassword: z.boolean(),
  })
  .meta({ id: 'RelaySettings' });
export type RelaySettingsDto = z.infer<typeof RelaySettingsDto>;

export const UpdateRelayBody = z
  .object({
    enabled: z.boolean(),
    host: z
      .string()
      .trim()
      .min(1)
      .max(253)
      .regex(/^[A-Za-z0-9.-]+$|^\[?[0-9a-fA-F:.]+\]?$/, 'expected a host name or IP address')
      .nullable()
      .default(null),
    port: z.number().int().min(1).max(65535).nullable().default(null),
    security: z.enum(['tls', 'starttls', 'none']).default('starttls'),
    username: z.string().max(256).nullable().default(null),
    /** Omit to keep the stored password; null to remove it. */
    password: z.string().max(1024).nullable().optional(),
  })
  .refine((b) => !b.enabled || (b.host && b.port), {
    message: 'an enabled relay needs host and port',
    path: ['host'],
  });
export type UpdateRelayBody = z.infer<typeof UpdateRelayBody>;

export const OutboundRecipientState = z.object({
  address: z.string(),
  status: z.enum(['pending', 'sent', 'failed']),
  code: z.number().int().nullable(),
  response: z.string().nullable(),
});
export type OutboundRecipientState = z.infer<typeof OutboundRecipientState>;

export const OutboundItemDto = z
  .object({
    id: Uuid,
    status: z.enum(['queued', 'sent', 'failed', 'captured']),
    envelopeFrom: z.string(),
    domain: z.string(),
    subject: z.string(),
    recipients: z.array(OutboundRecipientState),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    nextAttemptAt: Timestamp.nullable(),
    via: z.string().nullable(),
    createdAt: Timestamp,
    finishedAt: Timestamp.nullable(),
  })
  .meta({ id: 'OutboundItem' });
export type OutboundItemDto = z.infer<typeof OutboundItemDto>;

export const OutboundListQuery = z.object({
  status: z.enum(['queued', 'sent', 'failed', 'captured']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export const OutboundList = z.object({ items: z.array(OutboundItemDto) });
export type OutboundList = z.infer<typeof OutboundList>;

export const CapturedMailDto = z
  .object({
    id: Uuid,
    envelopeFrom: z.string(),
    recipients: z.array(z.string()),
    subject: z.string(),
    size: z.number().int(),
    capturedAt: Timestamp,
  })
  .meta({ id: 'CapturedMail' });
export type CapturedMailDto = z.infer<typeof CapturedMailDto>;
export const CapturedMailList = z.object({ items: z.array(CapturedMailDto) });
export type CapturedMailList = z.infer<typeof CapturedMailList>;

/** DNS records an admin publishes for a domain: DKIM (the active key), SPF and DMARC suggestions. */
export const DkimRecordsDto = z
  .object({
    domain: z.string(),
    selector: z.string(),
    createdAt: Timestamp,
    dkim: z.object({ name: z.string(), type: z.literal('TXT'), value: z.string() }),
    spf: z.object({ name: z.string(), type: z.literal('TXT'), value: z.string() }),
    dmarc: z.object({ name: z.string(), type: z.literal('TXT'), value: z.string() }),
  })
  .meta({ id: 'DkimRecords' });
export type DkimRecordsDto = z.infer<typeof DkimRecordsDto>;
