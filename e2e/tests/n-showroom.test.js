// Scenario n: the showroom register (三表一卡). On a 1024×768 tablet in Chinese the
// administrator registers a walk-in visitor for a consultant, sees a bad phone refused at its
// field, marks the visitor left and opens the lead's follow-up card; on a 390 px phone in
// English a phone-in visitor who leaves no details is registered, left and given a lost
// reason, and the traffic statistics count both. Each page is checked with axe-core and for
// horizontal overflow. Counting over set times and data scope are covered by the Rust suite
// (this server runs on the real clock).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BACKEND_NAME, desktop, phone, signIn, horizontalOverflow, screenshot,
  blockingViolations, expectText, companySuite, addUser,
} from '../lib/meridian.js';

const ADMIN = { company: '杭州展厅测试有限公司', name: '林芳', email: 'lin@example.com' };
const CONSULTANT = { name: '吴顾问', email: 'wu@example.com' };

/** A touch tablet held landscape at the front desk. */
function tablet(lang) {
  return { ...desktop(lang), viewport: { width: 1024, height: 768 }, isMobile: true, hasTouch: true };
}

async function checkPage(page, name) {
  assert.deepEqual(await blockingViolations(page), [], `axe on ${name}`);
  const o = await horizontalOverflow(page);
  assert.ok(o.scrollWidth <= o.clientWidth, `${name} overflows: ${JSON.stringify(o)}`);
  await screenshot(page, name);
}

/** Touch targets of the register form are at least 44 px high. */
async function assertTouchTargets(page) {
  for (const selector of ['#f-name', '#f-phone', '#f-consultant', 'label:has(#intent-A) span', '#register']) {
    const box = await page.locator(selector).boundingBox();
    assert.ok(box && box.height >= 44, `${selector} is ${box?.height} px high`);
  }
}

describe(`showroom register (${BACKEND_NAME})`, () => {
  const suite = companySuite('n-showroom', ADMIN);
  const { step } = suite;

  test('a walk-in visitor on a tablet becomes a lead with its follow-up card', step('tablet', async () => {
    suite.context = await suite.browser.newContext(tablet('zh'));
    const page = await suite.context.newPage();
    await signIn(page, suite.server, ADMIN.email);
    await addUser(page, suite.server, CONSULTANT);
    await page.goto(`${suite.server.url}/`);
    await page.locator('.mainnav a[href="/showroom"]').click();
    await page.waitForURL((u) => u.pathname === '/showroom');
    await checkPage(page, 'n-desk-empty-tablet');
    await assertTouchTargets(page);

    await page.locator('#f-name').fill('王');
    await page.locator('#f-salutation').selectOption('mr');
    await page.locator('#f-phone').fill('1234');
    await page.locator('#f-consultant').selectOption({ label: CONSULTANT.name });
    await page.locator('label:has(#intent-A)').click();
    await page.locator('#f-heard_from').selectOption('referral');
    await page.locator('#f-area').fill('西湖区');
    await page.locator('#register').click();
    await expectText(page.locator('#e-phone'), '不是有效的电话号码');
    assert.ok(await page.locator('#intent-A').isChecked(), 'the form keeps what was chosen');
    await checkPage(page, 'n-desk-error-tablet');

    await page.locator('#f-phone').fill('139 1234 5678');
    await page.locator('#register').click();
    await page.waitForURL((u) => u.pathname === '/showroom' && u.searchParams.get('notice') === 'showroom_registered');
    const visit = page.locator('#visits li.visit').first();
    await expectText(visit, '王先生');
    await expectText(visit, CONSULTANT.name);
    await expectText(visit, '首次');
    await checkPage(page, 'n-desk-registered-tablet');

    await visit.locator('button', { hasText: '离店' }).click();
    await page.waitForURL((u) => u.searchParams.get('notice') === 'showroom_left');
    await expectText(page.locator('#visits li.visit').first(), '分钟');
    await page.locator('#visits li.visit').first().locator('a').click();
    await page.waitForURL((u) => /^\/leads\/[0-9a-f-]{36}$/.test(u.pathname));
    await expectText(page.locator('#showroom-visits'), '首次');
    await expectText(page.locator('#facts dd[data-field=owner_id]'), CONSULTANT.name);
    await checkPage(page, 'n-lead-card-tablet');
    await suite.context.close();
    suite.context = null;
  }));

  test('a phone-in visitor on a 390 px phone, lost, and the statistics', step('phone', async () => {
    suite.context = await suite.browser.newContext(phone('en'));
    const page = await suite.context.newPage();
    await signIn(page, suite.server, ADMIN.email);
    await page.goto(`${suite.server.url}/showroom`);
    await checkPage(page, 'n-desk-phone');
    await assertTouchTargets(page);
    await page.locator('label:has(#kind-phone_in)').click();
    await page.locator('#f-name').fill('Li');
    await page.locator('#f-salutation').selectOption('ms');
    await page.locator('#register').click();
    await page.waitForURL((u) => u.searchParams.get('notice') === 'showroom_registered');
    const visit = page.locator('#visits li.visit').first();
    await expectText(visit, 'Ms Li');
    await expectText(visit, 'Phone-in');
    await visit.locator('button', { hasText: 'Left' }).click();
    await page.waitForURL((u) => u.searchParams.get('notice') === 'showroom_left');
    const lost = page.locator('#visits li.visit').first().locator('.lost-form');
    await lost.locator('select').selectOption('just_looking');
    await lost.locator('button').click();
    await page.waitForURL((u) => u.searchParams.get('notice') === 'showroom_lost_saved');
    await checkPage(page, 'n-desk-lost-phone');

    await page.locator('#showroom-stats-link').click();
    await page.waitForURL((u) => u.pathname === '/showroom/stats');
    await expectText(page.locator('#total-visits'), '2');
    await expectText(page.locator('#total-first'), '2');
    await expectText(page.locator('#total-details'), '1');
    await expectText(page.locator('#total-lost'), '1');
    await expectText(page.locator('#stats-lost'), 'Just looking');
    await expectText(page.locator('#stats-consultants'), CONSULTANT.name);
    await checkPage(page, 'n-stats-phone');
    await page.locator('#stats-group').selectOption('month');
    await page.locator('#stats-range button').click();
    await page.waitForURL((u) => u.searchParams.get('group') === 'month');
    await expectText(page.locator('#total-visits'), '2');
    await suite.context.close();
    suite.context = null;

    suite.context = await suite.browser.newContext(tablet('zh'));
    const wide = await suite.context.newPage();
    await signIn(wide, suite.server, ADMIN.email);
    await wide.goto(`${suite.server.url}/showroom/stats`);
    await expectText(wide.locator('#stats-stays'), '尚未离店');
    await checkPage(wide, 'n-stats-tablet');
    await suite.context.close();
    suite.context = null;
  }));
});
