import { randomBytes } from 'node:crypto';
import { domainToASCII, domainToUnicode } from 'node:url';
import type { DataSource, EntityManager } from 'typeorm';
import type { DnsRecordDto, DomainDto } from '../../../shared/tenants/domains';
import { returning } from '../../platform/db/returning';
import type { Clock } from '../../platform/clock';
import type { DnsResolver } from '../../platform/dns/resolver';
import { ConflictError, NotFoundError, ValidationError } from '../../platform/errors';
import type { Actor, RequestContext } from '../../platform/http/actor';
import type { Logger } from '../../platform/logger';
import type { AuditService } from '../admin';

/** The DKIM/SPF/DMARC records the outbound side wants published (the DKIM key is made on first ask). */
export interface PublishedRecords {
  dkim: { name: string; value: string };
  spf: { name: string; value: string };
  dmarc: { name: string; value: string };
}

interface DomainRow {
  id: string;
  name: string;
  is_primary: boolean;
  verification_token: string;
  verified_at: Date | null;
  created_at: Date;
  dns_checked_at: Date | null;
  dns_results: Record<string, { status: DnsRecordDto['status']; found: string[] }> | null;
}

type Expected = Omit<DnsRecordDto, 'status' | 'found'>;

/**
 * An organization's mail domains: adding one (IDN allowed), the records to publish, checking them
 * through the resolver port, choosing the primary, removing an unused one. A domain added here
 * receives no mail until its verification TXT record is seen.
 */
export class DomainsService {
  constructor(
    private readonly d: {
      ds: DataSource;
      audit: AuditService;
      clock: Clock;
      logger: Logger;
      resolver: DnsResolver;
      dnsChecks: boolean;
      mxHostname: string;
      published: (tenantId: string, domainId: string) => Promise<PublishedRecords>;
    },
  ) {}

  async list(actor: Actor): Promise<DomainDto[]> {
    const rows: DomainRow[] = await this.d.ds.query(
      `SELECT * FROM domains WHERE tenant_id = $1 ORDER BY is_primary DESC, created_at, name`,
      [actor.tenantId],
    );
    return Promise.all(rows.map((r) => this.present(actor.tenantId, r)));
  }

  async get(actor: Actor, id: string): Promise<DomainDto> {
    return this.present(actor.tenantId, await this.row(this.d.ds.manager, actor.tenantId, id));
  }

  async add(actor: Actor, input: string, ctx: RequestContext): Promise<DomainDto> {
    const name = normalizeDomain(input);
    const row = await this.d.ds.transaction(async (em) => {
      const taken = await em.query(`SELECT 1 FROM domains WHERE name = $1`, [name]);
      if (taken.length > 0) throw new ConflictError(`${domainToUnicode(name)} is already in use`);
      const [created]: DomainRow[] = await em.query(
        `INSERT INTO domains (tenant_id, name, is_primary, verification_token) VALUES ($1, $2, false, $3) RETURNING *`,
        [actor.tenantId, name, `orgmail-verify=${randomBytes(16).toString('hex')}`],
      );
      await this.audit(em, actor, 'domain.added', created!.id, ctx, { name });
      return created!;
    });
    return this.present(actor.tenantId, row);
  }

  /** Looks the records up now; a seen verification record verifies the domain. */
  async check(actor: Actor, id: string): Promise<DomainDto> {
    const row = await this.checkRow(actor.tenantId, await this.row(this.d.ds.manager, actor.tenantId, id));
    return this.present(actor.tenantId, row);
  }

  /** The re-check job: every domain of the organization. */
  async checkAll(tenantId: string): Promise<{ checked: number; verified: number }> {
    if (!this.d.dnsChecks) return { checked: 0, verified: 0 };
    const rows: DomainRow[] = await this.d.ds.query(`SELECT * FROM domains WHERE tenant_id = $1`, [tenantId]);
    let verified = 0;
    for (const r of rows) {
      const after = await this.checkRow(tenantId, r);
      if (!r.verified_at && after.verified_at) verified++;
    }
    return { checked: rows.length, verified };
  }

