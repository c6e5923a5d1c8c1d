import { randomBytes } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { NotFoundError } from '../../platform/errors';
import { Domain } from './domain.entity';
import { Tenant } from './tenant.entity';

export interface NewTenant {
  slug: string;
  name: string;
  corpId?: string | null;
  timeZone: string;
  primaryDomain: string;
}

export class TenantsService {
  constructor(private readonly ds: DataSource) {}

  async findBySlug(slug: string): Promise<Tenant | null> {
    return this.ds.manager.findOneBy(Tenant, { slug: slug.toLowerCase() });
  }

  async get(id: string): Promise<Tenant> {
    const tenant = await this.ds.manager.findOneBy(Tenant, { id });
    if (!tenant) throw new NotFoundError('Organization');
    return tenant;
  }

  async primaryDomain(tenantId: string): Promise<Domain | null> {
    return this.ds.manager.findOneBy(Domain, { tenantId, isPrimary: true });
  }

  /** Creates a tenant with its primary domain; idempotent on slug (returns the existing one). */
  async ensure(
    input: NewTenant,
    em: EntityManager = this.ds.manager,
  ): Promise<{ tenant: Tenant; created: boolean }> {
    const existing = await em.findOneBy(Tenant, { slug: input.slug });
    if (existing) return { tenant: existing, created: false };
    const tenant = await em.save(
      em.create(Tenant, {
        slug: input.slug,
        name: input.name,
        corpId: input.corpId ?? null,
        timeZone: input.timeZone,
      }),
    );
    await em.insert(Domain, {
      tenantId: tenant.id,
      name: input.primaryDomain.toLowerCase(),
      isPrimary: true,
      // Configured by the operator, not claimed through the console: trusted as is.
      verifiedAt: new Date(),
      verificationToken: `orgmail-verify=${randomBytes(16).toString('hex')}`,
    });
    return { tenant, created: true };
  }
}
