import { BreakdownDto, BreakdownQuery } from '../../../shared/dashboard/breakdown';
import { StatsDto, StatsQuery } from '../../../shared/stats';
import type { ApiRegistry } from '../../platform/http/api-router';
import type { StatsService } from './stats.service';

export function registerStatsRoutes(api: ApiRegistry, stats: StatsService): void {
  api.route(
    {
      method: 'get',
      path: '/admin/stats',
      summary: 'Daily series for the monitoring charts (mail received, junk, sent, storage, mailboxes)',
      tag: 'stats',
      auth: { roles: ['admin', 'auditor'] },
      query: StatsQuery,
      response: StatsDto,
    },
    ({ actor, query }) => stats.series(actor, query),
  );

  api.route(
    {
      method: 'get',
      path: '/admin/stats/breakdown',
      summary:
        'Top senders in a period, storage by department (with sub-departments), outbound queue by state',
      tag: 'stats',
      auth: { roles: ['admin', 'auditor'] },
      query: BreakdownQuery,
      response: BreakdownDto,
    },
    ({ actor, query }) => stats.breakdown(actor, query),
  );
}
