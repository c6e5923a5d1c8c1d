import { expect } from 'chai';
import fc from 'fast-check';
import { createCipheriv } from 'node:crypto';
import {
  DingTalkCallbackCrypto,
  DingTalkCryptoCodes,
  DingTalkCryptoError,
} from '../../server/integrations/dingtalk/callback-crypto';

// Official vector 1 (doc §4.2): an ISV suite check event.
const V1 = {
  token: '123456',
  encodingAesKey: '4g5j64qlyl3zvetqxz5jiocdr586fn2zvjpa8zls3ij',
  ownerKey: 'suite4xxxxxxxxxxxxxxx',
  signature: '5a65ceeef9aab2d149439f82dc191dd6c5cbe2c0',
  timestamp: '1445827045067',
  nonce: 'nEXhMP4r',
  encrypt:
    '1a3NBxmCFwkCJvfoQ7WhJHB+iX3qHPsc9JbaDznE1i03peOk1LaOQoRz3+nlyGNhwmwJ3vDMG+OzrHMeiZI7gTRWVdUBmfxjZ8Ej23JVYa9VrYeJ5as7XM/ZpulX8NEQis44w53h1qAgnC3PRzM7Zc/D6Ibr0rgUathB6zRHP8PYrfgnNOS9PhSBdHlegK+AGGanfwjXuQ9+0pZcy0w9lQ==',
  msg: '{"EventType":"check_create_suite_url","Random":"LPIdSnlF","TestSuiteKey":"suite4xxxxxxxxxxxxxxx"}',
  random: 'hU3bEfGZZewzhG5a',
};

// Official vector 2: a `success` reply.
const V2 = {
  token: '123456',
  encodingAesKey: '1234567890123456789012345678901234567890123',
  ownerKey: 'dingsnotzck6pm5veliw',
  msgSignature: '9a95a004dd16f5c307e849b994173f76aa26e5eb',
  timeStamp: '1614767836',
  nonce: 'A7Co0cJLMzIDtMMI',
  encrypt: 'YvkvaGe4hQxd3VxRmEty0dVlnCOAqwf56xwTRHDHoOURqhalbmBJQk5FNcRk42Gl5T0YQXZNwpwWSm1xAFJ5ZA==',
};

// Derived vector [D]: same key as vector 2, fixed random values.
const D = {
  random: '0123456789abcdef',
  timestamp: '1700000000000',
  nonce: 'nonce123',
  msg: '{"EventType":"user_add_org","TimeStamp":1700000000000,"UserId":["user001"],"CorpId":"ding0123456789abcdef"}',
  encrypt:
    'GCr6999U/V4/3veZ85Bxl9z/8N8p51cmEkzYDtIyzRWVPgYX5NvRiogY0zwJc3qGBJg+ApvZGtOIbh629n2xiW4QeoOUextYPLwf2P83jklfWcw0z8yhM7oUhcCZ8aynxfZCTSHyAQrSdHUQQkotvIQ/Y3vlPo0CoaTBIDcOfewA+hoV2DFC6x9pTuu2mDluBHnlyrCMbN0A5MFcccEgRg==',
  signature: '6eb6d23b86e7bdf3b75a68b27661edf7913ec22b',
  replyRandom: 'fedcba9876543210',
  replyTimeStamp: '1700000000500',
  replyNonce: 'abcdefgh12345678',
  replyEncrypt: 'Gg1ruTtt6YTsvh9RfdxRuTCu0/ibzkvmyP7IpPSO/LO+1wgkdzI29SpnJyefeUQFPXGgI7s1KSeSsDPa/zx72g==',
  replySignature: '473cc9500637c7b7513fdfa7f98abd3ce4962e0a',
};

function expectCryptoError(fn: () => unknown, code: number): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected a DingTalkCryptoError').to.be.instanceOf(DingTalkCryptoError);
  expect((caught as DingTalkCryptoError).dingTalkCode).to.equal(code);
  expect((caught as DingTalkCryptoError).status).to.equal(400);
}

/** Encrypts raw bytes with the vector-2 key and no padding logic, to forge malformed plaintexts. */
function rawEncrypt(encodingAesKey: string, plain: Buffer): string {
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64');
}

