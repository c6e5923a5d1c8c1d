import type { DataSource } from 'typeorm';
import type { PeopleSearchQuery, PeopleSearchResult } from '../../../shared/directory/people';
import type { Actor } from '../../platform/http/actor';

/** `%`, `_` and `\` taken literally in a LIKE pattern. */
function likeEscape(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * The compose screen's recipient picker: active colleagues with a mailbox, found by name (any
 * part), full pinyin or initials (from the start: "zhangs", "zs"), or address; and mail groups
 * (one per department, plus custom ones) by name. Always within the caller's organization.
 */
export class PeopleSearchService {
  constructor(private readonly ds: DataSource) {}

  async search(actor: Actor, query: PeopleSearchQuery): Promise<PeopleSearchResult> {
    const q = query.q.toLowerCase();
    const contains = `%${likeEscape(q)}%`;
    const prefix = `${likeEscape(q.replace(/\s+/g, ''))}%`;
    const people = await this.ds.query(
      `SELECT m.id, m.display_name, m.title, addr.address,
              coalesce((SELECT array_agg(d.name ORDER BY d.name) FROM departments d
                         WHERE d.tenant_id = m.tenant_id AND d.external_id = ANY (m.department_ids)), '{}') AS departments,
              CASE WHEN lower(m.display_name) = $2 OR m.name_pinyin = $4 OR m.name_initials = $4 THEN 0
                   WHEN lower(m.display_name) LIKE $5 OR m.name_pinyin LIKE $3 THEN 1 ELSE 2 END AS rank
         FROM members m
         JOIN mailboxes mb ON mb.tenant_id = m.tenant_id AND mb.member_id = m.id AND mb.status = 'active'
         JOIN LATERAL (
           SELECT a.local_part || '@' || dm.name AS address
             FROM addresses a JOIN domains dm ON dm.tenant_id = a.tenant_id AND dm.id = a.domain_id
            WHERE a.tenant_id = mb.tenant_id AND a.mailbox_id = mb.id AND a.kind = 'mailbox'
            ORDER BY a.created_at, a.id LIMIT 1) addr ON true
        WHERE m.tenant_id = $1 AND m.status = 'active'
          AND (lower(m.display_name) LIKE $6 OR m.name_pinyin LIKE $3 OR m.name_initials LIKE $3
               OR addr.address LIKE $3)
        ORDER BY rank, m.display_name, m.id
        LIMIT $7`,
      [actor.tenantId, q, prefix, q.replace(/\s+/g, ''), `${likeEscape(q)}%`, contains, query.limit],
    );
    const groups = await this.ds.query(
      // A group once, with its own (oldest) address, found by its name or any of its addresses.
      `SELECT g.id, g.name, g.kind, ga.address
         FROM mail_groups g
        CROSS JOIN LATERAL (
          SELECT a.local_part || '@' || dm.name AS address
            FROM addresses a JOIN domains dm ON dm.tenant_id = a.tenant_id AND dm.id = a.domain_id
           WHERE a.tenant_id = g.tenant_id AND a.group_id = g.id
           ORDER BY a.created_at, a.id LIMIT 1) ga
        WHERE g.tenant_id = $1
          AND (lower(g.name) LIKE $2
               OR EXISTS (SELECT 1 FROM addresses x
                           WHERE x.tenant_id = g.tenant_id AND x.group_id = g.id AND x.local_part LIKE $3))
        ORDER BY (lower(g.name) = $4) DESC, g.name, g.id
        LIMIT $5`,
      [actor.tenantId, contains, prefix, q, query.limit],
    );
    return {
      people: people.map((r: Record<string, unknown>) => ({
        memberId: r.id as string,
        name: r.display_name as string,
        address: r.address as string,
        title: (r.title as string | null) || null,
        departments: r.departments as string[],
      })),
      groups: groups.map((r: Record<string, unknown>) => ({
        groupId: r.id as string,
        name: r.name as string,
        address: r.address as string,
        kind: r.kind as 'department' | 'custom',
      })),
    };
  }
}
