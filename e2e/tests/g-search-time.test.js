// Scenario g: finding customers as a Chinese sales rep types them, and times in the user's own
// zone, in Chinese. An account with its full legal name and phone number and a contact with a
// mobile number, made in the UI; the top-bar search finds the account by its full legal name
// and the contact by the mobile number typed without spaces or with +86; a lookup picked by
// the full name does not then claim there is no match; a visit logged with 记录拜访 is done
// and makes the account contacted; My day lists today's meetings in time order; a user who
// chooses Europe/Berlin reads the account page's times in Berlin, and a zone that is not one
// is refused.

import { describe, before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BACKEND_NAME, startMeridian, launchBrowser, desktop, screenshot, setUpCompany, accountId,
  recordId, expectText, expectCount, scenario, signIn,
} from '../lib/meridian.js';

const ADMIN = { company: '杭州子午线网络有限公司', name: '陈静', email: 'chen@example.com' };
const ACCOUNT = '深圳华为技术有限公司';
const ACCOUNT_PHONE = '0755-28780808';
const CONTACT = '王建国';
const MOBILE = '+86 138 0013 8000';

describe(`search and time zones (${BACKEND_NAME})`, () => {
  let server;
  let browser;
  let context;
  let page;
  let account;
  let contact;
  const step = scenario(() => server, () => [context].filter(Boolean));

  before(async () => {
    server = await startMeridian('g-search-time');
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
  async function searchFromTopBar(q) {
    const box = page.getByRole('search').first().getByRole('searchbox');
    await box.fill(q);
    await box.press('Enter');
    await page.waitForURL((u) => u.pathname === '/search' && u.searchParams.get('q') === q);
  }

  /** The result group titled `title` on the search page. */
  const group = (title) => page.locator('#search-results section', { has: page.locator('h2', { hasText: title }) });

  /** The text of the account page's fact labelled `label`. */
  const fact = (label) => page.locator(`dt:text-is("${label}") + dd`).first().innerText();

  test('an account with its phone number and a contact with a mobile number, made in the UI', step('records', async () => {
    await signIn(page, server, ADMIN.email);
    await page.goto(server.url + '/accounts/new');
    await page.locator('input[name=name]').fill(ACCOUNT);
    await page.locator('input[name=phone]').fill(ACCOUNT_PHONE);
    await page.locator('#save-record').click();
    await page.waitForURL((u) => /^\/accounts\/[0-9a-f-]{36}$/.test(u.pathname));
    account = accountId(page);
    await page.goto(`${server.url}/contacts/new?account_id=${account}`);
    await page.locator('#f-name').fill(CONTACT);
    await page.locator('#f-mobile').fill(MOBILE);
    await page.locator('#save-record').click();
    await page.waitForURL((u) => /^\/contacts\/[0-9a-f-]{36}$/.test(u.pathname));
    contact = recordId(page, 'contacts');
  }));

  test('the full legal name finds the account, and a mobile number typed any way finds the contact', step('search', async () => {
    await page.goto(server.url + '/');
    await searchFromTopBar(ACCOUNT);
    await expectCount(group('客户').locator(`li a[href="/accounts/${account}"]`), 1);
    for (const q of ['13800138000', '+8613800138000', '138 0013', '0013 8000']) {
      await searchFromTopBar(q);
      await expectCount(group('联系人').locator(`li a[href="/contacts/${contact}"]`), 1);
    }
    // The account's phone number, as dialled from elsewhere in China or in part.
    await searchFromTopBar('075528780808');
    await expectCount(group('客户').locator(`li a[href="/accounts/${account}"]`), 1);
    await searchFromTopBar('2878 0808');
    await expectCount(group('客户').locator(`li a[href="/accounts/${account}"]`), 1);
    await screenshot(page, 'zh-desktop-search-phone');
  }));

  test('a lookup picked by the full legal name keeps the pick without claiming there is no match', step('lookup', async () => {
    await page.goto(server.url + '/opportunities/new');
    const box = page.locator('#lk-account_id');
    await box.pressSequentially(ACCOUNT, { delay: 20 });
    const choice = page.locator('#lr-account_id [data-pick-id]').filter({ hasText: ACCOUNT }).first();
    await choice.waitFor({ state: 'visible', timeout: 10_000 });
    await choice.click();
    assert.equal(await page.locator('#f-account_id').inputValue(), account);
    assert.equal(await box.inputValue(), ACCOUNT);
    // Back in the field: the picked name is not searched again.
    const searched = page.waitForRequest((r) => new URL(r.url()).pathname === '/accounts/lookup', { timeout: 1_500 })
      .then(() => true, () => false);
    await page.locator('#f-name').click();
    await box.click();
    assert.equal(await searched, false, 'focusing the picked field searched again');
    await expectCount(page.locator('#lr-account_id', { hasText: '无匹配结果' }), 0);
    assert.equal(await page.locator('#f-account_id').inputValue(), account);
  }));

  test('a visit logged with 记录拜访 is done and makes the account contacted', step('visit', async () => {
    await page.goto(`${server.url}/contacts/${contact}`);
    await page.locator('nav.quick-log a', { hasText: '记录拜访' }).click();
    await page.waitForURL((u) => u.pathname === '/activities/new' && u.searchParams.get('kind') === 'visit');
    await page.locator('#f-name').fill('上门拜访');
    await page.locator('#save-record').click();
    await page.waitForURL((u) => /^\/activities\/[0-9a-f-]{36}$/.test(u.pathname));
    await expectText(page.locator('dl#facts dd[data-field=status]'), '已完成');
    await page.goto(`${server.url}/accounts/${account}`);
    await expectText(page.locator('#last-contacted'), /\d{4}-\d{2}-\d{2}/);
    await page.goto(`${server.url}/accounts?view=not_contacted_30`);
    await expectCount(page.locator(`a[href="/accounts/${account}"]`), 0);
  }));

  test('My day lists today\'s meetings in time order', step('my-day', async () => {
    // Today as the server shows it (the user's zone, China time by default).
    await page.goto(server.url + '/');
    const today = (await page.locator('h1 small').innerText()).trim();
    assert.match(today, /^\d{4}-\d{2}-\d{2}$/);
    for (const [name, time] of [['两点的会', '02:06'], ['零点的会', '00:06']]) {
      await page.goto(server.url + '/activities/new?kind=meeting');
      await page.locator('#f-name').fill(name);
      await page.locator('#f-starts_at').fill(`${today}T${time}`);
      await page.locator('#save-record').click();
      await page.waitForURL((u) => /^\/activities\/[0-9a-f-]{36}$/.test(u.pathname));
    }
    await page.goto(server.url + '/');
    const items = await page.locator('#day-today li').allInnerTexts();
    const at = (name) => items.findIndex((t) => t.includes(name));
    assert.ok(at('零点的会') >= 0 && at('两点的会') >= 0, items.join(' | '));
    assert.ok(at('零点的会') < at('两点的会'), items.join(' | '));
    await screenshot(page, 'zh-desktop-my-day-order');
  }));

  test('a user in Europe/Berlin reads the account page in Berlin time; a zone that is not one is refused', step('time-zone', async () => {
    await page.goto(`${server.url}/accounts/${account}`);
    const inShanghai = await fact('创建时间');
    await page.goto(server.url + '/settings');
    assert.equal(await page.locator('#f-time_zone').inputValue(), 'Asia/Shanghai');
    // A zone that is not in the list (a hand-made request) is refused, and nothing changes.
    const refused = await page.evaluate(async () => {
      const form = document.querySelector('form[action="/settings/time-zone"]');
      const body = new URLSearchParams(new FormData(form));
      body.set('time_zone', 'Mars/Olympus');
      const res = await fetch('/settings/time-zone', { method: 'POST', body });
      return { status: res.status, text: await res.text() };
    });
    assert.equal(refused.status, 422);
    assert.match(refused.text, /不是有效的时区/);
    await page.locator('#f-time_zone').selectOption('Europe/Berlin');
    await page.locator('form[action="/settings/time-zone"] button[type=submit]').click();
    await page.waitForURL((u) => u.pathname === '/settings' && u.searchParams.get('notice') === 'time_zone_saved');
    assert.equal(await page.locator('#f-time_zone').inputValue(), 'Europe/Berlin');
    await page.goto(`${server.url}/accounts/${account}`);
    const inBerlin = await fact('创建时间');
    // Shanghai is seven hours ahead of Berlin in winter, six in summer.
    const minutes = (s) => Date.parse(s.replace(' ', 'T') + ':00Z') / 60_000;
    assert.ok([6 * 60, 7 * 60].includes(minutes(inShanghai) - minutes(inBerlin)), `${inShanghai} / ${inBerlin}`);
    await screenshot(page, 'zh-desktop-account-berlin');
  }));
});
