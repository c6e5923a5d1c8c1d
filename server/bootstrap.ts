import type { Config } from './config';
import type { Logger } from './platform/logger';
import type { Services } from './app';

/**
 * First start of the embedded mode: the demo organization and a local console admin whose
 * one-time password is printed once (only its hash is stored).
 */
export async function bootstrapEmbedded(config: Config, services: Services, logger: Logger): Promise<string> {
  const { tenant, created } = await services.tenants.ensure({
    slug: config.bootstrap.tenantSlug,
    name: config.bootstrap.tenantName,
    timeZone: config.defaultTimeZone,
    primaryDomain: config.bootstrap.domain,
  });
  if (created) logger.info({ tenant: tenant.slug }, 'created the organization');
  const admin = await services.accounts.createLocalAccount(tenant.id, {
    username: 'admin',
    displayName: '系统管理员',
    roles: ['admin'],
  });
  if (admin) {
    process.stdout.write(
      [
        '',
        '  A local console administrator was created. This password is shown once:',
        `    organization: ${tenant.slug}`,
        `    user name:    admin`,
        `    password:     ${admin.oneTimePassword}`,
        '  Sign in at /console; you will be asked to choose a new password.',
        '',
      ].join('\n') + '\n',
    );
  }
  return tenant.id;
}
