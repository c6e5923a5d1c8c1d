import { z } from 'zod';
import { Timestamp, Uuid } from '../common';

const Domain = z
  .string()
  .trim()
  .toLowerCase()
  .min(3)
  .max(253)
  .regex(/^(?:[a-z0-9\u00a1-\uffff-]+\.)+[a-z\u00a1-\uffff]{2,63}$/, 'expected a domain (example.com)');

/**
 * Mail approval (邮件审核): which members' outbound mail is held until an approver lets it go.
 * A message is held when its sender is in scope and at least one trigger matches.
 */
export const ApprovalPolicy = z
  .object({
    enabled: z.boolean().default(false),
    scope: z
      .object({
        /** Every member of the organization. */
        allMembers: z.boolean().default(false),
        /** Departments (external ids; sub-departments included). */
        departments: z.array(z.string().min(1).max(64)).max(1000).default([]),
        /** Members (ids). */
        members: z.array(Uuid).max(10_000).default([]),
      })
      .default({ allMembers: false, departments: [], members: [] }),
    triggers: z
      .object({
        /** Any recipient outside the organizations hosted here. */
        allExternal: z.boolean().default(false),
        /** Subject or body contains one of these (case-insensitive). */
        keywords: z.array(z.string().trim().min(1).max(100)).max(200).default([]),
        /** The message is larger than this many MB; null = no size trigger. */
        sizeOverMb: z.number().positive().max(1024).nullable().default(null),
        /** A recipient address is in one of these domains (or their subdomains). */
        recipientDomains: z.array(Domain).max(1000).default([]),
      })
      .default({ allExternal: false, keywords: [], sizeOverMb: null, recipientDomains: [] }),
    /** Members who may decide, besides the organization's admins. */
    approvers: z.array(Uuid).max(100).default([]),
    /** A held message nobody decided on gets the timeout action after this many hours. */
    timeoutHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 30)
      .default(24),
    timeoutAction: z.enum(['approve', 'reject']).default('reject'),
  })
  .meta({ id: 'ApprovalPolicy' });
export type ApprovalPolicy = z.infer<typeof ApprovalPolicy>;

export const APPROVAL_POLICY_KEY = 'mail.approval';

export const ApprovalStatus = z.enum(['pending', 'approved', 'rejected', 'expired']);
export type ApprovalStatus = z.infer<typeof ApprovalStatus>;

/** Why a message was held. */
export const ApprovalReason = z
  .object({
    trigger: z.enum(['external', 'keyword', 'size', 'domain']),
    /** The keyword, domain(s) or size that matched. */
    detail: z.string(),
  })
  .meta({ id: 'ApprovalReason' });
export type ApprovalReason = z.infer<typeof ApprovalReason>;

export const MailApprovalDto = z
  .object({
    id: Uuid,
    status: ApprovalStatus,
    /** The message went out (approved, or expired with the approve action). */
    released: z.boolean(),
    mailboxId: Uuid,
    senderAddress: z.string(),
    senderName: z.string().nullable(),
    recipients: z.array(z.string()),
    subject: z.string(),
    size: z.number().int(),
    reasons: z.array(ApprovalReason),
    createdAt: Timestamp,
    expiresAt: Timestamp,
    decidedAt: Timestamp.nullable(),
    decidedBy: Uuid.nullable(),
    decidedByName: z.string().nullable(),
    decisionReason: z.string().nullable(),
  })
  .meta({ id: 'MailApproval' });
export type MailApprovalDto = z.infer<typeof MailApprovalDto>;

export const MailApprovalDetailDto = MailApprovalDto.extend({
  /** Sanitized HTML (remote images blocked), or null for a text-only message. */
  html: z.string().nullable(),
  text: z.string(),
  attachments: z.array(z.object({ filename: z.string(), size: z.number().int(), contentType: z.string() })),
}).meta({ id: 'MailApprovalDetail' });
export type MailApprovalDetailDto = z.infer<typeof MailApprovalDetailDto>;

export const ListApprovalsQuery = z.object({
  status: ApprovalStatus.optional(),
  /** Part of the sender's address or the subject. */
  q: z.string().trim().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type ListApprovalsQuery = z.infer<typeof ListApprovalsQuery>;

export const MailApprovalPage = z
  .object({ items: z.array(MailApprovalDto), pending: z.number().int() })
  .meta({ id: 'MailApprovalPage' });
export type MailApprovalPage = z.infer<typeof MailApprovalPage>;

export const ApproveBody = z.object({ reason: z.string().trim().max(500).optional() });
export type ApproveBody = z.infer<typeof ApproveBody>;

export const RejectBody = z.object({ reason: z.string().trim().min(1).max(500) });
export type RejectBody = z.infer<typeof RejectBody>;
