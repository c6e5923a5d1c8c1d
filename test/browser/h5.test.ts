import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  deliver,
  launch,
  phone,
  pickSandboxEmployee,
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

/**
 * The employee app (client/h5) in a phone-sized chromium against the embedded default: sandbox
 * sign-in, reading, sending to a colleague, rules, scheduled sends and undo. Each test leaves a
 * screenshot in test-results/screenshots/<name>.png (also when it fails).
 */
describe('H5 employee app (browser)', function () {
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
    app = await startOrgMail('h5');
    browser = await launch(chromiumPath);
    const list = (await (await fetch(`${app.url}/api/v1/sandbox/employees?limit=30`)).json()) as {
      employees: (Employee & { admin: boolean })[];
    };
    const plain = list.employees.filter((e) => !e.admin);
    // Two colleagues whose names are unique among the demo employees (the picker search finds one).
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
    if (shot && page) await screenshot(page, this.currentTest?.state === 'failed' ? `${shot}-failed` : shot);
    shot = '';
    while (open.length)
      await open
        .pop()!
        .close()
        .catch(() => undefined);
  });

  /** A second signed-in phone (another employee), closed after the test. */
  async function otherPhone(who: Employee): Promise<Page> {
    const p = await phone(browser);
    open.push(p.context);
    await signInAs(p.page, app.url, who.name);
    return p.page;
  }

  async function refreshList(p: Page): Promise<void> {
    await p.reload();
    await p.getByTestId('mail-home').waitFor();
  }

  async function waitForRow(p: Page, subject: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const row = p.locator(`[data-testid="message-row"][data-subject="${subject}"]`);
    while (!(await row.count())) {
      if (Date.now() > deadline) throw new Error(`"${subject}" did not arrive`);
      await p.waitForTimeout(1000);
      await refreshList(p);
    }
  }

  async function pickRecipient(
    p: Page,
    field: string,
    query: string,
    name: string,
    shotName?: string,
  ): Promise<void> {
    await p.getByTestId(field).locator('.chip-add').click();
    await p.getByTestId('recipient-picker').getByRole('searchbox').fill(query);
    const person = p.locator('[data-testid="picker-person"]', { hasText: name }).first();
    await person.waitFor();
    if (shotName) {
      await p.waitForTimeout(300); // the sheet's slide-up
      await screenshot(p, shotName);
    }
    await person.click();
    await p.getByTestId(field).getByText(name).waitFor();
    await p.getByTestId('recipient-picker').waitFor({ state: 'detached' });
    await p
      .locator('.adm-mask')
      .first()
      .waitFor({ state: 'hidden' })
      .catch(() => undefined);
  }

  async function composeTo(
    p: Page,
    who: Employee,
    subject: string,
    body: string,
    shotName?: string,
  ): Promise<void> {
    await p.getByTestId('compose-button').click();
    await p.getByTestId('compose').waitFor();
    await pickRecipient(p, 'field-to', who.name.slice(0, 1), who.name, shotName);
    await p.getByTestId('subject').locator('input').fill(subject);
    await p.getByTestId('body').locator('textarea:not([aria-hidden])').fill(body);
  }

  it('signs in as a demo employee through the sandbox picker', async () => {
    shot = 'sign-in';
    await page.goto(`${app.url}/app/`);
    await page.getByTestId('sandbox-picker').waitFor();
    await page.locator('[data-testid="sandbox-employee"]').first().waitFor();
    await screenshot(page, 'sign-in-picker');
    await pickSandboxEmployee(page, alice.name);
    await page.getByTestId('mail-home').waitFor();
    expect(await page.locator('.page-nav').innerText()).to.include('收件箱');
    const session = await sessionOf(page);
    expect(session.memberName).to.equal(alice.name);
    shot = 'inbox-empty';
  });

  it('reads a message delivered over SMTP (sanitized HTML in a sandboxed frame)', async () => {
    shot = 'reader';
    await signInAs(page, app.url, alice.name);
    const { email } = await sessionOf(page);
    await deliver(app.smtpPort, {
      to: email!,
      subject: '第四季度报告',
      html: '<p>各位好，</p><p>附上<b>第四季度</b>的销售报告，请查阅。</p><script>alert(1)</script><img src="https://tracker.example/p.gif">',
    });
    await waitForRow(page, '第四季度报告');
    await screenshot(page, 'inbox');
    await page.locator('[data-testid="message-row"][data-subject="第四季度报告"]').click();
    await page.getByTestId('reader-subject').waitFor();
    expect(await page.getByTestId('reader-subject').innerText()).to.include('第四季度报告');
    const frame = page.getByTestId('mail-frame');
    expect(await frame.getAttribute('sandbox')).to.not.include('allow-scripts');
    const body = await page.frameLocator('[data-testid="mail-frame"]').locator('body').innerText();
    expect(body).to.include('销售报告');
    expect(await page.frameLocator('[data-testid="mail-frame"]').locator('script').count()).to.equal(0);
    await screenshot(page, 'reader');
    // Reply: the server prefills the recipient, the subject and the quote.
    await page.getByTestId('reply').click();
    await page.getByTestId('compose').waitFor();
    await page.getByTestId('field-to').getByText('合作伙伴').waitFor();
    expect(await page.getByTestId('subject').locator('input').inputValue()).to.include('第四季度报告');
    shot = 'reply';
  });

  it('sends a message to a colleague, who finds it in their inbox', async () => {
    shot = 'compose';
    await signInAs(page, app.url, alice.name);
    // A short undo window keeps the suite quick (the default is 10 s).
    const { token } = await sessionOf(page);
    const pref = await fetch(`${app.url}/api/v1/mail/preferences/undo-send`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ seconds: 5 }),
    });
    expect(pref.status).to.equal(200);
    await composeTo(page, bob, '明天的会议', `${bob.name}你好，明天上午十点开会。`, 'recipient-picker');
    // Attachments are uploaded first, then referenced by the send.
    await page.getByTestId('file-input').setInputFiles({
      name: '会议议程.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('1. 周报\n2. 计划\n'),
    });
    await page.locator('.compose-attachments').getByText('会议议程.txt').waitFor();
    await screenshot(page, 'compose');
    await page.getByTestId('send').click();
    await page.getByTestId('undo-bar').waitFor();
    shot = 'undo-bar';
    await screenshot(page, 'undo-bar');
    await page.getByTestId('undo-bar').waitFor({ state: 'detached', timeout: 20_000 });
    const bobPage = await otherPhone(bob);
    await waitForRow(bobPage, '明天的会议');
    await bobPage.locator('[data-testid="message-row"][data-subject="明天的会议"]').click();
    await bobPage.getByTestId('reader-subject').waitFor();
    expect(await bobPage.getByTestId('reader-from').innerText()).to.include(alice.name);
    await bobPage.locator('.attachments').getByText('会议议程.txt').waitFor();
    page = bobPage;
    shot = 'colleague-inbox';
  });

  it('undoes a send: the message goes back to Drafts and reopens in the editor', async () => {
    shot = 'undo';
    await signInAs(page, app.url, alice.name);
    await composeTo(page, bob, '撤回测试', '这封邮件会被撤回。');
    await page.getByTestId('send').click();
    await page.getByTestId('undo-bar').getByRole('button').click();
    await page.getByTestId('compose').waitFor();
    expect(await page.getByTestId('subject').locator('input').inputValue()).to.equal('撤回测试');
    const { token } = await sessionOf(page);
    const list = await fetch(`${app.url}/api/v1/mail/messages?folderRole=drafts`, {
      headers: { authorization: `Bearer ${token}` },
    }).then((r) => r.json() as Promise<{ messages: { subject: string }[] }>);
    expect(list.messages.map((m) => m.subject)).to.include('撤回测试');
    await page.waitForTimeout(500);
  });

  it('creates a rule and a new message is classified by it', async () => {
    shot = 'rules';
    await signInAs(page, app.url, alice.name);
    const { email } = await sessionOf(page);
    // Already there: the live preview finds it; the rule then classifies new mail.
    await deliver(app.smtpPort, { to: email!, subject: '10月发票', text: '上月发票，请查收。' });
    await waitForRow(page, '10月发票');
    await page.goto(`${app.url}/app/#/rules`);
    await page.getByTestId('rules').waitFor();
    await page.getByTestId('new-rule').click();
    await page.getByTestId('rule-edit').waitFor();
    await page.getByTestId('rule-name').locator('input').fill('发票归类');
    await page.getByTestId('condition-value').locator('input').fill('发票');
    await page.getByTestId('action-type').selectOption('add_label');
    await page.getByTestId('action-label').locator('input').fill('财务');
    await page.getByTestId('preview-count').waitFor();
    expect(await page.getByTestId('preview-count').innerText()).to.match(/有 1 封符合/);
    await screenshot(page, 'rule-edit');
    await page.getByTestId('save-rule').click();
    await page.locator('[data-testid="rule-item"][data-name="发票归类"]').waitFor();
    await screenshot(page, 'rules');
    await deliver(app.smtpPort, { to: email!, subject: '11月发票', text: '请查收本月发票。' });
    await page.goto(`${app.url}/app/#/`);
    await waitForRow(page, '11月发票');
    const row = page.locator('[data-testid="message-row"][data-subject="11月发票"]');
    expect(await row.locator('.row-label').innerText()).to.equal('财务');
    shot = 'rule-classified';
  });

  it('schedules a send, sends it now from the list, and the colleague receives it', async () => {
    shot = 'scheduled';
    await signInAs(page, app.url, alice.name);
    await composeTo(page, bob, '定时发送测试', '这封邮件是定时发送的。');
    await page.getByTestId('schedule').click();
    await page.locator('.adm-picker-header-button', { hasText: '确定' }).click();
    await page.getByTestId('mail-home').waitFor();
    await page.goto(`${app.url}/app/#/scheduled`);
    const item = page.locator('[data-testid="scheduled-item"][data-subject="定时发送测试"]');
    await item.waitFor();
    expect(await item.getAttribute('data-status')).to.equal('queued');
    await item.getByTestId('reschedule').click();
    const patched = page.waitForResponse(
      (r) => r.request().method() === 'PATCH' && r.url().includes('/mail/scheduled/'),
    );
    await page.locator('.adm-picker-header-button', { hasText: '确定' }).click();
    const res = await patched;
    expect(res.status(), await res.text()).to.equal(200);
    await screenshot(page, 'scheduled');
    await item.getByTestId('send-now').click();
    const bobPage = await otherPhone(bob);
    await waitForRow(bobPage, '定时发送测试');
    await page.reload();
    await page
      .locator('[data-testid="scheduled-item"][data-subject="定时发送测试"][data-status="sent"]')
      .waitFor();
    shot = 'scheduled-sent';
  });

  it('searches, and shows folders, auto-reply and app passwords', async () => {
    shot = 'search';
    await signInAs(page, app.url, alice.name);
    await page.getByTestId('open-folders').click();
    await page.getByTestId('folder-drawer').waitFor();
    await page.waitForTimeout(400); // the drawer's slide-in
    await screenshot(page, 'folders');
    await page.getByTestId('folder-inbox').click();
    await page.goto(`${app.url}/app/#/search`);
    await page.getByTestId('search').getByRole('searchbox').fill('季度');
    await page.locator('[data-testid="message-row"][data-subject="第四季度报告"]').waitFor();
    await screenshot(page, 'search');
    // The DingTalk desktop client opens the app in a wider window: a centred phone-width column.
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.goto(`${app.url}/app/#/`);
    await page.locator('[data-testid="message-row"]').first().waitFor();
    await screenshot(page, 'desktop-inbox');
    await page.setViewportSize({ width: 375, height: 667 });
    shot = 'me';
    await page.goto(`${app.url}/app/#/me`);
    await page.getByTestId('nav-auto-reply').waitFor();
    await screenshot(page, 'me');
    shot = 'auto-reply';
    await page.getByTestId('nav-auto-reply').click();
    await page.getByTestId('auto-reply').locator('.adm-switch').first().click();
    await page
      .getByTestId('auto-reply')
      .locator('textarea:not([aria-hidden])')
      .fill('我正在休假，12月1日后回复您。');
    await page.getByTestId('auto-reply').getByRole('button', { name: '保存' }).click();
    await page.getByText('自动回复生效中').waitFor();
    await screenshot(page, 'auto-reply');
    shot = 'app-passwords';
    await page.goto(`${app.url}/app/#/app-passwords`);
    await page.getByRole('button', { name: '生成新密码' }).click();
    await page.getByPlaceholder('例如：笔记本上的 Outlook').fill('笔记本上的 Outlook');
    await page.locator('.form-popup').getByRole('button', { name: '生成新密码' }).click();
    await page.getByText('密码已生成').waitFor();
    expect((await page.locator('.password-box').innerText()).replace(/[\s-]/g, '')).to.match(/^[a-z]{16}$/i);
  });
});
