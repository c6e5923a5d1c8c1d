import { AntispamSettings } from '../../../../shared/mail/antispam';
import type { ApiRegistry } from '../../../platform/http/api-router';
import type { AntispamService } from './antispam.service';

export function registerAntispamRoutes(api: ApiRegistry, antispam: AntispamService): void {
  api.route(
    {
      method: 'get',
      path: '/admin/antispam',
      summary: 'Inbound spam policy: allow and block lists, score threshold, DMARC reject handling',
      tag: 'mail',
      auth: { roles: ['admin', 'auditor'] },
      response: AntispamSettings,
    },
    ({ actor }) => antispam.get(actor),
  );

  api.route(
    {
      method: 'put',
      path: '/admin/antispam',
      summary: 'Change the inbound spam policy (audited; the MX applies it within 10 s)',
      tag: 'mail',
      auth: { roles: ['admin'] },
      body: AntispamSettings,
      response: AntispamSettings,
    },
    ({ actor, body, ctx }) => antispam.update(actor, body, ctx),
  );
}
