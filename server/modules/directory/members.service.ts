import type { DataSource } from 'typeorm';
import { NotFoundError } from '../../platform/errors';
import { hasRole, type Actor } from '../../platform/http/actor';
import { Member } from './member.entity';

export class MembersService {
  constructor(private readonly ds: DataSource) {}

  /**
   * A member of the actor's own tenant. Anyone may read themselves; admins and auditors may read
   * any member. Another tenant's id is simply "not found": its existence is not revealed.
   */
  async get(actor: Actor, id: string): Promise<Member> {
    if (id !== actor.memberId && !hasRole(actor, 'admin', 'auditor')) throw new NotFoundError('Member');
    const member = await this.ds.manager.findOneBy(Member, { tenantId: actor.tenantId, id });
    if (!member) throw new NotFoundError('Member');
    return member;
  }

  async findById(tenantId: string, id: string): Promise<Member | null> {
    return this.ds.manager.findOneBy(Member, { tenantId, id });
  }
}
