import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { freePort } from '../support/postgres';
import { httpOk, runServer, waitFor, type Started } from '../support/process';

/**
 * The browser suites: Debian's chromium driven by playwright-core against the real server binary
 * (embedded PostgreSQL, the DingTalk emulator with demo employees) in a phone-sized viewport.
 */

export const INSTALL_HINT = 'apt-get install chromium';
export const SCREENSHOTS = path.resolve('test-results', 'screenshots');
export const MOBILE = { width: 375, height: 667 };

export function findChromium(): string | null {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  return candidates.find((c): c is string => !!c && existsSync(c)) ?? null;
}

/** Skips the suite loudly when there is no chromium, or fails it under REQUIRE_BROWSER=1. */
export function requireChromium(suite: Mocha.Context): string {
  const found = findChromium();
  if (found) return found;
  const line = `\n!!! Browser suites SKIPPED: no chromium found (set CHROMIUM_PATH or run \`${INSTALL_HINT}\`)\n`;
  if (process.env.REQUIRE_BROWSER === '1')
    throw new Error(`REQUIRE_BROWSER=1 but no chromium was found. Install it: ${INSTALL_HINT}`);
  process.stdout.write(line);
  suite.skip();
  return '';
}

export interface RunningOrgMail {
  url: string;
  smtpPort: number;
  server: Started;
  stop(): Promise<void>;
}

/** The real binary, on free ports, with its own data directory and an offline DNS table. */
export async function startOrgMail(name: string, employees = 30): Promise<RunningOrgMail> {
  const dataDir = path.resolve('.test-data', `browser-${name}-${process.pid}`);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  const dnsFile = path.join(dataDir, 'dns.json');
  writeFileSync(
    dnsFile,
    JSON.stringify({
      'partner.example': { TXT: [['v=spf1 ip4:127.0.0.1 -all']] },
      '1.0.0.127.in-addr.arpa': { PTR: ['localhost'] },
      localhost: { A: ['127.0.0.1'] },
    }),
  );
  const port = await freePort();
  const smtpPort = await freePort();
  const server = runServer({
    DATA_DIR: dataDir,
    PORT: String(port),
    SMTP_PORT: String(smtpPort),
    SUBMISSION_PORT: String(await freePort()),
    EMBEDDED_PG_PORT: String(await freePort()),
    SANDBOX_EMPLOYEES: String(employees),
    DNS_STATIC_FILE: dnsFile,
    // Info level: the suite waits for "sandbox directory synced" before anyone signs in.
    LOG_LEVEL: 'info',
  });
  const url = `http://127.0.0.1:${port}`;
  const died = server.exited.then((code) => {
    throw new Error(`the server exited (${code}):\n${server.output()}`);
  });
  await Promise.race([waitFor(() => httpOk(`${url}/readyz`), 90_000, '/readyz'), died]);
  // Every demo employee has a mailbox once the start-up sync is done (the recipient picker needs them).
  await Promise.race([
    waitFor(
      () => /sandbox directory sync(ed| failed)/.test(server.output()),
      90_000,
      'the start-up directory sync',
    ),
    died,
  ]);
  if (/sandbox directory sync failed/.test(server.output()))
    throw new Error(`the start-up directory sync failed:\n${server.output().slice(-2000)}`);
  died.catch(() => undefined);
  return {
    url,
    smtpPort,
    server,
    stop: async () => {
      if (server.child.exitCode === null) {
        server.child.kill('SIGTERM');
        await server.exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function launch(executablePath: string): Promise<Browser> {
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
}

export async function phone(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: MOBILE,
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    userAgent:
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  });
  context.setDefaultTimeout(15_000);
  return { context, page: await context.newPage() };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) }).catch(() => undefined);
}

/** Mail from outside, over SMTP to the server's MX port. */
export async function deliver(
  smtpPort: number,
  msg: { to: string; subject: string; html?: string; text?: string },
): Promise<void> {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: smtpPort,
    secure: false,
    ignoreTLS: true,
    name: 'localhost',
    tls: { rejectUnauthorized: false },
  });
  await transport.sendMail({ from: '合作伙伴 <partner@partner.example>', ...msg });
  transport.close();
}

/** Searches the sandbox picker and taps the one employee left (after the search has settled). */
export async function pickSandboxEmployee(page: Page, name: string): Promise<void> {
  await page.getByPlaceholder('搜索姓名或拼音').fill(name);
  const rows = page.locator('[data-testid="sandbox-employee"]');
  await waitFor(
    async () => (await rows.count()) === 1 && (await rows.first().innerText()).includes(name),
    10_000,
    name,
  );
  await rows.first().click();
}

/** Signs in through the sandbox picker as the employee named `name` (searching for it first). */
export async function signInAs(page: Page, baseUrl: string, name: string): Promise<void> {
  await page.goto(`${baseUrl}/app/`);
  await page.getByTestId('sandbox-picker').waitFor();
  await pickSandboxEmployee(page, name);
  await page.getByTestId('mail-home').waitFor();
}

/** The session the app keeps (token and address), for API checks from the test. */
export async function sessionOf(
  page: Page,
): Promise<{ token: string; email: string | null; memberName: string }> {
  const raw = await page.evaluate(() =>
    (globalThis as unknown as { localStorage: { getItem(k: string): string | null } }).localStorage.getItem(
      'orgmail.session',
    ),
  );
  if (!raw) throw new Error('not signed in');
  return JSON.parse(raw);
}

export const DESKTOP = { width: 1280, height: 800 };

/**
 * A desktop console page signed in as the local admin of a fresh embedded default: the one-time
 * password printed at first start, then `newPassword`. Console errors and warnings are collected
 * into `problems` (suites assert there are none).
 */
export async function consoleAsNewAdmin(
  browser: Browser,
  app: RunningOrgMail,
  newPassword: string,
  problems: string[],
  options: { acceptDownloads?: boolean } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const out = app.server.output();
  const org = /organization: +(\S+)/.exec(out)?.[1] ?? '';
  const oneTimePassword = /password: +(\S+)/.exec(out)?.[1] ?? '';
  const context = await browser.newContext({
    viewport: DESKTOP,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    acceptDownloads: options.acceptDownloads ?? false,
  });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  await page.goto(`${app.url}/console/`);
  const form = page.getByTestId('local-sign-in');
  await form.getByLabel('组织标识').fill(org);
  await form.getByLabel('用户名').fill('admin');
  await form.getByLabel('密码').fill(oneTimePassword);
  await form.getByRole('button', { name: /登\s*录/ }).click();
  const change = page.getByTestId('change-password');
  await change.waitFor();
  await change.getByLabel('新密码', { exact: true }).fill(newPassword);
  await change.getByLabel('确认新密码').fill(newPassword);
  await change.getByRole('button', { name: /登\s*录/ }).click();
  await page.getByTestId('dashboard').waitFor();
  return { context, page };
}
