import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
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
} from './browser-support';

interface Employee {
  userid: string;
  name: string;
}

interface Summary {
  id: string;
  subject: string;
  folderId: string;
  flags: { seen: boolean; flagged: boolean };
  labels: string[];
}

/**
 * The employee app beyond the basics: folder management and moving mail, select mode with batch
 * actions, a rule on the sender's department, editing a scheduled send, the undo-send setting, and
 * a walk through every screen in English. Screenshots: test-results/screenshots/more-*.png.
 */
describe('H5 employee app: folders, batch actions, department rules, scheduled edits (browser)', function () {
  this.timeout(120_000);
  let chromiumPath = '';
  let app: RunningOrgMail;
  let browser: Browser;
  let alice: Employee;
  let bob: Employee;
  const open: BrowserContext[] = [];
  let page: Page;
  let shot = '';

  before(async function () {
    chromiumPath = requireChromium(this);
    app = await startOrgMail('h5more');
    browser = await launch(chromiumPath);
    const list = (await (await fetch(`${app.url}/api/v1/sandbox/employees?limit=30`)).json()) as {
      employees: (Employee & { admin: boolean })[];
    };
    const plain = list.employees.filter((e) => !e.admin);
    const unique = plain.filter((e) => list.employees.filter((x) => x.name.includes(e.name)).length === 1);
    [alice, bob] = [unique[0]!, unique[1]!];
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await app?.stop();
  });

  beforeEach(async () => {
    const p = await phone(browser);
    open.push(p.context);
    page = p.page;
  });

  afterEach(async function () {
    if (shot && page)
      await screenshot(page, this.currentTest?.state === 'failed' ? `more-${shot}-failed` : `more-${shot}`);
    shot = '';
    while (open.length)
      await open
        .pop()!
        .close()
        .catch(() => undefined);
  });

  async function call<T>(token: string, method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${app.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async function inbox(token: string, folder = 'folderRole=inbox'): Promise<Summary[]> {
    return (await call<{ messages: Summary[] }>(token, 'GET', `/mail/messages?${folder}&limit=100`)).messages;
  }

  async function waitForRow(p: Page, subject: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const row = p.locator(`[data-testid="message-row"][data-subject="${subject}"]`);
    while (!(await row.count())) {
      if (Date.now() > deadline) throw new Error(`"${subject}" did not arrive`);
      await p.waitForTimeout(1000);
      await p.reload();
      await p.getByTestId('mail-home').waitFor();
    }
  }

  async function sheetSettled(p: Page): Promise<void> {
    await p.waitForTimeout(350); // popups slide in and out
  }

  async function longPress(p: Page, subject: string): Promise<void> {
    const box = await p
      .locator(`[data-testid="message-row"][data-subject="${subject}"] .row-body`)
      .boundingBox();
    if (!box) throw new Error(`no row "${subject}"`);
    await p.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await p.mouse.down();
    await p.waitForTimeout(700);
    await p.mouse.up();
  }

  it('creates and nests folders, moves a message into one from the reader; counts follow', async () => {
    shot = 'folders';
    await signInAs(page, app.url, alice.name);
    const { email, token } = await sessionOf(page);
    await deliver(app.smtpPort, { to: email!, subject: '项目合同草案', text: '请审阅合同。' });
    await waitForRow(page, '项目合同草案');

    // a top-level folder, then a subfolder under it, from the drawer
    await page.getByTestId('open-folders').click();
    await page.getByTestId('new-folder').click();
    await page.getByTestId('folder-name').locator('input').fill('项目资料');
    await sheetSettled(page);
    await screenshot(page, 'more-folder-create');
    await page.getByTestId('folder-save').click();
    // toasts render through antd-mobile's imperative API (set up for React 19 in main.tsx)
    await page.locator('.adm-toast-main').getByText('已创建文件夹').waitFor();
    await page.getByTestId('folder-项目资料').waitFor();
    await page.getByTestId('folder-项目资料').getByTestId('folder-more').click();
    await page.getByText('新建文件夹', { exact: true }).last().click();
    await page.getByTestId('folder-name').locator('input').fill('合同');
    await page.getByTestId('folder-save').click();
    await page.getByTestId('folder-合同').waitFor();
    const folders = (
      await call<{ folders: { id: string; name: string; parentId: string | null }[] }>(
        token,
        'GET',
        '/mail/folders',
      )
    ).folders;
    const parent = folders.find((f) => f.name === '项目资料')!;
    const child = folders.find((f) => f.name === '合同')!;
    expect(child.parentId).to.equal(parent.id);
    // rename the subfolder
    await page.getByTestId('folder-合同').getByTestId('folder-more').click();
    await page.getByText('重命名', { exact: true }).click();
    await page.getByTestId('folder-name').locator('input').fill('合同文件');
    await page.getByTestId('folder-save').click();
    await page.getByTestId('folder-合同文件').waitFor();
    await sheetSettled(page);
    await screenshot(page, 'more-folder-drawer');
    await page.getByTestId('folder-inbox').click();
    await page.getByTestId('folder-drawer').waitFor({ state: 'hidden' });

    // open the (unread) message and move it from the reader
    await page.locator('[data-testid="message-row"][data-subject="项目合同草案"]').click();
    await page.getByTestId('reader-subject').waitFor();
    await page.getByTestId('reader-more').click();
    await page.getByText('移动到…').click();
    await page.getByTestId('move-to-合同文件').waitFor();
    await sheetSettled(page);
    await screenshot(page, 'more-move-sheet');
    await page.getByTestId('move-to-合同文件').click();
    await page.getByTestId('mail-home').waitFor();
    await page
      .locator('[data-testid="message-row"][data-subject="项目合同草案"]')
      .waitFor({ state: 'detached' });
    const moved = await inbox(token, `folderId=${child.id}`);
    expect(moved.map((m) => m.subject)).to.deep.equal(['项目合同草案']);

    // a second message, left unread, moved from the list (select mode): the folder counts it unread
    await deliver(app.smtpPort, { to: email!, subject: '合同附件补充', text: '补充材料。' });
    await waitForRow(page, '合同附件补充');
    await longPress(page, '合同附件补充');
    await page.getByTestId('batch-bar').waitFor();
    await page.getByTestId('batch-move').click();
    await page.getByTestId('move-to-合同文件').click();
    await page
      .locator('[data-testid="message-row"][data-subject="合同附件补充"]')
      .waitFor({ state: 'detached' });
    await page.getByTestId('open-folders').click();
    const unread = page.getByTestId('folder-合同文件').getByTestId('folder-unread');
    await unread.waitFor();
    expect(await unread.innerText()).to.equal('1');
    await page.getByTestId('folder-合同文件').click();
    await page.locator('[data-testid="message-row"][data-subject="合同附件补充"]').waitFor();
    expect(await page.locator('.page-nav').innerText()).to.include('合同文件');

    // deleting the parent folder sends both messages to Trash
    await page.getByTestId('open-folders').click();
    await page.getByTestId('folder-项目资料').getByTestId('folder-more').click();
    await page.getByText('删除文件夹', { exact: true }).click();
    await page.locator('.adm-dialog').getByText('删除', { exact: true }).click();
    await page.getByTestId('folder-项目资料').waitFor({ state: 'detached' });
    const trash = await inbox(token, 'folderRole=trash');
    expect(trash.map((m) => m.subject)).to.include.members(['项目合同草案', '合同附件补充']);
    shot = 'folders-after-delete';
  });

  it('select mode: marks several messages read at once, then flags and deletes them', async () => {
    shot = 'batch';
    await signInAs(page, app.url, alice.name);
    const { email, token } = await sessionOf(page);
    const subjects = [
      '批量一：周报',
      '批量二：月报',
      '批量三：季度总结会议纪要以及下一阶段的工作安排和人员分工说明',
    ];
    for (const subject of subjects) await deliver(app.smtpPort, { to: email!, subject, text: subject });
    for (const s of subjects) await waitForRow(page, s);
    await longPress(page, subjects[0]!);
    await page.getByTestId('batch-bar').waitFor();
    await page.locator(`[data-testid="message-row"][data-subject="${subjects[1]}"]`).click();
    await page.locator(`[data-testid="message-row"][data-subject="${subjects[2]}"]`).click();
    expect(await page.locator('.page-nav').innerText()).to.include('已选 3 封');
    await screenshot(page, 'more-select-mode');
    await page.getByTestId('batch-read').click();
    await page.getByTestId('batch-bar').waitFor({ state: 'detached' });
    await page.getByTestId('start-select').waitFor();
    for (const s of subjects)
      await page.locator(`[data-testid="message-row"][data-subject="${s}"]:not(.unread)`).waitFor();
    let mine = (await inbox(token)).filter((m) => subjects.includes(m.subject));
    expect(mine.map((m) => m.flags.seen)).to.deep.equal([true, true, true]);

    // the "Select" button, select all but one, flag, then delete (to Trash)
    await page.getByTestId('start-select').click();
    for (const s of subjects.slice(0, 2))
      await page.locator(`[data-testid="message-row"][data-subject="${s}"]`).click();
    await page.getByTestId('batch-flag').click();
    await page.getByTestId('batch-bar').waitFor({ state: 'detached' });
    mine = (await inbox(token)).filter((m) => subjects.includes(m.subject));
    expect(mine.filter((m) => m.flags.flagged).map((m) => m.subject)).to.have.members(subjects.slice(0, 2));
    await page.getByTestId('start-select').click();
    for (const s of subjects) await page.locator(`[data-testid="message-row"][data-subject="${s}"]`).click();
    await page.getByTestId('batch-delete').click();
    for (const s of subjects)
      await page.locator(`[data-testid="message-row"][data-subject="${s}"]`).waitFor({ state: 'detached' });
    const trash = (await inbox(token, 'folderRole=trash')).map((m) => m.subject);
    expect(trash).to.include.members(subjects);
    shot = 'batch-done';
  });

  it("a rule on the sender's department classifies a colleague's new message", async () => {
    shot = 'dept-rule';
    // bob's departments, and one whose name is unique, to pick in the editor
    const bobPage = (await phone(browser)).page;
    open.push(bobPage.context());
    await signInAs(bobPage, app.url, bob.name);
    const bobSession = await sessionOf(bobPage);
    await call(bobSession.token, 'PUT', '/mail/preferences/undo-send', { seconds: 0 });

    await signInAs(page, app.url, alice.name);
    const { token, email } = await sessionOf(page);
    const people = await call<{ people: { name: string; departments: string[] }[] }>(
      token,
      'GET',
      `/directory/people?q=${encodeURIComponent(bob.name)}`,
    );
    const names = people.people.find((p) => p.name === bob.name)!.departments;
    let deptName = '';
    for (const n of names) {
      const found = await call<{ departments: { name: string }[] }>(
        token,
        'GET',
        `/directory/departments?q=${encodeURIComponent(n)}`,
      );
      if (found.departments.filter((d) => d.name === n).length === 1) deptName = n;
    }
    expect(deptName, `a uniquely named department of ${bob.name}`).to.not.equal('');

    await page.goto(`${app.url}/app/#/rules/new`);
    await page.getByTestId('rule-edit').waitFor();
    await page.getByTestId('rule-name').locator('input').fill('部门来信');
    await page.getByTestId('condition-field').selectOption('sender_department');
    await page.getByTestId('condition-department').click();
    await page.getByTestId('department-picker').getByRole('searchbox').fill(deptName);
    const option = page.locator(`[data-testid="department-option"][data-name="${deptName}"]`);
    await option.waitFor();
    await sheetSettled(page);
    await screenshot(page, 'more-department-picker');
    await option.click();
    // The chosen department's name shows once it is looked up ('…' until then).
    await waitFor(
      async () => (await page.getByTestId('condition-department').innerText()).includes(deptName),
      10_000,
      `the condition to show ${deptName}`,
    );
    await page.getByTestId('action-type').selectOption('add_label');
    await page.getByTestId('action-label').locator('input').fill('同事来信');
    await page.locator('[data-testid="preview-count"], [data-testid="preview-none"]').first().waitFor();
    await screenshot(page, 'more-dept-rule-edit');
    await page.getByTestId('save-rule').click();
    const item = page.locator('[data-testid="rule-item"][data-name="部门来信"]');
    await item.waitFor();
    // the rule text names the department, not its id
    await item.getByText(deptName, { exact: false }).waitFor();
    await screenshot(page, 'more-dept-rules');

    await call(bobSession.token, 'POST', '/mail/send', {
      to: [{ address: email }],
      subject: '部门周会通知',
      text: '本周五下午三点周会。',
    });
    await deliver(app.smtpPort, { to: email!, subject: '外部来信', text: '你好' });
    await page.goto(`${app.url}/app/#/`);
    await waitForRow(page, '部门周会通知');
    await waitForRow(page, '外部来信');
    const row = page.locator('[data-testid="message-row"][data-subject="部门周会通知"]');
    expect(await row.locator('.row-label').innerText()).to.equal('同事来信');
    expect(
      await page.locator('[data-testid="message-row"][data-subject="外部来信"] .row-label').count(),
    ).to.equal(0);
    shot = 'dept-rule-classified';
  });

  it("edits a scheduled send's subject and the colleague receives the edited version", async () => {
    shot = 'scheduled-edit';
    await signInAs(page, app.url, alice.name);
    const { token } = await sessionOf(page);
    const bobEmail = (
      await call<{ people: { name: string; address: string }[] }>(
        token,
        'GET',
        `/directory/people?q=${encodeURIComponent(bob.name)}`,
      )
    ).people.find((p) => p.name === bob.name)!.address;
    const sendAt = new Date(Date.now() + 3 * 3600_000).toISOString();
    await call(token, 'POST', '/mail/send', {
      to: [{ address: bobEmail, name: bob.name }],
      subject: '定时：原来的主题',
      text: '原来的正文。',
      sendAt,
    });
    await page.goto(`${app.url}/app/#/scheduled`);
    const item = page.locator('[data-testid="scheduled-item"][data-subject="定时：原来的主题"]');
    await item.waitFor();
    await item.getByTestId('edit-scheduled').click();
    await page.getByTestId('scheduled-edit').waitFor();
    const subject = page.getByTestId('subject').locator('input');
    expect(await subject.inputValue()).to.equal('定时：原来的主题');
    await subject.fill('定时：修改后的主题');
    await page.getByTestId('body').locator('textarea:not([aria-hidden])').fill('修改后的正文。');
    await screenshot(page, 'more-scheduled-edit');
    await page.getByTestId('save-scheduled').click();
    const edited = page.locator('[data-testid="scheduled-item"][data-subject="定时：修改后的主题"]');
    await edited.waitFor();
    await screenshot(page, 'more-scheduled-list');
    await edited.getByTestId('send-now').click();

    const bobPage = (await phone(browser)).page;
    open.push(bobPage.context());
    await signInAs(bobPage, app.url, bob.name);
    await waitForRow(bobPage, '定时：修改后的主题');
    await bobPage.locator('[data-testid="message-row"][data-subject="定时：修改后的主题"]').click();
    await bobPage.getByTestId('reader-subject').waitFor();
    const body = await bobPage.frameLocator('[data-testid="mail-frame"]').locator('body').innerText();
    expect(body).to.include('修改后的正文');
    expect(
      await bobPage.locator('[data-testid="message-row"][data-subject="定时：原来的主题"]').count(),
    ).to.equal(0);
    page = bobPage;
    shot = 'scheduled-edit-delivered';
  });

  it('sets the undo-send window in "Me"; walks every screen in English', async () => {
    shot = 'me-undo';
    await signInAs(page, app.url, alice.name);
    const { token, email } = await sessionOf(page);
    await page.goto(`${app.url}/app/#/me`);
    await page.getByTestId('nav-undo-send').click();
    await page.locator('.adm-action-sheet-button-item', { hasText: '30 秒' }).click();
    await page.getByTestId('undo-send-value').getByText('30 秒').waitFor();
    expect((await call<{ seconds: number }>(token, 'GET', '/mail/preferences/undo-send')).seconds).to.equal(
      30,
    );
    await screenshot(page, 'more-me-zh');

    // English, every screen, with a long Chinese subject in the list and the reader
    await deliver(app.smtpPort, {
      to: email!,
      subject:
        '关于二〇二六年度第四季度华东区销售目标调整以及新产品上市推广计划的补充说明（请各部门负责人务必在周五前反馈）',
      html: '<p>各位同事：</p><p>详见附件。</p>',
    });
    await page.evaluate(() =>
      (
        globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }
      ).localStorage.setItem('orgmail.lang', 'en'),
    );
    const screens: [string, string, string][] = [
      ['inbox', '#/', 'mail-home'],
      ['me', '#/me', 'me'],
      ['rules', '#/rules', 'rules'],
      ['rule-new', '#/rules/new', 'rule-edit'],
      ['scheduled', '#/scheduled', 'scheduled'],
      ['search', '#/search', 'search'],
      ['compose', '#/compose', 'compose'],
      ['auto-reply', '#/auto-reply', 'auto-reply'],
      ['app-passwords', '#/app-passwords', 'app-passwords'],
    ];
    for (const [name, hash, testId] of screens) {
      await page.goto(`${app.url}/app/${hash}`);
      await page.reload();
      await page.getByTestId(testId).waitFor();
      await page.waitForTimeout(600);
      await screenshot(page, `more-en-${name}`);
    }
    await page.goto(`${app.url}/app/#/`);
    await page.reload();
    const long = page.locator('[data-testid="message-row"]').first();
    await long.waitFor();
    // nothing overflows the phone's width
    const widths = await page.evaluate(() => {
      const g = globalThis as unknown as {
        document: { documentElement: { scrollWidth: number } };
        innerWidth: number;
      };
      return [g.document.documentElement.scrollWidth, g.innerWidth];
    });
    expect(widths[0]).to.be.at.most(widths[1]!);
    await long.click();
    await page.getByTestId('reader-subject').waitFor();
    await page.waitForTimeout(400);
    await screenshot(page, 'more-en-reader-long-subject');
    // error states: a message that does not exist, a scheduled send that does not exist
    await page.goto(`${app.url}/app/#/m/00000000-0000-4000-8000-000000000000`);
    await page.getByTestId('reader').getByText('Not found, or it was deleted').waitFor();
    expect(await page.getByTestId('reader').getByRole('button', { name: 'Retry' }).count()).to.equal(0);
    await screenshot(page, 'more-en-reader-not-found');
    await page.goto(`${app.url}/app/#/scheduled/00000000-0000-4000-8000-000000000000`);
    await page.getByTestId('scheduled-edit').getByText('Not found, or it was deleted').waitFor();
    await page.goto(`${app.url}/app/#/`);
    await page.getByTestId('open-folders').click();
    await page.getByTestId('folder-drawer').waitFor();
    await sheetSettled(page);
    await screenshot(page, 'more-en-folders');
    expect(await page.getByTestId('folder-drawer').innerText()).to.include('New folder');
    shot = 'en-done';
  });
});
