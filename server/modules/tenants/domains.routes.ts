import { IdParams } from '../../../shared/common';
import { AddDomainBody, DomainDto, DomainList } from '../../../shared/tenants/domains';
import type { ApiRegistry } from '../../platform/http/api-router';
import type { DomainsService } from './domains.service';

export function registerDomainRoutes(api: ApiRegistry, domains: DomainsService): void {
  api.route(
    {
      method: 'get',
      path: '/admin/domains',
      summary: 'Mail domains with the DNS records to publish and their last check',
      tag: 'domains',
      auth: { roles: ['admin', 'auditor'] },
      response: DomainList,
    },
    async ({ actor }) => ({ domains: await domains.list(actor) }),
  );
  api.route(
    {
      method: 'post',
      path: '/admin/domains',
      summary: 'Add a domain (中文 domains welcome); it carries mail once its verification record is seen',
      tag: 'domains',
      auth: { roles: ['admin'] },
      body: AddDomainBody,
      response: DomainDto,
      status: 201,
    },
    ({ actor, body, ctx }) => domains.add(actor, body.name, ctx),
  );
  api.route(
    {
      method: 'get',
      path: '/admin/domains/:id',
      summary: 'One domain with its records',
      tag: 'domains',
      auth: { roles: ['admin', 'auditor'] },
      params: IdParams,
      response: DomainDto,
    },
    ({ actor, params }) => domains.get(actor, params.id),
  );
  api.route(
    {
      method: 'post',
      path: '/admin/domains/:id/check',
      summary: 'Look the records up now (verifies the domain when its TXT record is found)',
      tag: 'domains',
      auth: { roles: ['admin'] },
      params: IdParams,
      response: DomainDto,
    },
    ({ actor, params }) => domains.check(actor, params.id),
  );
  api.route(
    {
      method: 'post',
      path: '/admin/domains/:id/primary',
      summary: 'Make a verified domain the primary one (new addresses use it)',
      tag: 'domains',
      auth: { roles: ['admin'] },
      params: IdParams,
      response: DomainDto,
    },
    ({ actor, params, ctx }) => domains.makePrimary(actor, params.id, ctx),
  );
  api.route(
    {
      method: 'delete',
      path: '/admin/domains/:id',
      summary: 'Remove a domain no address uses',
      tag: 'domains',
      auth: { roles: ['admin'] },
      params: IdParams,
      response: null,
    },
    ({ actor, params, ctx }) => domains.remove(actor, params.id, ctx),
  );
}
