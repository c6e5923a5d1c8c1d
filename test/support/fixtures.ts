import type { Role } from '../../shared/auth';
import type { TestApp } from './test-app';

let seq = 0;

/** A tenant with its primary domain. */
export async function createTenant(app: TestApp, slug = `org${++seq}${Date.now() % 100000}`) {
  const { tenant } = await app.services.tenants.ensure({
    slug,
    name: `测试公司 ${slug}`,
    timeZone: 'Asia/Shanghai',
    primaryDomain: `${slug}.test`,
  });
  return tenant;
}

/** A local account with a known password, already past its first-login password change. */
export async function createLocalUser(
  app: TestApp,
  tenantId: string,
  opts: { username?: string; password?: string; roles?: Role[]; displayName?: string } = {},
) {
  const username = opts.username ?? `user${++seq}`;
  const password = opts.password ?? 'correct horse battery staple';
  const created = await app.services.accounts.createLocalAccount(tenantId, {
    username,
    displayName: opts.displayName ?? username,
    roles: opts.roles ?? ['admin'],
  });
  if (!created) throw new Error(`user ${username} exists`);
  const passwordHash = await app.services.hasher.hash(password);
  await app.ds.query(
    `UPDATE members SET password_hash = $3, is_password_change_required = false WHERE tenant_id = $1 AND id = $2`,
    [tenantId, created.member.id, passwordHash],
  );
  return { member: created.member, username, password };
}

/**
 * Gives a member more roles. The member row is what counts: a token never grants a role its member
 * lacks, so a test wanting an admin token for a synced employee grants the role first.
 */
export async function grantRoles(
  app: TestApp,
  tenantId: string,
  memberId: string,
  roles: Role[],
): Promise<void> {
  await app.ds.query(
    `UPDATE members SET roles = ARRAY(SELECT DISTINCT unnest(roles || $3::text[])) WHERE tenant_id = $1 AND id = $2`,
    [tenantId, memberId, roles],
  );
}

/** A full-scope token for a member, signed like a real sign-in would be (token generation 0). */
export function tokenFor(app: TestApp, tenantId: string, memberId: string, roles: Role[]): string {
  return app.services.jwt.sign({ tenantId, memberId, roles, scope: 'full' }).token;
}
