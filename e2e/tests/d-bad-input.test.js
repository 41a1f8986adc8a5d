// Scenario d: bad input in the UI. Field errors are shown translated and nothing is created; a
// stale edit (two tabs) shows the conflict message and keeps the first save.

import { describe, before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BACKEND_NAME, startMeridian, launchBrowser, desktop, screenshot, setUpCompany, signIn, accountId, pageHead, accountFacts,
  expectText, expectCount, scenario, PASSWORD, MY_DAY_LISTS,
} from '../lib/meridian.js';

const ADMIN = { company: '福州子午线软件有限公司', name: '陈静', email: 'chen@example.com' };
const BAD_CREDIT_CODE = '91350100M000100Y44'; // the check character should be 3
const GOOD_CREDIT_CODE = '91350100M000100Y43';
const NAME = '福建新大陆电脑股份有限公司';
const FIRST_SAVE = '福建新大陆科技集团有限公司';
const STALE_SAVE = '新大陆（过期的修改）';

describe(`bad input (${BACKEND_NAME})`, () => {
  let server;
  let browser;
  let zh;
  let en;
  let page;
  let id;
  const step = scenario(() => server, () => [zh, en].filter(Boolean));

  before(async () => {
    server = await startMeridian('d-bad-input');
    browser = await launchBrowser();
    await setUpCompany(browser, server, ADMIN);
    zh = await browser.newContext(desktop('zh'));
    page = await zh.newPage();
    await signIn(page, server, ADMIN.email);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('an empty name and a bad credit code show translated field errors and create nothing', step('errors-zh', async () => {
    await page.goto(server.url + '/accounts/new');
    await page.getByLabel('统一社会信用代码').fill(BAD_CREDIT_CODE);
    await page.getByLabel('电话').fill('12345');
    const created = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/accounts');
    await page.getByRole('button', { name: '保存' }).click();
    const response = await created;
    assert.equal(response.status(), 422);
    await expectText(page.locator('#form-error'), '部分字段有误，请检查。');
    const nameField = page.locator('label.field', { has: page.locator('input[name=name]') });
    await expectText(nameField.locator('small.error'), '必填。');
    assert.equal(await page.locator('input[name=name]').getAttribute('aria-invalid'), 'true');
    const codeField = page.locator('label.field', { has: page.locator('input[name=credit_code]') });
    await expectText(codeField.locator('small.error'), '统一社会信用代码无效（18 位，末位为校验码）。');
    const phoneField = page.locator('label.field', { has: page.locator('input[name=phone]') });
    await expectText(phoneField.locator('small.error'), '不是有效的电话号码。');
    // What was typed stays in the form.
    assert.equal(await page.locator('input[name=credit_code]').inputValue(), BAD_CREDIT_CODE);
    await expectText(page.locator('h1'), '新建客户');
    await screenshot(page, 'zh-desktop-form-errors');

    await page.goto(server.url + '/accounts');
    await expectText(page.locator('#record-rows'), '暂无记录。');
    await expectCount(page.locator('#record-rows a[href^="/accounts/"]'), 0);
  }));

  test('the same errors are in English for an English browser', step('errors-en', async () => {
    en = await browser.newContext(desktop('en'));
    const p = await en.newPage();
    await p.goto(server.url + '/login');
    await expectText(p.locator('h1'), 'Sign in');
    await p.locator('input[name=email]').fill(ADMIN.email);
    await p.locator('input[name=password]').fill(PASSWORD);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.waitForURL((u) => u.pathname === '/' && !u.search);
    for (const list of MY_DAY_LISTS) await expectCount(p.locator(list), 1);
    // The user never chose a language, so the pages follow each browser's.
    await expectText(p.locator('h1'), 'My day');
    await p.goto(server.url + '/accounts/new');
    await p.locator('input[name=credit_code]').fill(BAD_CREDIT_CODE);
    await p.getByRole('button', { name: 'Save' }).click();
    await expectText(p.locator('#form-error'), 'Some fields need your attention.');
    await expectText(p.locator('label.field', { has: p.locator('input[name=name]') }).locator('small.error'), 'Required.');
    await expectText(
      p.locator('label.field', { has: p.locator('input[name=credit_code]') }).locator('small.error'),
      'Not a valid unified social credit code (18 characters with a check character).',
    );
    await screenshot(p, 'en-desktop-form-errors');
    await p.goto(server.url + '/accounts');
    await expectText(p.locator('#record-rows'), 'Nothing here yet.');
    await en.close();
    en = null;
    // The Chinese browser still gets Chinese.
    await page.goto(server.url + '/accounts');
    await expectText(page.locator('h1'), '客户');
  }));

  test('a valid credit code is accepted after the errors are corrected', step('corrected', async () => {
    await page.goto(server.url + '/accounts/new');
    await page.getByLabel('名称').fill(NAME);
    await page.getByLabel('统一社会信用代码').fill(GOOD_CREDIT_CODE.toLowerCase());
    await page.getByRole('button', { name: '保存' }).click();
    await page.waitForURL((u) => /^\/accounts\/[0-9a-f-]{36}$/.test(u.pathname) && u.searchParams.get('notice') === 'record_created');
    id = accountId(page);
    await expectText(page.locator('#account-name'), NAME);
    await expectText(accountFacts(page), GOOD_CREDIT_CODE);
  }));

  test('a stale edit shows the conflict message and keeps the first save', step('conflict', async () => {
    const first = page;
    const second = await zh.newPage();
    await first.goto(`${server.url}/accounts/${id}/edit`);
    await second.goto(`${server.url}/accounts/${id}/edit`);
    assert.equal(await second.getByLabel('名称').inputValue(), NAME);

    await first.getByLabel('名称').fill(FIRST_SAVE);
    await first.getByRole('button', { name: '保存' }).click();
    await first.waitForURL((u) => u.pathname === `/accounts/${id}` && u.searchParams.get('notice') === 'record_saved');
    await expectText(first.locator('#account-name'), FIRST_SAVE);

    await second.getByLabel('名称').fill(STALE_SAVE);
    await second.getByLabel('客户等级').selectOption({ label: 'D 一般' });
    const saved = second.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/accounts/${id}`);
    await second.getByRole('button', { name: '保存' }).click();
    assert.equal((await saved).status(), 409);
    await expectText(second.locator('#form-error'), '您打开后该记录已被他人修改，您的修改未保存。');
    const reload = second.getByRole('link', { name: '查看最新版本' });
    assert.equal(await reload.getAttribute('href'), `/accounts/${id}/edit`);
    // The stale tab keeps what its user typed, so it can be copied over.
    assert.equal(await second.getByLabel('名称').inputValue(), STALE_SAVE);
    await screenshot(second, 'zh-desktop-form-conflict');

    // "Open the current version" shows the first save.
    await reload.click();
    await second.waitForURL((u) => u.pathname === `/accounts/${id}/edit`);
    assert.equal(await second.getByLabel('名称').inputValue(), FIRST_SAVE);

    // The record keeps the first save; the stale one left no trace.
    await first.goto(`${server.url}/accounts/${id}`);
    await expectText(first.locator('#account-name'), FIRST_SAVE);
    assert.ok(!(await pageHead(first).innerText()).includes('D 一般'), 'the stale grade was not saved');
    const nameChanges = first.locator('#history-items li', { hasText: '名称:' });
    await expectCount(nameChanges, 1);
    await expectText(nameChanges.locator('ins'), FIRST_SAVE);
    assert.equal(await first.locator('#history-items').getByText(STALE_SAVE).count(), 0);

    // Saving from the current version works.
    await second.getByLabel('客户等级').selectOption({ label: 'D 一般' });
    await second.getByRole('button', { name: '保存' }).click();
    await second.waitForURL((u) => u.pathname === `/accounts/${id}` && u.searchParams.get('notice') === 'record_saved');
    await expectText(pageHead(second), 'D 一般');
    await expectText(second.locator('#account-name'), FIRST_SAVE);
  }));
});
