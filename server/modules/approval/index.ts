export { ApprovalPolicyService } from './approval-policy.service';
export { MailApprovalsService, PENDING_LABEL, REJECTED_LABEL } from './mail-approvals.service';
export { registerApprovalRoutes } from './approval.routes';
