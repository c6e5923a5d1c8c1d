import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * The deployment's master secret: configured (JWT_SECRET) or, in the embedded mode, generated
 * once and kept in the data directory. Keys for separate purposes are derived from it with HKDF
 * so one leak does not give away the others.
 */
export async function loadMasterSecret(configured: string | undefined, dataDir: string): Promise<string> {
  if (configured) return configured;
  const file = path.join(dataDir, 'secrets', 'master.key');
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const secret = randomBytes(48).toString('base64url');
  // `wx`: two processes starting at once must not each write a different secret.
  await fs
    .writeFile(file, secret + '\n', { mode: 0o600, flag: 'wx' })
    .catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
  return (await fs.readFile(file, 'utf8')).trim();
}

export function deriveKey(master: string, purpose: string, length = 32): Buffer {
  return Buffer.from(
    hkdfSync('sha256', Buffer.from(master, 'utf8'), Buffer.from('orgmail'), Buffer.from(purpose), length),
  );
}

/** Seals small secrets (TOTP seeds, relay passwords) at rest with AES-256-GCM. */
export class SecretBox {
  private readonly key: Buffer;

  constructor(master: string) {
    this.key = deriveKey(master, 'secret-box:v1');
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `v1.${iv.toString('base64url')}.${body.toString('base64url')}`;
  }

  open(sealed: string): string {
    const [version, ivText, bodyText] = sealed.split('.');
    if (version !== 'v1' || !ivText || !bodyText) throw new Error('Unknown sealed secret format');
    const body = Buffer.from(bodyText, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(ivText, 'base64url'));
    decipher.setAuthTag(body.subarray(body.length - 16));
    return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString(
      'utf8',
    );
  }
}
