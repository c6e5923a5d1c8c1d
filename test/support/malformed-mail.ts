/*
 * A seeded generator of malformed mail for the bad-input suites (test/e2e/malformed-mail.test.ts and
 * the soak run test/reliability/malformed-corpus.ts). Every case is plain bytes as a sender would put
 * them after DATA (before dot-stuffing, which the raw SMTP client does), with what the MX must do:
 * store it, refuse it, or either as long as the answer is a proper SMTP reply.
 */

import {
  b64,
  CRLF,
  GBK_HELLO,
  Gen,
  head,
  seededRandom,
  simple,
  type GenerateOptions,
} from './malformed-mail-kit';

export const MALFORMED_KINDS = [
  'broken-boundary',
  'boundary-never-closed',
  'invalid-base64',
  'bad-quoted-printable',
  'long-header-line',
  'many-headers',
  'deep-nesting',
  'nul-bytes',
  'unknown-charset',
  'gbk-labelled-utf8',
  'bare-lf',
  'cr-only',
  'eight-bit-garbage',
  'header-without-colon',
  'evil-filenames',
  'empty',
  'headers-only',
  'dot-stuffing',
  'near-size-limit',
  'over-size-limit',
  'random-bytes',
  'pathological-runs',
  'combination',
] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

export interface MalformedCase {
  kind: MalformedKind;
  /** Kind plus variant and seed, for reports and failure messages. */
  name: string;
  raw: Buffer;
  /** 'stored': 250 and readable; 'refused': a 4xx/5xx reply; 'either': any proper reply. */
  expect: 'stored' | 'refused' | 'either';
  /** When refused, the reply code expected (e.g. 552 for oversize). */
  refuseCode?: number;
}

export type { GenerateOptions } from './malformed-mail-kit';

type Builder = (g: Gen, opts: GenerateOptions) => Omit<MalformedCase, 'kind' | 'name'> & { variant: string };

