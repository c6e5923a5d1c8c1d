import { DepartmentList, DepartmentQuery } from '../../../shared/directory/departments';
import type { ApiRegistry } from '../../platform/http/api-router';
import type { DepartmentsDirectory } from './departments.service';

export function registerDepartmentRoutes(api: ApiRegistry, departments: DepartmentsDirectory): void {
  api.route(
    {
      method: 'get',
      path: '/directory/departments',
      summary:
        "The organization's departments with their paths: by name (q), by external id (ids=a,b) or nearest the root first",
      tag: 'directory',
      auth: { roles: ['employee', 'admin'] },
      query: DepartmentQuery,
      response: DepartmentList,
    },
    ({ actor, query }) => departments.list(actor, query),
  );
}
