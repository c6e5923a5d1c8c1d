import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { SmtpSink, SunkMessage } from '../support/smtp-sink';

/**
 * The remote MX of the crash test: takes everything, like test/support/smtp-sink, but answers the
 * DATA only after a short random delay (a real MX's latency), so kills land mid-send too. It runs in
 * the test process and survives the server's kills.
 */
export async function startSlowSink(rand: () => number, maxDelayMs = 400): Promise<SmtpSink> {
  const messages: SunkMessage[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        setTimeout(
          () => {
            // Counted when we answer 250: what the remote side has taken responsibility for.
            messages.push({
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
              raw: Buffer.concat(chunks),
              user: null,
            });
            callback();
          },
          Math.floor(rand() * maxDelayMs),
        );
      });
    },
  });
  // A SIGKILLed server resets its connections mid-session.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.server.address() as AddressInfo).port,
    messages,
    failNext: () => {
      throw new Error('not supported by the crash sink');
    },
    refuseRecipient: () => {
      throw new Error('not supported by the crash sink');
    },
    waitFor: () => Promise.resolve(messages),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
