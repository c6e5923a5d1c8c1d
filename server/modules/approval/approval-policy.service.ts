import type { DataSource, EntityManager } from 'typeorm';
import {
  APPROVAL_POLICY_KEY,
  ApprovalPolicy,
  type ApprovalReason,
} from '../../../shared/approval/mail-approval';
import type { Actor, RequestContext } from '../../platform/http/actor';
import type { AuditService } from '../admin';
import type { ParsedMessage } from '../mail';
import { AuditedSetting, type SettingsService } from '../tenants';

const MB = 1024 * 1024;

export interface ApprovalCandidate {
  tenantId: string;
  memberId: string | null;
  raw: Buffer;
  parsed: ParsedMessage;
  recipients: string[];
  /** Recipients outside every organization hosted here. */
  external: string[];
}

/** The organization's mail approval policy (audited) and the test "must this message wait?". */
export class ApprovalPolicyService {
  private readonly setting: AuditedSetting<typeof ApprovalPolicy>;

  constructor(private readonly d: { ds: DataSource; settings: SettingsService; audit: AuditService }) {
    this.setting = new AuditedSetting(d, APPROVAL_POLICY_KEY, ApprovalPolicy, 'policy.approval_updated');
  }

  get(actor: Actor): Promise<ApprovalPolicy> {
    return this.setting.get(actor.tenantId);
  }

  update(actor: Actor, next: ApprovalPolicy, ctx: RequestContext): Promise<ApprovalPolicy> {
    return this.setting.update(actor, next, ctx);
  }

  forTenant(tenantId: string, em?: EntityManager): Promise<ApprovalPolicy> {
    return this.d.settings.get(tenantId, APPROVAL_POLICY_KEY, ApprovalPolicy, em);
  }

  /** Why this message must wait for an approver; empty when it may go now. */
  async reasons(em: EntityManager, c: ApprovalCandidate): Promise<ApprovalReason[]> {
    const policy = await this.forTenant(c.tenantId, em);
    if (!policy.enabled || !c.memberId) return [];
    if (!(await this.inScope(em, c.tenantId, c.memberId, policy))) return [];
    const t = policy.triggers;
    const out: ApprovalReason[] = [];
    if (t.allExternal && c.external.length > 0)
      out.push({ trigger: 'external', detail: [...new Set(c.external)].slice(0, 20).join(', ') });
    if (t.keywords.length > 0) {
      const haystack = `${c.parsed.subject}\n${c.parsed.text}`.toLowerCase();
      const hit = t.keywords.find((k) => haystack.includes(k.toLowerCase()));
      if (hit) out.push({ trigger: 'keyword', detail: hit });
    }
    if (t.sizeOverMb !== null && c.raw.length > t.sizeOverMb * MB)
      out.push({ trigger: 'size', detail: `${(c.raw.length / MB).toFixed(1)} MB > ${t.sizeOverMb} MB` });
    if (t.recipientDomains.length > 0) {
      const hits = c.recipients.filter((r) => inDomains(r, t.recipientDomains));
      if (hits.length > 0)
        out.push({ trigger: 'domain', detail: [...new Set(hits)].slice(0, 20).join(', ') });
    }
    return out;
  }

  /** May this member decide on held mail? Admins always; listed approvers too. */
  async isApprover(actor: Actor): Promise<boolean> {
    if (actor.roles.includes('admin')) return true;
    return (await this.forTenant(actor.tenantId)).approvers.includes(actor.memberId);
  }

  private async inScope(
    em: EntityManager,
    tenantId: string,
    memberId: string,
    policy: ApprovalPolicy,
  ): Promise<boolean> {
    const s = policy.scope;
    if (s.allMembers || s.members.includes(memberId)) return true;
    if (s.departments.length === 0) return false;
    // The member's departments and all their ancestors (departments.path is root → self).
    const rows: { hit: boolean }[] = await em.query(
      `SELECT EXISTS (SELECT 1 FROM members m JOIN departments d
                        ON d.tenant_id = m.tenant_id AND d.external_id = ANY(m.department_ids)
                       WHERE m.tenant_id = $1 AND m.id = $2 AND d.path && $3::text[]) AS hit`,
      [tenantId, memberId, s.departments],
    );
    return rows[0]?.hit === true;
  }
}

function inDomains(address: string, domains: readonly string[]): boolean {
  const a = address.trim().toLowerCase();
  const domain = a.slice(a.lastIndexOf('@') + 1).replace(/\.$/, '');
  return domains.some((d) => domain === d || domain.endsWith(`.${d}`));
}