const BUILDERS: Record<MalformedKind, Builder> = {
  'broken-boundary': (g, o) => {
    // Declared boundary never used; parts delimited by another one; a stray closing delimiter.
    const body = [
      ...head(g, o, 'broken boundary', ['Content-Type: multipart/mixed; boundary="declared"']),
      '',
      '--other',
      'Content-Type: text/plain; charset=utf-8',
      '',
      g.words(20),
      '--other--',
      '--declared--',
      '--declared',
      'Content-Type: text/plain',
      '',
      'after the close',
      '',
    ];
    return { raw: Buffer.from(body.join(CRLF)), expect: 'stored', variant: 'mismatched' };
  },
  'boundary-never-closed': (g, o) => {
    const depth = g.int(1, 4);
    const lines = head(g, o, 'never closed', [`Content-Type: multipart/mixed; boundary="b0"`]);
    lines.push('');
    for (let i = 0; i < depth; i++) {
      lines.push(`--b${i}`, `Content-Type: multipart/alternative; boundary="b${i + 1}"`, '');
    }
    lines.push(`--b${depth}`, 'Content-Type: text/plain; charset=utf-8', '', g.words(30));
    return { raw: Buffer.from(lines.join(CRLF)), expect: 'stored', variant: `depth${depth}` };
  },
  'invalid-base64': (g, o) => {
    const good = b64('正文 ' + g.words(10));
    const garbage = good.slice(0, 30) + '!!@@##$$%%' + '====' + good.slice(30) + '=A=B*&^' + '\u00ff';
    const lines = [
      ...head(g, o, 'bad base64', ['Content-Type: multipart/mixed; boundary="x"']),
      '',
      '--x',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: base64',
      '',
      garbage,
      '--x',
      'Content-Type: application/pdf; name="a.pdf"',
      'Content-Disposition: attachment; filename="a.pdf"',
      'Content-Transfer-Encoding: base64',
      '',
      'JVBERi0xLjQK' + '***not base64 at all***' + 'a',
      '--x--',
      '',
    ];
    return { raw: Buffer.from(lines.join(CRLF), 'latin1'), expect: 'stored', variant: 'garbage' };
  },
  'bad-quoted-printable': (g, o) => {
    const body = ['=ZZ=G1 bad escapes =', '=E4=B8 truncated utf-8 =E4=B8=AD=E6=96=87', '=', 'end=3', '=\r'];
    const lines = [
      ...head(g, o, 'bad qp', [
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: quoted-printable',
      ]),
      '',
      ...body,
      g.words(5) + '=',
    ];
    return { raw: Buffer.from(lines.join(CRLF)), expect: 'stored', variant: 'escapes' };
  },
  'long-header-line': (g, o) => {
    const size = Math.min(1024 * 1024, Math.floor(o.maxBytes * 0.6));
    const which = g.pick(['Subject', 'X-Long', 'To', 'References']);
    const value =
      which === 'To'
        ? 'a@b.cn,'.repeat(Math.floor(size / 7))
        : which === 'References'
          ? '<r@x> '.repeat(size / 6)
          : 'x'.repeat(size);
    const lines = [...head(g, o, 'long header'), `${which}: ${value}`, '', 'body'];
    return { raw: Buffer.from(lines.join(CRLF)), expect: 'either', variant: `${which}-${size}` };
  },
  'many-headers': (g, o) => {
    const n = 5000;
    const extra = Array.from({ length: n }, (_, i) => `X-H${i % 50}: ${g.word()} ${i}`);
    const lines = [...head(g, o, 'many headers', extra), '', 'body'];
    return { raw: Buffer.from(lines.join(CRLF)), expect: 'either', variant: String(n) };
  },
  'deep-nesting': (g, o) => {
    const depth = 200;
    const lines = head(g, o, 'deep', ['Content-Type: multipart/mixed; boundary="d0"']);
    lines.push('');
    for (let i = 0; i < depth; i++)
      lines.push(`--d${i}`, `Content-Type: multipart/mixed; boundary="d${i + 1}"`, '');
    lines.push(`--d${depth}`, 'Content-Type: text/plain; charset=utf-8', '', '最深处 ' + g.words(3));
    for (let i = depth; i >= 0; i--) lines.push(`--d${i}--`);
    lines.push('');
    return { raw: Buffer.from(lines.join(CRLF)), expect: 'either', variant: String(depth) };
  },
  'nul-bytes': (g, o) => {
    // NUL in the subject, in headers that are stored (List-Id, References, Received), in a part's
    // Content-Type and Content-ID, and in the body: PostgreSQL refuses NUL in text and jsonb.
    const raw = Buffer.from(
      [
        'Received: from x\0y by z; Mon, 03 Jun 2024 10:00:00 +0800',
        ...head(g, o, 'nul\0in\0subject', [
          'X-Nul: a\0b',
          'List-Id: <li\0st.example.cn>',
          'References: <r\0@x> <r2@x>',
          'Content-Type: multipart/mixed; boundary="n"',
        ]),
        '',
        '--n',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'body\0with\0nul ' + g.words(3),
        '\0\0\0',
        '--n',
        'Content-Type: applica\0tion/pdf; name="a\0.pdf"',
        'Content-ID: <c\0id@x>',
        'Content-Transfer-Encoding: base64',
        '',
        b64(g.bytes(40)),
        '--n--',
        '',
      ].join(CRLF),
    );
    return { raw, expect: 'stored', variant: 'headers+parts+body' };
  },
  'unknown-charset': (g, o) => {
    const raw = Buffer.concat([
      Buffer.from(
        [
          ...head(g, o, '=?unknown-xyz?B?' + Buffer.from('主题').toString('base64') + '?=', [
            'Content-Type: text/plain; charset=unknown-xyz',
          ]),
          '',
          '',
        ].join(CRLF),
      ),
      Buffer.from('中文 ' + g.words(4)),
    ]);
    return { raw, expect: 'stored', variant: 'unknown-xyz' };
  },
  'gbk-labelled-utf8': (g, o) => {
    const raw = Buffer.concat([
      Buffer.from(
        [
          ...head(g, o, 'gbk body', [
            'Content-Type: text/plain; charset=utf-8',
            'Content-Transfer-Encoding: 8bit',
          ]),
          '',
          '',
        ].join(CRLF),
      ),
      GBK_HELLO,
      Buffer.from(CRLF),
    ]);
    return { raw, expect: 'stored', variant: 'gbk' };
  },
  'bare-lf': (g, o) => {
    const raw = Buffer.from(
      simple(g, o, '换行 bare LF', g.words(10) + CRLF + '.' + CRLF + 'x').replace(/\r\n/g, '\n'),
    );
    return { raw, expect: 'stored', variant: 'lf' };
  },
  'cr-only': (g, o) => {
    const raw = Buffer.from(simple(g, o, 'CR only', g.words(10)).replace(/\r\n/g, '\r'));
    return { raw, expect: 'stored', variant: 'cr' };
  },
  'eight-bit-garbage': (g, o) => {
    const raw = Buffer.concat([
      Buffer.from('From: '),
      g.bytes(20).map((b) => (b === 0x0a || b === 0x0d ? 0x41 : b)),
      Buffer.from(CRLF + 'Subject: '),
      g.bytes(30).map((b) => (b === 0x0a || b === 0x0d ? 0x41 : b | 0x80)),
      Buffer.from(CRLF + `To: ${o.to ?? 'x@y'}` + CRLF + CRLF),
      g.bytes(g.int(100, 4000)),
    ]);
    return { raw, expect: 'stored', variant: 'bytes' };
  },
  'header-without-colon': (g, o) => {
    const lines = [
      'This line has no colon at all',
      ...head(g, o, 'no colon'),
      'AnotherBrokenHeaderLine',
      ': empty name',
      'Content-Type: text/plain; charset=utf-8',
      '',
      g.words(5),
    ];
    return { raw: Buffer.from(lines.join(CRLF)), expect: 'stored', variant: 'first-line' };
  },
  'evil-filenames': (g, o) => {
    const names = [
      '../../etc/passwd',
      '..\\..\\windows\\system32\\cmd.exe',
      'a\u0001b\u0007c\u001b[31m.txt',
      'invoice\u202Efdp.exe',
      '',
      '.....',
      '合同/../../秘密.docx',
      'x'.repeat(400) + '.pdf',
    ];
    const lines = [...head(g, o, 'evil filenames', ['Content-Type: multipart/mixed; boundary="e"']), ''];
    lines.push('--e', 'Content-Type: text/plain; charset=utf-8', '', 'see attachments');
    for (const name of names) {
      const encoded = `=?UTF-8?B?${Buffer.from(name).toString('base64')}?=`;
      lines.push(
        '--e',
        `Content-Type: application/octet-stream; name="${encoded}"`,
        `Content-Disposition: attachment; filename="${encoded}"`,
        'Content-Transfer-Encoding: base64',
        '',
        b64(g.bytes(g.int(1, 300))),
      );
    }
    lines.push('--e--', '');
    return { raw: Buffer.from(lines.join(CRLF)), expect: 'stored', variant: 'names' };
  },
  empty: () => ({ raw: Buffer.alloc(0), expect: 'either', variant: 'zero' }),
  'headers-only': (g, o) => ({
    raw: Buffer.from(head(g, o, 'only headers').join(CRLF)),
    expect: 'stored',
    variant: 'no-blank-line',
  }),
  'dot-stuffing': (g, o) => {
    const body = ['.', '..', '...', '. leading dot', '.\t', g.words(3), '.'].join(CRLF);
    const raw = Buffer.from(['.dotted-first-line: x', ...head(g, o, '.subject'), '', body].join(CRLF));
    return { raw, expect: 'stored', variant: 'dots' };
  },
  'near-size-limit': (g, o) => {
    const prefix = simple(g, o, 'near the limit', '');
    // The MX prepends a Received header (~150 bytes) and counts the dot-stuffed DATA: stay a bit under.
    const room = o.maxBytes - prefix.length - 1024;
    const line = 'a'.repeat(76) + CRLF;
    const body = line.repeat(Math.max(0, Math.floor(room / line.length)));
    return {
      raw: Buffer.from(prefix + body),
      expect: 'stored',
      variant: String(prefix.length + body.length),
    };
  },
  'over-size-limit': (g, o) => {
    const prefix = simple(g, o, 'over the limit', '');
    const line = 'b'.repeat(76) + CRLF;
    const body = line.repeat(Math.ceil((o.maxBytes + g.int(1, 4096)) / line.length));
    return {
      raw: Buffer.from(prefix + body),
      expect: 'refused',
      refuseCode: 552,
      variant: String(body.length),
    };
  },
  'pathological-runs': (g, o) => {
    // Long runs that make backtracking patterns quadratic: letters before an "@" (the search
    // tokenizer's address pattern took a minute on 100k of these), dotted runs, nested brackets.
    const n = Math.min(200_000, Math.floor(o.maxBytes / 8));
    const variant = g.pick(['letters-at', 'dots-at', 'brackets', 'spaces']);
    const run =
      variant === 'letters-at'
        ? 'y'.repeat(n) + '@'
        : variant === 'dots-at'
          ? 'a.'.repeat(n / 2) + '@b'
          : variant === 'brackets'
            ? '<'.repeat(n / 2) + '('.repeat(n / 2)
            : 'x' + ' '.repeat(n) + 'x@';
    const lines = [
      ...head(g, o, `${run.slice(0, 20_000)}`, [
        `References: ${run.slice(0, 50_000)}`,
        'Content-Type: text/plain; charset=utf-8',
      ]),
      '',
      run,
      '',
    ];
    return { raw: Buffer.from(lines.join(CRLF)), expect: 'stored', variant: `${variant}-${n}` };
  },
  'random-bytes': (g) => ({ raw: g.bytes(g.int(1, 8000)), expect: 'either', variant: 'noise' }),
  combination: (g, o) => {
    // A good multipart message, then a few random mutations on top.
    let text = [
      ...head(g, o, '组合 ' + g.word(), ['Content-Type: multipart/mixed; boundary="c"']),
      '',
      '--c',
      'Content-Type: text/plain; charset=' + g.pick(['utf-8', 'gbk', 'unknown-xyz', 'us-ascii']),
      'Content-Transfer-Encoding: ' + g.pick(['base64', 'quoted-printable', '8bit', 'x-unknown']),
      '',
      g.pick([b64(g.words(8)), '=E4=B8=AD=ZZ', g.words(8)]),
      '--c',
      'Content-Type: application/octet-stream; name="../x.bin"',
      'Content-Transfer-Encoding: base64',
      '',
      b64(g.bytes(g.int(10, 2000))),
      g.pick(['--c--', '', '--c']),
      '',
    ].join(CRLF);
    const applied: string[] = [];
    for (let i = g.int(1, 4); i > 0; i--) {
      const m = g.pick(['lf', 'cr', 'nul', 'truncate', 'dup-headers', 'long-line', 'dots']);
      applied.push(m);
      if (m === 'lf') text = text.replace(/\r\n/g, '\n');
      else if (m === 'cr') text = text.replace(/\r?\n/g, '\r');
      else if (m === 'nul') text = text.replace(/a/g, 'a\0');
      else if (m === 'truncate') text = text.slice(0, g.int(1, text.length));
      else if (m === 'dup-headers') text = 'X-Dup: 1\r\n'.repeat(g.int(10, 500)) + text;
      else if (m === 'long-line')
        text = text.replace('Subject: ', 'Subject: ' + 'y'.repeat(g.int(1000, 100_000)));
      else text = text.replace(/\n/g, '\n.');
    }
    return { raw: Buffer.from(text), expect: 'either', variant: applied.join('+') };
  },
};

