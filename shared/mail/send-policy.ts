import { z } from 'zod';
import { UNDO_SECONDS_DEFAULT, UNDO_SECONDS_MAX } from '../scheduling/scheduled-sends';

const MB = 1024 * 1024;

/**
 * Exceptions to an organization-wide sending switch: department external ids (a department covers its
 * sub-departments) and member ids.
 */
const SendOverrides = z.object({
  /** Departments (external ids, sub-departments included) whose members may send (sub-departments included). */
  allowDepartments: z.array(z.string().min(1).max(64)).max(1000).default([]),
  /** Departments whose members may not send (wins over allowDepartments). */
  denyDepartments: z.array(z.string().min(1).max(64)).max(1000).default([]),
  /** Members (ids) who may send whatever their department says. */
  allowMembers: z.array(z.uuid()).max(10_000).default([]),
  /** Members (ids) who may never send (wins over everything). */
  denyMembers: z.array(z.uuid()).max(10_000).default([]),
});

const NO_OVERRIDES = { allowDepartments: [], denyDepartments: [], allowMembers: [], denyMembers: [] };

/**
 * An organization's sending rules, edited in the console. Whether a member may mail outside the
 * organization: a member deny wins, then a member allow, then a department deny, then a department
 * allow, then the organization default.
 */
export const SendPolicy = z
  .object({
    externalSendingAllowed: z.boolean().default(true),
    /** Overrides of externalSendingAllowed (same shape and precedence for internalOverrides). */
    overrides: SendOverrides.default(NO_OVERRIDES),
    /** Feature switch "internal mail": may members mail our own domains (the organization default). */
    internalSendingAllowed: z.boolean().default(true),
    /** Overrides of internalSendingAllowed: member deny > member allow > department deny > department allow. */
    internalOverrides: SendOverrides.default(NO_OVERRIDES),
    /** Undo-send window (seconds) for members who have not chosen their own. */
    undoSendDefaultSeconds: z.number().int().min(0).max(UNDO_SECONDS_MAX).default(UNDO_SECONDS_DEFAULT),
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
