import { z } from 'zod';

const MB = 1024 * 1024;

/** Lists of department external ids (a department covers its sub-departments) and member ids. */
const ExternalOverrides = z.object({
  /** Departments (external ids, sub-departments included) whose members may send outside. */
  allowDepartments: z.array(z.string().min(1).max(64)).max(1000).default([]),
  /** Departments whose members may not send outside (wins over allowDepartments). */
  denyDepartments: z.array(z.string().min(1).max(64)).max(1000).default([]),
  /** Members (ids) who may send outside whatever their department says. */
  allowMembers: z.array(z.uuid()).max(10_000).default([]),
  /** Members (ids) who may never send outside (wins over everything). */
  denyMembers: z.array(z.uuid()).max(10_000).default([]),
});

/**
 * An organization's sending rules, edited in the console. Whether a member may mail outside the
 * organization: a member deny wins, then a member allow, then a department deny, then a department
 * allow, then the organization default.
 */
export const SendPolicy = z
  .object({
    externalSendingAllowed: z.boolean().default(true),
    overrides: ExternalOverrides.default({
      allowDepartments: [],
      denyDepartments: [],
      allowMembers: [],
      denyMembers: [],
    }),
    /** External recipients a member may send to per day (in the organization's time zone). */
    dailyExternalRecipientLimit: z.number().int().min(0).max(1_000_000).default(2000),
    /** Largest message (all of it, encoded) in bytes. */
    maxMessageBytes: z
      .number()
      .int()
      .min(1024)
      .max(200 * MB)
      .default(50 * MB),
    /** Largest single attachment (decoded) in bytes. */
    maxAttachmentBytes: z
      .number()
      .int()
      .min(1024)
      .max(200 * MB)
      .default(50 * MB),
  })
  .meta({ id: 'SendPolicy' });
export type SendPolicy = z.infer<typeof SendPolicy>;

export const SEND_POLICY_KEY = 'mail.send_policy';
