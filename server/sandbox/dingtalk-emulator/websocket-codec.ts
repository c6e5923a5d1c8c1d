import { createHash, randomBytes } from 'node:crypto';

/**
 * Just enough RFC 6455 for the Stream-mode emulator (and a test client): the handshake key, and
 * single text/control frames. No extensions, no compression. Node 20 has no WebSocket server and
 * the project has no `ws` dependency; this keeps the emulator dependency-free.
 */

export const Opcode = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MAX_PAYLOAD = 16 * 1024 * 1024;

export function acceptKey(secWebSocketKey: string): string {
  return createHash('sha1')
    .update(secWebSocketKey + GUID)
    .digest('base64');
}

/** Server frames go unmasked; client frames must be masked (`mask: true`). */
export function encodeFrame(opcode: number, payload: Buffer | string, mask = false): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const lengthBytes = data.length < 126 ? 0 : data.length < 65536 ? 2 : 8;
  const header = Buffer.alloc(2 + lengthBytes + (mask ? 4 : 0));
  header[0] = 0x80 | opcode;
  const maskBit = mask ? 0x80 : 0;
  if (lengthBytes === 0) header[1] = maskBit | data.length;
  else if (lengthBytes === 2) {
    header[1] = maskBit | 126;
    header.writeUInt16BE(data.length, 2);
  } else {
    header[1] = maskBit | 127;
    header.writeBigUInt64BE(BigInt(data.length), 2);
  }
  if (!mask) return Buffer.concat([header, data]);
  const key = randomBytes(4);
  key.copy(header, 2 + lengthBytes);
  const masked = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++) masked[i] = data[i] ^ key[i & 3];
  return Buffer.concat([header, masked]);
}

export interface Frame {
  opcode: number;
  payload: Buffer;
}

/** Feed socket chunks in; whole messages (continuations joined) come out. */
export class FrameDecoder {
  private buffer: Buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private fragmentOpcode = 0;

  push(chunk: Buffer): Frame[] {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    const frames: Frame[] = [];
    for (;;) {
      const frame = this.next();
      if (!frame) return frames;
      frames.push(...frame);
    }
  }

  private next(): Frame[] | undefined {
    const buf = this.buffer;
    if (buf.length < 2) return undefined;
    const fin = (buf[0] & 0x80) !== 0;
    const opcode = buf[0] & 0x0f;
    const masked = (buf[1] & 0x80) !== 0;
    let length = buf[1] & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (buf.length < 4) return undefined;
      length = buf.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (buf.length < 10) return undefined;
      const big = buf.readBigUInt64BE(2);
      if (big > BigInt(MAX_PAYLOAD)) throw new Error('websocket frame too large');
      length = Number(big);
      offset = 10;
    }
    const maskAt = offset;
    if (masked) offset += 4;
    if (buf.length < offset + length) return undefined;
    const payload = Buffer.from(buf.subarray(offset, offset + length));
    if (masked) for (let i = 0; i < payload.length; i++) payload[i] ^= buf[maskAt + (i & 3)];
    this.buffer = buf.subarray(offset + length);

    if (opcode >= Opcode.close) return [{ opcode, payload }]; // control frames are never fragmented
    if (opcode !== Opcode.continuation) this.fragmentOpcode = opcode;
    this.fragments.push(payload);
    if (!fin) return [];
    const whole = Buffer.concat(this.fragments);
    this.fragments = [];
    return [{ opcode: this.fragmentOpcode, payload: whole }];
  }
}
