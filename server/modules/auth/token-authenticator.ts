import type { DataSource } from 'typeorm';
import type { Role } from '../../../shared/auth';
import { ErrorCodes } from '../../../shared/errors';
import { UnauthenticatedError } from '../../platform/errors';
import type { Actor, Authenticator } from '../../platform/http/actor';
import type { JwtService } from './jwt.service';

interface MemberAuthRow {
  status: string;
  tenant_status: string;
  admin_suspended: boolean;
  roles: Role[];
  token_generation: number;
}

/**
 * Verifies the token, then checks it against the member row on every request:
 * - the member and the tenant are active (suspending someone takes effect on their next request);
 * - the token's generation is the member's current one (a password change or "sign out everywhere"
 *   ends every earlier session at once);
 * - the roles used are the token's roles that the member still holds (a demoted admin loses admin on
 *   the next request, not when the token expires). A token left with no role is refused.
 */
export class TokenAuthenticator implements Authenticator {
  constructor(
    private readonly jwt: JwtService,
    private readonly ds: DataSource,
  ) {}

  async authenticate(token: string): Promise<Actor> {
    const { actor, generation } = this.jwt.verifyWithGeneration(token);
    const rows: MemberAuthRow[] = await this.ds.query(
      `SELECT m.status, t.status AS tenant_status, m.admin_suspended_at IS NOT NULL AS admin_suspended,
              m.roles, m.token_generation
         FROM members m JOIN tenants t ON t.id = m.tenant_id
        WHERE m.tenant_id = $1 AND m.id = $2`,
      [actor.tenantId, actor.memberId],
    );
    const row = rows[0];
    if (!row) throw new UnauthenticatedError('The access token is not valid');
    if (row.status !== 'active' || row.tenant_status !== 'active' || row.admin_suspended) {
      throw new UnauthenticatedError('This account is suspended', ErrorCodes.accountSuspended);
    }
    if (generation !== row.token_generation) {
      throw new UnauthenticatedError(
        'This session has been signed out, sign in again',
        ErrorCodes.tokenRevoked,
      );
    }
    const roles = actor.roles.filter((r) => row.roles.includes(r));
    if (roles.length === 0) {
      throw new UnauthenticatedError('Your roles have changed, sign in again', ErrorCodes.tokenRevoked);
    }
    return roles.length === actor.roles.length ? actor : { ...actor, roles };
  }
}
