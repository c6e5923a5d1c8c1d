import type { DingTalkApiClient } from './dingtalk-api.client';
import { badReply, toBoolean, toNumber } from './dingtalk-coerce';
import type { LegacyEnvelope, RawFailedCallback } from './dingtalk-types';

/** Pages pulled per getFailedCallbacks() call; DingTalk returns up to 200 events a page. */
const MAX_FAILED_PAGES = 50;

/** Event pushes that DingTalk gave up on (after its +10 s / +30 s retries). */
export class DingTalkCallbackApi {
  constructor(private readonly client: DingTalkApiClient) {}

  /**
   * Pulls failed event pushes (`call_back/get_call_back_failed_result`, a GET), following
   * `has_more`. A pull hands events over, so it is not repeated after an ambiguous failure.
   */
  async getFailedCallbacks(): Promise<RawFailedCallback[]> {
    const events: RawFailedCallback[] = [];
    for (let page = 0; page < MAX_FAILED_PAGES; page++) {
      const reply = await this.client.callLegacy<
        LegacyEnvelope & { has_more?: unknown; failed_list?: unknown }
      >('call_back/get_call_back_failed_result', undefined, { method: 'GET', idempotent: false });
      const list = reply.failed_list ?? [];
      if (!Array.isArray(list)) throw badReply('failed_list is not a list', { requestId: reply.request_id });
      for (const item of list as Array<Record<string, unknown>>) {
        if (!item || typeof item.call_back_tag !== 'string') continue;
        const eventTime = toNumber(item.event_time);
        events.push({
          ...item,
          call_back_tag: item.call_back_tag,
          ...(eventTime === undefined ? {} : { event_time: eventTime }),
        });
      }
      if (toBoolean(reply.has_more) !== true || list.length === 0) break;
    }
    return events;
  }
}
