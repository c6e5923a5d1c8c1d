import { z } from 'zod';
import { Timestamp, Uuid } from './common';

export const Roles = ['employee', 'admin', 'auditor'] as const;
export const Role = z.enum(Roles);
export type Role = z.infer<typeof Role>;

export const LoginBody = z
  .object({
    /** The organization's short name (its slug). */
    tenant: z.string().trim().min(1).max(64),
    username: z.string().trim().min(1).max(128),
    password: z.string().min(1).max(1024),
    /** Six digits from the authenticator app, when 2FA is on. */
    totpCode: z
      .string()
      .regex(/^\d{6}$/, 'expected six digits')
      .optional(),
  })
  .meta({ id: 'LoginBody' });
export type LoginBody = z.infer<typeof LoginBody>;

export const MemberSummaryDto = z
  .object({
    id: Uuid,
    tenantId: Uuid,
    displayName: z.string(),
    email: z.string().nullable(),
    username: z.string().nullable(),
    externalId: z.string().nullable(),
    roles: z.array(Role),
    status: z.enum(['active', 'suspended', 'purged']),
    hasTotp: z.boolean(),
    isPasswordChangeRequired: z.boolean(),
  })
  .meta({ id: 'MemberSummary' });
export type MemberSummaryDto = z.infer<typeof MemberSummaryDto>;

/** `enroll` tokens may only enrol 2FA or change the password; `full` tokens use the whole API. */
export const TokenScope = z.enum(['full', 'enroll']);
export type TokenScope = z.infer<typeof TokenScope>;

export const SessionDto = z
  .object({
    token: z.string(),
    expiresAt: Timestamp,
    scope: TokenScope,
    member: MemberSummaryDto,
  })
  .meta({ id: 'Session' });
export type SessionDto = z.infer<typeof SessionDto>;

export const TotpSetupDto = z
  .object({ secret: z.string(), otpauthUrl: z.string() })
  .meta({ id: 'TotpSetup' });
export type TotpSetupDto = z.infer<typeof TotpSetupDto>;

export const TotpEnableBody = z.object({ code: z.string().regex(/^\d{6}$/, 'expected six digits') });
export type TotpEnableBody = z.infer<typeof TotpEnableBody>;

export const PasswordPolicy = { minLength: 10, maxLength: 256 } as const;

export const ChangePasswordBody = z.object({
  currentPassword: z.string().min(1).max(1024),
  newPassword: z
    .string()
    .min(PasswordPolicy.minLength, `at least ${PasswordPolicy.minLength} characters`)
    .max(PasswordPolicy.maxLength),
});
export type ChangePasswordBody = z.infer<typeof ChangePasswordBody>;

export const SecurityPolicy = z
  .object({
    /** Admins and auditors signing in with a password must use TOTP. */
    requireTotp: z.boolean().default(false),
    lockoutMaxFailures: z.number().int().min(3).max(100).default(10),
    lockoutWindowMinutes: z.number().int().min(1).max(1440).default(10),
    lockoutMinutes: z.number().int().min(1).max(1440).default(30),
  })
  .meta({ id: 'SecurityPolicy' });
export type SecurityPolicy = z.infer<typeof SecurityPolicy>;

export const DingTalkLoginBody = z
  .object({
    /** From the page URL (`?corpId=$CORPID$`), as DingTalk fills it in. */
    corpId: z.string().trim().min(1).max(64),
    /** The login-free code from `runtime.permission.requestAuthCode` (single use, 5 minutes). */
    code: z.string().trim().min(1).max(256),
  })
  .meta({ id: 'DingTalkLoginBody' });
export type DingTalkLoginBody = z.infer<typeof DingTalkLoginBody>;
