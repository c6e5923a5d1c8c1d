import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generate } from 'selfsigned';
import { StartupError } from '../../platform/errors';
import type { Logger } from '../../platform/logger';

export interface TlsCredentials {
  key: Buffer;
  cert: Buffer;
  /** Where they came from: the operator's files or a certificate we made for ourselves. */
  source: 'configured' | 'self-signed';
}

/**
 * The MX's STARTTLS credentials: the configured PEM files, or (embedded/dev mode) a self-signed
 * certificate made once and kept under DATA_DIR/tls/ (key 0600), reused on every restart until it
 * is about to expire. Sending servers encrypt opportunistically and do not verify MX certificates,
 * so a self-signed one still protects the connection from passive eavesdropping.
 */
export async function loadMxTls(options: {
  hostname: string;
  dataDir: string;
  files?: { certPath: string; keyPath: string };
  logger?: Logger;
}): Promise<TlsCredentials> {
  if (options.files) {
    const [cert, key] = await Promise.all([
      readPem(options.files.certPath, 'SMTP_TLS_CERT'),
      readPem(options.files.keyPath, 'SMTP_TLS_KEY'),
    ]);
    return { cert, key, source: 'configured' };
  }
  const dir = path.join(options.dataDir, 'tls');
  const certPath = path.join(dir, 'mx-selfsigned.crt');
  const keyPath = path.join(dir, 'mx-selfsigned.key');
  const existing = await Promise.all([readFile(certPath), readFile(keyPath)]).catch(() => null);
  if (existing && stillValid(existing[0], options.hostname))
    return { cert: existing[0], key: existing[1], source: 'self-signed' };

  const now = new Date();
  const pems = await generate([{ name: 'commonName', value: options.hostname }], {
    // RSA: the EC path of selfsigned 5.5 fails with the @peculiar/asn1-schema versions installed here.
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 3600_000),
    notAfterDate: new Date(now.getTime() + 5 * 365 * 86400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: options.hostname }] },
    ],
  });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Written aside and renamed, so a crash never leaves a half-written key that the next start trusts.
  await writeFile(`${keyPath}.tmp`, pems.private, { mode: 0o600 });
  await chmod(`${keyPath}.tmp`, 0o600);
  await writeFile(`${certPath}.tmp`, pems.cert, { mode: 0o644 });
  await rename(`${keyPath}.tmp`, keyPath);
  await rename(`${certPath}.tmp`, certPath);
  options.logger?.info({ certPath }, 'generated a self-signed certificate for STARTTLS on the MX');
  return { cert: Buffer.from(pems.cert), key: Buffer.from(pems.private), source: 'self-signed' };
}

async function readPem(file: string, setting: string): Promise<Buffer> {
  try {
    const pem = await readFile(file);
    if (!pem.includes('-----BEGIN')) throw new Error('not a PEM file');
    return pem;
  } catch (err) {
    throw new StartupError(`${setting}: cannot use ${file} (${(err as Error).message})`);
  }
}

/** Reused while it names this host and has more than 30 days left. */
function stillValid(certPem: Buffer, hostname: string): boolean {
  try {
    const cert = new X509Certificate(certPem);
    return (
      new Date(cert.validTo).getTime() - Date.now() > 30 * 86400_000 && cert.checkHost(hostname) !== undefined
    );
  } catch {
    return false;
  }
}
