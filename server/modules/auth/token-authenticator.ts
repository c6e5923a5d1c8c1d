import type { DataSource } from 'typeorm';
import { ErrorCodes } from '../../../shared/errors';
import { UnauthenticatedError } from '../../platform/errors';
import type { Actor, Authenticator } from '../../platform/http/actor';
import type { JwtService } from './jwt.service';

/**
 * Verifies the token, then checks the member still exists and is active: suspending someone
 * takes effect on their next request, not when their token expires.
 */
export class TokenAuthenticator implements Authenticator {
  constructor(
    private readonly jwt: JwtService,
    private readonly ds: DataSource,
  ) {}

  async authenticate(token: string): Promise<Actor> {
    const actor = this.jwt.verify(token);
    const rows: { status: string; tenant_status: string; admin_suspended: boolean }[] = await this.ds.query(
      `SELECT m.status, t.status AS tenant_status, m.admin_suspended_at IS NOT NULL AS admin_suspended
         FROM members m JOIN tenants t ON t.id = m.tenant_id
        WHERE m.tenant_id = $1 AND m.id = $2`,
      [actor.tenantId, actor.memberId],
    );
    const row = rows[0];
    if (!row) throw new UnauthenticatedError('The access token is not valid');
    if (row.status !== 'active' || row.tenant_status !== 'active' || row.admin_suspended) {
      throw new UnauthenticatedError('This account is suspended', ErrorCodes.accountSuspended);
    }
    return actor;
  }
}
