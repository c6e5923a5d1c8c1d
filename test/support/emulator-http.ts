import { expect } from 'chai';
import type { RunningEmulator } from '../../server/sandbox/dingtalk-emulator';

/** Raw HTTP helpers for tests that talk to the DingTalk emulator the way DingTalk would be talked to. */

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const TEST_APP = {
  appKey: 'dingtestappkey',
  appSecret: 'test-secret',
  corpId: 'ding0123456789abcdef',
  agentId: 42,
};
export const LEGACY_REQUEST_ID = /^[0-9a-z]{12,13}$/;

export async function raw(
  emu: RunningEmulator,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${emu.baseUrl}${path}`, init);
  return { status: res.status, body: (await res.json()) as Json };
}

export async function token(emu: RunningEmulator): Promise<string> {
  const { body } = await raw(emu, `/gettoken?appkey=${TEST_APP.appKey}&appsecret=${TEST_APP.appSecret}`);
  return body.access_token as string;
}

/** A topapi POST with a JSON body and the token in the query; asserts the legacy envelope. */
export async function topapi(
  emu: RunningEmulator,
  path: string,
  body: Json = {},
  accessToken?: string,
): Promise<Json> {
  const tok = accessToken ?? (await token(emu));
  const res = await raw(emu, `${path}?access_token=${encodeURIComponent(tok)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).to.equal(200);
  expect(res.body.request_id).to.match(LEGACY_REQUEST_ID);
  return res.body;
}
