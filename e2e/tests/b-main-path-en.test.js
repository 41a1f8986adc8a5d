// Scenario b: the main path in English (the browser asks for English), and switching the
// language with the header's button.

import { describe, before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BACKEND_NAME, startMeridian, launchBrowser, desktop, screenshot, fillSetup, accountId, pageHead, accountFacts,
  expectText, expectCount, scenario, PASSWORD, MY_DAY_LISTS,
} from '../lib/meridian.js';

const ADMIN = { company: 'Meridian Test Co', name: 'Alice Admin', email: 'alice@example.com' };
const NAME = 'Acme Trading Ltd';
const NEW_NAME = 'Acme Global Trading Ltd';
const OTHER = 'Globex Corporation';

describe(`main path in English (${BACKEND_NAME})`, () => {
  let server;
  let browser;
  let context;
  let page;
  let id;
  const step = scenario(() => server, () => (context ? [context] : []));

  before(async () => {
    server = await startMeridian('b-main-en');
    browser = await launchBrowser();
    context = await browser.newContext(desktop('en'));
    page = await context.newPage();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('the set-up page is in English and creates the company', step('setup', async () => {
    await page.goto(server.url + '/');
    await page.waitForURL((u) => u.pathname === '/setup');
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    await expectText(page.locator('h1'), 'Set up Meridian');
    const form = page.locator('form[action="/setup"]');
    for (const label of ['Company name', 'Your name', 'E-mail', 'Password']) await expectText(form, label);
    await expectText(page.getByRole('button', { name: 'Create company' }), 'Create company');
    await screenshot(page, 'en-desktop-setup');
    // Submitting it empty shows English field errors and creates nothing.
    await page.getByRole('button', { name: 'Create company' }).click();
    await expectText(page.locator('.flash.error'), 'Some fields need your attention.');
    await expectText(page.locator('label.field', { hasText: 'Company name' }).locator('small.error'), 'Required.');
    await fillSetup(page, ADMIN);
    await page.waitForURL((u) => u.pathname === '/accounts' && u.searchParams.get('notice') === 'welcome');
    await expectText(page.locator('.flash.ok'), 'Welcome to Meridian. Your company is ready.');
    await expectText(page.locator('h1'), 'Accounts');
    await expectText(page.locator('#record-rows'), 'Nothing here yet.');
  }));

  test('sign out and sign in again, in English; signing in lands on "My day"', step('relogin', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((u) => u.pathname === '/login');
    await expectText(page.locator('h1'), 'Sign in');
    await expectText(page.locator('form[action="/login"]'), 'E-mail');
    await page.getByLabel('E-mail').fill(ADMIN.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/' && !u.search);
    await expectText(page.locator('h1'), 'My day');
    for (const list of MY_DAY_LISTS) await expectCount(page.locator(list), 1);
    const nav = page.getByRole('navigation', { name: 'Main navigation' });
    assert.deepEqual(
      (await nav.getByRole('link').allInnerTexts()).map((t) => t.trim()),
      // The bell, between administration and the user, is an icon named by its aria-label.
      ['My day', 'Leads', 'Accounts', 'Pools', 'Showroom', 'Contacts', 'Opportunities', 'Activities', 'Administration', '', ADMIN.name],
    );
    await expectText(nav.locator('a[aria-current=page]'), 'My day');
    await expectText(nav.getByRole('button', { name: 'Sign out' }), 'Sign out');
    await screenshot(page, 'en-desktop-my-day');
  }));

  test('create an account, see it on its record page, edit it, and read the field history in English', step('account', async () => {
    await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Accounts', exact: true }).click();
    await page.waitForURL((u) => u.pathname === '/accounts' && !u.search);
    await expectText(page.locator('h1'), 'Accounts');
    await page.getByRole('link', { name: 'New account' }).click();
    await page.waitForURL((u) => u.pathname === '/accounts/new');
    await expectText(page.locator('h1'), 'New account');
    const form = page.locator('form.form-grid');
    for (const label of ['Name', 'Type', 'Grade', 'Industry', 'Province', 'City', 'Phone', 'Website', 'Unified social credit code', 'Parent account', 'Tags', 'Owner', 'Description']) {
      await expectText(form, label);
    }
    await page.locator('input[name=name]').fill(NAME);
    await page.getByLabel('Grade').selectOption({ label: 'A – key' });
    await page.getByLabel('Phone').fill('13812345678');
    await page.getByLabel('Tags').fill('VIP, 重点');
    await page.getByLabel('Province').selectOption({ label: 'Guangdong' });
    await screenshot(page, 'en-desktop-form');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL((u) => /^\/accounts\/[0-9a-f-]{36}$/.test(u.pathname) && u.searchParams.get('notice') === 'record_created');
    id = accountId(page);
    await expectText(page.locator('.flash.ok'), 'Account created.');
    await expectText(page.locator('#account-name'), NAME);
    await expectText(pageHead(page), 'Customer · A – key');
    assert.deepEqual(await pageHead(page).locator('.tag').allInnerTexts(), ['VIP', '重点']);
    await expectText(page.locator('#main h2').first(), 'Details');
    const facts = accountFacts(page);
    for (const label of ['Province', 'Phone', 'Owner', 'Created', 'Updated']) await expectText(facts, label);
    await expectText(facts, 'Guangdong');
    await expectText(facts, /\+86 138 1234 5678/);
    await screenshot(page, 'en-desktop-record');

    await page.getByRole('link', { name: 'Edit', exact: true }).click();
    await page.waitForURL((u) => u.pathname === `/accounts/${id}/edit`);
    await expectText(page.locator('h1'), 'Edit account');
    await page.locator('input[name=name]').fill(NEW_NAME);
    await page.getByLabel('Grade').selectOption({ label: 'B – important' });
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL((u) => u.pathname === `/accounts/${id}` && u.searchParams.get('notice') === 'record_saved');
    await expectText(page.locator('.flash.ok'), 'Account saved.');
    await expectText(page.locator('#account-name'), NEW_NAME);
    await expectText(pageHead(page), 'B – important');
    await expectText(page.locator('#history h2'), 'Field history');
    const nameChange = page.locator('#history-items li', { has: page.locator('del', { hasText: NAME }) });
    await expectCount(nameChange, 1);
    await expectText(nameChange.locator('.what'), 'Name:');
    await expectText(nameChange.locator('ins'), NEW_NAME);
    const gradeChange = page.locator('#history-items li', { hasText: 'Grade:' });
    await expectCount(gradeChange, 1);
    await expectText(gradeChange.locator('del'), 'A – key');
    await expectText(gradeChange.locator('ins'), 'B – important');
    await screenshot(page, 'en-desktop-record-history');
  }));

  test('the list shows the account in English and quick search by "Acme" finds it', step('list', async () => {
    await page.goto(server.url + '/accounts/new');
    await page.locator('input[name=name]').fill(OTHER);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL((u) => /^\/accounts\/[0-9a-f-]{36}$/.test(u.pathname));
    await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Accounts', exact: true }).click();
    await page.waitForURL((u) => u.pathname === '/accounts');
    const head = await page.locator('#records thead th').allInnerTexts();
    assert.deepEqual(head.map((h) => h.trim()), ['Name', 'Type', 'Grade', 'Province', 'Owner', 'Updated ↓']);
    const rows = page.locator('#record-rows tr');
    await expectCount(rows, 2);
    await expectText(rows.filter({ hasText: NEW_NAME }).locator('td[data-label="Type"]'), 'Customer');
    await expectText(rows.filter({ hasText: NEW_NAME }).locator('td[data-label="Province"]'), 'Guangdong');
    await screenshot(page, 'en-desktop-list');
    const search = page.getByRole('searchbox', { name: 'Search by name' });
    await search.pressSequentially('Acme', { delay: 30 });
    await page.waitForURL((u) => u.pathname === '/accounts' && u.searchParams.get('q') === 'Acme');
    await expectCount(rows, 1);
    await expectText(rows.first(), NEW_NAME);
  }));

  test('the header language button switches the pages to Chinese and back', step('language', async () => {
    await page.goto(`${server.url}/accounts/${id}`);
    await expectText(page.locator('#history h2'), 'Field history');
    await page.getByRole('button', { name: '中文' }).click();
    await page.waitForURL((u) => u.pathname === `/accounts/${id}`);
    await expectText(page.locator('#history h2'), '字段变更历史');
    assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
    await expectText(page.locator('nav.mainnav'), '退出');
    await expectText(pageHead(page), 'B 重要');
    await expectText(accountFacts(page), '广东');
    await expectText(page.getByRole('button', { name: 'English' }), 'English');
    // The choice sticks: other pages, and later visits, are in Chinese despite Accept-Language: en.
    await page.goto(server.url + '/accounts');
    await expectText(page.locator('h1'), '客户');
    await expectText(page.locator('#records thead'), '客户名称');
    await screenshot(page, 'en-desktop-switched-to-zh');
    // And back.
    await page.getByRole('button', { name: 'English' }).click();
    await expectText(page.locator('h1'), 'Accounts');
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    assert.equal(new URL(page.url()).pathname, '/accounts');
  }));
});
