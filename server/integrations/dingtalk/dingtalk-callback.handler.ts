import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { ErrorCodes } from '../../../shared/errors';
import type { Clock } from '../../platform/clock';
import { AppError, NotFoundError, ValidationError } from '../../platform/errors';
import type { Logger } from '../../platform/logger';
import type { DirectoryEvent } from '../../modules/directory';
import { DingTalkCallbackCrypto, DingTalkCryptoError, type EncryptedReply } from './callback-crypto';
import type { DingTalkIntegrations } from './dingtalk-integrations';

/** Callbacks older or newer than this are refused as stale (DingTalk retries within a minute). */
export const CALLBACK_WINDOW_MS = 5 * 60_000;

export interface CallbackRequest {
  signature?: string;
  msg_signature?: string;
  timestamp?: string;
  timeStamp?: string;
  nonce?: string;
  encrypt?: string;
}

/**
 * DingTalk's HTTP event push: verified (signature, owner key, timestamp window, replay) before
 * anything is done, stored durably, then acknowledged with the encrypted `success`.
 */
export class DingTalkCallbackHandler {
  constructor(
    private readonly d: {
      ds: DataSource;
      integrations: DingTalkIntegrations;
      ingest: (tenantId: string, event: DirectoryEvent) => Promise<boolean>;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  async handle(tenantId: string, req: CallbackRequest): Promise<EncryptedReply> {
    const app = await this.d.integrations.app(tenantId);
    if (!app || !app.secrets.callbackToken || !app.secrets.callbackAesKey)
      throw new NotFoundError('DingTalk callback');
    // Both names are in use: `msg_signature` (newer docs) and `signature` (older docs, most code).
    const signature = req.msg_signature ?? req.signature;
    const timestamp = req.timestamp ?? req.timeStamp;
    const { nonce, encrypt } = req;
    if (!signature || !timestamp || !nonce || !encrypt) {
      throw new ValidationError('A DingTalk callback needs signature, timestamp, nonce and encrypt');
    }
    const crypto = new DingTalkCallbackCrypto({
      token: app.secrets.callbackToken,
      encodingAesKey: app.secrets.callbackAesKey,
      ownerKey: app.settings.callbackOwnerKey === 'appKey' ? app.settings.appKey : app.settings.corpId,
    });
    if (!crypto.verifySignature(signature, timestamp, nonce, encrypt)) {
      throw new AppError(ErrorCodes.callbackBadSignature, 403, 'The callback signature does not match');
    }
    const sentAt = toMillis(timestamp);
    const now = this.d.clock.now().getTime();
    if (sentAt === null || Math.abs(now - sentAt) > CALLBACK_WINDOW_MS) {
      throw new AppError(
        ErrorCodes.callbackStale,
        403,
        'The callback timestamp is outside the accepted window',
      );
    }
    let plaintext: string;
    try {
      plaintext = crypto.decrypt(encrypt);
    } catch (err) {
      if (err instanceof DingTalkCryptoError) {
        throw new AppError(
          ErrorCodes.callbackUndecryptable,
          403,
          `The callback could not be decrypted (${err.message})`,
        );
      }
      throw err;
    }
    // Stored as verified (hex, lower case): the same signature in upper case is the same callback.
    const fresh = await this.d.ds.query(
      `INSERT INTO callback_receipts (tenant_id, signature, received_at) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING RETURNING signature`,
      [tenantId, signature.toLowerCase(), new Date(now)],
    );
    if (fresh.length === 0)
      throw new AppError(ErrorCodes.callbackReplayed, 409, 'This callback was already received');

    let message: Record<string, unknown>;
    try {
      message = JSON.parse(plaintext);
    } catch {
      throw new ValidationError('The callback body is not JSON');
    }
    const type = String(message.EventType ?? '');
    if (type && !type.startsWith('check_')) {
      const event = toEvent(type, message, plaintext);
      const stored = await this.d.ingest(tenantId, event);
      this.d.logger.info({ tenantId, type, key: event.key, duplicate: !stored }, 'dingtalk event received');
    }
    return crypto.encryptedReply('success');
  }

  /** Forgets receipts that are past the window (a replay of them is stale anyway). */
  async pruneReceipts(): Promise<void> {
    await this.d.ds.query(`DELETE FROM callback_receipts WHERE received_at < $1`, [
      new Date(this.d.clock.now().getTime() - 2 * CALLBACK_WINDOW_MS),
    ]);
  }
}

/** Both key spellings are accepted: camelCase (current docs) and PascalCase (classic pushes). */
export function toEvent(type: string, message: Record<string, unknown>, plaintext: string): DirectoryEvent {
  const ids = (v: unknown): string[] =>
    Array.isArray(v) ? v.map(String) : v === undefined || v === null ? [] : [String(v)];
  const eventId = message.eventId ?? message.EventId;
  return {
    key:
      typeof eventId === 'string' && eventId
        ? eventId
        : `${type}:${createHash('sha1').update(plaintext).digest('hex')}`,
    type,
    memberIds: ids(message.userId ?? message.UserId),
    departmentIds: ids(message.deptId ?? message.DeptId),
    payload: message,
  };
}

function toMillis(timestamp: string): number | null {
  if (!/^\d{9,14}$/.test(timestamp)) return null;
  const n = Number(timestamp);
  // Samples carry milliseconds; the reply examples seconds. Accept both.
  return n < 1e12 ? n * 1000 : n;
}
