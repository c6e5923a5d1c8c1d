import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { waitFor } from '../support/process';
import {
  deliver,
  launch,
  requireChromium,
  screenshot,
  sessionOf,
  startOrgMail,
  type RunningOrgMail,
  consoleAsNewAdmin,
} from './browser-support';

interface Employee {
  userid: string;
  name: string;
  admin: boolean;
}

const NEW_PASSWORD = 'Console-运维-2026!';

/**
 * The console's operations pages in a desktop chromium against the embedded default: mail approval
 * (邮件审核: the policy form, a held message previewed and approved, then delivered). Screenshots in
 * test-results/screenshots/console-ops-<name>.png (also when a test fails).
 */
describe('Admin console, operations pages (browser)', function () {
  this.timeout(120_000);
  let app: RunningOrgMail;
  let browser: Browser;
  let page: Page;
  let employees: Employee[] = [];
  let shot = '';
  const consoleProblems: string[] = [];

  before(async function () {
    const chromiumPath = requireChromium(this);
    app = await startOrgMail('console-ops', 12);
    const list = (await (await fetch(`${app.url}/api/v1/sandbox/employees?limit=30`)).json()) as {
      employees: Employee[];
    };
    employees = list.employees.filter(
      (e) => !e.admin && list.employees.filter((x) => x.name.includes(e.name)).length === 1,
    );
    browser = await launch(chromiumPath);
    ({ page } = await consoleAsNewAdmin(browser, app, NEW_PASSWORD, consoleProblems));
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await app?.stop();
  });

  afterEach(async function () {
    if (shot && page)
      await screenshot(
        page,
        this.currentTest?.state === 'failed' ? `console-ops-${shot}-failed` : `console-ops-${shot}`,
      );
    shot = '';
  });

  async function call<T>(token: string, method: string, path: string, body?: unknown) {
    const res = await fetch(`${app.url}/api/v1${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : null) as T };
  }
  const adminApi = async <T>(method: string, path: string, body?: unknown) =>
    call<T>((await sessionOf(page)).token, method, path, body);

  /** A demo employee's session, through the sandbox's login-free code (as the H5 app gets it). */
  async function employeeToken(e: Employee): Promise<{ token: string; email: string }> {
    const code = (await (
      await fetch(`${app.url}/api/v1/sandbox/auth-code`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ userid: e.userid }),
      })
    ).json()) as { corpId: string; code: string };
    const res = await fetch(`${app.url}/api/v1/auth/dingtalk`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(code),
    });
    const session = (await res.json()) as { token: string; member: { email: string } };
    expect(res.status, JSON.stringify(session)).to.equal(200);
    return { token: session.token, email: session.member.email };
  }

  /** Sends as an employee through the compose API, skipping the undo window. */
  async function sendAs(token: string, to: string, subject: string, text: string) {
    const sent = await call<{ scheduledId: string }>(token, 'POST', '/mail/send', {
      to: [{ address: to }],
      subject,
      text,
    });
    expect(sent.status, JSON.stringify(sent.json)).to.be.oneOf([200, 201, 202]);
    const now = await call(token, 'POST', `/mail/scheduled/${sent.json.scheduledId}/send-now`);
    expect(now.status, JSON.stringify(now.json)).to.be.lessThan(300);
  }

  async function openPage(route: string, testId: string): Promise<void> {
    await page.goto(`${app.url}/console/#/${route}`);
    await page.reload();
    await page.getByTestId(testId).waitFor();
  }

  it('mail approval: sets the policy, holds a message, previews and approves it, and it is delivered', async () => {
    shot = 'approval-policy';
    await openPage('approvals', 'approvals-page');
    await page.getByRole('tab', { name: '审核策略' }).click();
    const policy = page.getByTestId('approval-policy');
    await policy.waitFor();
    await policy.getByLabel('启用邮件审核').click();
    await policy.getByLabel('全体成员').click();
    await policy.getByLabel('主题或正文包含关键词').fill('合同\n机密');
    await screenshot(page, 'console-ops-approval-policy');
    await page.getByTestId('approval-policy-save').click();
    await page.locator('.ant-message-success').waitFor();
    const saved = await adminApi<{ enabled: boolean; triggers: { keywords: string[] } }>(
      'GET',
      '/admin/mail-approval/policy',
    );
    expect(saved.json).to.deep.include({ enabled: true });
    expect(saved.json.triggers.keywords).to.deep.equal(['合同', '机密']);

    shot = 'approval-queue';
    const sender = await employeeToken(employees[0]!);
    const recipient = await employeeToken(employees[1]!);
    const subject = `采购合同审批 ${Date.now() % 10000}`;
    await sendAs(sender.token, recipient.email, subject, '请审核附件中的采购合同。\n金额：¥120,000');
    await waitFor(
      async () =>
        (
          await adminApi<{ items: { subject: string }[] }>('GET', '/admin/mail-approvals?status=pending')
        ).json.items.some((i) => i.subject === subject),
      20_000,
      'the message held for approval',
    );
    const inbox = async () =>
      (await call<{ messages: { subject: string }[] }>(recipient.token, 'GET', '/mail/messages')).json
        .messages;
    expect((await inbox()).map((m) => m.subject)).not.to.include(subject);

    await openPage('approvals', 'approvals-page');
    const row = page.getByTestId('approval-table').locator('tr.ant-table-row', { hasText: subject });
    await row.waitFor();
    await screenshot(page, 'console-ops-approval-queue');
    await row.click();
    const drawer = page.getByTestId('approval-drawer');
    await drawer.getByTestId('approval-preview').waitFor();
    expect(await drawer.getByTestId('approval-preview').innerText()).to.contain('采购合同');
    await screenshot(page, 'console-ops-approval-drawer');
    shot = 'approval-approved';
    await drawer.getByTestId('approval-approve').click();
    await drawer.getByTestId('approval-status').getByText('已通过').waitFor();
    await waitFor(async () => (await inbox()).some((m) => m.subject === subject), 20_000, 'delivery');
    expect((await inbox()).filter((m) => m.subject === subject)).to.have.length(1);
  });

  it('dashboard: internal/external chart, top senders, storage by department and the queue fill after mail is sent', async () => {
    shot = 'dashboard';
    // Approval off again, so these go straight out.
    expect((await adminApi('PUT', '/admin/mail-approval/policy', {})).status).to.equal(200);
    const a = await employeeToken(employees[2]!);
    const b = await employeeToken(employees[3]!);
    await sendAs(a.token, b.email, '周报', '本周工作总结');
    await sendAs(a.token, 'buyer@partner.example', '报价单', '请查收报价');
    await sendAs(b.token, a.email, '回复：周报', '收到');
    await waitFor(
      async () =>
        (
          await call<{ messages: { subject: string }[] }>(a.token, 'GET', '/mail/messages')
        ).json.messages.some((m) => m.subject === '回复：周报'),
      20_000,
      'internal delivery',
    );
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
    const bars = page.getByTestId('traffic-chart').locator('.chart-bar');
    await bars.first().waitFor();
    const values = await bars.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-value'))));
    expect(values.reduce((x, y) => x + y, 0)).to.be.at.least(3);
    const senders = page.getByTestId('top-sender');
    await senders.first().waitFor();
    expect(await senders.count()).to.be.at.least(2);
    await page.getByTestId('dept-storage-row').first().waitFor();
    await page.getByTestId('queue-states').waitFor();
    await page.getByTestId('dept-storage').scrollIntoViewIfNeeded();
    await screenshot(page, 'console-ops-dashboard-lower');
  });

  it('member drawer: sets forwarding for a member and shows the mailbox actions', async () => {
    shot = 'member-ops';
    const who = employees[4]!;
    await openPage('members', 'members-page');
    await page.getByTestId('member-search').locator('input').fill(who.name);
    const rows = page.locator('.ant-table-tbody tr.ant-table-row');
    await waitFor(
      async () => (await rows.count()) === 1 && (await rows.first().innerText()).includes(who.name),
      10_000,
      `the member ${who.name}`,
    );
    await rows.first().click();
    const ops = page.getByTestId('member-ops');
    await ops.waitFor();
    await ops.getByText('邮件转发').click();
    await ops.getByTestId('forward-to').fill('assistant@partner.example');
    await ops.getByLabel('转发收到的邮件').click();
    await ops.getByRole('button', { name: /保\s*存/ }).click();
    await page.locator('.ant-message-success').waitFor();
    const { json } = await adminApi<{ members: { id: string }[] }>(
      'GET',
      `/admin/members?q=${encodeURIComponent(who.name)}`,
    );
    const fw = await adminApi<{ enabled: boolean; to: string }>(
      'GET',
      `/admin/members/${json.members[0]!.id}/forwarding`,
    );
    expect(fw.json).to.deep.include({ enabled: true, to: 'assistant@partner.example' });
    // Sign the member out everywhere: the session they had stops working at once.
    const session = await employeeToken(who);
    expect((await call(session.token, 'GET', '/me')).status).to.equal(200);
    await ops.getByText('登录与客户端密码').click();
    await ops.getByTestId('end-sessions').click();
    await page
      .locator('.ant-popconfirm')
      .getByRole('button', { name: /确\s*定|OK/ })
      .click();
    await page.locator('.ant-message-success').filter({ hasText: '已退出所有登录' }).waitFor();
    expect((await call(session.token, 'GET', '/me')).status).to.equal(401);
    await ops.getByText('删除邮箱').first().click();
    await ops.getByTestId('delete-export').waitFor();
    await ops.scrollIntoViewIfNeeded();
  });

  it("anti-spam: a blocked sender's mail is quarantined; releasing it puts it in the Inbox", async () => {
    shot = 'quarantine';
    const put = await adminApi('PUT', '/admin/antispam', { block: ['partner.example'], blockAction: 'junk' });
    expect(put.status).to.equal(200);
    const who = await employeeToken(employees[5]!);
    // The MX re-reads the policy within 10 s.
    await new Promise((r) => setTimeout(r, 10_500));
    await deliver(app.smtpPort, { to: who.email, subject: '合作洽谈（被误拦）', text: '您好，想约个时间。' });
    await openPage('antispam', 'antispam-page');
    const row = page.getByTestId('quarantine-table').locator('tr.ant-table-row', { hasText: '合作洽谈' });
    await row.waitFor();
    await page.waitForTimeout(500); // let the table's fade-in finish before the screenshot
    await screenshot(page, 'console-ops-quarantine-list');
    await row.getByTestId('quarantine-release').click();
    await page.locator('.ant-message-success').waitFor();
    await row.waitFor({ state: 'detached' });
    const inbox = await call<{ messages: { subject: string }[] }>(who.token, 'GET', '/mail/messages');
    expect(inbox.json.messages.map((m) => m.subject)).to.include('合作洽谈（被误拦）');
    await adminApi('PUT', '/admin/antispam', {});
  });

  it('outbound queue page: depth by state, the queue table, and captured mail (read-only)', async () => {
    shot = 'outbound';
    await openPage('outbound', 'outbound-page');
    await page.getByTestId('outbound-depth').waitFor();
    await page.getByTestId('outbound-table').waitFor();
    await page.getByRole('tab', { name: '截留邮件' }).click();
    const captured = page.getByTestId('captured-table').locator('tr.ant-table-row', { hasText: '报价单' });
    await captured.waitFor();
    await page.waitForTimeout(500);
  });

  it('logs no React or antd warnings in the browser console', () => {
    const problems = consoleProblems.filter((p) => !/Failed to load resource|status of 4\d\d/.test(p));
    expect(problems, problems.join('\n')).to.deep.equal([]);
  });
});
