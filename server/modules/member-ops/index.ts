export { MemberOpsService, FORWARD_RULE_NAME } from './member-ops.service';
export { registerMemberOpsRoutes } from './member-ops.routes';