/** One case of a kind; the same (kind, seed, options) always gives the same bytes. */
export function malformedCase(kind: MalformedKind, seed: number, opts: GenerateOptions): MalformedCase {
  const { variant, ...rest } = BUILDERS[kind](new Gen(seededRandom(seed)), opts);
  return { kind, name: `${kind}/${variant}#${seed}`, ...rest };
}

/** One case of every kind, plus `extra` seeded cases of the kinds whose bytes vary with the seed. */
export function malformedCorpus(seed: number, opts: GenerateOptions, extra = 0): MalformedCase[] {
  const out = MALFORMED_KINDS.map((kind, i) => malformedCase(kind, seed + i, opts));
  const varying: MalformedKind[] = [
    'combination',
    'random-bytes',
    'eight-bit-garbage',
    'boundary-never-closed',
    'pathological-runs',
  ];
  for (let i = 0; i < extra; i++) out.push(malformedCase(varying[i % varying.length], seed + 1000 + i, opts));
  return out;
}

/** The i-th case of an endless corpus cycling through every kind (soak runs). */
export function nthMalformedCase(seed: number, i: number, opts: GenerateOptions): MalformedCase {
  return malformedCase(MALFORMED_KINDS[i % MALFORMED_KINDS.length], seed * 100_003 + i, opts);
}
