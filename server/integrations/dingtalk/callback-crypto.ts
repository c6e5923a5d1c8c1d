import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from '../../platform/errors';

/**
 * DingTalk HTTP-callback crypto (doc §4.2), byte-compatible with the official
 * `DingCallbackCrypto.java`: AES-256-CBC, IV = first 16 key bytes, PKCS#7 padding to 32-byte blocks,
 * plaintext `random(16) ‖ uint32_be(len) ‖ msg ‖ ownerKey`, signature sha1 over the sorted strings.
 */

/** DingTalk's own crypto error numbers (900001–900010), kept so logs match the official library. */
export const DingTalkCryptoCodes = {
  invalidPlaintext: 900001,
  invalidTimestamp: 900002,
  invalidNonce: 900003,
  invalidAesKey: 900004,
  signatureMismatch: 900005,
  computeSignatureFailed: 900006,
  encryptFailed: 900007,
  decryptFailed: 900008,
  lengthMismatch: 900009,
  ownerKeyMismatch: 900010,
} as const;

export type DingTalkCryptoCode = (typeof DingTalkCryptoCodes)[keyof typeof DingTalkCryptoCodes];

const messages: Record<DingTalkCryptoCode, string> = {
  900001: '加密明文文本非法',
  900002: '加密时间戳参数非法',
  900003: '加密随机字符串参数非法',
  900004: '不合法的aeskey',
  900005: '签名不匹配',
  900006: '计算签名错误',
  900007: '计算加密文字错误',
  900008: '计算解密文字错误',
  900009: '计算解密文字长度不匹配',
  900010: '计算解密文字corpid不匹配',
};

/** A callback that fails verification is the caller's fault (or an attack): 400, never a 500. */
export class DingTalkCryptoError extends AppError {
  constructor(
    readonly dingTalkCode: DingTalkCryptoCode,
    detail?: string,
    options: { cause?: unknown } = {},
  ) {
    super(
      `dingtalk.crypto_${dingTalkCode}`,
      400,
      detail ? `${messages[dingTalkCode]}: ${detail}` : messages[dingTalkCode],
      { details: { dingTalkCode }, cause: options.cause },
    );
  }
}

export interface DingTalkCallbackCryptoOptions {
  /** The callback token configured in the console (letters and digits). */
  token: string;
  /** The 43-character EncodingAESKey. */
  encodingAesKey: string;
  /** appKey for console subscriptions of internal apps, corpId for `register_call_back`, suiteKey for ISV. */
  ownerKey: string;
}

export interface EncryptedReply {
  msg_signature: string;
  timeStamp: string;
  nonce: string;
  encrypt: string;
}

