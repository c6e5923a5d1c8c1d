import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { StartupError } from '../../platform/errors';
import type { Logger } from '../../platform/logger';
import { SmtpRefusal, type AcceptedRecipient, type InboundMailService } from './inbound-mail.service';

export interface MxOptions {
  host: string;
  port: number;
  /** Largest message accepted (advertised with SIZE). */
  maxBytes: number;
  hostname: string;
  logger: Logger;
  /** STARTTLS credentials; without them STARTTLS is not offered. */
  tls?: { key: Buffer | string; cert: Buffer | string };
}

export interface RunningMx {
  port: number;
  close(): Promise<void>;
}

/** SMTP wiring only: every decision is the InboundMailService's. */
export async function startMx(inbound: InboundMailService, options: MxOptions): Promise<RunningMx> {
  const accepted = new Map<string, AcceptedRecipient[]>();
  const log = options.logger.child({ module: 'mx' });
  const server = new SMTPServer({
    name: options.hostname,
    banner: 'OrgMail ESMTP',
    size: options.maxBytes,
    authOptional: true,
    // An MX never takes AUTH (submission is a different service); STARTTLS when we have a certificate.
    disabledCommands: options.tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    ...(options.tls ? { key: options.tls.key, cert: options.tls.cert, minVersion: 'TLSv1.2' as const } : {}),
    // The reverse lookup caps throughput and would send DNS off this machine.
    disableReverseLookup: true,
    logger: false,
    onConnect(session, callback) {
      accepted.set(session.id, []);
      callback();
    },
    onClose(session) {
      accepted.delete(session.id);
    },
    onMailFrom(_address, session, callback) {
      accepted.set(session.id, []);
      callback();
    },
    onRcptTo(address, session, callback) {
      const size = Number(
        (session.envelope.mailFrom &&
          session.envelope.mailFrom.args &&
          (session.envelope.mailFrom.args as Record<string, string>).SIZE) ||
          0,
      );
      const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : null;
      inbound
        .checkRecipient(address.address, from || null, Number.isFinite(size) ? size : 0)
        .then((recipient) => {
          accepted.get(session.id)?.push(recipient);
          callback();
        })
        .catch((err) => callback(toSmtpError(err, log)));
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      // Past the limit the answer is 552 whatever follows: keep reading (the client must finish DATA)
      // but stop keeping bytes, so an endless DATA cannot grow memory.
      stream.on('data', (chunk: Buffer) => {
        if (!stream.sizeExceeded) chunks.push(chunk);
      });
      stream.on('end', () => {
        if (stream.sizeExceeded) return callback(withCode(552, '5.3.4 Message too big for this server'));
        const raw = Buffer.concat([received(session, options.hostname), ...chunks]);
        inbound
          .accept(raw, accepted.get(session.id) ?? [], {
            remoteAddress: session.remoteAddress,
            helo: session.hostNameAppearsAs || null,
            mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            secure: session.secure,
          })
          .then(() => callback())
          .catch((err) => callback(toSmtpError(err, log)));
      });
    },
  });
  server.on('error', (err) => log.warn({ err }, 'smtp connection error'));
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new StartupError(
              `SMTP port ${options.port} on ${options.host} is already in use. Set SMTP_PORT to a free port.`,
            )
          : err,
      ),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function received(session: SMTPServerSession, hostname: string): Buffer {
  const helo = session.hostNameAppearsAs || 'unknown';
  const protocol = session.secure ? 'ESMTPS' : 'ESMTP';
  return Buffer.from(
    `Received: from ${helo} ([${session.remoteAddress}]) by ${hostname} with ${protocol} id ${session.id}; ${new Date().toUTCString()}\r\n`,
  );
}

function withCode(code: number, message: string): Error & { responseCode: number } {
  return Object.assign(new Error(message), { responseCode: code });
}

/** Refusals keep their code; anything unexpected is a temporary failure (the sender retries, nothing is lost). */
function toSmtpError(err: unknown, log: Logger): Error {
  if (err instanceof SmtpRefusal) return withCode(err.code, err.message);
  log.error({ err }, 'smtp transaction failed');
  return withCode(451, '4.3.0 Temporary failure, please try again later');
}
