/**
 * Everything that talks to the DingTalk container (dingtalk-jsapi) sits here: the environment,
 * login-free sign-in (runtime.permission.requestAuthCode, no dd.config needed), the page title,
 * opening links and sharing. Outside DingTalk each falls back to the plain browser equivalent.
 * Only the APIs used are imported (the SDK's per-API modules), so the bundle stays small.
 */
import dd from 'dingtalk-jsapi/entry/union';
import requestAuthCode from 'dingtalk-jsapi/api/runtime/permission/requestAuthCode';
import setTitle from 'dingtalk-jsapi/api/biz/navigation/setTitle';
import openLink from 'dingtalk-jsapi/api/biz/util/openLink';
import share from 'dingtalk-jsapi/api/biz/util/share';

export type Platform = 'dingtalk' | 'browser';

export function platform(): Platform {
  return dd.env.platform === 'notInDingTalk' ? 'browser' : 'dingtalk';
}

export function inDingTalk(): boolean {
  return platform() === 'dingtalk';
}

/** `?corpId=$CORPID$` as DingTalk fills it into the app's home URL (also accepted as `corpid`). */
export function corpIdFromUrl(): string | null {
  const params = new URLSearchParams(window.location.search);
  return params.get('corpId') ?? params.get('corpid');
}

function whenReady(): Promise<void> {
  return new Promise((resolve) => dd.ready(() => resolve()));
}

/** A login-free code (single use, 5 minutes) for POST /auth/dingtalk. Only inside DingTalk. */
export async function dingTalkAuthCode(corpId: string): Promise<string> {
  await whenReady();
  const result = (await requestAuthCode({ corpId })) as { code?: string; authCode?: string };
  const code = result.code ?? result.authCode;
  if (!code) throw new Error('DingTalk returned no auth code');
  return code;
}

export function setPageTitle(title: string): void {
  document.title = title;
  if (inDingTalk()) void whenReady().then(() => setTitle({ title }).catch(() => undefined));
}

/** External links leave the app: DingTalk's own browser inside DingTalk, a new tab elsewhere. */
export function openExternal(url: string): void {
  if (inDingTalk()) {
    void whenReady().then(() => openLink({ url }).catch(() => window.open(url, '_blank', 'noopener')));
  } else {
    window.open(url, '_blank', 'noopener,noreferrer');
  }
}

/** Share a link: DingTalk's share sheet, the Web Share API, or the clipboard. Resolves true when shared. */
export async function shareLink(p: { url: string; title: string; content: string }): Promise<boolean> {
  if (inDingTalk()) {
    await whenReady();
    await share({ type: 0, url: p.url, title: p.title, content: p.content, image: '' });
    return true;
  }
  if (typeof navigator.share === 'function') {
    await navigator.share({ url: p.url, title: p.title, text: p.content });
    return true;
  }
  await navigator.clipboard?.writeText(p.url);
  return false;
}
