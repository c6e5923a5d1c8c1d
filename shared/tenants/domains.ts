import { z } from 'zod';
import { Uuid } from '../common';

export const DnsRecordStatus = z.enum(['unchecked', 'ok', 'missing', 'mismatch', 'error']);
export type DnsRecordStatus = z.infer<typeof DnsRecordStatus>;

export const DnsRecordDto = z.object({
  purpose: z.enum(['verification', 'mx', 'spf', 'dkim', 'dmarc']),
  type: z.enum(['TXT', 'MX']),
  /** The full record name to create. */
  name: z.string(),
  value: z.string(),
  priority: z.number().int().nullable(),
  status: DnsRecordStatus,
  /** What DNS answered at the last check (for mismatches). */
  found: z.array(z.string()),
});
export type DnsRecordDto = z.infer<typeof DnsRecordDto>;

export const DomainDto = z
  .object({
    id: Uuid,
    /** As stored (IDN in punycode) and as people read it. */
    name: z.string(),
    displayName: z.string(),
    isPrimary: z.boolean(),
    verified: z.boolean(),
    verifiedAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
    /** False where this deployment does not look records up (the embedded demo). */
    dnsChecks: z.boolean(),
    checkedAt: z.iso.datetime().nullable(),
    records: z.array(DnsRecordDto),
  })
  .meta({ id: 'Domain' });
export type DomainDto = z.infer<typeof DomainDto>;

export const DomainList = z.object({ domains: z.array(DomainDto) }).meta({ id: 'DomainList' });

export const AddDomainBody = z
  .object({ name: z.string().trim().min(1).max(253) })
  .meta({ id: 'AddDomainBody' });
