import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import nodemailer from 'nodemailer';
import { Client } from 'pg';
import { EMBEDDED_DB } from '../../server/platform/db/database';
import { runningEmbeddedUrl } from '../../server/platform/db/embedded-postgres';
import { freePort } from '../support/postgres';
import { httpOk, runServer, waitFor } from '../support/process';

/** Node processes whose parent is `pid` (the SMTP workers; PostgreSQL is not node). */
function nodeChildren(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid && stat.includes('(node)')) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

describe('SMTP in several processes (SMTP_PROCESSES)', function () {
  this.timeout(180_000);
  const dataDir = path.resolve('.test-data', `smtp-processes-${process.pid}`);
  before(() => {
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('two workers share the MX port and the database; a killed worker is replaced; all stop together', async () => {
    const [port, smtpPort, pgPort] = [await freePort(), await freePort(), await freePort()];
    const server = runServer({
      DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(pgPort),
      PORT: String(port),
      SMTP_PORT: String(smtpPort),
      SUBMISSION_PORT: String(await freePort()),
      SMTP_PROCESSES: '2',
      SANDBOX_EMPLOYEES: '20',
    });
    let client: Client | undefined;
    try {
      await waitFor(() => httpOk(`http://127.0.0.1:${port}/readyz`), 90_000, '/readyz');
      await waitFor(() => /SMTP \(MX\): .* \(2 processes\)/.test(server.output()), 60_000, 'the banner');
      expect(nodeChildren(server.child.pid!)).to.have.length(2);
      client = new Client({
        connectionString: await runningEmbeddedUrl(path.join(dataDir, 'pg'), pgPort, EMBEDDED_DB),
      });
      client.on('error', () => undefined); // the server stops its database at the end
      await client.connect();
      const c = client;
      let to = '';
      await waitFor(
        async () => {
          const { rows } = await c.query(
            `SELECT b.local_part || '@' || d.name AS address FROM mailboxes b
               JOIN domains d ON d.tenant_id = b.tenant_id AND d.id = b.domain_id
              WHERE b.member_id IS NOT NULL ORDER BY b.local_part LIMIT 1`,
          );
          to = rows[0]?.address ?? '';
          return to !== '';
        },
        90_000,
        'the sandbox organization to be synced',
      );
      const send = (i: number) =>
        // A new connection per message: the cluster hands connections to both workers in turn.
        nodemailer
          .createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true })
          .sendMail({
            envelope: { from: 'someone@partner.example', to: [to] },
            raw: `From: someone@partner.example\r\nTo: ${to}\r\nSubject: 多进程 ${i}\r\nMessage-ID: <multi-${i}@partner.example>\r\n\r\n你好 ${i}\r\n`,
          });
      await Promise.all(Array.from({ length: 20 }, (_, i) => send(i)));
      const count = async () =>
        Number(
          (await c.query(`SELECT count(*)::int AS n FROM messages WHERE message_id LIKE 'multi-%'`)).rows[0]
            .n,
        );
      expect(await count()).to.equal(20);

      // A worker killed outright is replaced, and mail keeps flowing meanwhile.
      const [victim] = nodeChildren(server.child.pid!);
      process.kill(victim!, 'SIGKILL');
      await waitFor(
        () => {
          const now = nodeChildren(server.child.pid!);
          return now.length === 2 && !now.includes(victim!);
        },
        60_000,
        'a replacement worker',
      );
      await Promise.all(Array.from({ length: 10 }, (_, i) => send(100 + i)));
      expect(await count()).to.equal(30);

      const workers = nodeChildren(server.child.pid!);
      server.child.kill('SIGTERM');
      expect(await server.exited).to.equal(0);
      for (const pid of workers) expect(() => process.kill(pid, 0)).to.throw();
    } catch (err) {
      throw new Error(`${(err as Error).message}\nserver output:\n${server.output().slice(-3000)}`, {
        cause: err,
      });
    } finally {
      await client?.end().catch(() => undefined);
      server.child.kill('SIGKILL');
    }
  });
});
