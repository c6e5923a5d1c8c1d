import type { DataSource, EntityManager } from 'typeorm';
import { UNDO_SECONDS_DEFAULT, type UndoSendPreference } from '../../../shared/scheduling/scheduled-sends';
import type { Actor } from '../../platform/http/actor';

/** The organization's undo-send window for members who have not chosen one (send policy). */
export type UndoDefault = (tenantId: string, em: EntityManager) => Promise<number>;

/**
 * A member's own sending preferences; today the undo-send window (0–30 s). Without a choice of their
 * own, the organization's default applies (10 s unless the send policy says otherwise).
 */
export class SendPreferences {
  constructor(
    private readonly ds: DataSource,
    private readonly undoDefault: UndoDefault = async () => UNDO_SECONDS_DEFAULT,
  ) {}

  async undoSeconds(
    tenantId: string,
    memberId: string,
    em: EntityManager = this.ds.manager,
  ): Promise<number> {
    const [row] = await em.query(
      `SELECT undo_seconds FROM send_preferences WHERE tenant_id = $1 AND member_id = $2`,
      [tenantId, memberId],
    );
    return row ? Number(row.undo_seconds) : this.undoDefault(tenantId, em);
  }

  async get(actor: Actor): Promise<UndoSendPreference> {
    return { seconds: await this.undoSeconds(actor.tenantId, actor.memberId) };
  }

  async set(actor: Actor, pref: UndoSendPreference): Promise<UndoSendPreference> {
    await this.ds.query(
      `INSERT INTO send_preferences (tenant_id, member_id, undo_seconds) VALUES ($1, $2, $3)
       ON CONFLICT (tenant_id, member_id) DO UPDATE SET undo_seconds = EXCLUDED.undo_seconds, updated_at = now()`,
      [actor.tenantId, actor.memberId, pref.seconds],
    );
    return pref;
  }
}
