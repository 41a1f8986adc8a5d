// Scenario c: a phone (390×844, touch). Sign in, create an account, open it; no page may be
// wider than the screen, in Chinese and in English.

import { describe, before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BACKEND_NAME, startMeridian, launchBrowser, phone, screenshot, setUpCompany, accountId, accountFacts,
  expectText, expectCount, horizontalOverflow, scenario, PASSWORD, MY_DAY_LISTS,
} from '../lib/meridian.js';

const ADMIN = { company: '杭州子午线网络科技有限公司', name: '李雷', email: 'lilei@example.com' };
// Long values that must wrap rather than widen the page.
const NAME = '杭州市西湖区阿里巴巴（中国）网络技术有限公司华东大区分公司';
const WEBSITE = 'https://www.example-company-with-a-very-long-domain-name.com.cn/about/contact/offices/hangzhou';
const ADDRESS = '浙江省杭州市余杭区文一西路969号阿里巴巴西溪园区（A区）7号楼3层东侧北区';
const WIDTH = 390;

describe(`phone 390×844 (${BACKEND_NAME})`, () => {
  let server;
  let browser;
  let context;
  let page;
  let id;
  const step = scenario(() => server, () => (context ? [context] : []));

  /** Asserts the page is no wider than the phone, naming the widest elements when it is. */
  async function assertFits(what) {
    const o = await horizontalOverflow(page);
    assert.ok(
      o.scrollWidth <= WIDTH,
      `${what} (${page.url()}) is ${o.scrollWidth}px wide on a ${WIDTH}px phone; elements reaching past the edge: ${o.wide.join(', ')}`,
    );
  }

  before(async () => {
    server = await startMeridian('c-phone');
    browser = await launchBrowser();
    await setUpCompany(browser, server, ADMIN);
    context = await browser.newContext(phone('zh'));
    page = await context.newPage();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('sign in on the phone; "My day" and the empty accounts list fit the screen', step('signin', async () => {
    await page.goto(server.url + '/login');
    await expectText(page.locator('h1'), '登录');
    assert.equal(await page.evaluate(() => window.innerWidth), WIDTH);
    await assertFits('the sign-in page');
    await screenshot(page, 'zh-phone-login');
    await page.locator('input[name=email]').fill(ADMIN.email);
    await page.locator('input[name=password]').fill(PASSWORD);
    await page.getByRole('button', { name: '登录' }).tap();
    await page.waitForURL((u) => u.pathname === '/' && !u.search);
    await expectText(page.locator('h1'), '我的今天');
    for (const list of MY_DAY_LISTS) await expectCount(page.locator(list), 1);
    await expectText(page.locator('nav.mainnav'), ADMIN.name);
    await assertFits('"My day"');
    await screenshot(page, 'zh-phone-my-day');
    await page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: '客户', exact: true }).tap();
    await page.waitForURL((u) => u.pathname === '/accounts' && !u.search);
    await expectText(page.locator('h1'), '客户');
    await assertFits('the empty accounts list');
  }));

  test('create an account on the phone and open it; form and record page fit the screen', step('create', async () => {
    await page.getByRole('link', { name: '新建客户' }).tap();
    await page.waitForURL((u) => u.pathname === '/accounts/new');
    await expectText(page.locator('h1'), '新建客户');
    await assertFits('the new-account form');
    await page.getByLabel('名称').fill(NAME);
    await page.getByLabel('客户等级').selectOption({ label: 'A 重点' });
    await page.getByLabel('省份').selectOption({ label: '浙江' });
    await page.getByLabel('城市').fill('杭州');
    await page.getByLabel('电话').fill('13812345678');
    await page.getByLabel('网址').fill(WEBSITE);
    await page.getByLabel('地址').fill(ADDRESS);
    await page.getByLabel('标签').fill('VIP, 重点, 华东大区战略合作伙伴');
    await page.getByLabel('描述').fill('手机端创建的客户。');
    await assertFits('the filled new-account form');
    await screenshot(page, 'zh-phone-form');
    await page.getByRole('button', { name: '保存' }).tap();
    await page.waitForURL((u) => /^\/accounts\/[0-9a-f-]{36}$/.test(u.pathname) && u.searchParams.get('notice') === 'record_created');
    id = accountId(page);
    await expectText(page.locator('.flash.ok'), '客户已创建。');
    await expectText(page.locator('#account-name'), NAME);
    await expectText(accountFacts(page), WEBSITE);
    await expectText(accountFacts(page).locator('dd[data-field=province]'), '浙江');
    await expectText(accountFacts(page).locator('dd[data-field=city]'), '杭州');
    await assertFits('the record page');
    // Logging a visit is on the first screen, in the page's action bar.
    await page.evaluate(() => window.scrollTo(0, 0));
    const visit = await page.locator('.action-bar nav.quick-log a', { hasText: '记录拜访' }).boundingBox();
    assert.ok(visit && visit.y + visit.height <= 844, `"记录拜访" is below the first screen (${JSON.stringify(visit)})`);
    await screenshot(page, 'zh-phone-record');
  }));

  test('the accounts list on the phone shows the account as a card and fits the screen', step('list', async () => {
    await page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: '客户', exact: true }).tap();
    await page.waitForURL((u) => u.pathname === '/accounts');
    const rows = page.locator('#record-rows tr');
    await expectCount(rows, 1);
    await expectText(rows.first(), NAME);
    // The table header is hidden on phones; each cell carries its label.
    assert.equal(await page.locator('#records thead').isVisible(), false, 'table header hidden on phones');
    const before = await rows.first().locator('td[data-label="负责人"]').evaluate((td) => getComputedStyle(td, '::before').content);
    assert.match(before, /负责人/);
    // Rows are compact: several records per screen.
    const row = await rows.first().boundingBox();
    assert.ok(row.height * 6 <= 844, `a list row is ${row.height}px high: fewer than six records per screen`);
    await assertFits('the accounts list');
    await screenshot(page, 'zh-phone-list');
    // Opening "more filters" must not widen the page either.
    await page.locator('#filter-builder summary').tap();
    await assertFits('the accounts list with the filter builder open');
    await screenshot(page, 'zh-phone-list-filters');
    await page.getByRole('link', { name: NAME }).tap();
    await page.waitForURL((u) => u.pathname === `/accounts/${id}`);
    await page.getByRole('link', { name: '编辑', exact: true }).tap();
    await page.waitForURL((u) => u.pathname === `/accounts/${id}/edit`);
    assert.equal(await page.getByLabel('名称').inputValue(), NAME);
    await assertFits('the edit form');
  }));

  test('in English the phone pages fit the screen too', step('english', async () => {
    await page.goto(`${server.url}/accounts`);
    await page.getByRole('button', { name: 'English' }).tap();
    await expectText(page.locator('h1'), 'Accounts');
    await assertFits('the English accounts list');
    await screenshot(page, 'en-phone-list');
    await page.goto(`${server.url}/accounts/${id}/edit`);
    await expectText(page.locator('h1'), 'Edit account');
    await assertFits('the English edit form');
    await screenshot(page, 'en-phone-form');
    await page.goto(`${server.url}/accounts/${id}`);
    await expectText(page.locator('#history h2'), 'Field history');
    await assertFits('the English record page');
    await screenshot(page, 'en-phone-record');
  }));
});
