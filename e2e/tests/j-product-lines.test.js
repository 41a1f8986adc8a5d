// Scenario j: an opportunity's product lines (商机产品明细) on a phone (390×844): lines added
// on the new form (one more row fetched with htmx), the record page's table and totals, a line
// removed on the edit form; every page fits the screen and has no serious axe violation.

import { describe, before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BACKEND_NAME, startMeridian, launchBrowser, phone, screenshot, setUpCompany, accountId,
  expectText, expectCount, horizontalOverflow, scenario, signIn, recordId, blockingViolations,
} from '../lib/meridian.js';

const ADMIN = { company: '上海明细科技有限公司', name: '韩梅梅', email: 'hanmeimei@example.com' };
const WIDTH = 390;

describe(`product lines on a phone (${BACKEND_NAME})`, () => {
  let server;
  let browser;
  let context;
  let page;
  let account;
  let deal;
  const step = scenario(() => server, () => (context ? [context] : []));

  async function assertUsable(what) {
    const o = await horizontalOverflow(page);
    assert.ok(
      o.scrollWidth <= WIDTH,
      `${what} is ${o.scrollWidth}px wide on a ${WIDTH}px phone: ${o.wide.join(', ')}`,
    );
    assert.deepEqual(await blockingViolations(page), [], `${what}: axe violations`);
  }

  before(async () => {
    server = await startMeridian('j-product-lines');
    browser = await launchBrowser();
    await setUpCompany(browser, server, ADMIN);
    context = await browser.newContext(phone('zh'));
    page = await context.newPage();
    await signIn(page, server, ADMIN.email);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('lines entered on the new form, one row added with htmx', step('create', async () => {
    await page.goto(`${server.url}/accounts/new`);
    await page.getByLabel('名称').fill('明细客户');
    await page.getByRole('button', { name: '保存' }).tap();
    await page.waitForURL((u) => /^\/accounts\/[0-9a-f-]{36}$/.test(u.pathname));
    account = accountId(page);

    await page.goto(`${server.url}/opportunities/new?account_id=${account}`);
    await expectText(page.locator('#rows-lines legend'), '产品明细');
    await expectCount(page.locator('#rows-lines-body tr'), 1);
    await page.getByLabel('商机名称').fill('手机上的商机');
    await page.getByLabel('产品 (1)').fill('键盘');
    await page.getByLabel('数量 (1)').fill('2');
    await page.getByLabel('单价 (1)').fill('150');
    await page.getByLabel('折扣 % (1)').fill('10');
    await page.locator('#add-lines').tap();
    await expectCount(page.locator('#rows-lines-body tr'), 2);
    await page.getByLabel('产品 (2)').fill('鼠标');
    await page.getByLabel('数量 (2)').fill('1');
    await page.getByLabel('单价 (2)').fill('50');
    // The add button moved on: a third row gets the next index.
    await page.locator('#add-lines').tap();
    await expectCount(page.locator('#rows-lines-body tr'), 3);
    await expectCount(page.locator('input[name="lines.2.product"]'), 1);
    await assertUsable('the new-opportunity form with lines');
    await screenshot(page, 'zh-phone-lines-form');
    await page.locator('#save-record').tap();
    await page.waitForURL((u) => /^\/opportunities\/[0-9a-f-]{36}$/.test(u.pathname));
    deal = recordId(page, 'opportunities');
    await expectText(page.locator('#children-lines'), '键盘');
    await expectText(page.locator('#children-lines'), '270.00');
    await expectText(page.locator('#children-lines-totals'), '320.00');
    await expectCount(page.locator('#children-lines tbody tr'), 2);
    await assertUsable('the record page with lines');
    await screenshot(page, 'zh-phone-lines-record');
  }));

  test('a line removed on the edit form; the totals follow', step('edit', async () => {
    await page.goto(`${server.url}/opportunities/${deal}/edit`);
    await expectCount(page.locator('#rows-lines-body tr'), 3);
    await page.getByLabel('移除 (1)').check();
    await page.getByLabel('数量 (2)').fill('3');
    await assertUsable('the edit form with lines');
    await page.locator('#save-record').tap();
    await page.waitForURL((u) => u.pathname === `/opportunities/${deal}`);
    await expectCount(page.locator('#children-lines tbody tr'), 1);
    await expectText(page.locator('#children-lines-totals'), '150.00');
    await expectText(page.locator('#history'), '产品明细');
  }));
});
