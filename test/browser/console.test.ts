import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { waitFor } from '../support/process';
import {
  deliver,
  launch,
  requireChromium,
  screenshot,
  sessionOf,
  startOrgMail,
  type RunningOrgMail,
} from './browser-support';

interface Employee {
  userid: string;
  name: string;
  admin: boolean;
}

const DESKTOP = { width: 1280, height: 800 };
const NEW_PASSWORD = 'Console-管理员-2026!';

/**
 * The admin console (client/console) in a desktop chromium against the embedded default: the local
 * admin's first sign-in (one-time password → new password), the dashboard and its charts, members
 * (suspending sign-in), directory sync (dry run and its plan), domains, exports and the audit log.
 * One browser context is kept for the suite (the admin stays signed in); each test leaves a
 * screenshot in test-results/screenshots/console-<name>.png (also when it fails).
 */
describe('Admin console (browser)', function () {
  this.timeout(120_000);
  let app: RunningOrgMail;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let org = '';
  let oneTimePassword = '';
  let employees: Employee[] = [];
  let admins: Employee[] = [];
  let shot = '';
  /** Errors and warnings the pages log (React, antd deprecations); expected failures are filtered out. */
  const consoleProblems: string[] = [];

  before(async function () {
    const chromiumPath = requireChromium(this);
    app = await startOrgMail('console');
    const out = app.server.output();
    org = /organization: +(\S+)/.exec(out)?.[1] ?? '';
    oneTimePassword = /password: +(\S+)/.exec(out)?.[1] ?? '';
    expect(org, 'the organization printed at first start').to.not.equal('');
    expect(oneTimePassword, 'the one-time password printed at first start').to.not.equal('');
    const list = (await (await fetch(`${app.url}/api/v1/sandbox/employees?limit=30`)).json()) as {
      employees: Employee[];
    };
    // Plain employees whose names are unique among the demo employees (a search finds exactly one).
    employees = list.employees.filter(
      (e) => !e.admin && list.employees.filter((x) => x.name.includes(e.name)).length === 1,
    );
    admins = list.employees.filter((e) => e.admin);
    browser = await launch(chromiumPath);
    context = await browser.newContext({
      viewport: DESKTOP,
      locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai',
      acceptDownloads: true,
    });
    context.setDefaultTimeout(15_000);
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') consoleProblems.push(`${m.type()}: ${m.text()}`);
    });
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await app?.stop();
  });

  afterEach(async function () {
    if (shot && page)
      await screenshot(
        page,
        this.currentTest?.state === 'failed' ? `console-${shot}-failed` : `console-${shot}`,
      );
    shot = '';
  });

  async function adminApi<T>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: T }> {
    const { token } = await sessionOf(page);
    const res = await fetch(`${app.url}/api/v1${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : null) as T };
  }

  /** A fresh load of a console page (a hash-only change would keep the previous page's drawers). */
  async function openPage(route: string, testId: string): Promise<void> {
    await page.goto(`${app.url}/console/#/${route}`);
    await page.reload();
    await page.getByTestId(testId).waitFor();
  }

  /** Opens a member's drawer from the members table, searching by name. */
  async function openMember(name: string): Promise<void> {
    await openPage('members', 'members-page');
    await page.getByTestId('member-search').locator('input').fill(name);
    const rows = page.locator('.ant-table-tbody tr.ant-table-row');
    await waitFor(
      async () => (await rows.count()) === 1 && (await rows.first().innerText()).includes(name),
      10_000,
      `the member ${name} in the table`,
    );
    await rows.first().click();
    await page.getByTestId('member-drawer').waitFor();
  }

  it('signs in as the local admin: a wrong password is refused, the one-time password must be changed', async () => {
    shot = 'sign-in';
    await page.goto(`${app.url}/console/`);
    const form = page.getByTestId('local-sign-in');
    await form.waitFor();
    await form.getByLabel('组织标识').fill(org);
    await form.getByLabel('用户名').fill('admin');
    await form.getByLabel('密码').fill('not-the-password');
    await form.getByRole('button', { name: /登\s*录/ }).click();
    await page.locator('.ant-alert-error').waitFor();
    await screenshot(page, 'console-sign-in-refused');

    await form.getByLabel('密码').fill(oneTimePassword);
    await form.getByRole('button', { name: /登\s*录/ }).click();
    const change = page.getByTestId('change-password');
    await change.waitFor();
    await change.getByLabel('新密码', { exact: true }).fill(NEW_PASSWORD);
    await change.getByLabel('确认新密码').fill(NEW_PASSWORD);
    await screenshot(page, 'console-change-password');
    await change.getByRole('button', { name: /登\s*录/ }).click();

    shot = 'dashboard';
    await page.getByTestId('dashboard').waitFor();
    await page.getByTestId('sync-health').getByText('最近一次').waitFor();
    const session = await sessionOf(page);
    expect(session.memberName).to.equal('系统管理员');
    // The one-time password no longer works.
    const again = await fetch(`${app.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ tenant: org, username: 'admin', password: oneTimePassword }),
    });
    expect(again.status).to.equal(401);
  });

  it('signs in with DingTalk (sandbox picker): an employee is turned away, an org admin gets in', async () => {
    shot = 'dingtalk-sign-in';
    const other = await browser.newContext({
      viewport: DESKTOP,
      locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai',
    });
    try {
      const p = await other.newPage();
      await p.goto(`${app.url}/console/`);
      await p.getByRole('tab', { name: '钉钉登录' }).click();
      const picker = p.getByTestId('sandbox-picker');
      const pick = async (name: string) => {
        await picker.getByPlaceholder('搜索姓名、拼音或邮箱地址').fill(name);
        const rows = picker.getByTestId('sandbox-employee');
        await waitFor(
          async () => (await rows.count()) === 1 && (await rows.first().innerText()).includes(name),
          10_000,
          name,
        );
        await rows.first().click();
      };
      await pick(employees[4]!.name);
      await picker.getByTestId('sign-in-error').getByText('不是管理员').waitFor();
      await screenshot(p, 'console-dingtalk-refused');
      expect(
        await p.evaluate(() =>
          (
            globalThis as unknown as { localStorage: { getItem(k: string): string | null } }
          ).localStorage.getItem('orgmail.session'),
        ),
      ).to.equal(null);
      expect(admins.length, 'the sandbox has an org admin').to.be.greaterThan(0);
      await pick(admins[0]!.name);
      await p.getByTestId('dashboard').waitFor();
      await screenshot(p, 'console-dingtalk-dashboard');
    } finally {
      await other.close();
    }
  });

  it('suspends a member: their DingTalk sign-in is refused until restored', async () => {
    shot = 'member-restored';
    const who = employees[0]!;
    await openMember(who.name);
    await page.getByTestId('suspend-signin').click();
    await page.locator('.ant-modal-confirm').getByPlaceholder('原因（可选）').fill('调查中');
    await page.locator('.ant-modal-confirm').getByRole('button', { name: '禁止登录' }).click();
    await page.getByTestId('restore-signin').waitFor();
    await page.getByTestId('member-drawer').getByText('调查中').waitFor();

    const signIn = async () => {
      const code = (await (
        await fetch(`${app.url}/api/v1/sandbox/auth-code`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ userid: who.userid }),
        })
      ).json()) as { corpId: string; code: string };
      return fetch(`${app.url}/api/v1/auth/dingtalk`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(code),
      });
    };
    const refused = await signIn();
    expect(refused.status).to.equal(401);
    expect(((await refused.json()) as { error: { code: string } }).error.code).to.equal(
      'auth.account_suspended',
    );

    // The table shows the new status too; restoring lets them in again.
    await page.locator('.ant-table-tbody').getByText('已禁止登录').waitFor();
    await screenshot(page, 'console-member-suspended');
    // The quota: 8 GB, shown in the drawer and kept by the server.
    await page.getByTestId('member-drawer').locator('.ant-input-number input').fill('8');
    await page.getByTestId('member-drawer').getByRole('button', { name: '设置容量' }).click();
    await page.getByTestId('member-drawer').getByText('/ 8.0 GB').first().waitFor();
    const { json } = await adminApi<{ members: { mailbox: { quotaBytes: number } }[] }>(
      'GET',
      `/admin/members?q=${encodeURIComponent(who.name)}`,
    );
    expect(json.members[0]!.mailbox.quotaBytes).to.equal(8 * 1024 ** 3);
    await page.getByTestId('restore-signin').click();
    await page.getByTestId('suspend-signin').waitFor();
    expect((await signIn()).status).to.equal(200);
  });

  it('adds and removes a mailbox alias from the member drawer', async () => {
    shot = 'member-aliases';
    const who = employees[5]!;
    await openMember(who.name);
    const aliases = page.getByTestId('member-aliases');
    // The member's addresses have loaded (the field shows the primary's domain), then type.
    await waitFor(
      async () => /@[a-z0-9.-]+\.[a-z]+/i.test(await aliases.locator('.ant-input-suffix').innerText()),
      10_000,
      'the alias field to show the domain',
    );
    await aliases.locator('input').fill('sales.east');
    const add = aliases.getByRole('button', { name: '添加别名' });
    await waitFor(() => add.isEnabled(), 5_000, 'the add button to be enabled');
    await add.click();
    await aliases.getByTestId('alias').filter({ hasText: 'sales.east@' }).waitFor();
    const id = (
      await adminApi<{ members: { id: string }[] }>('GET', `/admin/members?q=${encodeURIComponent(who.name)}`)
    ).json.members[0]!.id;
    const listed = await adminApi<{ aliases: { address: string }[] }>(
      'GET',
      `/admin/members/${id}/addresses`,
    );
    expect(listed.json.aliases.map((a) => a.address.split('@')[0])).to.deep.equal(['sales.east']);
    await screenshot(page, 'console-member-aliases');
    // A taken or malformed local part is refused with the server's message.
    await aliases.locator('input').fill('-bad-');
    await aliases.getByRole('button', { name: '添加别名' }).click();
    await page.locator('.ant-message-error').waitFor();
    await aliases
      .getByTestId('alias')
      .filter({ hasText: 'sales.east@' })
      .locator('.ant-tag-close-icon')
      .click();
    await waitFor(
      async () =>
        (await adminApi<{ aliases: unknown[] }>('GET', `/admin/members/${id}/addresses`)).json.aliases
          .length === 0,
      10_000,
      'the alias removed',
    );
    await aliases.getByText('暂无别名').waitFor();
  });

  it('dry-runs a directory sync and shows its plan; the sync policy form saves', async () => {
    shot = 'sync-plan';
    await openPage('sync', 'sync-page');
    await page.getByTestId('dry-run').click();
    const plan = page.getByTestId('sync-plan');
    await plan.waitFor();
    await plan.locator('.ant-tag').getByText('预演').first().waitFor({ timeout: 30_000 });
    await plan.locator('.ant-table').waitFor();
    const { json } = await adminApi<{ runs: { dryRun: boolean; status: string; outcome: string }[] }>(
      'GET',
      '/admin/directory/sync/runs',
    );
    expect(json.runs[0]).to.include({ dryRun: true, status: 'succeeded', outcome: 'dry_run' });

    const policy = page.getByTestId('sync-policy');
    await policy.getByLabel('离职邮箱保留（天）').fill('45');
    await policy.getByRole('button', { name: /保\s*存/ }).click();
    await waitFor(
      async () =>
        (await adminApi<{ retentionDays: number }>('GET', '/admin/directory/sync-policy')).json
          .retentionDays === 45,
      10_000,
      'the saved policy',
    );
  });

  it('holds a sync that suspends more than the threshold, and applies it once confirmed', async () => {
    shot = 'sync-held';
    const emulator = /"url":"(http:\/\/[^"]+)"[^\n]*DingTalk emulator \(sandbox\) started/.exec(
      app.server.output(),
    )?.[1];
    expect(emulator, 'the emulator URL in the server log').to.be.a('string');
    const who = employees[3]!;
    await openPage('sync', 'sync-page');
    const policy = page.getByTestId('sync-policy');
    await policy.getByLabel('停用比例上限').fill('0');
    await policy.getByLabel('停用人数下限').fill('0');
    await policy.getByRole('button', { name: /保\s*存/ }).click();
    await waitFor(
      async () =>
        (await adminApi<{ suspendThresholdFloor: number }>('GET', '/admin/directory/sync-policy')).json
          .suspendThresholdFloor === 0,
      10_000,
      'the saved thresholds',
    );
    // The employee leaves the company in DingTalk: the event's sync would suspend 1 > 0 accounts.
    const left = await fetch(`${emulator}/__sandbox/users/${who.userid}/leave`, { method: 'POST' });
    expect(left.status).to.equal(200);
    const held = page.locator('.ant-table-row').filter({ hasText: '已暂停待确认' }).first();
    await waitFor(
      async () => {
        if ((await held.count()) > 0) return true;
        await page.getByRole('button', { name: /刷\s*新/ }).click();
        return false;
      },
      30_000,
      'a held run',
    );
    await held.click();
    const plan = page.getByTestId('sync-plan');
    await plan.getByText(who.name).waitFor();
    await plan.getByText('member_suspend').waitFor();
    await screenshot(page, 'console-sync-held');
    await plan.getByTestId('confirm-run').click();
    await waitFor(
      async () =>
        (
          await adminApi<{ members: { status: string }[] }>(
            'GET',
            `/admin/members?q=${encodeURIComponent(who.name)}`,
          )
        ).json.members[0]?.status === 'suspended',
      30_000,
      'the member suspended by the confirmed run',
    );
    await page.getByRole('button', { name: /刷\s*新/ }).click();
    await page.locator('.ant-table-row').filter({ hasText: '已应用' }).first().waitFor();
    // Back to the default thresholds for the other tests.
    await adminApi('PUT', '/admin/directory/sync-policy', {
      ...(await adminApi<object>('GET', '/admin/directory/sync-policy')).json,
      suspendThresholdPercent: 5,
      suspendThresholdFloor: 50,
    });
  });

  it('adds a domain and shows the records to publish, unchecked in the embedded mode', async () => {
    shot = 'domains';
    await openPage('domains', 'domains-page');
    await page.getByTestId('add-domain').click();
    await page.getByTestId('domain-name').fill('mail.acme-test.cn');
    await page
      .locator('.ant-modal')
      .getByRole('button', { name: /确\s*定|OK/ })
      .click();
    const card = page.getByTestId('domain-card').filter({ hasText: 'mail.acme-test.cn' });
    await card.waitFor();
    const records = card.getByTestId('dns-records');
    for (const purpose of ['VERIFICATION', 'MX', 'SPF', 'DKIM', 'DMARC'])
      await records.locator('.ant-tag').getByText(purpose, { exact: true }).waitFor();
    await card.getByRole('button', { name: /立即检测/ }).click();
    await records.getByText('未检测').first().waitFor();
    // Bad input is refused with the server's message.
    await page.getByTestId('add-domain').click();
    await page.getByTestId('domain-name').fill('not a domain');
    await page
      .locator('.ant-modal')
      .getByRole('button', { name: /确\s*定|OK/ })
      .click();
    await page.locator('.ant-message-error').waitFor();
    await page
      .locator('.ant-modal')
      .getByRole('button', { name: /取\s*消|Cancel/ })
      .click();
    await page.locator('.ant-modal').waitFor({ state: 'hidden' });
  });

  it('exports a mailbox from the member drawer and downloads the zip from Exports', async () => {
    shot = 'exports';
    const who = employees[1]!;
    await deliver(app.smtpPort, {
      to: (
        await adminApi<{ members: { email: string }[] }>(
          'GET',
          `/admin/members?q=${encodeURIComponent(who.name)}`,
        )
      ).json.members[0]!.email,
      subject: '导出测试',
      text: '归档内容',
    });
    await openMember(who.name);
    await page.getByTestId('export-mailbox').click();
    await page
      .locator('.ant-popconfirm')
      .getByRole('button', { name: /确\s*定|OK/ })
      .click();
    await page.getByTestId('exports-page').waitFor();
    const button = page.getByTestId('download-export').first();
    await button.waitFor({ timeout: 30_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
    const file = await download.path();
    const bytes = readFileSync(file);
    expect(bytes.subarray(0, 2).toString('latin1')).to.equal('PK');
    expect(download.suggestedFilename()).to.match(/\.zip$/);
  });

  it('fills the dashboard charts after mail is delivered and the stats roll up', async () => {
    shot = 'dashboard-charts';
    const who = employees[2]!;
    const { json } = await adminApi<{ members: { email: string }[] }>(
      'GET',
      `/admin/members?q=${encodeURIComponent(who.name)}`,
    );
    for (let i = 0; i < 3; i++)
      await deliver(app.smtpPort, { to: json.members[0]!.email, subject: `图表 ${i}`, text: '统计' });
    const started = await adminApi<{ runId: string }>('POST', '/admin/jobs/stats.rollup/run');
    expect(started.status).to.equal(202);
    await waitFor(
      async () =>
        (await adminApi<{ status: string }>('GET', `/jobs/${started.json.runId}`)).json.status ===
        'succeeded',
      20_000,
      'the stats roll-up',
    );
    await openPage('dashboard', 'dashboard');
    const bars = page.getByTestId('mail-chart').locator('.chart-bar');
    await bars.first().waitFor();
    const values = await bars.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-value'))));
    expect(values.reduce((a, b) => a + b, 0)).to.be.at.least(4);
  });

  it('draws the mail and storage charts from the stats series (the /admin/stats answer stubbed)', async () => {
    shot = 'dashboard-filled';
    const day = (ago: number) =>
      new Date(Date.now() - ago * 86_400_000).toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });
    const series = (metric: string, f: (i: number) => number) => ({
      metric,
      points: Array.from({ length: 30 }, (_, i) => ({ day: day(29 - i), value: f(i) })),
    });
    await page.route('**/api/v1/admin/stats?*', (route) =>
      route.fulfill({
        json: {
          from: day(29),
          to: day(0),
          timeZone: 'Asia/Shanghai',
          series: [
            series('mail.received', (i) => (i % 7 < 5 ? 120 + ((i * 37) % 60) : 20)),
            series('mail.sent', (i) => (i % 7 < 5 ? 80 + ((i * 23) % 40) : 8)),
            series('mail.junk', (i) => 5 + ((i * 11) % 9)),
            series('mail.received_bytes', () => 0),
            series('storage.used_bytes', (i) => (2 + i * 0.05) * 1024 ** 3),
            series('mailboxes.active', () => 28),
            series('mailboxes.suspended', () => 2),
          ],
        },
      }),
    );
    try {
      await openPage('dashboard', 'dashboard');
      const bars = page.getByTestId('mail-chart').locator('.chart-bar');
      await bars.first().waitFor();
      expect(await bars.count()).to.equal(90);
      await page.locator('.ant-statistic').getByText('3.5 GB').waitFor();
      await screenshot(page, 'console-dashboard-filled');
    } finally {
      await page.unroute('**/api/v1/admin/stats?*');
    }
  });

  it('lists the audit log with filters and exports it as CSV', async () => {
    shot = 'audit';
    await openPage('audit', 'audit-page');
    await page.getByPlaceholder(/^操作/).fill('member.signin_suspended');
    await page.locator('.ant-table-tbody').getByText('member.signin_suspended').first().waitFor();
    await waitFor(
      async () => (await page.locator('.ant-table-tbody tr.ant-table-row').count()) === 1,
      10_000,
      'one filtered entry',
    );
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('audit-csv').click(),
    ]);
    const csv = readFileSync(await download.path(), 'utf8');
    expect(csv).to.include('member.signin_suspended');
    expect(csv).to.not.include('auth.password_changed');
  });

  it('saves the anti-spam block list and the security policy from the Policies page', async () => {
    shot = 'policies';
    await openPage('policies', 'policies-page');
    const spam = page.getByTestId('antispam');
    await spam.getByTestId('block-list').fill('@spam.example\nbad@junk.example');
    await spam.getByRole('button', { name: /保\s*存/ }).click();
    await waitFor(
      async () => (await adminApi<{ block: string[] }>('GET', '/admin/antispam')).json.block.length === 2,
      10_000,
      'the saved block list',
    );
    expect((await adminApi<{ block: string[] }>('GET', '/admin/antispam')).json.block).to.deep.equal([
      '@spam.example',
      'bad@junk.example',
    ]);
    // Bad input: the server's message is shown and nothing is saved.
    await spam.getByTestId('block-list').fill('not an address');
    await spam.getByRole('button', { name: /保\s*存/ }).click();
    await page.locator('.ant-message-error').waitFor();
    expect((await adminApi<{ block: string[] }>('GET', '/admin/antispam')).json.block).to.have.length(2);

    const security = page.getByTestId('security-policy');
    await security.getByLabel('连续失败次数').fill('7');
    await security.getByRole('button', { name: /保\s*存/ }).click();
    await waitFor(
      async () =>
        (await adminApi<{ lockoutMaxFailures: number }>('GET', '/admin/security-policy')).json
          .lockoutMaxFailures === 7,
      10_000,
      'the saved security policy',
    );
  });

  it('lists the jobs and runs an organization job now', async () => {
    shot = 'jobs';
    await openPage('jobs', 'jobs-page');
    const row = page.locator('.ant-table-row').filter({ hasText: 'domains.dns_recheck' });
    await row.waitFor();
    await page.getByTestId('run-domains.dns_recheck').click();
    await row.locator('.ant-tag-success').first().waitFor({ timeout: 30_000 });
    // Deployment-wide jobs have no run button.
    expect(await page.getByTestId('run-mailboxes.retention_purge').count()).to.equal(0);
  });

  it('logs no React or antd warnings in the browser console', () => {
    // 4xx answers the tests provoke on purpose show up as failed resource loads.
    const unexpected = consoleProblems.filter((p) => !/Failed to load resource/.test(p));
    expect(unexpected, unexpected.join('\n')).to.deep.equal([]);
  });

  it('switches to English', async () => {
    shot = 'members-en';
    await openPage('members', 'members-page');
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('menuitem', { name: 'Members' }).waitFor();
    await page.locator('.ant-table-tbody tr.ant-table-row').first().waitFor();
    await page.getByPlaceholder('Search by name, pinyin or address').waitFor();
    await screenshot(page, 'console-members-en');
    shot = 'members';
    await page.getByRole('button', { name: '中文' }).click();
    await page.getByRole('menuitem', { name: '成员与邮箱' }).waitFor();
  });
});
