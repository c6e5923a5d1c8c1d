import { UpstreamError } from '../../platform/errors';
import type { DingTalkApiClient } from './dingtalk-api.client';
import { badReply, toNumber, toNumberList, toStringList } from './dingtalk-coerce';
import type { LegacyEnvelope, RawSendResult, RawWorkNoticeMessage } from './dingtalk-types';

/** The docs give two caps (100 and 5000 userids per call); 100 is the safe one. */
export const MAX_NOTICE_RECIPIENTS = 100;

export interface WorkNoticeRequest {
  useridList: string[];
  msg: RawWorkNoticeMessage;
}

/** Work notifications (工作通知) sent as the configured agent. */
export class DingTalkNoticeApi {
  constructor(private readonly client: DingTalkApiClient) {}

  /**
   * Sends `msg` to every userid (`topapi/message/corpconversation/asyncsend_v2`), at most 100 per
   * call, and returns one task id per call. Sending is asynchronous: a task id means accepted,
   * not delivered (see getSendResult). DingTalk drops repeats of the same content to the same
   * person on the same day, so callers should put something unique in the content.
   * If a later chunk fails, the error's details carry the task ids already sent.
   */
  async sendWorkNotice(request: WorkNoticeRequest): Promise<number[]> {
    const userids = [...new Set(request.useridList.filter((id) => id !== ''))];
    const taskIds: number[] = [];
    for (let i = 0; i < userids.length; i += MAX_NOTICE_RECIPIENTS) {
      const chunk = userids.slice(i, i + MAX_NOTICE_RECIPIENTS);
      let reply: LegacyEnvelope & { task_id?: unknown };
      try {
        reply = await this.client.callLegacy(
          'topapi/message/corpconversation/asyncsend_v2',
          { agent_id: this.client.agentId, userid_list: chunk.join(','), msg: request.msg },
          { idempotent: false },
        );
      } catch (err) {
        if (err instanceof UpstreamError && taskIds.length > 0) {
          throw new UpstreamError('dingtalk', err.message, err.retryable, err.upstreamCode, {
            details: { ...(err.details as object), sentTaskIds: [...taskIds], sentRecipients: i },
            cause: err,
          });
        }
        throw err;
      }
      const taskId = toNumber(reply.task_id);
      if (taskId === undefined)
        throw badReply('asyncsend_v2 without task_id', { requestId: reply.request_id });
      taskIds.push(taskId);
    }
    return taskIds;
  }

  /** The outcome of a send task from the last 24 h (`.../getsendresult`). */
  async getSendResult(taskId: number): Promise<RawSendResult> {
    const reply = await this.client.callLegacy<LegacyEnvelope & { send_result?: Record<string, unknown> }>(
      'topapi/message/corpconversation/getsendresult',
      { agent_id: this.client.agentId, task_id: taskId },
    );
    const r = reply.send_result ?? {};
    const forbidden = Array.isArray(r.forbidden_list) ? r.forbidden_list : [];
    return {
      invalid_user_id_list: toStringList(r.invalid_user_id_list),
      forbidden_user_id_list: toStringList(r.forbidden_user_id_list),
      failed_user_id_list: toStringList(r.failed_user_id_list),
      read_user_id_list: toStringList(r.read_user_id_list),
      unread_user_id_list: toStringList(r.unread_user_id_list),
      invalid_dept_id_list: toNumberList(r.invalid_dept_id_list),
      forbidden_list: forbidden.map((item: Record<string, unknown>) => ({
        code: String(item?.code ?? ''),
        count: toNumber(item?.count) ?? 0,
        userid: String(item?.userid ?? ''),
      })),
    };
  }
}
