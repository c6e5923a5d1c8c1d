import type { DataSource } from 'typeorm';
import { ANTISPAM_KEY, AntispamSettings } from '../../../../shared/mail/antispam';
import type { Clock } from '../../../platform/clock';
import type { Actor, RequestContext } from '../../../platform/http/actor';
import type { AuditService } from '../../admin';
import { AuditedSetting, type SettingsService } from '../../tenants';

/** The settings compiled for matching, cached briefly per organization (read on every message). */
export interface AntispamPolicy {
  settings: AntispamSettings;
  allow: SenderMatcher;
  block: SenderMatcher;
}

const CACHE_MS = 10_000;

/** The per-organization spam policy (admin API) and fast sender-list matching for the MX. */
export class AntispamService {
  private readonly setting: AuditedSetting<typeof AntispamSettings>;
  private readonly cache = new Map<string, { at: number; policy: Promise<AntispamPolicy> }>();

  constructor(
    private readonly d: { ds: DataSource; settings: SettingsService; audit: AuditService; clock: Clock },
  ) {
    this.setting = new AuditedSetting(d, ANTISPAM_KEY, AntispamSettings, 'policy.antispam_updated');
  }

  get(actor: Actor): Promise<AntispamSettings> {
    return this.setting.get(actor.tenantId);
  }

  async update(actor: Actor, next: AntispamSettings, ctx: RequestContext): Promise<AntispamSettings> {
    const saved = await this.setting.update(actor, next, ctx);
    this.cache.delete(actor.tenantId);
    return saved;
  }

  /** For the MX: at most one settings read per organization per 10 s in this process. */
  policy(tenantId: string): Promise<AntispamPolicy> {
    const now = this.d.clock.now().getTime();
    const hit = this.cache.get(tenantId);
    if (hit && now - hit.at < CACHE_MS) return hit.policy;
    const policy = this.setting.get(tenantId).then((settings) => ({
      settings,
      allow: new SenderMatcher(settings.allow),
      block: new SenderMatcher(settings.block),
    }));
    policy.catch(() => this.cache.delete(tenantId));
    this.cache.set(tenantId, { at: now, policy });
    return policy;
  }
}

/** Matches addresses against address, `@domain` (exact) and `domain` (with subdomains) patterns. */
export class SenderMatcher {
  private readonly addresses = new Set<string>();
  private readonly exactDomains = new Set<string>();
  private readonly domains = new Set<string>();

  constructor(patterns: readonly string[]) {
    for (const p of patterns) {
      const v = p.trim().toLowerCase();
      if (v.startsWith('@')) this.exactDomains.add(v.slice(1));
      else if (v.includes('@')) this.addresses.add(v);
      else this.domains.add(v);
    }
  }

  get empty(): boolean {
    return this.addresses.size + this.exactDomains.size + this.domains.size === 0;
  }

  matches(address: string | null | undefined): boolean {
    if (!address || this.empty) return false;
    const a = address.trim().toLowerCase();
    const at = a.lastIndexOf('@');
    if (at < 0) return false;
    if (this.addresses.has(a)) return true;
    const domain = a.slice(at + 1).replace(/\.$/, '');
    if (this.exactDomains.has(domain)) return true;
    for (let d = domain; d;) {
      if (this.domains.has(d)) return true;
      const dot = d.indexOf('.');
      d = dot < 0 ? '' : d.slice(dot + 1);
    }
    return false;
  }
}
