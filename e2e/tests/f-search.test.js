// Scenario f: global search (全局搜索), in Chinese. An account, a contact under it and a lead
// created in the UI; the search box in the top bar finds them by a fragment of a company
// name, grouped by object, with the account each belongs to; a hit opens its record; "see all"
// leads to the object's list with the same quick search; an over-long query is refused with
// a translated error; on a phone the results fit the screen.

import { describe, before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BACKEND_NAME, startMeridian, launchBrowser, desktop, phone, screenshot, setUpCompany, accountId,
  recordId, expectText, expectCount, horizontalOverflow, scenario, signIn,
} from '../lib/meridian.js';

const ADMIN = { company: '成都子午线软件有限公司', name: '周婷婷', email: 'zhou@example.com' };
const ACCOUNT = '深圳市腾讯计算机系统有限公司';
const OTHER_ACCOUNT = '北京百度网讯科技有限公司';
const CONTACT = '马化腾';
const LEAD = '张小龙';
const LEAD_COMPANY = '腾讯音乐娱乐集团';
const PHONE_WIDTH = 390;

describe(`global search (${BACKEND_NAME})`, () => {
  let server;
  let browser;
  let context;
  let phoneContext;
  let page;
  let account;
  let contact;
  const step = scenario(() => server, () => [context, phoneContext].filter(Boolean));

  before(async () => {
    server = await startMeridian('f-search');
    browser = await launchBrowser();
    await setUpCompany(browser, server, ADMIN);
    context = await browser.newContext(desktop('zh'));
    page = await context.newPage();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** Searches from the top bar of the current page and waits for the results page. */
  async function searchFromTopBar(p, q) {
    const box = p.getByRole('search').first().getByRole('searchbox');
    await box.fill(q);
    await box.press('Enter');
    await p.waitForURL((u) => u.pathname === '/search' && u.searchParams.get('q') === q);
  }

  /** The result group titled `title` on the search page. */
  const group = (p, title) => p.locator('#search-results section', { has: p.locator('h2', { hasText: title }) });

  test('records created in the UI: two accounts, a contact, a lead', step('records', async () => {
    await signIn(page, server, ADMIN.email);
    for (const name of [ACCOUNT, OTHER_ACCOUNT]) {
      await page.goto(server.url + '/accounts/new');
      await page.locator('input[name=name]').fill(name);
      await page.locator('#save-record').click();
      await page.waitForURL((u) => /^\/accounts\/[0-9a-f-]{36}$/.test(u.pathname));
      if (name === ACCOUNT) account = accountId(page);
    }
    await page.goto(`${server.url}/contacts/new?account_id=${account}`);
    await page.locator('#f-name').fill(CONTACT);
    await page.locator('#save-record').click();
    await page.waitForURL((u) => /^\/contacts\/[0-9a-f-]{36}$/.test(u.pathname));
    contact = recordId(page, 'contacts');
    await page.goto(server.url + '/leads/new');
    await page.locator('#f-name').fill(LEAD);
    await page.locator('#f-company').fill(LEAD_COMPANY);
    await page.locator('#save-record').click();
    await page.waitForURL((u) => /^\/leads\/[0-9a-f-]{36}$/.test(u.pathname));
  }));

  test('the top-bar search finds the account and the lead by a fragment of the company name, grouped by object', step('by-company', async () => {
    await page.goto(server.url + '/');
    await searchFromTopBar(page, '腾讯');
    await expectText(page.locator('h1'), '全局搜索');
    assert.equal(await page.locator('.searchbar input[name=q]').inputValue(), '腾讯');
    const accounts = group(page, '客户');
    await expectCount(accounts.locator('li a', { hasText: ACCOUNT }), 1);
    await expectText(accounts, '负责人');
    await expectText(accounts, ADMIN.name);
    // The other account does not match.
    await expectCount(page.locator('#search-results a', { hasText: OTHER_ACCOUNT }), 0);
    const leads = group(page, '线索');
    await expectCount(leads.locator('li a', { hasText: LEAD }), 1);
    await expectText(leads, LEAD_COMPANY);
    // The contact's name has no "腾讯" in it.
    await expectText(group(page, '联系人'), '没有找到');
    await screenshot(page, 'zh-desktop-search-company');

    await accounts.locator('li a', { hasText: ACCOUNT }).click();
    await page.waitForURL((u) => u.pathname === `/accounts/${account}`);
    await expectText(page.locator('#account-name'), ACCOUNT);
  }));

  test('a person found by part of the name shows the account it belongs to, which links to it', step('by-person', async () => {
    await searchFromTopBar(page, '化腾');
    const contacts = group(page, '联系人');
    const hit = contacts.locator('li a', { hasText: CONTACT });
    await expectCount(hit, 1);
    assert.equal(await hit.getAttribute('href'), `/contacts/${contact}`);
    const belongsTo = contacts.locator(`li a[href="/accounts/${account}"]`);
    await expectText(belongsTo, ACCOUNT);
    await expectText(group(page, '客户'), '没有找到');
  }));

  test('"see all results" appears when an object has more than the first hits, and opens its list with the same search', step('more', async () => {
    // Six more accounts with "腾讯": the account group shows five and offers the list.
    for (let i = 1; i <= 6; i++) {
      await page.goto(server.url + '/accounts/new');
      await page.locator('input[name=name]').fill(`腾讯云计算（第${i}分公司）有限公司`);
      await page.locator('#save-record').click();
      await page.waitForURL((u) => /^\/accounts\/[0-9a-f-]{36}$/.test(u.pathname));
    }
    await searchFromTopBar(page, '腾讯');
    const accounts = group(page, '客户');
    await expectCount(accounts.locator('ul li'), 5);
    const more = accounts.getByRole('link', { name: '查看全部结果' });
    assert.equal(await more.getAttribute('href'), '/accounts?q=%E8%85%BE%E8%AE%AF');
    // The leads group has one hit and no link.
    await expectCount(group(page, '线索').getByRole('link', { name: '查看全部结果' }), 0);
    await more.click();
    await page.waitForURL((u) => u.pathname === '/accounts' && u.searchParams.get('q') === '腾讯');
    await expectCount(page.locator('a', { hasText: OTHER_ACCOUNT }), 0);
    await expectCount(page.locator('a', { hasText: ACCOUNT }), 1);
  }));

  test('an over-long query is refused with a translated error (422) and nothing is searched', step('too-long', async () => {
    const q = '腾'.repeat(101);
    const res = await page.goto(`${server.url}/search?q=${encodeURIComponent(q)}`);
    assert.equal(res.status(), 422);
    await expectText(page.locator('.flash.error'), '100');
    await expectCount(page.locator('#search-results'), 0);
    // An empty query only explains what to type.
    const empty = await page.goto(`${server.url}/search?q=`);
    assert.equal(empty.status(), 200);
    await expectCount(page.locator('#search-results'), 0);
    await expectText(page.locator('main'), '电话号码');
  }));

  test('on a phone the search box and the results fit the screen', step('phone', async () => {
    phoneContext = await browser.newContext(phone('zh'));
    const p = await phoneContext.newPage();
    await signIn(p, server, ADMIN.email);
    // "计算机" needs both of its bigrams: only the first account has them.
    await searchFromTopBar(p, '计算机');
    await expectCount(group(p, '客户').locator('li a', { hasText: ACCOUNT }), 1);
    await expectCount(group(p, '客户').locator('ul li'), 1);
    const o = await horizontalOverflow(p);
    assert.ok(o.scrollWidth <= PHONE_WIDTH, `the search page is ${o.scrollWidth}px wide on a ${PHONE_WIDTH}px phone: ${o.wide.join(', ')}`);
    await screenshot(p, 'zh-phone-search');
  }));
});
