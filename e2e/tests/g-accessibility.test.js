// Scenario g: accessibility. axe-core (the npm package, injected into the page) checks the
// main pages — sign-in, My day, each object's list, a record page, a form, the 360° account
// page, search, the custom-fields admin page, "not found" — and a lookup with its suggestions
// open, in Chinese and in English, on a desktop and on a 390 px phone. Any critical or serious
// violation fails the test, named with its rule, its elements and the page.
// Also: the lookup is usable from the keyboard (down, up, Enter picks and closes the list,
// Escape closes it).

import { describe, before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BACKEND_NAME, startMeridian, launchBrowser, desktop, phone, screenshot, setUpCompany, signIn,
  recordId, accountId, expectCount, scenario, blockingViolations,
} from '../lib/meridian.js';

const ADMIN = { company: '南京子午线数据有限公司', name: '陈静', email: 'chen@example.com' };
const ACCOUNT = '南京熊猫电子股份有限公司';
const OTHER = '南京钢铁集团有限公司';
const CONTACT = '刘洋';

/**
 * Types `text` into the lookup of field `key` and waits until the suggestions for exactly that
 * text are in the list (earlier answers, e.g. for the focus, may arrive first).
 */
async function typeInLookup(page, key, text) {
  const answered = page.waitForResponse((r) => new URL(r.url()).searchParams.get('q') === text && new URL(r.url()).pathname.endsWith('/lookup'));
  await page.locator(`#lk-${key}`).pressSequentially(text, { delay: 30 });
  await answered;
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

describe(`accessibility with axe-core (${BACKEND_NAME})`, () => {
  let server;
  let browser;
  let context;
  let page;
  let account;
  let contact;
  const step = scenario(() => server, () => (context ? [context] : []));

  before(async () => {
    server = await startMeridian('g-accessibility');
    browser = await launchBrowser();
    await setUpCompany(browser, server, ADMIN);
  });

  after(async () => {
    await context?.close();
    await browser?.close();
    await server?.stop();
  });

  test('records to look at: two accounts, a contact, an opportunity and a visit', step('records', async () => {
    context = await browser.newContext(desktop('zh'));
    page = await context.newPage();
    await signIn(page, server, ADMIN.email);
    for (const name of [OTHER, ACCOUNT]) {
      await page.goto(server.url + '/accounts/new');
      await page.locator('input[name=name]').fill(name);
      await page.locator('select[name=grade]').selectOption('A');
      await page.locator('#save-record').click();
      await page.waitForURL((u) => /^\/accounts\/[0-9a-f-]{36}$/.test(u.pathname));
    }
    account = accountId(page);
    await page.goto(`${server.url}/contacts/new?account_id=${account}`);
    await page.locator('#f-name').fill(CONTACT);
    await page.locator('#f-title').fill('总经理');
    await page.locator('#save-record').click();
    await page.waitForURL((u) => /^\/contacts\/[0-9a-f-]{36}$/.test(u.pathname));
    contact = recordId(page, 'contacts');
    await page.goto(`${server.url}/opportunities/new?account_id=${account}`);
    await page.locator('#f-name').fill('生产线改造');
    await page.locator('#f-amount').fill('1200000');
    await page.locator('#save-record').click();
    await page.waitForURL((u) => /^\/opportunities\/[0-9a-f-]{36}$/.test(u.pathname));
    await page.goto(`${server.url}/activities/new?kind=visit&account_id=${account}`);
    await page.locator('#f-name').fill('季度拜访');
    await page.locator('#save-record').click();
    await page.waitForURL((u) => /^\/activities\/[0-9a-f-]{36}$/.test(u.pathname));
    // A change, so that the account page shows its field history too.
    await page.goto(`${server.url}/accounts/${account}/edit`);
    await page.locator('select[name=grade]').selectOption('B');
    await page.locator('#save-record').click();
    await page.waitForURL((u) => u.pathname === `/accounts/${account}`);
    await context.close();
    context = null;
  }));

  test('the lookup works from the keyboard and closes after a pick', step('lookup-keys', async () => {
    context = await browser.newContext(desktop('zh'));
    page = await context.newPage();
    await signIn(page, server, ADMIN.email);
    await page.goto(`${server.url}/contacts/new`);
    const box = page.getByRole('combobox', { name: '所属客户' });
    const list = page.locator('#lr-account_id');
    assert.equal(await box.getAttribute('aria-expanded'), 'false');
    await typeInLookup(page, 'account_id', '南京');
    await expectCount(list.getByRole('option'), 2);
    await page.waitForFunction(() => document.getElementById('lk-account_id').getAttribute('aria-expanded') === 'true');
    assert.equal(await box.getAttribute('aria-controls'), 'lr-account_id');
    await box.press('ArrowDown');
    const first = list.getByRole('option').first();
    assert.equal(await box.getAttribute('aria-activedescendant'), await first.getAttribute('id'));
    assert.equal(await first.getAttribute('aria-selected'), 'true');
    await box.press('ArrowDown');
    await box.press('ArrowUp');
    assert.equal(await box.getAttribute('aria-activedescendant'), await first.getAttribute('id'));
    const id = await first.getAttribute('data-pick-id');
    const label = await first.getAttribute('data-pick-label');
    await box.press('Enter');
    // Picked: the id and label filled in, the form not submitted, the list closed and empty.
    assert.equal(new URL(page.url()).pathname, '/contacts/new');
    assert.equal(await page.locator('#f-account_id').inputValue(), id);
    assert.equal(await box.inputValue(), label);
    assert.equal(await box.getAttribute('aria-expanded'), 'false');
    assert.equal(await box.getAttribute('aria-activedescendant'), null);
    assert.equal(await list.isVisible(), false);
    await expectCount(list.getByRole('option'), 0);
    // Leaving the field and coming back does not bring the list back over a pick.
    // (htmx asks on focus synchronously, so two frames later any request has started.)
    await page.locator('#f-name').focus();
    let asked = 0;
    const onRequest = (r) => { if (new URL(r.url()).pathname === '/accounts/lookup') asked += 1; };
    page.on('request', onRequest);
    await box.focus();
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    page.off('request', onRequest);
    assert.equal(asked, 0, 'focusing the picked field asks for nothing');
    assert.equal(await list.isVisible(), false, 'the list stays closed after a pick');
    assert.equal(await box.getAttribute('aria-expanded'), 'false');
    // Typing again opens it; Escape closes it and keeps what was typed.
    await box.fill('');
    await typeInLookup(page, 'account_id', '钢铁');
    await expectCount(list.getByRole('option'), 1);
    await box.press('Escape');
    assert.equal(await box.getAttribute('aria-expanded'), 'false');
    assert.equal(await list.isVisible(), false);
    assert.equal(await box.inputValue(), '钢铁');
    // A click picks too.
    await box.fill('');
    await typeInLookup(page, 'account_id', '熊猫');
    await list.getByRole('option', { name: ACCOUNT }).click();
    assert.equal(await box.inputValue(), ACCOUNT);
    assert.equal(await list.isVisible(), false);
    await context.close();
    context = null;
  }));

  for (const lang of ['zh', 'en']) {
    for (const device of ['desktop', 'phone']) {
      test(`${lang}, ${device}: the main pages have no critical or serious violations`, step(`axe-${lang}-${device}`, async () => {
        context = await browser.newContext(device === 'phone' ? phone(lang) : desktop(lang));
        page = await context.newPage();
        const found = [];
        const check = async (name) => {
          for (const v of await blockingViolations(page)) found.push(`${name} (${new URL(page.url()).pathname}): ${v}`);
          await screenshot(page, `a11y-${lang}-${device}-${name}`);
        };
        await page.goto(`${server.url}/login`);
        await check('sign-in');
        await signIn(page, server, ADMIN.email);
        const pages = [
          ['my-day', '/'],
          ['accounts', '/accounts'],
          ['contacts', '/contacts'],
          ['leads', '/leads'],
          ['opportunities', '/opportunities'],
          ['activities', '/activities'],
          ['account-360', `/accounts/${account}`],
          ['record', `/contacts/${contact}`],
          ['form', `/contacts/${contact}/edit`],
          ['account-form', `/accounts/${account}/edit`],
          ['visit-form', `/activities/new?kind=visit&account_id=${account}`],
          ['search', `/search?q=${encodeURIComponent('南京')}`],
          ['admin-fields', '/admin/fields/contacts'],
          ['notifications', '/notifications'],
          ['not-found', '/no/such/page'],
          ['history-opened-directly', `/accounts/${account}/history`],
        ];
        for (const [name, path] of pages) {
          await page.goto(server.url + path);
          await check(name);
        }
        // A lookup with its suggestions open.
        await page.goto(`${server.url}/contacts/new`);
        await typeInLookup(page, 'account_id', '南京');
        await expectCount(page.locator('#lr-account_id [role=option]'), 2);
        await page.locator('#lk-account_id').press('ArrowDown');
        await check('lookup-open');
        // And with nothing found.
        await page.locator('#lk-account_id').fill('');
        await typeInLookup(page, 'account_id', '无此客户');
        await expectCount(page.locator('#lr-account_id [role=option][aria-disabled=true]'), 1);
        await check('lookup-none');
        assert.deepEqual(found, [], `axe-core found critical or serious violations:\n${found.join('\n')}`);
        await context.close();
        context = null;
      }));
    }
  }
});
