import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { ErrorCodes } from '../../../shared/errors';
import { AppError, StartupError } from '../../platform/errors';
import type { Logger } from '../../platform/logger';
import type { RecipientResolver } from '../mailboxes';
import { SmtpAuthError, type AppPasswordsService, type SmtpIdentity } from './app-passwords.service';
import type { OutgoingMailService } from './outgoing-mail.service';

export interface SubmissionOptions {
  host: string;
  port: number;
  /** Hard cap on a message (the organization's send policy may be lower). */
  maxBytes: number;
  hostname: string;
  logger: Logger;
  /** STARTTLS credentials (the MX's). Without TLS, AUTH is accepted from loopback clients only. */
  tls?: { key: Buffer | string; cert: Buffer | string };
}

/** Recipients per message over submission (RFC 5321 asks servers to take at least 100). */
const MAX_RECIPIENTS = 500;
/** Failed AUTH attempts on one connection before it is closed (the counts in PostgreSQL still apply). */
const MAX_AUTH_FAILURES_PER_CONNECTION = 3;

export interface RunningSubmission {
  port: number;
  close(): Promise<void>;
}

export interface SubmissionDeps {
  appPasswords: AppPasswordsService;
  outgoing: OutgoingMailService;
  recipients: RecipientResolver;
}

/**
 * SMTP submission for mail clients: AUTH PLAIN/LOGIN with an app password, MAIL FROM limited to
 * the member's own addresses, recipients checked against the send policy at RCPT TO, and the
 * message sent like a web send (Sent copy, local delivery, queue) — 250 only after the commit.
 */
export async function startSubmission(
  deps: SubmissionDeps,
  options: SubmissionOptions,
): Promise<RunningSubmission> {
  const log = options.logger.child({ module: 'submission' });
  const identities = new Map<string, SmtpIdentity>();
  const authFailures = new Map<string, number>();
  const server = new SMTPServer({
    name: options.hostname,
    banner: 'OrgMail submission',
    size: options.maxBytes,
    authMethods: ['PLAIN', 'LOGIN'],
    // Checked per connection in onAuth: TLS, or a loopback client.
    allowInsecureAuth: true,
    disabledCommands: options.tls ? [] : ['STARTTLS'],
    ...(options.tls ? { key: options.tls.key, cert: options.tls.cert, minVersion: 'TLSv1.2' as const } : {}),
    disableReverseLookup: true,
    logger: false,
    onAuth(auth, session, callback) {
      if (!session.secure && !isLoopback(session.remoteAddress)) {
        return callback(withCode(538, '5.7.11 Encryption required: use STARTTLS before AUTH'));
      }
      deps.appPasswords
        .authenticate(auth.username ?? '', auth.password ?? '', session.remoteAddress || null)
        .then((identity) => {
          identities.set(session.id, identity);
          callback(null, { user: identity.address });
        })
        .catch((err) => {
          if (err instanceof SmtpAuthError) {
            // Limited (or a third failure on this connection): 421 makes smtp-server hang up.
            const failures = (authFailures.get(session.id) ?? 0) + 1;
            authFailures.set(session.id, failures);
            if (err.locked) return callback(withCode(421, `${err.message}; closing connection`));
            if (failures >= MAX_AUTH_FAILURES_PER_CONNECTION)
              return callback(withCode(421, '4.7.0 Too many failed sign-ins, closing connection'));
            return callback(withCode(535, err.message));
          }
          log.error({ err }, 'smtp auth failed unexpectedly');
          callback(withCode(454, '4.7.0 Temporary authentication failure'));
        });
    },
    onClose(session) {
      identities.delete(session.id);
      authFailures.delete(session.id);
    },
    onMailFrom(address, session, callback) {
      const identity = identities.get(session.id);
      if (!identity) return callback(withCode(530, '5.7.0 Authentication required'));
      ownAddress(deps.recipients, identity, address.address)
        .then((ok) =>
          ok
            ? callback()
            : callback(withCode(553, `5.7.1 Sender address rejected: not owned by ${identity.address}`)),
        )
        .catch((err) => callback(toSmtpError(err, log)));
    },
    onRcptTo(address, session, callback) {
      const identity = identities.get(session.id)!;
      if (session.envelope.rcptTo.length >= MAX_RECIPIENTS)
        return callback(withCode(452, `4.5.3 Too many recipients (at most ${MAX_RECIPIENTS} per message)`));
      const recipients = [...session.envelope.rcptTo.map((r) => r.address), address.address];
      deps.outgoing
        .checkRecipientsOnly(null, {
          tenantId: identity.tenantId,
          mailboxId: identity.mailboxId,
          envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : identity.address,
          recipients,
          kind: 'user',
        })
        .then(() => callback())
        .catch((err) => callback(toSmtpError(err, log)));
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (stream.sizeExceeded) return callback(withCode(552, '5.3.4 Message too big'));
        const identity = identities.get(session.id)!;
        deps.outgoing
          .submit({
            tenantId: identity.tenantId,
            mailboxId: identity.mailboxId,
            envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : identity.address,
            recipients: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks),
            kind: 'user',
            saveSentCopy: true,
          })
          .then((result) => {
            log.info(
              { tenantId: identity.tenantId, local: result.localMessageIds.length, queued: result.queued },
              'message submitted',
            );
            callback(null, 'Message accepted');
          })
          .catch((err) => callback(toSmtpError(err, log)));
      });
    },
  });
  server.on('error', (err) => log.warn({ err }, 'submission connection error'));
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new StartupError(
              `Submission port ${options.port} on ${options.host} is already in use. Set SUBMISSION_PORT to a free port.`,
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

/** MAIL FROM must be the member's mailbox or one of its aliases (plus-tags allowed). */
async function ownAddress(
  recipients: RecipientResolver,
  identity: SmtpIdentity,
  address: string,
): Promise<boolean> {
  if (!address) return false;
  const r = await recipients.resolve(address);
  return (r.kind === 'mailbox' || r.kind === 'alias') && r.target.mailboxId === identity.mailboxId;
}

function isLoopback(address: string | undefined): boolean {
  return !!address && (address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.'));
}

function withCode(code: number, message: string): Error & { responseCode: number } {
  return Object.assign(new Error(message), { responseCode: code });
}

/** Policy refusals become 5xx with the reason; anything unexpected is a temporary failure. */
function toSmtpError(err: unknown, log: Logger): Error {
  if (err instanceof AppError) {
    switch (err.code) {
      case ErrorCodes.mailUnknownRecipient:
        return withCode(550, `5.1.1 ${err.message}`);
      case ErrorCodes.mailTooLarge:
      case ErrorCodes.mailAttachmentTooLarge:
        return withCode(552, `5.3.4 ${err.message}`);
      case ErrorCodes.mailUnparseable:
        return withCode(554, `5.6.0 ${err.message}`);
      default:
        if (err.status < 500) return withCode(550, `5.7.1 ${err.message}`);
    }
  }
  log.error({ err }, 'submission failed');
  return withCode(451, '4.3.0 Temporary failure, please try again later');
}
