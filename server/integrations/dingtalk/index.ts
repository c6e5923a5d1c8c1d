export {
  DingTalkCallbackCrypto,
  DingTalkCryptoError,
  randomNonce,
  type EncryptedReply,
} from './callback-crypto';
export { DingTalkCallbackHandler, CALLBACK_WINDOW_MS } from './dingtalk-callback.handler';
export { DingTalkDirectoryProvider } from './dingtalk-directory.provider';
export { DingTalkIdentityProvider } from './dingtalk-identity.provider';
export {
  DingTalkAppSecrets,
  DingTalkAppSettings,
  DingTalkIntegrations,
  type DingTalkApp,
} from './dingtalk-integrations';
export { DingTalkNoticeChannel } from './dingtalk-notice.channel';
export { createDingTalkOpenApi, type DingTalkOpenApi } from './dingtalk-open-api';
export { registerDingTalkRoutes } from './dingtalk.routes';
export { DingTalkStreamListener, type DingTalkStreamListenerOptions } from './dingtalk-stream.listener';
