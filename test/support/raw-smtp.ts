import net from 'node:net';

/*
 * A deliberately small SMTP client for bad-input tests: it sends the DATA bytes exactly as given
 * (only dot-stuffed, as RFC 5321 §4.5.2 requires), so bare LF, CR-only, NUL and 8-bit bytes reach
 * the server unchanged. nodemailer would normalise line endings, which is what we must not do here.
 */

export interface SmtpReply {
  code: number;
  text: string;
}

export interface RawSendResult {
  /** The stage whose reply ended the transaction ('data-end' when the message was sent). */
  stage: 'greeting' | 'ehlo' | 'mail' | 'rcpt' | 'data' | 'data-end';
  reply: SmtpReply;
  /** True when the connection answered QUIT (the server is still talking after the message). */
  quitOk: boolean;
}

/** Lines starting with '.' get another '.'; a start of line is the data start or after LF (what smtp-server reads). */
export function dotStuff(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let from = 0;
  if (data.length > 0 && data[0] === 0x2e) {
    parts.push(Buffer.from('.'));
  }
  for (let i = 0; i < data.length - 1; i++) {
    if (data[i] === 0x0a && data[i + 1] === 0x2e) {
      parts.push(data.subarray(from, i + 1), Buffer.from('.'));
      from = i + 1;
    }
  }
  parts.push(data.subarray(from));
  const stuffed = Buffer.concat(parts);
  const ending = stuffed.subarray(-2).equals(Buffer.from('\r\n')) ? '' : '\r\n';
  return Buffer.concat([stuffed, Buffer.from(`${ending}.\r\n`)]);
}

class ReplyReader {
  private buffer = '';
  private waiting: ((r: SmtpReply) => void) | null = null;
  private readonly queue: SmtpReply[] = [];
  private lines: string[] = [];
  closed = false;

  constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.feed(chunk.toString('latin1')));
    socket.on('close', () => {
      this.closed = true;
      this.deliver({ code: 0, text: 'connection closed' });
    });
    socket.on('error', () => undefined);
  }

  private feed(text: string): void {
    this.buffer += text;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, '');
      this.buffer = this.buffer.slice(nl + 1);
      this.lines.push(line.slice(4));
      if (line[3] !== '-') {
        this.deliver({ code: Number(line.slice(0, 3)) || 0, text: this.lines.join('\n') });
        this.lines = [];
      }
    }
  }

  private deliver(reply: SmtpReply): void {
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = null;
      waiting(reply);
    } else if (reply.code !== 0 || this.queue.length === 0) {
      this.queue.push(reply);
    }
  }

  next(timeoutMs: number): Promise<SmtpReply> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.closed) return Promise.resolve({ code: 0, text: 'connection closed' });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        resolve({ code: -1, text: `no reply within ${timeoutMs} ms` });
      }, timeoutMs);
      this.waiting = (r) => {
        clearTimeout(timer);
        resolve(r);
      };
    });
  }
}

/** One transaction on a fresh connection: EHLO, MAIL, RCPT…, DATA, the bytes, QUIT. */
export async function sendRaw(opts: {
  port: number;
  host?: string;
  from: string;
  to: string[];
  data: Buffer;
  timeoutMs?: number;
}): Promise<RawSendResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const socket = net.connect(opts.port, opts.host ?? '127.0.0.1');
  const reader = new ReplyReader(socket);
  const write = (data: string | Buffer) =>
    new Promise<void>((resolve) => {
      if (socket.destroyed) return resolve();
      socket.write(data, () => resolve());
    });
  const command = async (line: string) => {
    await write(`${line}\r\n`);
    return reader.next(timeoutMs);
  };
  const finish = async (stage: RawSendResult['stage'], reply: SmtpReply): Promise<RawSendResult> => {
    const quit = reader.closed ? { code: 0, text: '' } : await command('QUIT');
    socket.destroy();
    return { stage, reply, quitOk: quit.code === 221 };
  };
  try {
    const greeting = await reader.next(timeoutMs);
    if (greeting.code !== 220) return await finish('greeting', greeting);
    const ehlo = await command('EHLO client.example');
    if (ehlo.code !== 250) return await finish('ehlo', ehlo);
    const mail = await command(`MAIL FROM:<${opts.from}>`);
    if (mail.code !== 250) return await finish('mail', mail);
    let accepted = 0;
    let lastRefusal: SmtpReply | null = null;
    for (const to of opts.to) {
      const rcpt = await command(`RCPT TO:<${to}>`);
      if (rcpt.code === 250) accepted++;
      else lastRefusal = rcpt;
    }
    if (accepted === 0) return await finish('rcpt', lastRefusal ?? { code: 0, text: 'no recipients' });
    const data = await command('DATA');
    if (data.code !== 354) return await finish('data', data);
    await write(dotStuff(opts.data));
    return await finish('data-end', await reader.next(timeoutMs));
  } finally {
    socket.destroy();
  }
}

/** "250 2.0.0 …", "552 5.3.4 …": a reply code with a matching enhanced status code (RFC 3463). */
export function hasEnhancedCode(reply: SmtpReply): boolean {
  const m = /^([245])\.\d{1,3}\.\d{1,3}\b/.exec(reply.text);
  return !!m && m[1] === String(reply.code)[0];
}
