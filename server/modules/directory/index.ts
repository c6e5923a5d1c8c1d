export { Member, type MemberStatus } from './member.entity';
export { presentMemberSummary } from './member.presenter';
export { registerMemberRoutes } from './members.routes';
export { MembersService } from './members.service';
