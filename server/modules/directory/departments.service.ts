import type { DataSource } from 'typeorm';
import type { DepartmentList, DepartmentQuery } from '../../../shared/directory/departments';
import type { Actor } from '../../platform/http/actor';

function likeEscape(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Departments of the caller's organization, with their root-to-self names, for pickers. */
export class DepartmentsDirectory {
  constructor(private readonly ds: DataSource) {}

  async list(actor: Actor, query: DepartmentQuery): Promise<DepartmentList> {
    const filters: string[] = [];
    const params: unknown[] = [actor.tenantId, query.limit];
    if (query.q) {
      params.push(`%${likeEscape(query.q.toLowerCase())}%`);
      filters.push(`lower(d.name) LIKE $${params.length}`);
    }
    if (query.ids) {
      params.push(query.ids);
      filters.push(`d.external_id = ANY ($${params.length}::text[])`);
    }
    const rows: { external_id: string; name: string; path_names: string[] }[] = await this.ds.query(
      `SELECT d.external_id, d.name,
              (SELECT array_agg(p.name ORDER BY x.ord)
                 FROM unnest(d.path) WITH ORDINALITY AS x(id, ord)
                 JOIN departments p ON p.tenant_id = d.tenant_id AND p.external_id = x.id) AS path_names
         FROM departments d
        WHERE d.tenant_id = $1 ${filters.map((f) => `AND ${f}`).join(' ')}
        ORDER by cardinality(d.path), d.sort_order, d.name, d.external_id
        LIMIT $2`,
      params,
    );
    return {
      departments: rows.map((r) => ({
        externalId: r.external_id,
        name: r.name,
        pathNames: r.path_names ?? [r.name],
      })),
    };
  }
}
