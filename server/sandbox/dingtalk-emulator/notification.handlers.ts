import type { EventPusher } from './event-pusher';
import { LegacyFaults, readBool, readCsv, readInt, readString, type Params } from './legacy-envelope';
import type { LegacyRoute } from './legacy-gateway';
import type { WorkNotificationStore } from './work-notification-store';

/** Work notifications (doc §6) and the callback management endpoints (doc §4.1, §4.2). */

const MSG_TYPES = new Set(['text', 'image', 'voice', 'file', 'link', 'oa', 'markdown', 'action_card']);
const MAX_MSG_BYTES = 2048;
const MAX_USERIDS = 5000;
const MAX_DEPTS = 500;

export function notificationRoutes(deps: {
  agentId: number;
  notifications: WorkNotificationStore;
}): Array<[string, LegacyRoute]> {
  const checkAgent = (params: Params): void => {
    if (readInt(params, 'agent_id', { required: true }) !== deps.agentId) throw LegacyFaults.invalidParam();
  };

  return [
    [
      '/topapi/message/corpconversation/asyncsend_v2',
      {
        auth: true,
        handler: ({ params }) => {
          checkAgent(params);
          const userIds = readCsv(params, 'userid_list') ?? [];
          const deptIds = (readCsv(params, 'dept_id_list') ?? []).map(Number);
          const toAll = readBool(params, 'to_all_user') ?? false;
          if (!toAll && userIds.length === 0 && deptIds.length === 0) throw LegacyFaults.invalidParam();
          if (userIds.length > MAX_USERIDS || deptIds.length > MAX_DEPTS) throw LegacyFaults.invalidParam();
          if (deptIds.some((id) => !Number.isSafeInteger(id))) throw LegacyFaults.invalidParam();
          const msg = readMessage(params.msg);
          return { task_id: deps.notifications.send({ userIds, deptIds, toAll, msg }) };
        },
      },
    ],
    [
      '/topapi/message/corpconversation/getsendresult',
      {
        auth: true,
        handler: ({ params }) => {
          checkAgent(params);
          const result = deps.notifications.result(readInt(params, 'task_id', { required: true })!);
          if (!result) throw LegacyFaults.invalidParam();
          return { send_result: result };
        },
      },
    ],
  ];
}

/** `msg` is an object in JSON bodies and a JSON string in form bodies (the SDK's way). */
function readMessage(raw: unknown): Record<string, unknown> {
  let msg = raw;
  if (typeof raw === 'string') {
    try {
      msg = JSON.parse(raw);
    } catch {
      throw LegacyFaults.invalidParam();
    }
  }
  if (!msg || typeof msg !== 'object' || Array.isArray(msg)) throw LegacyFaults.invalidParam();
  const record = msg as Record<string, unknown>;
  const type = record.msgtype;
  if (typeof type !== 'string' || !MSG_TYPES.has(type)) throw LegacyFaults.invalidParam();
  if (!record[type] || typeof record[type] !== 'object') throw LegacyFaults.invalidParam();
  if (Buffer.byteLength(JSON.stringify(record)) > MAX_MSG_BYTES) throw LegacyFaults.invalidParam();
  return record;
}

export function callbackRoutes(deps: { corpId: string; events: EventPusher }): Array<[string, LegacyRoute]> {
  // register_call_back subscriptions are org-level: their owner key is the corpId (doc §4.2).
  const register = async (params: Params, replace: boolean): Promise<Params> => {
    if (deps.events.callback && !replace) throw LegacyFaults.callbackExists();
    if (!deps.events.callback && replace) throw LegacyFaults.callbackNotFound();
    const url = readString(params, 'url', { required: true })!;
    const token = readString(params, 'token', { required: true })!;
    const aesKey = readString(params, 'aes_key', { required: true })!;
    const tags = readTags(params.call_back_tag);
    if (!/^[A-Za-z0-9]{43}$/.test(aesKey) || !/^https?:\/\//.test(url)) throw LegacyFaults.invalidParam();
    const config = { url, token, aesKey, ownerKey: deps.corpId, eventTypes: tags };
    const check = await deps.events.checkUrl(config);
    if (!check.ok) throw LegacyFaults.callbackCheckFailed();
    deps.events.setCallback({ ...deps.events.callback, ...config });
    return {};
  };

  return [
    [
      '/call_back/get_call_back_failed_result',
      {
        auth: true,
        handler: () => {
          const { items, hasMore } = deps.events.takeFailed(200);
          return { has_more: hasMore, failed_list: items };
        },
      },
    ],
    ['/call_back/register_call_back', { auth: true, handler: ({ params }) => register(params, false) }],
    ['/call_back/update_call_back', { auth: true, handler: ({ params }) => register(params, true) }],
    [
      '/call_back/get_call_back',
      {
        auth: true,
        handler: () => {
          const cb = deps.events.callback;
          if (!cb) throw LegacyFaults.callbackNotFound();
          return { call_back_tag: cb.eventTypes ?? [], token: cb.token, aes_key: cb.aesKey, url: cb.url };
        },
      },
    ],
    [
      '/call_back/delete_call_back',
      {
        auth: true,
        handler: () => {
          deps.events.setCallback(undefined);
          return {};
        },
      },
    ],
  ];
}

function readTags(raw: unknown): string[] {
  let tags = raw;
  if (typeof raw === 'string') {
    try {
      tags = raw.trim().startsWith('[') ? JSON.parse(raw) : raw.split(',');
    } catch {
      throw LegacyFaults.invalidParam();
    }
  }
  if (!Array.isArray(tags) || tags.length === 0 || !tags.every((t) => typeof t === 'string')) {
    throw LegacyFaults.invalidParam();
  }
  return tags.map((t: string) => t.trim());
}
