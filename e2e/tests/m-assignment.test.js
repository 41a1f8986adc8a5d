// Scenario m: lead assignment rules (线索分配). The administrator adds two reps and a
// round-robin rule through the admin form (Chinese, desktop); two leads made on the lead form
// ("assign by the company's rules" ticked) go to the two reps in turn and show what assigned
// them. Then the rules' pages in English on a 390 px phone, and the leads list's bulk action
// giving a lead to one rep there. Each page is checked with axe-core and, on the phone, for
// horizontal overflow. Fairness under concurrency, capacity by the clock and the fallback
// pool are covered by the Rust suite.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BACKEND_NAME, desktop, phone, signIn, recordId, horizontalOverflow, screenshot,
  blockingViolations, expectText, companySuite, addUser,
} from '../lib/meridian.js';

const ADMIN = { company: '杭州分配测试有限公司', name: '周敏', email: 'zhou@example.com' };
const REPS = [
  { name: '钱多多', email: 'qian@example.com' },
  { name: '孙悦', email: 'sun@example.com' },
];

async function checkPage(page, name, { phoneWidth = false } = {}) {
  assert.deepEqual(await blockingViolations(page), [], `axe on ${name}`);
  if (phoneWidth) {
    const o = await horizontalOverflow(page);
    assert.ok(o.scrollWidth <= o.clientWidth, `${name} overflows: ${JSON.stringify(o)}`);
  }
  await screenshot(page, name);
}

describe(`assignment rules (${BACKEND_NAME})`, () => {
  const suite = companySuite('m-assignment', ADMIN);
  const { step } = suite;

  test('a round-robin rule gives new leads to the reps in turn', step('admin', async () => {
    suite.context = await suite.browser.newContext(desktop('zh'));
    const page = await suite.context.newPage();
    await signIn(page, suite.server, ADMIN.email);
    for (const rep of REPS) await addUser(page, suite.server, rep);
    await page.goto(`${suite.server.url}/admin/assignment-rules`);
    await checkPage(page, 'm-rules-empty-zh');
    await page.locator('#new-rule').click();
    await page.waitForURL((u) => u.pathname === '/admin/assignment-rules/new');
    // Without reps a round-robin rule is refused, with the reason at the field.
    await page.locator('#f-name').fill('电销轮流');
    await page.locator('#f-method').selectOption('round_robin');
    await page.locator('#save-rule').click();
    await expectText(page.locator('#form-error'), '必填');
    await checkPage(page, 'm-rule-error-zh');
    await page.locator('#f-reps-0').selectOption({ label: REPS[0].name });
    await page.locator('#f-reps-1').selectOption({ label: REPS[1].name });
    await page.locator('#save-rule').click();
    await page.waitForURL((u) => u.pathname === '/admin/assignment-rules' && u.searchParams.get('notice') === 'assignment_rule_saved');
    await expectText(page.locator('#assignment-rules'), '电销轮流');
    await expectText(page.locator('#assignment-rules'), '顺序分配');
    await checkPage(page, 'm-rules-zh');

    const owners = [];
    for (const name of ['吴先生 · 余杭电子', '郑女士 · 滨江软件']) {
      await page.goto(`${suite.server.url}/leads/new`);
      assert.ok(await page.locator('#f-assign').isChecked(), 'the rules apply by default');
      await page.locator('#f-name').fill(name);
      await page.locator('#save-record').click();
      await page.waitForURL((u) => /^\/leads\/[0-9a-f-]{36}$/.test(u.pathname));
      recordId(page, 'leads');
      const fact = (key) => page.locator(`#facts dd[data-field=${key}]`).textContent();
      assert.equal((await fact('assignment_rule')).trim(), '电销轮流');
      assert.equal((await fact('assignment_method')).trim(), '顺序分配');
      owners.push((await fact('owner_id')).trim());
    }
    assert.deepEqual(owners, [REPS[0].name, REPS[1].name], 'in turn');
    await checkPage(page, 'm-lead-assigned-zh');
    await suite.context.close();
    suite.context = null;
  }));

  test('the rules and the bulk action on a 390 px phone in English', step('phone', async () => {
    suite.context = await suite.browser.newContext(phone('en'));
    const page = await suite.context.newPage();
    await signIn(page, suite.server, ADMIN.email);
    await page.goto(`${suite.server.url}/admin/assignment-rules`);
    await checkPage(page, 'm-rules-phone', { phoneWidth: true });
    await page.locator('#assignment-rules a').first().click();
    await page.waitForURL((u) => /^\/admin\/assignment-rules\/[0-9a-f-]{36}$/.test(u.pathname));
    await checkPage(page, 'm-rule-edit-phone', { phoneWidth: true });
    await page.goto(`${suite.server.url}/admin/assignment-rules/new`);
    await checkPage(page, 'm-rule-new-phone', { phoneWidth: true });

    await page.goto(`${suite.server.url}/leads`);
    await checkPage(page, 'm-leads-bulk-phone', { phoneWidth: true });
    await page.locator('#bulk-assign summary').click();
    await page.locator('#records tbody input[name=ids]').first().check();
    await page.locator('#bulk-owner').selectOption({ label: REPS[1].name });
    await page.locator('#bulk-to-owner').click();
    await page.waitForURL((u) => u.pathname === '/leads' && u.searchParams.get('notice') === 'leads_assigned');
    await checkPage(page, 'm-leads-assigned-phone', { phoneWidth: true });
    await suite.context.close();
    suite.context = null;
  }));
});