describe('DingTalkCallbackCrypto', () => {
  const v1 = new DingTalkCallbackCrypto({
    token: V1.token,
    encodingAesKey: V1.encodingAesKey,
    ownerKey: V1.ownerKey,
  });
  const v2 = new DingTalkCallbackCrypto({
    token: V2.token,
    encodingAesKey: V2.encodingAesKey,
    ownerKey: V2.ownerKey,
  });

  describe('official vector 1', () => {
    it('reproduces the signature 5a65ceee…', () => {
      expect(v1.signature(V1.timestamp, V1.nonce, V1.encrypt)).to.equal(V1.signature);
      expect(v1.verifySignature(V1.signature, V1.timestamp, V1.nonce, V1.encrypt)).to.equal(true);
    });

    it('decrypts a 22-byte pad (which OpenSSL auto-padding would reject)', () => {
      expect(v1.decrypt(V1.encrypt)).to.equal(V1.msg);
      expect(v1.decryptVerified(V1.signature, V1.timestamp, V1.nonce, V1.encrypt)).to.equal(V1.msg);
    });

    it('re-encrypts to the same ciphertext with the recovered random', () => {
      expect(v1.encrypt(V1.msg, { random: Buffer.from(V1.random) })).to.equal(V1.encrypt);
    });
  });

  describe('official vector 2 (success reply)', () => {
    it('verifies the signature and decrypts to success', () => {
      expect(v2.signature(V2.timeStamp, V2.nonce, V2.encrypt)).to.equal(V2.msgSignature);
      expect(v2.decryptVerified(V2.msgSignature, V2.timeStamp, V2.nonce, V2.encrypt)).to.equal('success');
    });
  });

  describe('derived vector', () => {
    it('encrypts and signs byte for byte', () => {
      const encrypt = v2.encrypt(D.msg, { random: Buffer.from(D.random) });
      expect(encrypt).to.equal(D.encrypt);
      expect(v2.signature(D.timestamp, D.nonce, encrypt)).to.equal(D.signature);
      expect(v2.decrypt(D.encrypt)).to.equal(D.msg);
    });

    it('builds the encrypted success reply byte for byte, all strings', () => {
      const reply = v2.encryptedReply('success', {
        random: Buffer.from(D.replyRandom),
        timeStamp: D.replyTimeStamp,
        nonce: D.replyNonce,
      });
      expect(reply).to.deep.equal({
        msg_signature: D.replySignature,
        timeStamp: D.replyTimeStamp,
        nonce: D.replyNonce,
        encrypt: D.replyEncrypt,
      });
    });

    it('defaults to success with a fresh random, timestamp and 16-char nonce', () => {
      const reply = v2.encryptedReply();
      expect(reply.nonce).to.match(/^[A-Za-z0-9]{16}$/);
      expect(reply.timeStamp).to.match(/^\d{13}$/);
      expect(v2.decryptVerified(reply.msg_signature, reply.timeStamp, reply.nonce, reply.encrypt)).to.equal(
        'success',
      );
    });
  });

  describe('round trips', () => {
    it('handles UTF-8 messages of every pad length 1..32', () => {
      for (let n = 0; n < 40; n++) {
        const msg = `{"名":"${'钉'.repeat(n % 5)}${'x'.repeat(n)}"}`;
        expect(v2.decrypt(v2.encrypt(msg))).to.equal(msg);
      }
    });
  });

  describe('tampering', () => {
    it('rejects the wrong owner key with 900010', () => {
      const other = new DingTalkCallbackCrypto({
        token: V2.token,
        encodingAesKey: V2.encodingAesKey,
        ownerKey: 'dingSOMEONEELSE',
      });
      expectCryptoError(() => other.decrypt(V2.encrypt), DingTalkCryptoCodes.ownerKeyMismatch);
    });

    it('rejects a bad signature with 900005, before decrypting', () => {
      expect(v2.verifySignature('0'.repeat(40), V2.timeStamp, V2.nonce, V2.encrypt)).to.equal(false);
      expect(v2.verifySignature('short', V2.timeStamp, V2.nonce, V2.encrypt)).to.equal(false);
      expectCryptoError(
        () => v2.decryptVerified('0'.repeat(40), V2.timeStamp, V2.nonce, V2.encrypt),
        DingTalkCryptoCodes.signatureMismatch,
      );
      expectCryptoError(
        () => v2.decryptVerified(V2.msgSignature, '1614767837', V2.nonce, V2.encrypt),
        DingTalkCryptoCodes.signatureMismatch,
      );
    });

    it('gives a typed error for truncated, garbled or non-base64 ciphertext', () => {
      const truncated = Buffer.from(V1.encrypt, 'base64').subarray(0, 96).toString('base64');
      const cases = [
        '',
        'not base64!!',
        V1.encrypt.slice(0, -4),
        truncated,
        V1.encrypt.replace(/^1a3N/, '2a3N'),
        Buffer.alloc(64, 7).toString('base64'),
      ];
      for (const bad of cases) {
        let caught: unknown;
        try {
          v1.decrypt(bad);
        } catch (err) {
          caught = err;
        }
        expect(caught, `input ${bad.slice(0, 12)}`).to.be.instanceOf(DingTalkCryptoError);
        expect([900008, 900009, 900010]).to.include((caught as DingTalkCryptoError).dingTalkCode);
      }
    });

    it('rejects pad values of 0 and 33 and inconsistent pad bytes', () => {
      const body = Buffer.alloc(64, 1);
      body[63] = 0;
      expectCryptoError(
        () => v2.decrypt(rawEncrypt(V2.encodingAesKey, body)),
        DingTalkCryptoCodes.decryptFailed,
      );
      body[63] = 33;
      expectCryptoError(
        () => v2.decrypt(rawEncrypt(V2.encodingAesKey, body)),
        DingTalkCryptoCodes.decryptFailed,
      );
      const mixed = Buffer.alloc(64, 4);
      mixed[61] = 5;
      expectCryptoError(
        () => v2.decrypt(rawEncrypt(V2.encodingAesKey, mixed)),
        DingTalkCryptoCodes.decryptFailed,
      );
    });

    it('rejects a declared length longer than the body with 900009', () => {
      const plain = Buffer.alloc(64, 12);
      plain.writeUInt32BE(1000, 16);
      expectCryptoError(
        () => v2.decrypt(rawEncrypt(V2.encodingAesKey, plain)),
        DingTalkCryptoCodes.lengthMismatch,
      );
    });

    it('validates the 43-character EncodingAESKey with 900004', () => {
      for (const encodingAesKey of [
        '',
        'short',
        `${V2.encodingAesKey}4`,
        `${V2.encodingAesKey.slice(0, 42)}+`,
      ]) {
        expectCryptoError(
          () => new DingTalkCallbackCrypto({ token: 't', encodingAesKey, ownerKey: 'o' }),
          DingTalkCryptoCodes.invalidAesKey,
        );
      }
    });

    it('refuses a random that is not 16 bytes', () => {
      expectCryptoError(
        () => v2.encrypt('x', { random: Buffer.alloc(8) }),
        DingTalkCryptoCodes.invalidPlaintext,
      );
    });
  });
});

