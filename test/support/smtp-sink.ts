import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface SunkMessage {
  from: string;
  to: string[];
  raw: Buffer;
  /** The AUTH user, when the client signed in. */
  user: string | null;
}

export interface SmtpSink {
  port: number;
  messages: SunkMessage[];
  /** The next `count` messages are answered `code message` at DATA (e.g. 451 or 550). */
  failNext(count: number, code: number, message?: string): void;
  /** Recipients refused at RCPT TO with this reply (others are accepted); a 2xx code accepts again. */
  refuseRecipient(address: string, code: number, message?: string): void;
  /** Resolves when `n` messages have arrived in total. */
  waitFor(n: number, timeoutMs?: number): Promise<SunkMessage[]>;
  close(): Promise<void>;
}

/**
 * A loopback SMTP server that records what it receives: stands in for a relay (with AUTH) or a
 * remote MX in tests. Can be told to answer 4xx/5xx for the next messages or for given recipients.
 */
export async function startSmtpSink(opts: { auth?: { user: string; pass: string } } = {}): Promise<SmtpSink> {
  const messages: SunkMessage[] = [];
  const failures: { code: number; message: string }[] = [];
  const refused = new Map<string, { code: number; message: string }>();
  const waiters: { n: number; resolve: () => void }[] = [];
  const users = new Map<string, string>();
  const server = new SMTPServer({
    // AUTH is offered when credentials are configured (a relay) but never required (an MX).
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: opts.auth ? ['STARTTLS'] : ['AUTH', 'STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    onAuth(auth, session, callback) {
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass) {
        users.set(session.id, auth.username);
        return callback(null, { user: auth.username });
      }
      callback(Object.assign(new Error('5.7.8 bad credentials'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, callback) {
      const r = refused.get(address.address.toLowerCase());
      if (r && r.code >= 400) return callback(Object.assign(new Error(r.message), { responseCode: r.code }));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const failure = failures.shift();
        if (failure)
          return callback(Object.assign(new Error(failure.message), { responseCode: failure.code }));
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
          user: users.get(session.id) ?? null,
        });
        for (const w of [...waiters]) {
          if (messages.length >= w.n) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve();
          }
        }
        callback();
      });
    },
  });
  // A client that dies mid-session (a SIGKILLed server) resets the connection: not the sink's problem.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.server.address() as AddressInfo).port,
    messages,
    failNext(count, code, message) {
      for (let i = 0; i < count; i++)
        failures.push({
          code,
          message: message ?? (code >= 500 ? '5.1.1 User unknown' : '4.3.0 Try again later'),
        });
    },
    refuseRecipient(address, code, message) {
      refused.set(address.toLowerCase(), {
        code,
        message: message ?? (code >= 500 ? '5.1.1 No such user' : '4.2.1 Mailbox busy, try later'),
      });
    },
    waitFor(n, timeoutMs = 10_000) {
      if (messages.length >= n) return Promise.resolve(messages);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`sink got ${messages.length} of ${n} messages`)),
          timeoutMs,
        );
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve(messages);
          },
        });
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
