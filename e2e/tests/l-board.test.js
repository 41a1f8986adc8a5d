// Scenario l: the sales process in the browser. An administrator installs the product-sale
// business type and edits its first stage; a rep drags a deal across the board and is stopped
// by the stage gate (the message names the unticked item, the card snaps back), ticks the
// checklist on the deal's page and moves it; the board on a 390 px phone in English, where a
// move picked on the card is refused the same way. Screenshots zh and en; axe on each page.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BACKEND_NAME, desktop, phone, screenshot, accountId, expectText, expectCount, horizontalOverflow,
  signIn, recordId, blockingViolations, companySuite, addUser,
} from '../lib/meridian.js';

const ADMIN = { company: '上海看板科技有限公司', name: '周看板', email: 'zhou.board@example.com' };
const REP = { name: '吴销售', email: 'wu.rep@example.com' };

describe(`the board and stage gates (${BACKEND_NAME})`, () => {
  let deal;
  const suite = companySuite('l-board', ADMIN);
  const { step } = suite;

  async function assertClean(page, what) {
    assert.deepEqual(await blockingViolations(page), [], `${what}: axe violations`);
  }

  test('an administrator installs and edits a business type', step('admin', async () => {
    suite.context = await suite.browser.newContext(desktop('zh'));
    const page = await suite.context.newPage();
    await signIn(page, suite.server, ADMIN.email);
    await page.goto(`${suite.server.url}/admin/business-types`);
    await expectText(page.locator('#business-types-empty'), '还没有业务类型');
    await assertClean(page, 'the business types page');
    await page.locator('#install-product_sale').click();
    await page.waitForURL((u) => u.pathname === '/admin/business-types/product_sale');
    // The first stage no longer requires the contact; its checklist stays.
    await page.locator('input[name="s0_required"]').fill('');
    assert.match(await page.locator('textarea[name="s0_checklist"]').inputValue(), /已联系到关键联系人 \| Key contact reached/);
    await assertClean(page, 'the stage editor');
    await screenshot(page, 'l-zh-stage-editor');
    await page.locator('#save-business-type').click();
    await page.waitForURL((u) => u.pathname === '/admin/business-types');
    await expectText(page.locator('.flash.ok'), '业务类型已保存');
    await expectText(page.locator('#business-types'), '产品销售');

    await addUser(page, suite.server, REP);
    await suite.context.close();
    suite.context = null;
  }));

  test('a drag stopped by the gate, the checklist ticked, the drag again', step('drag', async () => {
    suite.context = await suite.browser.newContext(desktop('zh'));
    const page = await suite.context.newPage();
    await signIn(page, suite.server, REP.email);
    await page.goto(`${suite.server.url}/accounts/new`);
    await page.getByLabel('名称').fill('看板客户');
    await page.getByRole('button', { name: '保存' }).click();
    await page.waitForURL((u) => /^\/accounts\/[0-9a-f-]{36}$/.test(u.pathname));
    const account = accountId(page);
    await page.goto(`${suite.server.url}/opportunities/new?account_id=${account}`);
    await page.getByLabel('商机名称').fill('看板商机');
    await page.getByLabel('金额').fill('120000');
    await page.locator('#save-record').click();
    await page.waitForURL((u) => /^\/opportunities\/[0-9a-f-]{36}$/.test(u.pathname));
    deal = recordId(page, 'opportunities');
    await expectText(page.locator('#stage-path [aria-current="step"]'), '初步接洽');
    await expectText(page.locator('#gate-missing'), '已联系到关键联系人');
    await expectText(page.locator('#weighted-amount'), '12,000.00');

    await page.goto(`${suite.server.url}/opportunities/board`);
    const card = page.locator(`.deal-card[data-id="${deal}"]`);
    const initial = page.locator('.board-column[data-stage="initial"]');
    const needs = page.locator('.board-column[data-stage="needs"]');
    await expectCount(initial.locator('.deal-card'), 1);
    await expectText(initial.locator('.sums'), '120,000.00');
    await expectText(initial.locator('.sums'), '12,000.00');
    await card.dragTo(needs);
    await expectText(page.locator('#board-message'), '未勾选“已联系到关键联系人”');
    await expectCount(initial.locator('.deal-card'), 1);
    await expectCount(needs.locator('.deal-card'), 0);
    await assertClean(page, 'the board with a refused move');
    await screenshot(page, 'l-zh-board-refused');

    await page.goto(`${suite.server.url}/opportunities/${deal}`);
    await page.locator('#checklist li[data-item="contact_reached"] button').click();
    await page.waitForURL((u) => u.pathname === `/opportunities/${deal}`);
    await expectText(page.locator('#checklist'), '☑');
    await expectText(page.locator('#checklist'), REP.name);
    await expectText(page.locator('#gate-ready'), '可以推进');
    await assertClean(page, 'the deal with its stage path');
    await screenshot(page, 'l-zh-stage-path');

    await page.goto(`${suite.server.url}/opportunities/board`);
    await page.locator(`.deal-card[data-id="${deal}"]`).dragTo(page.locator('.board-column[data-stage="needs"]'));
    await expectText(page.locator('#board-message'), '已推进到“需求确认”');
    await expectCount(page.locator('.board-column[data-stage="needs"] .deal-card'), 1);
    await expectCount(page.locator('.board-column[data-stage="initial"] .deal-card'), 0);
    await expectText(page.locator('.board-column[data-stage="needs"] .sums'), '36,000.00');
    await screenshot(page, 'l-zh-board-moved');
    await suite.context.close();
    suite.context = null;
  }));

  test('the board on a 390 px phone in English', step('phone', async () => {
    suite.context = await suite.browser.newContext(phone('en'));
    const page = await suite.context.newPage();
    await signIn(page, suite.server, REP.email);
    await page.goto(`${suite.server.url}/opportunities/board`);
    await expectText(page.locator('h1'), 'Opportunity board');
    const o = await horizontalOverflow(page);
    assert.ok(o.scrollWidth <= 390, `the board is ${o.scrollWidth}px wide: ${o.wide.join(', ')}`);
    // The columns scroll sideways inside the board.
    const scrolls = await page.locator('#board').evaluate((b) => b.scrollWidth > b.clientWidth);
    assert.ok(scrolls, 'the columns scroll horizontally');
    await assertClean(page, 'the phone board');
    await screenshot(page, 'l-en-phone-board');
    const card = page.locator(`.deal-card[data-id="${deal}"]`);
    await card.locator('select').selectOption('proposal');
    await card.getByRole('button', { name: 'Move' }).tap();
    await expectText(page.locator('#board-message'), 'cannot leave “Needs confirmed”');
    await expectText(page.locator('#board-message'), 'Budget confirmed');
    await expectCount(page.locator('.board-column[data-stage="needs"] .deal-card'), 1);
    assert.equal(await card.locator('select').inputValue(), 'needs', 'the picker snaps back');
    await screenshot(page, 'l-en-phone-refused');
    await page.goto(`${suite.server.url}/opportunities/${deal}`);
    const p = await horizontalOverflow(page);
    assert.ok(p.scrollWidth <= 390, `the deal page is ${p.scrollWidth}px wide: ${p.wide.join(', ')}`);
    await assertClean(page, 'the phone deal page');
    await screenshot(page, 'l-en-phone-stage-path');
    await suite.context.close();
    suite.context = null;
  }));
});