  async makePrimary(actor: Actor, id: string, ctx: RequestContext): Promise<DomainDto> {
    const row = await this.d.ds.transaction(async (em) => {
      const target = await this.row(em, actor.tenantId, id, true);
      if (!target.verified_at) throw new ValidationError('Verify the domain before making it primary');
      if (target.is_primary) return target;
      await em.query(`UPDATE domains SET is_primary = false WHERE tenant_id = $1 AND is_primary`, [
        actor.tenantId,
      ]);
      const [updated] = await returning<DomainRow>(
        em,
        `UPDATE domains SET is_primary = true WHERE tenant_id = $1 AND id = $2 RETURNING *`,
        [actor.tenantId, id],
      );
      await this.audit(em, actor, 'domain.primary_changed', id, ctx, { name: target.name });
      return updated!;
    });
    return this.present(actor.tenantId, row);
  }

  async remove(actor: Actor, id: string, ctx: RequestContext): Promise<void> {
    await this.d.ds.transaction(async (em) => {
      const target = await this.row(em, actor.tenantId, id, true);
      if (target.is_primary) throw new ConflictError('The primary domain cannot be removed');
      const [{ n }] = await em.query(
        `SELECT count(*)::int AS n FROM addresses WHERE tenant_id = $1 AND domain_id = $2`,
        [actor.tenantId, id],
      );
      if (n > 0) throw new ConflictError(`${n} addresses still use this domain; move them first`);
      const [{ m }] = await em.query(
        `SELECT count(*)::int AS m FROM mailboxes WHERE tenant_id = $1 AND domain_id = $2 AND status <> 'purged'`,
        [actor.tenantId, id],
      );
      if (m > 0) throw new ConflictError(`${m} mailboxes still use this domain; move them first`);
      await em.query(`DELETE FROM domains WHERE tenant_id = $1 AND id = $2`, [actor.tenantId, id]);
      await this.audit(em, actor, 'domain.removed', id, ctx, { name: target.name });
    });
  }

  private async checkRow(tenantId: string, row: DomainRow): Promise<DomainRow> {
    if (!this.d.dnsChecks) return row;
    const expected = await this.expected(tenantId, row);
    const results: Record<string, { status: DnsRecordDto['status']; found: string[] }> = {};
    for (const rec of expected) results[rec.purpose] = await lookUp(this.d.resolver, rec);
    const verifiedNow = !row.verified_at && results.verification?.status === 'ok';
    return this.d.ds.transaction(async (em) => {
      const [updated] = await returning<DomainRow>(
        em,
        `UPDATE domains SET dns_checked_at = $3, dns_results = $4,
                verified_at = CASE WHEN verified_at IS NULL AND $5 THEN $3 ELSE verified_at END
          WHERE tenant_id = $1 AND id = $2 RETURNING *`,
        [tenantId, row.id, this.d.clock.now(), JSON.stringify(results), verifiedNow],
      );
      if (verifiedNow) {
        await this.d.audit.record(em, {
          tenantId,
          actorType: 'system',
          action: 'domain.verified',
          targetType: 'domain',
          targetId: row.id,
          details: { name: row.name },
        });
      }
      return updated ?? row;
    });
  }

  private async expected(tenantId: string, row: DomainRow): Promise<Expected[]> {
    const published = await this.d.published(tenantId, row.id);
    return [
      {
        purpose: 'verification',
        type: 'TXT',
        name: `_orgmail.${row.name}`,
        value: row.verification_token,
        priority: null,
      },
      { purpose: 'mx', type: 'MX', name: row.name, value: this.d.mxHostname, priority: 10 },
      { purpose: 'spf', type: 'TXT', name: published.spf.name, value: published.spf.value, priority: null },
      {
        purpose: 'dkim',
        type: 'TXT',
        name: published.dkim.name,
        value: published.dkim.value,
        priority: null,
      },
      {
        purpose: 'dmarc',
        type: 'TXT',
        name: published.dmarc.name,
        value: published.dmarc.value,
        priority: null,
      },
    ];
  }

