// Scenario k: public pools (公海). The administrator returns two leads to the lead pool with a
// reason and looks at the pool (Chinese, desktop); a sales rep claims both from the pool list
// on a 390 px phone in English, returns one with a reason, and its page shows why and when
// it went back. Recycling by the clock is covered by the Rust suite (this server runs on the
// real clock, and a rule counts whole days).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BACKEND_NAME, desktop, phone, signIn, recordId, horizontalOverflow, screenshot,
  blockingViolations, expectText, companySuite, addUser, preferEnglish,
} from '../lib/meridian.js';

const ADMIN = { company: '杭州公海测试有限公司', name: '陈静', email: 'chen@example.com' };
const REP = { name: 'Li Lei', email: 'lilei@example.com' };
const LEADS = ['王先生 · 西湖机械', '赵女士 · 钱塘物流'];

async function checkPage(page, name) {
  const violations = await blockingViolations(page);
  assert.deepEqual(violations, [], `axe on ${name}`);
  await screenshot(page, name);
}

describe(`pools (${BACKEND_NAME})`, () => {
  const suite = companySuite('k-pools', ADMIN);
  const { step } = suite;

  test('the administrator returns leads to the pool with a reason', step('admin', async () => {
    suite.context = await suite.browser.newContext(desktop('zh'));
    const page = await suite.context.newPage();
    await signIn(page, suite.server, ADMIN.email);
    await addUser(page, suite.server, REP);
    for (const name of LEADS) {
      await page.goto(`${suite.server.url}/leads/new`);
      await page.locator('#f-name').fill(name);
      await page.locator('#save-record').click();
      await page.waitForURL((u) => /^\/leads\/[0-9a-f-]{36}$/.test(u.pathname));
      const id = recordId(page, 'leads');
      await page.locator('#return-reason').selectOption({ label: '暂无需求' });
      await page.locator('#return').click();
      await page.waitForURL((u) => u.pathname === `/leads/${id}`);
      await expectText(page.locator('#pool-status'), '在公海：线索公海');
      await expectText(page.locator('#pool-history'), '退回 线索公海（暂无需求）');
    }
    await page.goto(`${suite.server.url}/pools?object=lead`);
    await page.waitForURL((u) => /^\/pools\/[0-9a-f-]{36}$/.test(u.pathname));
    for (const name of LEADS) await expectText(page.locator('#pool-records'), name);
    assert.ok(await page.locator('#assign-form').isVisible(), 'an administrator may assign');
    await checkPage(page, 'k-pool-zh');
    await page.goto(`${suite.server.url}/admin/pools`);
    assert.equal(await page.locator('#reasons input[value=has_supplier]').count(), 1);
    await checkPage(page, 'k-admin-pools-zh');
    await page.locator('#pools').getByRole('link', { name: '线索公海' }).click();
    await page.waitForURL((u) => u.pathname.endsWith('/settings'));
    await checkPage(page, 'k-pool-settings-zh');
    await page.locator('#f-idle_days').fill('0');
    await page.locator('#save-pool').click();
    await expectText(page.locator('#e-idle_days'), '');
    assert.equal(await page.locator('#f-idle_days').getAttribute('aria-invalid'), 'true', 'a rule of 0 days is refused');
    await page.locator('#f-idle_days').fill('30');
    await page.locator('#f-remind_days').fill('3');
    await page.locator('#f-claims_per_day').fill('5');
    await page.locator('#save-pool').click();
    await page.waitForURL((u) => /^\/pools\/[0-9a-f-]{36}$/.test(u.pathname));
    await expectText(page.locator('.flash'), '公海已保存');
    await suite.context.close();
    suite.context = null;
  }));

  test('a rep claims from the pool and returns one with a reason, on a phone in English', step('rep', async () => {
    suite.context = await suite.browser.newContext(phone('en'));
    const page = await suite.context.newPage();
    await signIn(page, suite.server, REP.email);
    await preferEnglish(page);
    await page.goto(`${suite.server.url}/pools?object=lead`);
    await page.waitForURL((u) => /^\/pools\/[0-9a-f-]{36}$/.test(u.pathname));
    assert.equal(await page.locator('#assign-form').count(), 0, 'a rep does not assign');
    for (const name of LEADS) {
      await page.getByRole('button', { name: `Claim ${name}` }).tap();
      await page.waitForURL((u) => u.pathname.startsWith('/pools/'));
      await expectText(page.locator('.flash'), 'Claimed');
    }
    await expectText(page.locator('#pool-records'), 'No records in this pool.');
    const overflow = await horizontalOverflow(page);
    assert.ok(overflow.scrollWidth <= overflow.clientWidth, `the pool page is wider than the phone: ${JSON.stringify(overflow)}`);
    await page.goto(`${suite.server.url}/leads`);
    await page.getByRole('link', { name: LEADS[1] }).tap();
    await page.waitForURL((u) => /^\/leads\/[0-9a-f-]{36}$/.test(u.pathname));
    await page.locator('#return-reason').selectOption({ label: 'Has a supplier' });
    await page.locator('#return').tap();
    await page.waitForURL((u) => /^\/leads\/[0-9a-f-]{36}$/.test(u.pathname));
    await expectText(page.locator('#pool-status'), 'In pool');
    await expectText(page.locator('#pool-history'), '(Has a supplier)');
    await expectText(page.locator('#pool-history'), `claimed by ${REP.name}`);
    assert.equal(await page.locator('#claim').count(), 1, 'the pool\'s members may claim it');
    assert.equal(await page.locator('#add-member').count(), 0, 'its last owner no longer manages its team');
    const again = await horizontalOverflow(page);
    assert.ok(again.scrollWidth <= again.clientWidth, `the lead page is wider than the phone: ${JSON.stringify(again)}`);
    await checkPage(page, 'k-lead-returned-phone-en');
    await suite.context.close();
    suite.context = null;
  }));
});
