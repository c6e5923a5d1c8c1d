import { z } from 'zod';
import { Role } from '../auth';
import { Uuid } from '../common';

export const AdminMemberQuery = z.object({
  /** Name (汉字), pinyin or initials (zhangsan, zs), or address. */
  q: z.string().trim().max(100).optional(),
  /** A department's external id: members of it and all its sub-departments. */
  department: z.string().max(64).optional(),
  /** `active` / `departed` (left the directory) / `signin_suspended` (by an admin). */
  status: z.enum(['active', 'departed', 'signin_suspended', 'purged']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** Opaque, from the previous page. */
  cursor: z.string().max(500).optional(),
});
export type AdminMemberQuery = z.infer<typeof AdminMemberQuery>;

export const AdminMemberDto = z
  .object({
    id: Uuid,
    displayName: z.string(),
    email: z.string().nullable(),
    externalId: z.string().nullable(),
    source: z.enum(['local', 'dingtalk']),
    title: z.string().nullable(),
    roles: z.array(Role),
    status: z.enum(['active', 'suspended', 'purged']),
    signInSuspended: z.object({ at: z.iso.datetime(), reason: z.string().nullable() }).nullable(),
    departments: z.array(z.object({ externalId: z.string(), name: z.string() })),
    mailbox: z
      .object({
        id: Uuid,
        status: z.enum(['active', 'suspended', 'purged']),
        quotaBytes: z.number().int(),
        usedBytes: z.number().int(),
        purgeAfter: z.iso.datetime().nullable(),
      })
      .nullable(),
    lastLoginAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'AdminMember' });
export type AdminMemberDto = z.infer<typeof AdminMemberDto>;

export const AdminMemberPage = z
  .object({ members: z.array(AdminMemberDto), nextCursor: z.string().nullable() })
  .meta({ id: 'AdminMemberPage' });

/** 10 MB to 1 TB. */
export const SetQuotaBody = z
  .object({
    quotaBytes: z
      .number()
      .int()
      .min(10 * 1024 * 1024)
      .max(1024 ** 4),
  })
  .meta({ id: 'SetQuotaBody' });

export const SuspendSignInBody = z
  .object({ reason: z.string().trim().max(500).optional() })
  .meta({ id: 'SuspendSignInBody' });