const BLOCK = 32;
const RANDOM_LENGTH = 16;
const AES_KEY_PATTERN = /^[A-Za-z0-9]{43}$/;
const NONCE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export class DingTalkCallbackCrypto {
  private readonly token: string;
  private readonly ownerKey: Buffer;
  private readonly key: Buffer;
  private readonly iv: Buffer;

  constructor(options: DingTalkCallbackCryptoOptions) {
    if (!AES_KEY_PATTERN.test(options.encodingAesKey)) {
      throw new DingTalkCryptoError(
        DingTalkCryptoCodes.invalidAesKey,
        'EncodingAESKey must be 43 letters or digits',
      );
    }
    const key = Buffer.from(`${options.encodingAesKey}=`, 'base64');
    if (key.length !== 32) throw new DingTalkCryptoError(DingTalkCryptoCodes.invalidAesKey);
    this.key = key;
    this.iv = key.subarray(0, 16);
    this.token = options.token;
    this.ownerKey = Buffer.from(options.ownerKey, 'utf8');
  }

  encrypt(plaintextMsg: string, opts: { random?: Buffer } = {}): string {
    const random = opts.random ?? randomBytes(RANDOM_LENGTH);
    if (random.length !== RANDOM_LENGTH) {
      throw new DingTalkCryptoError(DingTalkCryptoCodes.invalidPlaintext, 'random must be 16 bytes');
    }
    const msg = Buffer.from(plaintextMsg, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(msg.length, 0);
    const body = Buffer.concat([random, length, msg, this.ownerKey]);
    // PKCS#7 over 32-byte blocks: an aligned body still gets a full block of 32.
    const pad = BLOCK - (body.length % BLOCK);
    const padded = Buffer.concat([body, Buffer.alloc(pad, pad)]);
    try {
      const cipher = createCipheriv('aes-256-cbc', this.key, this.iv);
      cipher.setAutoPadding(false);
      return Buffer.concat([cipher.update(padded), cipher.final()]).toString('base64');
    } catch (cause) {
      throw new DingTalkCryptoError(DingTalkCryptoCodes.encryptFailed, undefined, { cause });
    }
  }

  /** Returns the message; throws DingTalkCryptoError for anything malformed or not ours. */
  decrypt(encrypt: string): string {
    const data = decodeBase64Strict(encrypt);
    if (data.length === 0 || data.length % BLOCK !== 0) {
      throw new DingTalkCryptoError(
        DingTalkCryptoCodes.decryptFailed,
        'ciphertext length is not a multiple of 32',
      );
    }
    let plain: Buffer;
    try {
      // OpenSSL's own padding check assumes 16-byte blocks and rejects pads of 17..32.
      const decipher = createDecipheriv('aes-256-cbc', this.key, this.iv);
      decipher.setAutoPadding(false);
      plain = Buffer.concat([decipher.update(data), decipher.final()]);
    } catch (cause) {
      throw new DingTalkCryptoError(DingTalkCryptoCodes.decryptFailed, undefined, { cause });
    }
    const pad = plain[plain.length - 1];
    if (pad < 1 || pad > BLOCK || !plain.subarray(plain.length - pad).every((b) => b === pad)) {
      throw new DingTalkCryptoError(DingTalkCryptoCodes.decryptFailed, 'invalid padding');
    }
    const body = plain.subarray(0, plain.length - pad);
    if (body.length < RANDOM_LENGTH + 4) {
      throw new DingTalkCryptoError(DingTalkCryptoCodes.lengthMismatch);
    }
    const msgLength = body.readUInt32BE(RANDOM_LENGTH);
    const msgStart = RANDOM_LENGTH + 4;
    if (msgStart + msgLength > body.length) {
      throw new DingTalkCryptoError(DingTalkCryptoCodes.lengthMismatch);
    }
    const owner = body.subarray(msgStart + msgLength);
    if (!constantTimeEqual(owner, this.ownerKey)) {
      throw new DingTalkCryptoError(DingTalkCryptoCodes.ownerKeyMismatch);
    }
    return body.subarray(msgStart, msgStart + msgLength).toString('utf8');
  }

  signature(timestamp: string, nonce: string, encrypt: string): string {
    return createHash('sha1')
      .update([this.token, timestamp, nonce, encrypt].sort().join(''), 'utf8')
      .digest('hex');
  }

  verifySignature(signature: string, timestamp: string, nonce: string, encrypt: string): boolean {
    const expected = Buffer.from(this.signature(timestamp, nonce, encrypt), 'utf8');
    return constantTimeEqual(Buffer.from(String(signature ?? '').toLowerCase(), 'utf8'), expected);
  }

  /** Verifies the signature first, then decrypts: the order DingTalk's own library uses. */
  decryptVerified(signature: string, timestamp: string, nonce: string, encrypt: string): string {
    if (!this.verifySignature(signature, timestamp, nonce, encrypt)) {
      throw new DingTalkCryptoError(DingTalkCryptoCodes.signatureMismatch);
    }
    return this.decrypt(encrypt);
  }

  /** The JSON body a callback receiver must answer with (all values strings). */
  encryptedReply(
    msg = 'success',
    opts: { random?: Buffer; timeStamp?: string; nonce?: string } = {},
  ): EncryptedReply {
    const timeStamp = opts.timeStamp ?? String(Date.now());
    const nonce = opts.nonce ?? randomNonce(16);
    const encrypt = this.encrypt(msg, { random: opts.random });
    return { msg_signature: this.signature(timeStamp, nonce, encrypt), timeStamp, nonce, encrypt };
  }
}

/** A nonce of letters and digits, like the official libraries send. */
export function randomNonce(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += NONCE_ALPHABET[bytes[i] % NONCE_ALPHABET.length];
  return out;
}

function decodeBase64Strict(value: string): Buffer {
  // Buffer.from silently skips junk characters; a garbled body must fail, not decrypt to noise.
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) {
    throw new DingTalkCryptoError(DingTalkCryptoCodes.decryptFailed, 'encrypt is not base64');
  }
  return Buffer.from(value, 'base64');
}

function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) {
    // Still spend the comparison so the length check is the only early-out.
    timingSafeEqual(b, b);
    return false;
  }
  return timingSafeEqual(a, b);
}
