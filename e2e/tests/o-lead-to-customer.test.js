// Scenario o: a lead from the pool to a customer, and the clock. The administrator (Chinese,
// desktop) has an existing account (the rep's) and a 30-day recycling rule on the lead pool, which
// a web form on the company website feeds; a visitor's lead lands there, and a
// sales rep on a 390 px phone in English claims the lead, logs a call, judges MAN and the
// intent level (the qualification follows), and converts it linking the existing account.
// A second lead is due its follow-up after five days (My day lists it overdue) and is
// recycled by the scheduler once the server's clock has moved past the rule, its page saying
// why. The server's clock is moved through its offset file, never by waiting.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BACKEND_NAME, desktop, phone, signIn, recordId, horizontalOverflow, screenshot,
  blockingViolations, expectText, companySuite, addUser, preferEnglish,
} from '../lib/meridian.js';

const ADMIN = { company: '杭州线索转化测试有限公司', name: '陈静', email: 'chen@example.com' };
const REP = { name: 'Li Lei', email: 'lilei@example.com' };
const ACCOUNT = '西湖机械有限公司';
const LEAD = '王建国';
const SECOND = '赵敏';
const DAY = 86_400;

async function checkPage(page, name) {
  const violations = await blockingViolations(page);
  assert.deepEqual(violations, [], `axe on ${name}`);
  await screenshot(page, name);
}

async function fitsThePhone(page, what) {
  const overflow = await horizontalOverflow(page);
  assert.ok(overflow.scrollWidth <= overflow.clientWidth, `${what} is wider than the phone: ${JSON.stringify(overflow)}`);
}

