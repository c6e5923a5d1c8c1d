import { expect } from 'chai';
import { readFileSync } from 'node:fs';
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

const NEW_PASSWORD = 'Exports-管理员-2026!';

interface ExportRow {
  id: string;
  scope: string;
  format: string;
  status: string;
  progressDone: number;
  progressTotal: number;
}

/**
 * The Exports page's form (client/console/pages/export-form.tsx) in a desktop chromium: an admin
 * starts a department export as mbox from the department tree, sees it in the list, and downloads
 * the zip once it is ready. Screenshot: test-results/screenshots/console-exports-form.png.
 */
describe('Admin console: exports form (browser)', function () {
  this.timeout(120_000);
  let app: RunningOrgMail;
  let browser: Browser;
  let page: Page;
  const consoleProblems: string[] = [];

  before(async function () {
    const chromiumPath = requireChromium(this);
    app = await startOrgMail('console-exports', 30);
    browser = await launch(chromiumPath);
    ({ page } = await consoleAsNewAdmin(browser, app, NEW_PASSWORD, consoleProblems, {
      acceptDownloads: true,
    }));
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await app?.stop();
  });

  async function adminApi<T>(path: string): Promise<T> {
    const { token } = await sessionOf(page);
    const res = await fetch(`${app.url}/api/v1${path}`, { headers: { Authorization: `Bearer ${token}` } });
    return (await res.json()) as T;
  }

  it('starts a department export as mbox from the form and downloads it when ready', async () => {
    const tree = await adminApi<{ departments: { id: string; parentId: string | null; name: string }[] }>(
      '/admin/departments',
    );
    const dept = tree.departments.find((d) => d.parentId !== null)!;
    const people = await adminApi<{ members: { email: string | null }[] }>(
      `/admin/members?department=${encodeURIComponent(dept.id)}&status=active`,
    );
    const to = people.members.find((m) => m.email)!.email!;
    await deliver(app.smtpPort, { to, subject: '部门导出', text: 'From the archive\n归档内容' });

    await page.goto(`${app.url}/console/#/exports`);
    await page.reload();
    await page.getByTestId('exports-page').waitFor();
    const form = page.getByTestId('export-form');
    await form.getByText('部门（含子部门）').click();
    await form.getByTestId('export-department').click();
    await page.locator('.ant-select-tree-node-content-wrapper', { hasText: dept.name }).first().click();
    await form.getByTestId('export-format').click();
    await page.locator('.ant-select-item-option', { hasText: 'mbox' }).click();
    await form.getByTestId('export-start').click();

    let row: ExportRow | undefined;
    await waitFor(
      async () => {
        row = (await adminApi<{ exports: ExportRow[] }>('/admin/exports')).exports.find(
          (e) => e.scope === 'department',
        );
        return row?.status === 'ready';
      },
      30_000,
      'the department export to be ready',
    );
    expect(row).to.include({ format: 'mbox' });
    expect(row!.progressDone).to.equal(row!.progressTotal);
    const button = page.getByTestId('download-export').first();
    await button.waitFor({ timeout: 30_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
    const bytes = readFileSync(await download.path());
    expect(bytes.subarray(0, 2).toString('latin1')).to.equal('PK');
    expect(download.suggestedFilename()).to.match(/mbox.*\.zip$/);
    await screenshot(page, 'console-exports-form');
    const problems = consoleProblems.filter((p) => !/Failed to load resource|status of (4\d\d)/.test(p));
    expect(problems, problems.join('\n')).to.deep.equal([]);
  });
});
