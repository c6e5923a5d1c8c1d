import type { Role, TokenScope } from '../../../shared/auth';

/** Who is calling: resolved from a verified token, scoped to exactly one tenant. */
export interface Actor {
  tenantId: string;
  memberId: string;
  roles: readonly Role[];
  scope: TokenScope;
}

export interface RequestContext {
  requestId: string;
  ip: string | null;
  userAgent: string | null;
}

/** Verifies a bearer token. Implemented by the auth module; throws UnauthenticatedError. */
export interface Authenticator {
  authenticate(token: string): Promise<Actor>;
}

export function hasRole(actor: Actor, ...roles: Role[]): boolean {
  return roles.some((r) => actor.roles.includes(r));
}