describe(`lead to customer (${BACKEND_NAME})`, () => {
  const suite = companySuite('o-lead', ADMIN);
  const { step } = suite;
  let secondId = null;

  test('the administrator has an account, a pooled lead and a recycling rule', step('admin', async () => {
    suite.context = await suite.browser.newContext(desktop('zh'));
    const page = await suite.context.newPage();
    await signIn(page, suite.server, ADMIN.email);
    await addUser(page, suite.server, REP);
    await page.goto(`${suite.server.url}/accounts/new`);
    await page.locator('#f-name').fill(ACCOUNT);
    await page.locator('#f-owner_id').selectOption({ label: REP.name });
    await page.locator('#save-record').click();
    await page.waitForURL((u) => /^\/accounts\/[0-9a-f-]{36}$/.test(u.pathname));
    // A web form on the company website feeds the lead pool; a visitor fills it in.
    await page.goto(`${suite.server.url}/admin/web-forms/new`);
    await page.locator('#f-name').fill('官网咨询');
    const poolTarget = await page.locator('#f-target option').evaluateAll(
      (options) => options.map((o) => o.value).find((v) => v.startsWith('pool:')),
    );
    assert.ok(poolTarget, 'a pool is offered as the target');
    await page.locator('#f-target').selectOption(poolTarget);
    await page.locator('#save-web-form').click();
    await page.waitForURL((u) => /^\/admin\/web-forms\/[0-9a-f-]{36}$/.test(u.pathname));
    const publicUrl = await page.locator('#public-url').getAttribute('href');
    const visitor = await suite.browser.newContext(desktop('zh'));
    const form = await visitor.newPage();
    await form.goto(publicUrl);
    await form.locator('#w-name').fill(LEAD);
    await form.locator('#w-company').fill('西湖机械');
    await form.locator('#web-form-submit').click();
    await expectText(form.locator('#message'), '');
    await visitor.close();
    await page.goto(`${suite.server.url}/pools?object=lead`);
    await page.waitForURL((u) => /^\/pools\/[0-9a-f-]{36}$/.test(u.pathname));
    await expectText(page.locator('#pool-records'), LEAD);
    await page.goto(`${suite.server.url}/admin/pools`);
    await page.locator('#pools').getByRole('link', { name: '线索公海' }).click();
    await page.waitForURL((u) => u.pathname.endsWith('/settings'));
    await page.locator('#f-idle_days').fill('30');
    await page.locator('#save-pool').click();
    await page.waitForURL((u) => /^\/pools\/[0-9a-f-]{36}$/.test(u.pathname));
    await expectText(page.locator('.flash'), '公海已保存');
    await suite.context.close();
    suite.context = null;
  }));

  test('a rep claims the lead, qualifies it and converts it onto the account, on a phone in English', step('rep', async () => {
    suite.context = await suite.browser.newContext(phone('en'));
    const page = await suite.context.newPage();
    await signIn(page, suite.server, REP.email);
    await preferEnglish(page);
    await page.goto(`${suite.server.url}/pools?object=lead`);
    await page.waitForURL((u) => /^\/pools\/[0-9a-f-]{36}$/.test(u.pathname));
    await page.getByRole('button', { name: `Claim ${LEAD}` }).tap();
    await expectText(page.locator('.flash'), 'Claimed');
    await page.goto(`${suite.server.url}/leads`);
    await page.getByRole('link', { name: LEAD }).tap();
    await page.waitForURL((u) => /^\/leads\/[0-9a-f-]{36}$/.test(u.pathname));
    const id = recordId(page, 'leads');

    // A call, logged from the lead's page.
    await page.locator('.quick-log a[href*="kind=call"]').tap();
    await page.waitForURL((u) => u.pathname === '/activities/new');
    await page.locator('#f-name').fill('First call: needs a quote');
    await page.locator('#save-record').tap();
    await page.waitForURL((u) => /^\/activities\/[0-9a-f-]{36}$/.test(u.pathname));

    // MAN and the intent level; the qualification and the next follow-up follow.
    await page.goto(`${suite.server.url}/leads/${id}/edit`);
    await page.locator('#f-intent').selectOption('H');
    await page.locator('#f-man_money').selectOption('yes');
    await page.locator('#f-man_money_note').fill('Budget approved for Q1');
    await page.locator('#f-man_authority').selectOption('yes');
    await page.locator('#f-man_need').selectOption('yes');
    await page.locator('#save-record').tap();
    await page.waitForURL((u) => u.pathname === `/leads/${id}`);
    await expectText(page.locator('main'), 'Qualified (MAN)');
    await expectText(page.locator('main'), 'Budget approved for Q1');
    await fitsThePhone(page, 'the qualified lead');
    await checkPage(page, 'o-lead-qualified-phone-en');

    // Converted onto the existing account, which the duplicate check offers.
    await page.locator('#convert-record').tap();
    await page.waitForURL((u) => u.pathname === `/leads/${id}/convert`);
    await expectText(page.locator('#matches-account'), ACCOUNT);
    await page.locator('#matches-account input[type=radio]').first().check();
    await page.locator('#no-opportunity').check();
    await checkPage(page, 'o-convert-phone-en');
    await page.locator('#convert-submit').tap();
    await page.waitForURL((u) => u.pathname === `/leads/${id}`);
    await expectText(page.locator('#converted-panel'), ACCOUNT);

    // A second lead, hot: due its follow-up five days after it is created.
    await page.goto(`${suite.server.url}/leads/new`);
    await page.locator('#f-name').fill(SECOND);
    await page.locator('#f-intent').selectOption('H');
    await page.locator('#save-record').tap();
    await page.waitForURL((u) => /^\/leads\/[0-9a-f-]{36}$/.test(u.pathname));
    secondId = recordId(page, 'leads');
    await suite.context.close();
    suite.context = null;
  }));

  test('the clock moves: the follow-up comes due, then the scheduler recycles the lead', step('clock', async () => {
    suite.context = await suite.browser.newContext(phone('en'));
    const page = await suite.context.newPage();
    await signIn(page, suite.server, REP.email);
    suite.server.advanceClock(6 * DAY);
    await page.goto(`${suite.server.url}/`);
    await expectText(page.locator('#day-follow-ups'), SECOND);
    await expectText(page.locator('#day-follow-ups'), 'Overdue since');
    assert.ok(!(await page.locator('#day-follow-ups').innerText()).includes(LEAD), 'a converted lead needs no follow-up');
    await fitsThePhone(page, 'My day');
    await checkPage(page, 'o-my-day-follow-ups-phone-en');

    // Thirty days without contact: the hourly recycling run, due at once, moves it back.
    suite.server.advanceClock(30 * DAY);
    // A month on, the session has ended too: the rep signs in again.
    await signIn(page, suite.server, REP.email);
    const deadline = Date.now() + 30_000;
    let status = '';
    while (Date.now() < deadline) {
      await page.goto(`${suite.server.url}/leads/${secondId}`);
      status = (await page.locator('#pool-status').count()) ? await page.locator('#pool-status').innerText() : '';
      if (status.includes('In pool')) break;
      await page.waitForTimeout(500);
    }
    assert.ok(status.includes('In pool'), `the lead was not recycled: "${status}"`);
    await expectText(page.locator('#pool-history'), 'not followed up for 30 days');
    await fitsThePhone(page, 'the recycled lead');
    await checkPage(page, 'o-lead-recycled-phone-en');
    await suite.context.close();
    suite.context = null;
  }));
});
