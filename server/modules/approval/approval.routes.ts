import {
  ApprovalPolicy,
  ApproveBody,
  ListApprovalsQuery,
  MailApprovalDetailDto,
  MailApprovalDto,
  MailApprovalPage,
  RejectBody,
} from '../../../shared/approval/mail-approval';
import { IdParams } from '../../../shared/common';
import type { ApiRegistry } from '../../platform/http/api-router';
import type { ApprovalPolicyService } from './approval-policy.service';
import type { MailApprovalsService } from './mail-approvals.service';

const TAG = 'mail-approval';

/**
 * 邮件审核: the policy (admins change it, auditors read it), and the queue under two prefixes:
 * `/admin/mail-approvals` for the console (admins decide, auditors only look) and `/mail-approvals`
 * for the appointed approvers among the employees (the service refuses anyone else with 403).
 */
export function registerApprovalRoutes(
  api: ApiRegistry,
  d: { policy: ApprovalPolicyService; approvals: MailApprovalsService },
): void {
  api.route(
    {
      method: 'get',
      path: '/admin/mail-approval/policy',
      summary: "Which members' outbound mail waits for approval, the triggers, approvers and timeout",
      tag: TAG,
      auth: { roles: ['admin', 'auditor'] },
      response: ApprovalPolicy,
    },
    ({ actor }) => d.policy.get(actor),
  );
  api.route(
    {
      method: 'put',
      path: '/admin/mail-approval/policy',
      summary: 'Change the mail approval policy (audited)',
      tag: TAG,
      auth: { roles: ['admin'] },
      body: ApprovalPolicy,
      response: ApprovalPolicy,
    },
    ({ actor, body, ctx }) => d.policy.update(actor, body, ctx),
  );

  for (const [prefix, readRoles, decideRoles] of [
    ['/admin/mail-approvals', ['admin', 'auditor'], ['admin']],
    ['/mail-approvals', ['employee'], ['employee']],
  ] as const) {
    const who = prefix.startsWith('/admin') ? '' : ' (as an appointed approver)';
    api.route(
      {
        method: 'get',
        path: prefix,
        summary: `Held outbound mail, newest first, with the number still pending${who}`,
        tag: TAG,
        auth: { roles: [...readRoles] },
        query: ListApprovalsQuery,
        response: MailApprovalPage,
      },
      ({ actor, query }) => d.approvals.list(actor, query),
    );
    api.route(
      {
        method: 'get',
        path: `${prefix}/:id`,
        summary: `One held message with a sanitized preview${who}`,
        tag: TAG,
        auth: { roles: [...readRoles] },
        params: IdParams,
        response: MailApprovalDetailDto,
      },
      ({ actor, params }) => d.approvals.get(actor, params.id),
    );
    api.route(
      {
        method: 'post',
        path: `${prefix}/:id/approve`,
        summary: `Approve a held message: it is sent (once, however often this is called)${who}`,
        tag: TAG,
        auth: { roles: [...decideRoles] },
        params: IdParams,
        body: ApproveBody,
        response: MailApprovalDto,
      },
      ({ actor, params, body, ctx }) => d.approvals.approve(actor, params.id, body.reason, ctx),
    );
    api.route(
      {
        method: 'post',
        path: `${prefix}/:id/reject`,
        summary: `Reject a held message with a reason; the sender is told, nothing is sent${who}`,
        tag: TAG,
        auth: { roles: [...decideRoles] },
        params: IdParams,
        body: RejectBody,
        response: MailApprovalDto,
      },
      ({ actor, params, body, ctx }) => d.approvals.reject(actor, params.id, body.reason, ctx),
    );
  }
}
