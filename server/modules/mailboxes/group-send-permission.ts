import type { EntityManager } from 'typeorm';
import { MEMBERS_OF_GROUP } from './group-sql';

export type GroupSendPolicy = 'anyone' | 'internal' | 'members' | 'listed';

/** Who is sending to a group, as far as we know them. */
export interface GroupSender {
  /** The sender's organization; null for mail from outside every organization we host. */
  tenantId: string | null;
  /** The sender's member id (their mailbox's owner); null when unknown (a remote or unknown address). */
  memberId: string | null;
}

/** Why a sender was refused, in words for the SMTP reply or the API error. */
export type SendRefusal = 'internal_only' | 'members_only' | 'listed_only';

export const REFUSAL_TEXT: Record<SendRefusal, string> = {
  internal_only: 'This group accepts mail from inside the organization only',
  members_only: 'This group accepts mail from its members only',
  listed_only: 'You are not on the list of people allowed to send to this group',
};

/**
 * Whether `sender` may send to a group (null when allowed):
 * - anyone: everybody, inside or outside;
 * - internal: anyone of the group's organization;
 * - members: the people the group reaches (active members);
 * - listed: the people listed as senders, or (active) members of a listed department (with its
 *   sub-departments when the entry says so).
 */
export async function refusalFor(
  em: EntityManager,
  group: { tenantId: string; groupId: string; sendPolicy: GroupSendPolicy },
  sender: GroupSender,
): Promise<SendRefusal | null> {
  if (group.sendPolicy === 'anyone') return null;
  const internal = sender.tenantId === group.tenantId;
  if (!internal) return 'internal_only';
  if (group.sendPolicy === 'internal') return null;
  if (group.sendPolicy === 'members') {
    if (!sender.memberId) return 'members_only';
    const rows = await em.query(
      `SELECT 1 FROM mail_groups g CROSS JOIN LATERAL (${MEMBERS_OF_GROUP}) x
        WHERE g.tenant_id = $1 AND g.id = $2 AND x.id = $3`,
      [group.tenantId, group.groupId, sender.memberId],
    );
    return rows.length > 0 ? null : 'members_only';
  }
  if (!sender.memberId) return 'listed_only';
  const rows = await em.query(
    `SELECT 1 FROM members m
      WHERE m.tenant_id = $1 AND m.id = $3 AND m.status = 'active'
        AND EXISTS (
          SELECT 1 FROM mail_group_senders s
           WHERE s.tenant_id = $1 AND s.group_id = $2
             AND (s.member_id = m.id
                  OR (s.department_external_id IS NOT NULL AND EXISTS (
                        SELECT 1 FROM departments d
                         WHERE d.tenant_id = $1 AND d.external_id = ANY (m.department_ids)
                           AND CASE WHEN s.include_subdepartments THEN d.path @> ARRAY[s.department_external_id]
                                    ELSE d.external_id = s.department_external_id END))))`,
    [group.tenantId, group.groupId, sender.memberId],
  );
  return rows.length > 0 ? null : 'listed_only';
}
