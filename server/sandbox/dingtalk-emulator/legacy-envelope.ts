import { randomInt, randomUUID } from 'node:crypto';

/**
 * Reply shapes and parameter reading for the legacy (oapi) family: HTTP 200 always, errcode in the
 * body, `request_id` on every reply (doc §0). Strings here are the exact ones in the doc.
 */

export type Params = Record<string, unknown>;

/** Thrown by legacy handlers; the gateway turns it into `{errcode, errmsg, ..., request_id}`. */
export class LegacyFault extends Error {
  constructor(
    readonly errcode: number,
    readonly errmsg: string,
    readonly extra: Params = {},
  ) {
    super(`${errcode} ${errmsg}`);
    this.name = 'LegacyFault';
  }

  toBody(): Params {
    // Auth faults lead with sub_code/sub_msg, as in the captured replies.
    return { errcode: this.errcode, ...this.extra, errmsg: this.errmsg, request_id: legacyRequestId() };
  }
}

function gatewayAuthFault(subCode: string, subMsg: string): LegacyFault {
  return new LegacyFault(88, `ding talk error[subcode=${subCode},submsg=${subMsg}]`, {
    sub_code: subCode,
    sub_msg: subMsg,
  });
}

export const LegacyFaults = {
  tokenBlank: () => gatewayAuthFault('40000', 'access_token is blank'),
  tokenInvalid: () => gatewayAuthFault('40014', '不合法的access_token'),
  missingAppKey: () => new LegacyFault(40035, '缺少参数 corpid or appkey'),
  badAppKey: () => new LegacyFault(40096, '不合法的appKey或appSecret'),
  invalidParam: () => new LegacyFault(40035, '参数非法'),
  invalidSize: () => new LegacyFault(40069, '无效的size'),
  invalidOffset: () => new LegacyFault(40068, '无效的偏移量'),
  deptNotFound: () => new LegacyFault(60003, '未找到对应部门'),
  userNotFound: () => new LegacyFault(60121, '找不到该用户'),
  invalidUserId: () => new LegacyFault(33012, '无效的userId'),
  authCodeInvalid: () => new LegacyFault(40078, '不存在的临时授权码'),
  callbackExists: () => new LegacyFault(71006, '回调地址已经存在'),
  callbackNotFound: () => new LegacyFault(71007, '回调地址不存在'),
  callbackCheckFailed: () => new LegacyFault(71001, '回调地址验证失败'),
  // [U] the exact 90018 text is not documented.
  rateLimited: () => new LegacyFault(90018, '当前应用调用该接口的频率已超过限制，请稍后重试'),
  systemBusy: () => new LegacyFault(-1, '系统繁忙'),
  unknownApi: (path: string) => {
    const apiName = `dingtalk.oapi.${path.replace(/^\/(topapi\/)?/, '').replace(/\//g, '.')}`;
    return new LegacyFault(22, `Invalid method[${apiName}]`, {
      sub_msg: `不合法ApiName，ApiName = ${apiName}`,
    });
  },
};

const BASE36 = '0123456789abcdefghijklmnopqrstuvwxyz';

/** 12–13 lowercase base-36 characters, like "5um7ykyaalsj". */
export function legacyRequestId(): string {
  const length = 12 + randomInt(2);
  let id = BASE36[1 + randomInt(35)];
  while (id.length < length) id += BASE36[randomInt(36)];
  return id;
}

/** Uppercase UUID-like, like "01A08FE7-68C3-7BBD-B223-447768EA4B29". */
export function openApiRequestId(): string {
  return randomUUID().toUpperCase();
}

/** Both JSON numbers and form strings ("100") are accepted, as the real gateway does. */
export function readInt(
  params: Params,
  name: string,
  rule: { required?: boolean; min?: number; max?: number; fault?: () => LegacyFault } = {},
): number | undefined {
  const fault = rule.fault ?? LegacyFaults.invalidParam;
  const raw = params[name];
  if (raw === undefined || raw === null || raw === '') {
    if (rule.required) throw fault();
    return undefined;
  }
  const value =
    typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value)) throw fault();
  if (rule.min !== undefined && value < rule.min) throw fault();
  if (rule.max !== undefined && value > rule.max) throw fault();
  return value;
}

export function readBool(params: Params, name: string, required = false): boolean | undefined {
  const raw = params[name];
  if (raw === undefined || raw === null || raw === '') {
    if (required) throw LegacyFaults.invalidParam();
    return undefined;
  }
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  throw LegacyFaults.invalidParam();
}

export function readString(
  params: Params,
  name: string,
  rule: { required?: boolean; maxLength?: number } = {},
): string | undefined {
  const raw = params[name];
  if (raw === undefined || raw === null || raw === '') {
    if (rule.required) throw LegacyFaults.invalidParam();
    return undefined;
  }
  if (typeof raw !== 'string' && typeof raw !== 'number') throw LegacyFaults.invalidParam();
  const value = String(raw);
  if (rule.maxLength !== undefined && value.length > rule.maxLength) throw LegacyFaults.invalidParam();
  return value;
}

/** `"a,b,c"` lists (the documented form); empty items dropped. */
export function readCsv(params: Params, name: string): string[] | undefined {
  const raw = params[name];
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw !== 'string' && typeof raw !== 'number') throw LegacyFaults.invalidParam();
  return String(raw)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
