import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { waitFor } from '../../test/support/process';

const POSTFIX = '/usr/sbin/postfix';
const POSTCONF = '/usr/sbin/postconf';
export const SMTP_SOURCE = '/usr/sbin/smtp-source';

/** Installs Debian's postfix (which brings smtp-source) when it is missing. Needs root. */
export function ensurePostfix(say: (line: string) => void): void {
  if (existsSync(POSTFIX) && existsSync(SMTP_SOURCE)) return;
  if (process.getuid?.() !== 0)
    throw new Error(
      'postfix is not installed; as root run: apt-get install -y --no-install-recommends postfix',
    );
  say('Installing Debian postfix (apt-get)…');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('debconf-set-selections', {
    input:
      'postfix postfix/main_mailer_type select Local only\npostfix postfix/mailname string bench.local\n',
    env,
  });
  let r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'postfix'], {
    env,
    stdio: 'inherit',
  });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update', '-qq'], { env, stdio: 'inherit' });
    r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'postfix'], {
      env,
      stdio: 'inherit',
    });
  }
  if (r.status !== 0 || !existsSync(SMTP_SOURCE)) throw new Error('apt-get install postfix failed');
}

export interface RunningPostfix {
  port: number;
  domain: string;
  /** Messages written to the mailboxes (Maildir files) so far. */
  delivered(): number;
  /** CPU time of all Postfix processes so far (ms). */
  cpuMs(): number;
  stop(): void;
}

/**
 * A private Postfix instance for the side-by-side bench: its own configuration and queue under
 * `root`, smtpd on 127.0.0.1:`port` only, mail for `domain` delivered by virtual(8) to Maildirs
 * (the local-mailbox delivery a mail host does), no DNS at all (no client name lookups, no MX
 * lookups), and otherwise Postfix's defaults: queue files fsynced before the 250, logging on.
 */
export async function startPostfix(root: string, port: number, domain: string): Promise<RunningPostfix> {
  rmSync(root, { recursive: true, force: true });
  const dirs = {
    etc: path.join(root, 'etc'),
    spool: path.join(root, 'spool'),
    data: path.join(root, 'data'),
    mail: path.join(root, 'mail'),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true, mode: 0o755 });
  const uid = Number(spawnSync('id', ['-u', 'postfix']).stdout.toString().trim());
  chownSync(dirs.data, uid, -1);
  chownSync(dirs.mail, 65534, 65534);
  writeFileSync(
    path.join(dirs.etc, 'main.cf'),
    [
      'compatibility_level = 3.6',
      `queue_directory = ${dirs.spool}`,
      `data_directory = ${dirs.data}`,
      'mail_owner = postfix',
      'setgid_group = postdrop',
      'inet_interfaces = 127.0.0.1',
      'inet_protocols = ipv4',
      'myhostname = postfix.bench.test',
      'mydestination =',
      'mynetworks = 127.0.0.0/8',
      'relay_domains =',
      `virtual_mailbox_domains = ${domain}`,
      `virtual_mailbox_base = ${dirs.mail}`,
      'virtual_mailbox_maps = static:inbox/',
      'virtual_uid_maps = static:65534',
      'virtual_gid_maps = static:65534',
      'smtpd_peername_lookup = no',
      'smtp_dns_support_level = disabled',
      'biff = no',
      'smtputf8_enable = no',
      `maillog_file_prefixes = ${root}`,
      `maillog_file = ${path.join(root, 'maillog')}`,
      '',
    ].join('\n'),
  );
  const master = readFileSync('/etc/postfix/master.cf', 'utf8').replace(
    /^smtp\s+inet\s/m,
    `127.0.0.1:${port} inet `,
  );
  writeFileSync(path.join(dirs.etc, 'master.cf'), master);
  // Postfix runs another configuration only when the default one lists it.
  const listed = spawnSync(POSTCONF, ['-h', 'alternate_config_directories']).stdout.toString().trim();
  if (!listed.split(/[\s,]+/).includes(dirs.etc)) {
    spawnSync(POSTCONF, [
      '-e',
      `alternate_config_directories = ${[listed, dirs.etc].filter(Boolean).join(' ')}`,
    ]);
  }
  const started = spawnSync(POSTFIX, ['-c', dirs.etc, 'start'], { encoding: 'utf8' });
  if (started.status !== 0) {
    const log = existsSync(path.join(root, 'maillog'))
      ? readFileSync(path.join(root, 'maillog'), 'utf8')
      : '';
    throw new Error(`postfix did not start: ${started.stderr}\n${log.slice(-2000)}`);
  }
  await waitFor(() => canConnect(port), 20_000, 'postfix to listen');
  const masterPid = Number(readFileSync(path.join(dirs.spool, 'pid', 'master.pid'), 'utf8').trim());
  return {
    port,
    domain,
    delivered: () => countFiles(dirs.mail),
    cpuMs: () => postfixCpuMs(masterPid),
    stop: () => {
      spawnSync(POSTFIX, ['-c', dirs.etc, 'stop']);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export interface SourceRun {
  seconds: number;
  ok: boolean;
  output: string;
}

/**
 * Postfix's own load generator against one server: `messages` messages of `size` bytes over
 * `sessions` parallel SMTP sessions (each session sends its messages over one connection when
 * `reuse`), every message from `from` to `to`. The time is smtp-source's wall time: every message
 * has had its 250 when it exits.
 */
export async function runSmtpSource(o: {
  port: number;
  messages: number;
  sessions: number;
  size: number;
  from: string;
  to: string;
  reuse: boolean;
}): Promise<SourceRun> {
  const args = [
    ...(o.reuse ? ['-d'] : []),
    '-s',
    String(o.sessions),
    '-m',
    String(o.messages),
    '-l',
    String(o.size),
    '-f',
    o.from,
    '-t',
    o.to,
    '-M',
    'client.bench.test',
    `127.0.0.1:${o.port}`,
  ];
  const t0 = performance.now();
  const child = spawn(SMTP_SOURCE, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d.toString()));
  child.stderr.on('data', (d) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { seconds: (performance.now() - t0) / 1000, ok: code === 0 && !/fatal|error/i.test(output), output };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function countFiles(dir: string): number {
  let n = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) n += countFiles(path.join(dir, entry.name));
    else if (entry.isFile() && path.basename(dir) === 'new') n++;
  }
  return n;
}

/** CPU of the master and every process it started (smtpd, cleanup, qmgr, virtual, postlogd …). */
function postfixCpuMs(masterPid: number): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(entry) !== masterPid && Number(f[1]) !== masterPid) continue;
      // Own time plus the time of children already reaped (short-lived smtpd/cleanup processes).
      total += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 10;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}
