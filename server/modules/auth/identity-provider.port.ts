/**
 * A platform that vouches for who someone is (DingTalk's login-free code exchange today).
 * Adapters live in integrations/; this module only sees our words.
 */
export interface ExternalIdentity {
  /** The platform's stable user id (DingTalk userid). */
  externalId: string;
  displayName: string;
  /** The platform says this person administers the organization. */
  isOrgAdmin: boolean;
}

export interface IdentityProvider {
  readonly name: string;
  /** Exchanges a one-time credential from the client for an identity; throws when it is refused. */
  exchange(tenantId: string, code: string): Promise<ExternalIdentity>;
}
