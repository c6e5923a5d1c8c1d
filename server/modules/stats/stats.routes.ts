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
}
