import net from 'node:net';

/** One SMTP reply: its code and full text (multi-line replies joined). */
export interface SmtpReply {
  code: number;
  text: string;
}

/**
 * A plain SMTP conversation over loopback: the banner, then one reply per command. A command
 * sent after the server hung up gets `{ code: 0, text: 'closed' }`, so tests can assert a 421
 * really closed the connection.
 */
export async function smtpDialog(port: number, commands: string[]): Promise<SmtpReply[]> {
  const socket = net.connect(port, '127.0.0.1');
  socket.setEncoding('utf8');
  let buffer = '';
  let closed = false;
  const waiters: ((reply: SmtpReply) => void)[] = [];
  const replies: SmtpReply[] = [];
  const deliver = (reply: SmtpReply) => {
    const waiter = waiters.shift();
    if (waiter) waiter(reply);
    else replies.push(reply);
  };
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    for (;;) {
      const m = /^(?:\d{3}-.*\r\n)*\d{3}(?: .*)?\r\n/.exec(buffer);
      if (!m) break;
      buffer = buffer.slice(m[0].length);
      deliver({ code: Number(m[0].slice(0, 3)), text: m[0].trim() });
    }
  });
  const onEnd = () => {
    closed = true;
    while (waiters.length) waiters.shift()!({ code: 0, text: 'closed' });
  };
  socket.on('close', onEnd);
  socket.on('error', onEnd);
  const next = () =>
    new Promise<SmtpReply>((resolve) => {
      if (replies.length) resolve(replies.shift()!);
      else if (closed) resolve({ code: 0, text: 'closed' });
      else waiters.push(resolve);
    });
  const out = [await next()];
  for (const command of commands) {
    if (closed) {
      out.push({ code: 0, text: 'closed' });
      continue;
    }
    socket.write(`${command}\r\n`);
    out.push(await next());
  }
  socket.destroy();
  return out;
}

/** AUTH PLAIN's initial response for a user name and password. */
export function authPlain(user: string, pass: string): string {
  return `AUTH PLAIN ${Buffer.from(`\0${user}\0${pass}`).toString('base64')}`;
}
