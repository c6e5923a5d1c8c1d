import type { Express } from 'express';
import type { DataSource } from 'typeorm';
import type { ReadinessDto } from '../shared/health';
import type { Config } from './config';
import type { Clock } from './platform/clock';
import { migrationsApplied } from './platform/db/data-source';
import { ApiRegistry } from './platform/http/api-router';
import { API_BASE, createHttpApp } from './platform/http/app';
import type { Logger } from './platform/logger';
import { deriveKey, SecretBox } from './platform/secrets';
import { AuditService } from './modules/admin';
import {
  AccountService,
  JwtService,
  LocalLoginService,
  PasswordHasher,
  registerAuthRoutes,
  SecurityPolicyService,
  TokenAuthenticator,
  Totp,
} from './modules/auth';
import { MembersService, registerMemberRoutes } from './modules/directory';
import { SettingsService, TenantsService } from './modules/tenants';

export interface AppDeps {
  config: Config;
  logger: Logger;
  ds: DataSource;
  clock: Clock;
  masterSecret: string;
}

export type Services = ReturnType<typeof createServices>;

/** Wires services from their dependencies. Tests build the same graph against their own database. */
export function createServices(deps: AppDeps) {
  const { ds, clock, config } = deps;
  const audit = new AuditService();
  const tenants = new TenantsService(ds);
  const settings = new SettingsService(ds);
  const box = new SecretBox(deps.masterSecret);
  const hasher = new PasswordHasher();
  const totp = new Totp(clock);
  const jwt = new JwtService(
    {
      key: deriveKey(deps.masterSecret, 'jwt:hs256'),
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      ttlSeconds: config.jwt.ttlSeconds,
    },
    clock,
  );
  const members = new MembersService(ds);
  const login = new LocalLoginService({ ds, tenants, settings, audit, hasher, totp, jwt, box, clock });
  const accounts = new AccountService({ ds, audit, hasher, totp, box, clock, issuer: 'OrgMail' });
  const securityPolicy = new SecurityPolicyService(ds, settings, audit);
  const authenticator = new TokenAuthenticator(jwt, ds);
  return {
    audit,
    tenants,
    settings,
    box,
    hasher,
    totp,
    jwt,
    members,
    login,
    accounts,
    securityPolicy,
    authenticator,
  };
}

export function createHttp(deps: AppDeps, services: Services): Express {
  const api = new ApiRegistry(services.authenticator, {
    validateResponses: deps.config.env !== 'production',
    basePath: API_BASE,
  });
  registerAuthRoutes(api, {
    login: services.login,
    accounts: services.accounts,
    policy: services.securityPolicy,
  });
  registerMemberRoutes(api, services.members);
  return createHttpApp({
    logger: deps.logger,
    bodyLimitBytes: deps.config.http.bodyLimitBytes,
    api,
    readiness: () => readiness(deps.ds),
  });
}

async function readiness(ds: DataSource): Promise<ReadinessDto> {
  const database = await ds
    .query('SELECT 1')
    .then(() => true)
    .catch(() => false);
  const migrations = database && (await migrationsApplied(ds));
  return { status: database && migrations ? 'ready' : 'not_ready', checks: { database, migrations } };
}
