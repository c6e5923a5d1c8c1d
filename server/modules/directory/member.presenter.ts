import type { MemberSummaryDto } from '../../../shared/auth';
import type { Member } from './member.entity';

export function presentMemberSummary(member: Member): MemberSummaryDto {
  return {
    id: member.id,
    tenantId: member.tenantId,
    displayName: member.displayName,
    email: member.email,
    username: member.username,
    externalId: member.externalId,
    roles: member.roles,
    status: member.status,
    hasTotp: member.totpEnabledAt !== null,
    isPasswordChangeRequired: member.isPasswordChangeRequired,
  };
}
