/** The DingTalk emulator's front door. */
export {
  startDingTalkEmulator,
  type DingTalkEmulatorOptions,
  type RunningEmulator,
} from './dingtalk-emulator';
export {
  OrgModel,
  OrgChangeError,
  type OrgChange,
  type OrgEventType,
  type HireInput,
  type UserPatch,
  type PickerUser,
} from './org-model';
export type { AdminLevel, DeptRecord, OrgSnapshot, UserRecord } from './org-records';
export type { CallbackConfig, FailedEvent, PushAttempt, PushRecord, EventPusher } from './event-pusher';
export type { CallStats, FaultReply } from './traffic-control';
export type { DeliveredNotification, SendResult, WorkNotificationStore } from './work-notification-store';
export { AUTH_CODE_TTL_MS, TOKEN_TTL_MS } from './credential-store';
export type { StreamDelivery, StreamGateway, StreamOptions } from './stream-gateway';
export { acceptKey, encodeFrame, FrameDecoder, Opcode } from './websocket-codec';
