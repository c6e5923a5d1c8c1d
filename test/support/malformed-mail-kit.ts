/* Building blocks for the malformed-mail generator (malformed-mail.ts): a seeded random source and
 * the well-formed parts the broken messages are made from. */

export interface GenerateOptions {
  /** The MX's message size limit (SMTP SIZE), used for the near/over limit cases. */
  maxBytes: number;
  /** Recipient written into the To header (the envelope decides delivery, not this). */
  to?: string;
}

/** mulberry32: small, fast and good enough for test data; the same seed gives the same corpus. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Gen {
  constructor(readonly rnd: () => number) {}
  int(min: number, max: number): number {
    return min + Math.floor(this.rnd() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.rnd() * items.length)];
  }
  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(this.rnd() * 256);
    return out;
  }
  word(): string {
    return this.pick([
      '合同',
      '发票',
      'report',
      '会议',
      'invoice',
      '季度',
      'hello',
      '测试',
      'budget',
      '附件',
    ]);
  }
  words(n: number): string {
    return Array.from({ length: n }, () => this.word()).join(' ');
  }
}

export const CRLF = '\r\n';
export const GBK_HELLO = Buffer.from([0xc4, 0xe3, 0xba, 0xc3, 0xa3, 0xac, 0xca, 0xc0, 0xbd, 0xe7]); // 你好，世界

export function head(g: Gen, opts: GenerateOptions, subject: string, extra: string[] = []): string[] {
  return [
    'From: =?UTF-8?B?' + Buffer.from('发件人').toString('base64') + '?= <sender@example.cn>',
    `To: ${opts.to ?? 'someone@example.test'}`,
    `Subject: ${subject}`,
    `Message-ID: <m${g.int(0, 1e9)}.${g.int(0, 1e9)}@example.cn>`,
    'Date: Mon, 03 Jun 2024 10:00:00 +0800',
    'MIME-Version: 1.0',
    ...extra,
  ];
}

export const b64 = (data: Buffer | string) =>
  (
    Buffer.from(data)
      .toString('base64')
      .match(/.{1,76}/g) ?? []
  ).join(CRLF);

export function simple(g: Gen, opts: GenerateOptions, subject: string, body: string): string {
  return [...head(g, opts, subject, ['Content-Type: text/plain; charset=utf-8']), '', body, ''].join(CRLF);
}
