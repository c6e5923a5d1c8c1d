import { Transform, type TransformCallback } from 'node:stream';
import { TextDecoder } from 'node:util';
import type { MailParser } from 'mailparser';

/*
 * Charset repairs for Chinese mail, hooked into mailparser's streaming parser.
 *
 * mailparser (3.14) decodes through libmime/iconv-lite, which is right for most of the world but
 * wrong in three ways that matter for our users:
 *  - `gb2312`/`gbk` are decoded with the GBK table only, so text that is really GB18030 (clients
 *    label it gb2312 all the time) loses every 4-byte character. The WHATWG decoders treat these
 *    labels as GB18030, which is what browsers do and what senders mean.
 *  - a text part with no charset (or `us-ascii`) is turned into a string as UTF-8, so GBK bytes
 *    from old clients and scripts become U+FFFD and are lost for good.
 *  - raw 8-bit header values are taken as UTF-8 (RFC 6532), so a raw GBK Subject is lost the same way.
 * The hooks below use internal (@internal) members of MailParser; if a release drops them the hooks
 * turn themselves off and mailparser's own decoding stays in place. Tests pin the behaviour.
 */

const SNIFF_CHARSET = 'x-orgmail-sniff';

/** Labels decoded with Node's WHATWG decoders instead of iconv-lite. gbk/gb2312 become GB18030 there. */
const WHATWG_CHINESE: Record<string, string> = {
  gb2312: 'gb18030',
  gb_2312: 'gb18030',
  'gb_2312-80': 'gb18030',
  csgb2312: 'gb18030',
  'euc-cn': 'gb18030',
  gbk: 'gb18030',
  'x-gbk': 'gb18030',
  cp936: 'gb18030',
  'windows-936': 'gb18030',
  chinese: 'gb18030',
  gb18030: 'gb18030',
  big5: 'big5',
  'big5-hkscs': 'big5',
  'x-x-big5': 'big5',
  cn_big5: 'big5',
  cp950: 'big5',
};

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

function hasHighBytes(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] >= 0x80) return true;
  return false;
}

function whatwgDecoderAvailable(label: string): boolean {
  try {
    new TextDecoder(label);
    return true;
  } catch {
    return false; // a Node built without full ICU
  }
}

/**
 * Decodes bytes that came with no (or an ASCII) charset label: UTF-8 when they are valid UTF-8,
 * else GB18030 (our users' legacy charset), else UTF-8 with replacement characters as before.
 */
export function decodeUnlabelledBytes(bytes: Uint8Array): string {
  if (!hasHighBytes(bytes)) return Buffer.from(bytes).toString('latin1');
  try {
    return utf8Strict.decode(bytes);
  } catch {
    // not UTF-8: fall through to the legacy guess
  }
  if (whatwgDecoderAvailable('gb18030')) {
    try {
      return new TextDecoder('gb18030', { fatal: true }).decode(bytes);
    } catch {
      // not GB18030 either
    }
  }
  return Buffer.from(bytes).toString('utf-8');
}

/** Streams a WHATWG decoder; output is UTF-8 bytes, which is what mailparser expects from a decoder. */
class WhatwgDecodeStream extends Transform {
  private readonly decoder: TextDecoder;
  constructor(label: string) {
    super();
    this.decoder = new TextDecoder(label);
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    done(null, Buffer.from(this.decoder.decode(chunk, { stream: true })));
  }
  override _flush(done: TransformCallback): void {
    done(null, Buffer.from(this.decoder.decode()));
  }
}

/** Collects an unlabelled text part and decodes it once whole; text parts are buffered by mailparser anyway. */
class SniffDecodeStream extends Transform {
  private readonly chunks: Buffer[] = [];
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.chunks.push(chunk);
    done();
  }
  override _flush(done: TransformCallback): void {
    done(null, Buffer.from(decodeUnlabelledBytes(Buffer.concat(this.chunks))));
  }
}

interface CharsetDecoder {
  decodeStream(charset: string): NodeJS.ReadWriteStream;
}

interface MimeNodeLike {
  contentType?: string;
  charset?: string | false;
}

interface HeaderLineLike {
  key: string;
  line: string;
}

/** The internal members of MailParser the hooks use. */
interface MailParserInternals {
  decoder?: CharsetDecoder;
  createNode?: (node: MimeNodeLike) => unknown;
  processHeaders?: (lines: HeaderLineLike[]) => unknown;
}

/** mailparser keeps header lines as binary strings and reads them as UTF-8; re-read non-UTF-8 ones as GB18030. */
function repairHeaderLine(line: HeaderLineLike): HeaderLineLike {
  const bytes = Buffer.from(line.line, 'binary');
  if (!hasHighBytes(bytes)) return line;
  try {
    utf8Strict.decode(bytes);
    return line; // valid UTF-8 (RFC 6532): mailparser reads it right
  } catch {
    return { key: line.key, line: Buffer.from(decodeUnlabelledBytes(bytes)).toString('binary') };
  }
}

/**
 * Installs the charset repairs on one parser instance. Returns the names of hooks that could not
 * be installed (empty when all are in place), so the caller can log a version mismatch.
 */
export function installCharsetRepairs(parser: MailParser): string[] {
  const internals = parser as unknown as MailParserInternals;
  const missing: string[] = [];

  const original = internals.decoder;
  if (original && typeof original.decodeStream === 'function') {
    internals.decoder = {
      decodeStream(charset: string) {
        const label = (charset || '').toLowerCase().trim();
        if (label === SNIFF_CHARSET) return new SniffDecodeStream();
        const whatwg = WHATWG_CHINESE[label];
        if (whatwg && whatwgDecoderAvailable(whatwg)) return new WhatwgDecodeStream(whatwg);
        return original.decodeStream(charset);
      },
    };
  } else {
    missing.push('decoder');
  }

  const createNode = internals.createNode;
  if (typeof createNode === 'function') {
    internals.createNode = function (this: unknown, node: MimeNodeLike) {
      // mailparser leaves unlabelled and ASCII-labelled text undecoded; route those through the sniffer
      const type = (node.contentType || 'text/plain').toLowerCase();
      const charset = (node.charset || '').toLowerCase().replace(/[^a-z0-9]/g, '');
      if (type.startsWith('text/') && ['', 'ascii', 'usascii'].includes(charset)) {
        node.charset = SNIFF_CHARSET;
      }
      return createNode.call(this, node);
    };
  } else {
    missing.push('createNode');
  }

  const processHeaders = internals.processHeaders;
  if (typeof processHeaders === 'function') {
    internals.processHeaders = function (this: unknown, lines: HeaderLineLike[]) {
      return processHeaders.call(this, (lines || []).map(repairHeaderLine));
    };
  } else {
    missing.push('processHeaders');
  }
  return missing;
}
