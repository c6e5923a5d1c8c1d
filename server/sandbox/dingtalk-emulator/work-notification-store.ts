import { createHash } from 'node:crypto';
import type { OrgModel } from './org-model';

/**
 * Work notifications (doc §6). Sending always "succeeds"; the per-user daily cap (143105) and the
 * same-content-once-a-day rule (143106) only show up later in `getsendresult`'s forbidden_list,
 * exactly the trap the real platform sets for a mail product.
 */

export const DAILY_PER_USER_LIMIT = 500;
const DAY_MS = 24 * 3600 * 1000;
const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000;
const INBOX_KEEP = 100;

export interface SendRequest {
  userIds: string[];
  deptIds: number[];
  toAll: boolean;
  msg: Record<string, unknown>;
}

export interface SendResult {
  invalid_user_id_list: string[];
  forbidden_user_id_list: string[];
  failed_user_id_list: string[];
  read_user_id_list: string[];
  unread_user_id_list: string[];
  invalid_dept_id_list: number[];
  forbidden_list: Array<{ code: string; count: number; userid: string }>;
}

export interface DeliveredNotification {
  taskId: number;
  at: number;
  msg: Record<string, unknown>;
}

export class WorkNotificationStore {
  private nextTaskId = 256_271_667_526;
  private readonly tasks = new Map<number, { at: number; result: SendResult }>();
  private readonly dailyCount = new Map<string, number>();
  private readonly seenContent = new Set<string>();
  private readonly inboxes = new Map<string, DeliveredNotification[]>();

  constructor(
    private readonly org: OrgModel,
    private readonly now: () => number,
  ) {}

  send(request: SendRequest): number {
    const at = this.now();
    const day = Math.floor((at + SHANGHAI_OFFSET_MS) / DAY_MS);
    const taskId = this.nextTaskId++;
    const result: SendResult = {
      invalid_user_id_list: [],
      forbidden_user_id_list: [],
      failed_user_id_list: [],
      read_user_id_list: [],
      unread_user_id_list: [],
      invalid_dept_id_list: [],
      forbidden_list: [],
    };
    const recipients = new Set<string>();
    if (request.toAll) for (const id of this.org.allUserIds()) recipients.add(id);
    for (const id of request.userIds) {
      if (this.org.getUser(id)) recipients.add(id);
      else result.invalid_user_id_list.push(id);
    }
    for (const deptId of request.deptIds) {
      if (!this.org.getDept(deptId)) result.invalid_dept_id_list.push(deptId);
      else this.collectSubtree(deptId, recipients);
    }
    const contentHash = createHash('sha256').update(stableJson(request.msg)).digest('hex');
    for (const userid of recipients) {
      const countKey = `${day}:${userid}`;
      const count = this.dailyCount.get(countKey) ?? 0;
      if (count >= DAILY_PER_USER_LIMIT) {
        result.forbidden_list.push({ code: '143105', count: DAILY_PER_USER_LIMIT, userid });
        continue;
      }
      const contentKey = `${countKey}:${contentHash}`;
      if (this.seenContent.has(contentKey)) {
        result.forbidden_list.push({ code: '143106', count: 1, userid });
        continue;
      }
      this.seenContent.add(contentKey);
      this.dailyCount.set(countKey, count + 1);
      result.unread_user_id_list.push(userid);
      const inbox = this.inboxes.get(userid) ?? [];
      inbox.push({ taskId, at, msg: request.msg });
      if (inbox.length > INBOX_KEEP) inbox.shift();
      this.inboxes.set(userid, inbox);
    }
    result.forbidden_user_id_list = result.forbidden_list.map((f) => f.userid);
    this.tasks.set(taskId, { at, result });
    return taskId;
  }

  /** Only tasks from the last 24 h can be queried, as on the real platform. */
  result(taskId: number): SendResult | undefined {
    const task = this.tasks.get(taskId);
    if (!task || this.now() - task.at > DAY_MS) return undefined;
    return task.result;
  }

  /** What a user "received" (newest last); for demos and end-to-end tests. */
  inbox(userid: string): readonly DeliveredNotification[] {
    return this.inboxes.get(userid) ?? [];
  }

  markRead(userid: string, taskId: number): void {
    const result = this.tasks.get(taskId)?.result;
    const at = result?.unread_user_id_list.indexOf(userid) ?? -1;
    if (!result || at < 0) return;
    result.unread_user_id_list.splice(at, 1);
    result.read_user_id_list.push(userid);
  }

  private collectSubtree(deptId: number, into: Set<string>): void {
    const stack = [deptId];
    while (stack.length) {
      const id = stack.pop()!;
      for (const userid of this.org.memberIds(id)) into.add(userid);
      stack.push(...this.org.childIds(id));
    }
  }
}

/** Key order must not make two equal messages look different. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