  private async present(tenantId: string, row: DomainRow): Promise<DomainDto> {
    const expected = await this.expected(tenantId, row);
    return {
      id: row.id,
      name: row.name,
      displayName: domainToUnicode(row.name) || row.name,
      isPrimary: row.is_primary,
      verified: row.verified_at !== null,
      verifiedAt: row.verified_at?.toISOString() ?? null,
      createdAt: row.created_at.toISOString(),
      dnsChecks: this.d.dnsChecks,
      checkedAt: row.dns_checked_at?.toISOString() ?? null,
      records: expected.map((e) => ({
        ...e,
        status: (this.d.dnsChecks && row.dns_results?.[e.purpose]?.status) || 'unchecked',
        found: (this.d.dnsChecks && row.dns_results?.[e.purpose]?.found) || [],
      })),
    };
  }

  private async row(em: EntityManager, tenantId: string, id: string, lock = false): Promise<DomainRow> {
    const [row]: DomainRow[] = await em.query(
      `SELECT * FROM domains WHERE tenant_id = $1 AND id = $2 ${lock ? 'FOR UPDATE' : ''}`,
      [tenantId, id],
    );
    if (!row) throw new NotFoundError('Domain');
    return row;
  }

  private audit(
    em: EntityManager,
    actor: Actor,
    action: string,
    domainId: string,
    ctx: RequestContext,
    details: Record<string, unknown>,
  ) {
    return this.d.audit.record(em, {
      tenantId: actor.tenantId,
      actorType: 'member',
      actorId: actor.memberId,
      action,
      targetType: 'domain',
      targetId: domainId,
      details,
      ctx,
    });
  }
}

/** Lower-case ASCII (punycode for 中文 domains); a clear 400 for anything that is not a domain name. */
export function normalizeDomain(input: string): string {
  const ascii = domainToASCII(input.trim().replace(/\.$/, '').toLowerCase());
  const labels = ascii.split('.');
  const ok =
    ascii.length > 0 &&
    ascii.length <= 253 &&
    labels.length >= 2 &&
    labels.every((l) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(l)) &&
    !/^\d+$/.test(labels[labels.length - 1]!);
  if (!ok) throw new ValidationError(`"${input}" is not a domain name (e.g. example.com or 示例.中国)`);
  return ascii;
}

async function lookUp(
  resolver: DnsResolver,
  rec: Expected,
): Promise<{ status: DnsRecordDto['status']; found: string[] }> {
  try {
    if (rec.type === 'MX') {
      const mx: { exchange: string; priority: number }[] = await resolver(rec.name, 'MX');
      const found = mx.map((m) => host(m.exchange));
      return { status: found.includes(host(rec.value)) ? 'ok' : 'mismatch', found };
    }
    const txt: string[][] = await resolver(rec.name, 'TXT');
    const all = txt.map((chunks) => chunks.join(''));
    switch (rec.purpose) {
      case 'verification':
        return { status: all.includes(rec.value) ? 'ok' : 'mismatch', found: all };
      case 'spf': {
        const spf = all.filter((t) => /^v=spf1(\s|$)/i.test(t));
        if (spf.length === 0) return { status: 'missing', found: all };
        if (spf.length > 1) return { status: 'error', found: spf };
        const covers = /\s(\+?mx|\+?a:\S+|include:\S+)(\s|$)/i.test(` ${spf[0]}`) || spf[0] === rec.value;
        return { status: covers ? 'ok' : 'mismatch', found: spf };
      }
      case 'dkim': {
        const key = (t: string) => /(?:^|;)\s*p=([^;\s]*)/.exec(t)?.[1] ?? null;
        const dkim = all.filter((t) => key(t) !== null);
        if (dkim.length === 0) return { status: 'missing', found: all };
        return { status: dkim.some((t) => key(t) === key(rec.value)) ? 'ok' : 'mismatch', found: dkim };
      }
      default: {
        const dmarc = all.filter((t) => /^v=DMARC1/i.test(t));
        return { status: dmarc.length === 1 ? 'ok' : dmarc.length === 0 ? 'missing' : 'error', found: dmarc };
      }
    }
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA') return { status: 'missing', found: [] };
    return { status: 'error', found: [String((err as Error).message ?? err)] };
  }
}

function host(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}
