import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { type ConfigError, loadConfig } from '../../server/config';

describe('config: STARTTLS certificate for the MX', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tls-config-'));
    writeFileSync(path.join(dir, 'mx.crt'), '-----BEGIN CERTIFICATE-----\n');
    writeFileSync(path.join(dir, 'mx.key'), '-----BEGIN PRIVATE KEY-----\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const problems = (env: Record<string, string>): string[] => {
    try {
      loadConfig(env);
      return [];
    } catch (err) {
      return (err as ConfigError).problems;
    }
  };

  it('neither set: no files (a self-signed certificate is made at start)', () => {
    expect(loadConfig({}).smtp.tls).to.equal(undefined);
  });

  it('both set and readable: absolute paths', () => {
    const config = loadConfig({
      SMTP_TLS_CERT: path.join(dir, 'mx.crt'),
      SMTP_TLS_KEY: path.join(dir, 'mx.key'),
    });
    expect(config.smtp.tls).to.deep.equal({
      certPath: path.join(dir, 'mx.crt'),
      keyPath: path.join(dir, 'mx.key'),
    });
  });

  it('only one set, or an unreadable file: a clear error naming the setting', () => {
    expect(problems({ SMTP_TLS_CERT: path.join(dir, 'mx.crt') }).join('\n')).to.match(
      /^SMTP_TLS_KEY: SMTP_TLS_CERT and SMTP_TLS_KEY are set together/m,
    );
    expect(
      problems({ SMTP_TLS_CERT: path.join(dir, 'missing.crt'), SMTP_TLS_KEY: path.join(dir, 'mx.key') }).join(
        '\n',
      ),
    ).to.match(/^SMTP_TLS_CERT: cannot read the file .*missing\.crt/m);
  });
});
