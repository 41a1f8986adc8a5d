// Scenario a: the main path in Chinese, from a fresh install to finding an edited account by a
// two-character fragment of its name.

import { describe, before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BACKEND_NAME, startMeridian, launchBrowser, desktop, screenshot, fillSetup, accountId, pageHead, accountFacts,
  expectText, expectCount, scenario, PASSWORD,
} from '../lib/meridian.js';

const ADMIN = { company: '厦门子午线科技有限公司', name: '王小明', email: 'wang@example.com' };
const NAME = '深圳华为技术有限公司';
const NEW_NAME = '深圳华为终端有限公司';
const OTHER = '北京字节跳动科技有限公司';

describe(`main path in Chinese (${BACKEND_NAME})`, () => {
  let server;
  let browser;
  let context;
  let page;
  let id;
  const step = scenario(() => server, () => (context ? [context] : []));

  before(async () => {
    server = await startMeridian('a-main-zh');
    browser = await launchBrowser();
    context = await browser.newContext(desktop('zh'));
    page = await context.newPage();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('a fresh install sends the browser to the set-up page, which creates the company and signs the admin in', step('setup', async () => {
    await page.goto(server.url + '/');
    await page.waitForURL((u) => u.pathname === '/setup');
    await expectText(page.locator('h1'), '初始化 Meridian');
    await expectText(page.locator('form[action="/setup"]'), '公司名称');
    assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
    await screenshot(page, 'zh-desktop-setup');
    await fillSetup(page, ADMIN);
    await page.waitForURL((u) => u.pathname === '/accounts' && u.searchParams.get('notice') === 'welcome');
    await expectText(page.locator('.flash.ok'), '欢迎使用 Meridian，公司已创建。');
    // The main navigation: My day first, then the record lists, administration, the bell (an
    // icon named by its aria-label; no unread count yet), the user and sign-out.
    const nav = page.getByRole('navigation', { name: '主导航' });
    assert.deepEqual(
      (await nav.getByRole('link').allInnerTexts()).map((t) => t.trim()),
      ['我的今天', '线索', '客户', '公海', '展厅', '联系人', '商机', '活动', '系统管理', '', ADMIN.name],
    );
    await expectText(nav.locator('a[aria-current=page]'), '客户');
    await expectCount(nav.getByRole('button', { name: '退出' }), 1);
    await expectText(page.locator('h1'), '客户');
    await expectText(page.locator('#record-rows'), '暂无记录。');
    // Set-up is done once: the page now sends to sign-in (or, signed in, onwards).
    const again = await context.request.get(server.url + '/setup', { maxRedirects: 0 });
    assert.equal(again.status(), 303, 'GET /setup after set-up redirects');
  }));

  test('signing out leads to the sign-in page, and signing in again returns to the accounts list asked for', step('relogin', async () => {
    await page.getByRole('button', { name: '退出' }).click();
    await page.waitForURL((u) => u.pathname === '/login');
    await expectText(page.locator('h1'), '登录');
    assert.equal(await page.locator('nav.mainnav').count(), 0, 'no navigation when signed out');
    // Signed out, the list sends back to sign-in.
    await page.goto(server.url + '/accounts');
    await page.waitForURL((u) => u.pathname === '/login' && u.searchParams.get('next') === '/accounts');
    // A wrong password is refused with a message.
    await page.locator('input[name=email]').fill(ADMIN.email);
    await page.locator('input[name=password]').fill('wrong-password-123');
    await page.getByRole('button', { name: '登录' }).click();
    await expectText(page.locator('.flash.error'), /邮箱或密码/);
    await page.locator('input[name=email]').fill(ADMIN.email);
    await page.locator('input[name=password]').fill(PASSWORD);
    await page.getByRole('button', { name: '登录' }).click();
    // Back to the page that sent to sign-in (?next=/accounts), not to "My day".
    await page.waitForURL((u) => u.pathname === '/accounts' && !u.search);
    await expectText(page.locator('nav.mainnav'), ADMIN.name);
  }));

  test('a new account with grade, phone, tags and province shows on its record page', step('create', async () => {
    await page.getByRole('link', { name: '新建客户' }).click();
    await page.waitForURL((u) => u.pathname === '/accounts/new');
    await expectText(page.locator('h1'), '新建客户');
    const form = page.locator('form.form-grid');
    for (const label of ['名称', '客户等级', '电话', '标签', '省份', '统一社会信用代码']) {
      await expectText(form, label);
    }
    await page.getByLabel('名称').fill(NAME);
    await page.getByLabel('客户等级').selectOption({ label: 'A 重点' });
    await page.getByLabel('电话').fill('13812345678');
    await page.getByLabel('标签').fill('VIP, 重点');
    await page.getByLabel('省份').selectOption({ label: '广东' });
    await page.getByLabel('城市').fill('深圳');
    await screenshot(page, 'zh-desktop-form');
    await page.getByRole('button', { name: '保存' }).click();
    await page.waitForURL((u) => /^\/accounts\/[0-9a-f-]{36}$/.test(u.pathname) && u.searchParams.get('notice') === 'record_created');
    id = accountId(page);
    await expectText(page.locator('.flash.ok'), '客户已创建。');
    await expectText(page.locator('#account-name'), NAME);
    await expectText(pageHead(page), 'A 重点');
    const tags = await pageHead(page).locator('.tag').allInnerTexts();
    assert.deepEqual(tags, ['VIP', '重点']);
    const facts = accountFacts(page);
    await expectText(facts.locator('dd[data-field=province]'), '广东');
    await expectText(facts.locator('dd[data-field=city]'), '深圳');
    await expectText(facts, /\+86 138 1234 5678/);
    await expectText(page.locator('#owner-name'), ADMIN.name);
    await screenshot(page, 'zh-desktop-record');
  }));

  test('editing the name and grade is saved and the field history lists the name change with old and new values', step('edit', async () => {
    await page.getByRole('link', { name: '编辑', exact: true }).click();
    await page.waitForURL((u) => u.pathname === `/accounts/${id}/edit`);
    await expectText(page.locator('h1'), '编辑客户');
    assert.equal(await page.getByLabel('名称').inputValue(), NAME);
    assert.equal(await page.getByLabel('电话').inputValue(), '+86 138 1234 5678');
    assert.equal(await page.getByLabel('标签').inputValue(), 'VIP, 重点');
    await page.getByLabel('名称').fill(NEW_NAME);
    await page.getByLabel('客户等级').selectOption({ label: 'B 重要' });
    await screenshot(page, 'zh-desktop-form-edit');
    await page.getByRole('button', { name: '保存' }).click();
    await page.waitForURL((u) => u.pathname === `/accounts/${id}` && u.searchParams.get('notice') === 'record_saved');
    await expectText(page.locator('.flash.ok'), '客户已保存。');
    await expectText(page.locator('#account-name'), NEW_NAME);
    await expectText(pageHead(page), 'B 重要');
    const history = page.locator('#history-items');
    await expectText(page.locator('#history h2'), '字段变更历史');
    const nameChange = history.locator('li', { has: page.locator('del', { hasText: NAME }) });
    await expectCount(nameChange, 1);
    await expectText(nameChange.locator('.what'), `名称:`);
    await expectText(nameChange.locator('ins'), NEW_NAME);
    await expectText(nameChange.locator('.who'), ADMIN.name);
    const gradeChange = history.locator('li', { hasText: '客户等级:' });
    await expectCount(gradeChange, 1);
    await expectText(gradeChange.locator('del'), 'A 重点');
    await expectText(gradeChange.locator('ins'), 'B 重要');
    await screenshot(page, 'zh-desktop-record-history');
  }));

  test('the accounts list shows the account, and quick search by "华为" finds it', step('search', async () => {
    // A second account, so that the search has something to leave out.
    await page.goto(server.url + '/accounts/new');
    await page.getByLabel('名称').fill(OTHER);
    await page.getByLabel('省份').selectOption({ label: '北京' });
    await page.getByRole('button', { name: '保存' }).click();
    await page.waitForURL((u) => /^\/accounts\/[0-9a-f-]{36}$/.test(u.pathname));
    await expectText(page.locator('#account-name'), OTHER);

    await page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: '客户', exact: true }).click();
    await page.waitForURL((u) => u.pathname === '/accounts');
    const rows = page.locator('#record-rows tr');
    await expectCount(rows, 2);
    const row = rows.filter({ hasText: NEW_NAME });
    await expectCount(row, 1);
    await expectText(row.locator('td[data-label="客户等级"]'), 'B');
    await expectText(row.locator('td[data-label="负责人"]'), ADMIN.name);
    await expectText(row.locator('td[data-label="省份"]'), '广东');
    await expectText(rows.filter({ hasText: OTHER }).locator('td[data-label="省份"]'), '北京');
    // The list of every object: the view picker, the filter builder, sortable column headers.
    await expectCount(page.locator('select#view-select'), 1);
    await expectCount(page.locator('details#filter-builder'), 1);
    await expectCount(page.locator('table#records thead th a'), 6);
    await screenshot(page, 'zh-desktop-list');

    // Typing searches as you type; CJK text arrives as text input (as from an IME), without
    // key presses of its own.
    const search = page.getByRole('searchbox', { name: '按名称搜索' });
    await search.pressSequentially('华为');
    await page.waitForURL((u) => u.pathname === '/accounts' && u.searchParams.get('q') === '华为');
    await expectCount(rows, 1);
    await expectText(rows.first(), NEW_NAME);
    assert.equal(await search.inputValue(), '华为');
    await screenshot(page, 'zh-desktop-list-search');
    // The same search as a plain link (e.g. bookmarked) gives the same result.
    await page.goto(server.url + '/accounts?q=' + encodeURIComponent('华为'));
    await expectCount(rows, 1);
    await expectText(rows.first(), NEW_NAME);
    // A fragment of the other name finds only the other one.
    await page.goto(server.url + '/accounts?q=' + encodeURIComponent('跳动'));
    await expectCount(rows, 1);
    await expectText(rows.first(), OTHER);
    await page.getByRole('link', { name: OTHER }).click();
    await page.waitForURL((u) => /^\/accounts\/[0-9a-f-]{36}$/.test(u.pathname));
    await expectText(page.locator('#account-name'), OTHER);

    // Sorting by a column header: ascending, then descending; marked on the header.
    await page.goto(server.url + '/accounts');
    await page.locator('table#records thead th a', { hasText: '客户名称' }).click();
    await page.waitForURL((u) => u.pathname === '/accounts' && u.searchParams.get('sort') === 'name');
    const names = await rows.locator('td:first-child').allInnerTexts();
    assert.deepEqual(names, [...names].sort());
    await expectText(page.locator('th[aria-sort=ascending]'), '客户名称');
    await page.locator('table#records thead th a', { hasText: '客户名称' }).click();
    await page.waitForURL((u) => u.pathname === '/accounts' && u.searchParams.get('sort') === '-name');
    assert.deepEqual(await rows.locator('td:first-child').allInnerTexts(), [...names].reverse());
    await expectText(page.locator('th[aria-sort=descending]'), '客户名称');
  }));
});