describe('callback crypto properties', () => {
  const crypto = new DingTalkCallbackCrypto({
    token: 'tok123',
    encodingAesKey: '1234567890123456789012345678901234567890123',
    ownerKey: 'dingowner',
  });

  it('any UTF-8 message round-trips; any flipped ciphertext byte is refused under the original signature', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300, unit: 'grapheme' }), fc.nat(), (msg, at) => {
        const encrypted = crypto.encrypt(msg);
        expect(crypto.decrypt(encrypted)).to.equal(msg);
        const signature = crypto.signature('1700000000000', 'nonce', encrypted);
        const bytes = Buffer.from(encrypted, 'base64');
        bytes[at % bytes.length] ^= 0x01;
        // AES-CBC alone does not authenticate; the SHA-1 signature over `encrypt` does.
        expect(() =>
          crypto.decryptVerified(signature, '1700000000000', 'nonce', bytes.toString('base64')),
        ).to.throw(DingTalkCryptoError);
      }),
      { numRuns: 300 },
    );
  });

  it('a signature over other inputs never verifies', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), fc.string(), (ts, nonce, enc, other) => {
        // The scheme signs the sorted concatenation, so only inputs that concatenate differently must differ.
        fc.pre([ts, nonce, other].sort().join('') !== [ts, nonce, enc].sort().join(''));
        const sig = crypto.signature(ts, nonce, enc);
        expect(crypto.verifySignature(sig, ts, nonce, enc)).to.equal(true);
        expect(crypto.verifySignature(sig, ts, nonce, other)).to.equal(false);
      }),
      { numRuns: 300 },
    );
  });
});
