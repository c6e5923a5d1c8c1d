import type { DeliveryContext, DeliveryHook, Placement } from '../local-delivery.service';

/**
 * Applies the inbound verdict (computed before delivery, so its headers go on the stored copy):
 * spam goes to Junk for every recipient. Mail from our own mailboxes (source 'local') never does.
 */
export class SpamHook implements DeliveryHook {
  readonly name = 'spam';

  async place(_em: unknown, ctx: DeliveryContext, placements: Map<string, Placement>): Promise<void> {
    if (ctx.source === 'local' || !ctx.verdict?.spam) return;
    const trace = ctx.verdict.reasons.map((r) => `spam:${r}`);
    for (const placement of placements.values()) {
      placement.folderRole = 'junk';
      placement.trace.push(...(trace.length ? trace : ['spam']));
    }
  }
}
