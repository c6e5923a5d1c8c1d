import { PeopleSearchQuery, PeopleSearchResult } from '../../../shared/directory/people';
import type { ApiRegistry } from '../../platform/http/api-router';
import type { PeopleSearchService } from './people-search.service';

export function registerPeopleSearchRoutes(api: ApiRegistry, people: PeopleSearchService): void {
  api.route(
    {
      method: 'get',
      path: '/directory/people',
      summary:
        'Recipient picker: colleagues by name, pinyin or initials, and department groups by name (max 20 each)',
      tag: 'directory',
      auth: { roles: ['employee'] },
      query: PeopleSearchQuery,
      response: PeopleSearchResult,
    },
    ({ actor, query }) => people.search(actor, query),
  );
}
