import { isIP } from 'node:net';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import type { RelaySettingsDto, UpdateRelayBody } from '../../../shared/mail/outbound';
import type { DnsResolver } from '../../platform/dns/resolver';
import type { Actor, RequestContext } from '../../platform/http/actor';
import type { SecretBox } from '../../platform/secrets';
import type { AuditService } from '../admin';
import type { SettingsService } from '../tenants';

export const RELAY_KEY = 'mail.relay';

/** How the relay is kept: the password sealed with the deployment key, never answered. */
const StoredRelay = z.object({
  enabled: z.boolean().default(false),
  host: z.string().nullable().default(null),
  port: z.number().int().nullable().default(null),
  security: z.enum(['tls', 'starttls', 'none']).default('starttls'),
  username: z.string().nullable().default(null),
  passwordSealed: z.string().nullable().default(null),
});
type StoredRelay = z.infer<typeof StoredRelay>;

/** What the worker connects with. */
export interface RelayTarget {
  host: string;
  port: number;
  security: 'tls' | 'starttls' | 'none';
  username: string | null;
  password: string | null;
}

/** The organization's smarthost (relay) for outgoing mail; without one, mail goes to the domain's MX (below). */
export class RelayService {
  constructor(
    private readonly d: { ds: DataSource; settings: SettingsService; audit: AuditService; box: SecretBox },
  ) {}

  async get(actor: Actor): Promise<RelaySettingsDto> {
    return present(await this.d.settings.get(actor.tenantId, RELAY_KEY, StoredRelay));
  }

  update(actor: Actor, body: UpdateRelayBody, ctx: RequestContext): Promise<RelaySettingsDto> {
    return this.d.ds.transaction(async (em) => {
      const before = await this.d.settings.get(actor.tenantId, RELAY_KEY, StoredRelay, em);
      const next: StoredRelay = {
        enabled: body.enabled,
        host: body.host,
        port: body.port,
        security: body.security,
        username: body.username || null,
        passwordSealed:
          body.password === undefined
            ? before.passwordSealed
            : body.password === null || body.password === ''
              ? null
              : this.d.box.seal(body.password),
      };
      const after = await this.d.settings.set(
        em,
        actor.tenantId,
        RELAY_KEY,
        StoredRelay,
        next,
        actor.memberId,
      );
      await this.d.audit.record(em, {
        tenantId: actor.tenantId,
        actorType: 'member',
        actorId: actor.memberId,
        action: 'mail.relay_updated',
        targetType: 'setting',
        targetId: RELAY_KEY,
        details: {
          before: present(before),
          after: present(after),
          passwordChanged: body.password !== undefined,
        },
        ctx,
      });
      return present(after);
    });
  }

  /** The relay the worker uses for this organization, or null (direct delivery or capture). */
  async forTenant(tenantId: string): Promise<RelayTarget | null> {
    const s = await this.d.settings.get(tenantId, RELAY_KEY, StoredRelay);
    if (!s.enabled || !s.host || !s.port) return null;
    return {
      host: s.host,
      port: s.port,
      security: s.security,
      username: s.username,
      password: s.passwordSealed ? this.d.box.open(s.passwordSealed) : null,
    };
  }
}

function present(s: StoredRelay): RelaySettingsDto {
  return {
    enabled: s.enabled,
    host: s.host,
    port: s.port,
    security: s.security,
    username: s.username,
    hasPassword: s.passwordSealed !== null,
  };
}

/** A failure of the whole attempt: `permanent` for 5xx (or no such domain), else retried. */
export class DeliveryFailure extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly code: number | null,
  ) {
    super(message);
  }
}

/** The domain's mail servers in priority order with their addresses (A fallback without MX), via our resolver. */
export async function mxHosts(
  resolver: DnsResolver,
  domain: string,
): Promise<{ name: string; ip: string }[]> {
  let names: string[];
  try {
    const mx: { exchange: string; priority: number }[] = await resolver(domain, 'MX');
    if (mx.length === 1 && (mx[0]!.exchange === '' || mx[0]!.exchange === '.'))
      throw new DeliveryFailure(`5.1.10 ${domain} does not accept mail (null MX)`, true, null);
    names = [...mx].sort((a, b) => a.priority - b.priority).map((m) => m.exchange.replace(/\.$/, ''));
  } catch (err) {
    if (err instanceof DeliveryFailure) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND') throw new DeliveryFailure(`5.1.2 Domain ${domain} does not exist`, true, null);
    if (code !== 'ENODATA')
      throw new DeliveryFailure(`4.4.3 DNS lookup of ${domain} failed (${code})`, false, null);
    names = [domain]; // no MX: the domain's own address (RFC 5321 §5.1)
  }
  const hosts: { name: string; ip: string }[] = [];
  for (const name of names) {
    if (isIP(name)) {
      hosts.push({ name, ip: name });
      continue;
    }
    const ips: string[] = await resolver(name, 'A').catch(() => []);
    for (const ip of ips) hosts.push({ name, ip });
  }
  if (hosts.length === 0)
    throw new DeliveryFailure(`4.4.4 No address for the mail servers of ${domain}`, false, null);
  return hosts;
}
