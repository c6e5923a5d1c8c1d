import { expect } from 'chai';
import nodemailer from 'nodemailer';
import type { Browser, Page } from 'playwright-core';
import { waitFor } from '../support/process';
import {
  deliver,
  launch,
  phone,
  requireChromium,
  screenshot,
  sessionOf,
  signInAs,
  startOrgMail,
  type RunningOrgMail,
  consoleAsNewAdmin,
} from './browser-support';

interface Employee {
  userid: string;
  name: string;
  admin: boolean;
}
interface Dept {
  id: string;
  parentId: string | null;
  name: string;
  totalMembers: number;
  groupId: string | null;
  groupAddress: string | null;
}

const NEW_PASSWORD = 'Console-组织-2026!';

/**
 * The console's organization pages in a desktop chromium against the embedded default: the
 * department tree and a group's send policy (set to "listed" with one person, then mail from
 * outside is refused), a custom group created in the form and a message to it delivered, an
 * organization rule pushed to a department picked from the tree, and the directory event log.
 * Screenshots in test-results/screenshots/console-org-<name>.png (also when a test fails).
 */
describe('Admin console, organization pages (browser)', function () {
  this.timeout(150_000);
  let app: RunningOrgMail;
  let browser: Browser;
  let page: Page;
  let employees: Employee[] = [];
  let shot = '';
  const consoleProblems: string[] = [];

  before(async function () {
    const chromiumPath = requireChromium(this);
    app = await startOrgMail('console-org', 30);
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
        this.currentTest?.state === 'failed' ? `console-org-${shot}-failed` : `console-org-${shot}`,
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

  async function openPage(route: string, testId: string): Promise<void> {
    await page.goto(`${app.url}/console/#/${route}`);
    await page.reload();
    await page.getByTestId(testId).waitFor();
  }

  /** Picks `name` in the people search of an entry picker (typing part of it, then the option). */
  async function pickPerson(testId: string, name: string): Promise<void> {
    const select = page.getByTestId(`${testId}-people`);
    await select.click();
    await select.locator('input').fill(name);
    const option = page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: name });
    await waitFor(async () => (await option.count()) === 1, 10_000, `the option ${name}`);
    await option.first().click();
    await page.keyboard.press('Escape');
  }

  /** Mail from outside over SMTP: the reply code the recipient got (250 when accepted). */
  async function smtpCode(to: string, subject: string): Promise<number> {
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: app.smtpPort,
      secure: false,
      ignoreTLS: true,
      name: 'localhost',
    });
    try {
      await transport.sendMail({ from: 'partner@partner.example', to, subject, text: '你好' });
      return 250;
    } catch (err) {
      return (err as { responseCode?: number }).responseCode ?? 0;
    } finally {
      transport.close();
    }
  }

  it('departments: the tree at any depth; a group set to "listed" with one person refuses others', async () => {
    shot = 'departments';
    await openPage('departments', 'departments-page');
    const tree = (await adminApi<{ departments: Dept[] }>('GET', '/admin/departments')).json.departments;
    const root = tree.find((d) => d.parentId === null)!;
    // A department one level down that has people in it.
    const dept = tree.find((d) => d.parentId === root.id && d.totalMembers > 0 && d.groupId)!;
    expect(dept, 'a first-level department with people').to.not.equal(undefined);
    const node = page.getByTestId('dept-tree').locator('.ant-tree-treenode', { hasText: dept.name }).first();
    await node.locator('.ant-tree-node-content-wrapper').click();
    const panel = page.getByTestId('group-panel');
    await panel.getByTestId('group-address').getByText(dept.groupAddress!).waitFor();
    expect(await panel.getByTestId('member-count').innerText()).to.equal(String(dept.totalMembers));
    // Open to anyone first: mail from outside arrives. After "listed" (one colleague) it is refused.
    expect(
      (await adminApi('PATCH', `/admin/groups/${dept.groupId}`, { sendPolicy: 'anyone' })).status,
    ).to.equal(200);
    expect(await smtpCode(dept.groupAddress!, '外部来信-1')).to.equal(250);
    await page.reload();
    await page
      .getByTestId('dept-tree')
      .locator('.ant-tree-treenode', { hasText: dept.name })
      .first()
      .waitFor();
    await page
      .getByTestId('dept-tree')
      .locator('.ant-tree-treenode', { hasText: dept.name })
      .first()
      .locator('.ant-tree-node-content-wrapper')
      .click();
    await panel.getByTestId('group-address').getByText(dept.groupAddress!).waitFor();

    await panel.getByTestId('policy-listed').click();
    const person = employees[0]!;
    await pickPerson('senders', person.name);
    await screenshot(page, 'console-org-listed-picking');
    await panel.getByTestId('save-policy').click();
    await page.locator('.ant-message-success').waitFor();
    const group = await adminApi<{ sendPolicy: string; senders: { name: string; kind: string }[] }>(
      'GET',
      `/admin/groups/${dept.groupId}`,
    );
    expect(group.json.sendPolicy).to.equal('listed');
    expect(group.json.senders.map((s) => [s.kind, s.name])).to.deep.equal([['member', person.name]]);
    expect(await smtpCode(dept.groupAddress!, '外部来信-2')).to.equal(550);
    // The tree scales: search finds a department and opens the way to it.
    await page.getByTestId('dept-search').locator('input').fill(dept.name);
    await page.getByTestId('dept-tree').getByText(dept.name).first().waitFor();
    await page.getByTestId('dept-search').locator('input').fill('');
  });

  it('custom groups: created in the form; a message to it is delivered to its member', async () => {
    shot = 'custom-group';
    await openPage('departments', 'departments-page');
    await page.getByTestId('tab-custom-groups').click();
    await page.getByTestId('new-group').click();
    const form = page.getByTestId('group-form');
    await form.waitFor();
    await form.getByTestId('group-name').fill('项目组 Alpha');
    await form.getByTestId('group-local-part').fill('alpha.team');
    // Open to anyone, so a partner outside can write to it.
    await form.locator('.ant-select').filter({ hasText: '仅企业内部' }).click();
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: '所有人' }).click();
    const member = employees[1]!;
    await pickPerson('group-entries', member.name);
    await screenshot(page, 'console-org-custom-group-form');
    await page.locator('#group-form-ok').click();
    await page.locator('.ant-message-success').waitFor();
    const row = page.getByTestId('custom-groups').locator('tr.ant-table-row', { hasText: '项目组 Alpha' });
    await row.waitFor();
    const address = (await row.innerText()).match(/alpha\.team@\S+/)?.[0];
    expect(address, 'the address in the table').to.be.a('string');

    await deliver(app.smtpPort, { to: address!, subject: '发给项目组的邮件', text: '各位好' });
    // The member sees it in the H5 mail app.
    const { context: phoneCtx, page: h5 } = await phone(browser);
    try {
      await signInAs(h5, app.url, member.name);
      await h5.getByText('发给项目组的邮件').first().waitFor({ timeout: 20_000 });
    } finally {
      await phoneCtx.close();
    }
    // The group's panel opens in a drawer from the table.
    await row.getByTestId('custom-group-name').click();
    await page.getByTestId('group-panel').getByText('项目组 Alpha').first().waitFor();
    await page.getByTestId('group-panel').getByTestId('member-count').getByText('1').waitFor();
  });

  it('organization rules: create one for a department picked from the tree', async () => {
    shot = 'org-rules';
    await openPage('org-rules', 'org-rules-page');
    await page.getByTestId('new-rule').click();
    const form = page.getByTestId('rule-form');
    await form.waitFor();
    await form.getByTestId('rule-name').fill('发票自动归档');
    const tree = (await adminApi<{ departments: Dept[] }>('GET', '/admin/departments')).json.departments;
    const root = tree.find((d) => d.parentId === null)!;
    const dept = tree.find((d) => d.parentId === root.id)!;
    await form.getByTestId('rule-departments').click();
    await page
      .locator('.ant-select-dropdown:visible .ant-select-tree-node-content-wrapper', { hasText: root.name })
      .first()
      .waitFor();
    // Open the root, then tick the department.
    const rootNode = page
      .locator('.ant-select-dropdown:visible .ant-select-tree-treenode', { hasText: root.name })
      .first();
    const switcher = rootNode.locator('.ant-select-tree-switcher_close');
    if ((await switcher.count()) > 0) await switcher.click();
    await page
      .locator('.ant-select-dropdown:visible .ant-select-tree-treenode', { hasText: dept.name })
      .first()
      .locator('.ant-select-tree-checkbox')
      .click();
    await page.keyboard.press('Escape');
    await form.getByTestId('condition-value').fill('发票');
    await screenshot(page, 'console-org-rule-form');
    await page.locator('#rule-save').click();
    await page.locator('.ant-message-success').waitFor();
    const row = page.getByTestId('org-rules').locator('tr.ant-table-row', { hasText: '发票自动归档' });
    await row.waitFor();
    expect(await row.innerText()).to.contain(dept.name);
    const rules = await adminApi<{ rules: { name: string; departmentIds: string[]; enabled: boolean }[] }>(
      'GET',
      '/admin/rules',
    );
    const rule = rules.json.rules.find((r) => r.name === '发票自动归档');
    expect(rule?.departmentIds).to.deep.equal([dept.id]);
    // Disable it from the table.
    await row.getByTestId('rule-enabled').click();
    await waitFor(
      async () =>
        (
          await adminApi<{ rules: { name: string; enabled: boolean }[] }>('GET', '/admin/rules')
        ).json.rules.find((r) => r.name === '发票自动归档')?.enabled === false,
      10_000,
      'the rule disabled',
    );
  });

  it('directory sync page: the event log with its status filter', async () => {
    shot = 'directory-events';
    await openPage('sync', 'sync-page');
    const card = page.getByTestId('directory-events');
    await card.scrollIntoViewIfNeeded();
    await card.getByTestId('event-status-filter').getByText('失败').click();
    await card.locator('.ant-table').waitFor();
    await card.getByTestId('event-status-filter').getByText('全部').click();
  });

  it('no React or antd errors or warnings in the browser console', () => {
    const problems = consoleProblems.filter((p) => !/Failed to load resource|status of (4\d\d)/.test(p));
    expect(problems).to.deep.equal([]);
  });
});
