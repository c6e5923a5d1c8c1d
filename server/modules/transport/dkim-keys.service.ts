import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import type { DataSource, EntityManager } from 'typeorm';
import type { DkimRecordsDto } from '../../../shared/mail/outbound';
import type { Clock } from '../../platform/clock';
import { NotFoundError } from '../../platform/errors';
import type { Actor, RequestContext } from '../../platform/http/actor';
import type { SecretBox } from '../../platform/secrets';
import type { AuditService } from '../admin';

const generateRsa = promisify(generateKeyPair);

/** What nodemailer's `dkim` option takes. */
export interface DkimSigningKey {
  domainName: string;
  keySelector: string;
  privateKey: string;
}

interface KeyRow {
  id: string;
  domain_id: string;
  domain: string;
  selector: string;
  private_key_sealed: string;
  public_key: string;
  created_at: Date;
}

/**
 * One active RSA-2048 DKIM key per domain, made on first need; the private key is sealed at
 * rest. Rotation makes a new key with a new selector (orgmail<yyyymm>), retiring the old one.
 */
export class DkimKeysService {
  constructor(
    private readonly d: {
      ds: DataSource;
      box: SecretBox;
      audit: AuditService;
      clock: Clock;
      mxHostname: string;
    },
  ) {}

  /** The key to sign mail from `domainName` of this tenant; null when the domain is not the tenant's. */
  async signingKey(tenantId: string, domainName: string): Promise<DkimSigningKey | null> {
    const domains: { id: string; name: string }[] = await this.d.ds.query(
      `SELECT id, name FROM domains WHERE tenant_id = $1 AND name = $2`,
      [tenantId, domainName.toLowerCase()],
    );
    if (!domains[0]) return null;
    const key = await this.ensure(tenantId, domains[0].id);
    return {
      domainName: key.domain,
      keySelector: key.selector,
      privateKey: this.d.box.open(key.private_key_sealed),
    };
  }

  /** The DNS records to publish for a domain of the actor's organization. */
  async records(actor: Actor, domainId: string): Promise<DkimRecordsDto> {
    await this.domainOf(actor.tenantId, domainId);
    return this.present(await this.ensure(actor.tenantId, domainId));
  }

  async rotate(actor: Actor, domainId: string, ctx: RequestContext): Promise<DkimRecordsDto> {
    await this.domainOf(actor.tenantId, domainId);
    const material = await this.generate();
    const key = await this.d.ds.transaction(async (em) => {
      const old = await this.active(em, actor.tenantId, domainId, true);
      if (old) {
        await em.query(
          `UPDATE dkim_keys SET is_active = false, retired_at = $3 WHERE tenant_id = $1 AND id = $2`,
          [actor.tenantId, old.id, this.d.clock.now()],
        );
      }
      const created = await this.insert(em, actor.tenantId, domainId, material);
      await this.d.audit.record(em, {
        tenantId: actor.tenantId,
        actorType: 'member',
        actorId: actor.memberId,
        action: 'mail.dkim_rotated',
        targetType: 'domain',
        targetId: domainId,
        details: { from: old?.selector ?? null, to: created!.selector },
        ctx,
      });
      return created!;
    });
    return this.present(key);
  }

  private async ensure(tenantId: string, domainId: string): Promise<KeyRow> {
    const existing = await this.active(this.d.ds.manager, tenantId, domainId, false);
    if (existing) return existing;
    const material = await this.generate();
    return this.d.ds.transaction(async (em) => {
      // Two workers may race to make the first key: the unique active index keeps one.
      return (
        (await this.insert(em, tenantId, domainId, material)) ??
        (await this.active(em, tenantId, domainId, false))!
      );
    });
  }

  private async active(
    em: EntityManager,
    tenantId: string,
    domainId: string,
    lock: boolean,
  ): Promise<KeyRow | null> {
    const rows: KeyRow[] = await em.query(
      `SELECT k.id, k.domain_id, d.name AS domain, k.selector, k.private_key_sealed, k.public_key, k.created_at
         FROM dkim_keys k JOIN domains d ON d.tenant_id = k.tenant_id AND d.id = k.domain_id
        WHERE k.tenant_id = $1 AND k.domain_id = $2 AND k.is_active ${lock ? 'FOR UPDATE OF k' : ''}`,
      [tenantId, domainId],
    );
    return rows[0] ?? null;
  }

  private async insert(
    em: EntityManager,
    tenantId: string,
    domainId: string,
    material: { privateKey: string; publicKey: string },
  ): Promise<KeyRow | null> {
    const now = this.d.clock.now();
    const base = `orgmail${now.getUTCFullYear()}${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
    const [{ n }] = await em.query(
      `SELECT count(*)::int AS n FROM dkim_keys WHERE tenant_id = $1 AND domain_id = $2 AND selector LIKE $3`,
      [tenantId, domainId, `${base}%`],
    );
    // A second key in the same month: orgmail202611b, orgmail202611c, …
    const selector = n === 0 ? base : `${base}${String.fromCharCode(97 + Math.min(n, 25))}${n > 25 ? n : ''}`;
    await em.query(
      `INSERT INTO dkim_keys (tenant_id, domain_id, selector, private_key_sealed, public_key, created_at)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
      [tenantId, domainId, selector, this.d.box.seal(material.privateKey), material.publicKey, now],
    );
    const rows: KeyRow[] = await em.query(
      `SELECT k.id, k.domain_id, d.name AS domain, k.selector, k.private_key_sealed, k.public_key, k.created_at
         FROM dkim_keys k JOIN domains d ON d.tenant_id = k.tenant_id AND d.id = k.domain_id
        WHERE k.tenant_id = $1 AND k.domain_id = $2 AND k.is_active AND k.selector = $3`,
      [tenantId, domainId, selector],
    );
    return rows[0] ?? null;
  }

  private async generate(): Promise<{ privateKey: string; publicKey: string }> {
    const { privateKey, publicKey } = await generateRsa('rsa', { modulusLength: 2048 });
    return {
      privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    };
  }

  private async domainOf(tenantId: string, domainId: string): Promise<string> {
    const rows: { name: string }[] = await this.d.ds.query(
      `SELECT name FROM domains WHERE tenant_id = $1 AND id = $2`,
      [tenantId, domainId],
    );
    if (!rows[0]) throw new NotFoundError('Domain');
    return rows[0].name;
  }

  private present(key: KeyRow): DkimRecordsDto {
    return {
      domain: key.domain,
      selector: key.selector,
      createdAt: new Date(key.created_at).toISOString(),
      dkim: { name: `${key.selector}._domainkey.${key.domain}`, type: 'TXT', value: dkimTxt(key.public_key) },
      spf: { name: key.domain, type: 'TXT', value: `v=spf1 mx a:${this.d.mxHostname} ~all` },
      dmarc: {
        name: `_dmarc.${key.domain}`,
        type: 'TXT',
        value: `v=DMARC1; p=quarantine; adkim=r; aspf=r; rua=mailto:postmaster@${key.domain}`,
      },
    };
  }
}

/** The TXT record value that publishes a public key (base64 SubjectPublicKeyInfo). */
export function dkimTxt(publicKeyBase64: string): string {
  return `v=DKIM1; k=rsa; p=${publicKeyBase64}`;
}
