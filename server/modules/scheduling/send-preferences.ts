import type { DataSource, EntityManager } from 'typeorm';
import { UNDO_SECONDS_DEFAULT, type UndoSendPreference } from '../../../shared/scheduling/scheduled-sends';
import type { Actor } from '../../platform/http/actor';

/** A member's own sending preferences; today the undo-send window (0–30 s, default 10 s). */
export class SendPreferences {
  constructor(private readonly ds: DataSource) {}

  async undoSeconds(
    tenantId: string,
    memberId: string,
    em: EntityManager = this.ds.manager,
  ): Promise<number> {
    const [row] = await em.query(
      `SELECT undo_seconds FROM send_preferences WHERE tenant_id = $1 AND member_id = $2`,
      [tenantId, memberId],
    );
    return row ? Number(row.undo_seconds) : UNDO_SECONDS_DEFAULT;
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
