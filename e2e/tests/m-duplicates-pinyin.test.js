// Scenario m: a rep (in English, on a 390 px phone) types a new account's name and its form
// warns that a colleague already has the company — shown only as "owned by", as the rep may
// not open it; the administrator (Chinese, desktop) sees the same warning with a link, and
// finds the account from the top bar by its pinyin initials.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BACKEND_NAME, desktop, phone, signIn, screenshot, horizontalOverflow,
  blockingViolations, expectText, companySuite, addUser, preferEnglish,
} from '../lib/meridian.js';

const ADMIN = { company: '苏州查重测试有限公司', name: '周敏', email: 'zhou@example.com' };
const REP = { name: 'Han Mei', email: 'hanmei@example.com' };
const ACCOUNT = '深圳华为技术有限公司';

async function checkPage(page, name) {
  const violations = await blockingViolations(page);
  assert.deepEqual(violations, [], `axe on ${name}`);
  await screenshot(page, name);
}

describe(`duplicate warning and pinyin search (${BACKEND_NAME})`, () => {
  const suite = companySuite('m-duplicates', ADMIN);
  const { step } = suite;

  test('the administrator creates an account and finds it by pinyin initials', step('admin', async () => {
    suite.context = await suite.browser.newContext(desktop('zh'));
    const page = await suite.context.newPage();
    await signIn(page, suite.server, ADMIN.email);
    await addUser(page, suite.server, REP);
    await page.goto(`${suite.server.url}/accounts/new`);
    await page.locator('#f-name').fill(ACCOUNT);
    await page.locator('#save-record').click();
    await page.waitForURL((u) => /^\/accounts\/[0-9a-f-]{36}$/.test(u.pathname));
    const box = page.getByRole('search').first().getByRole('searchbox');
    await box.fill('szhw');
    await box.press('Enter');
    await page.waitForURL((u) => u.pathname === '/search' && u.searchParams.get('q') === 'szhw');
    await expectText(page.locator('#search-results'), ACCOUNT);
    await checkPage(page, 'm-search-pinyin-zh');
    // The same company typed again, with another legal form: a warning with a link.
    await page.goto(`${suite.server.url}/accounts/new`);
    await page.locator('#f-name').fill('深圳华为技术股份有限公司');
    await page.locator('#f-name').blur();
    await expectText(page.locator('#duplicate-warning'), ACCOUNT);
    assert.equal(await page.locator('#duplicate-warning a').count(), 1, 'the administrator may open it');
    await checkPage(page, 'm-duplicate-warning-zh');
    await suite.context.close();
    suite.context = null;
  }));

  test('a rep is warned of a colleague\'s account on a phone in English', step('rep', async () => {
    suite.context = await suite.browser.newContext(phone('en'));
    const page = await suite.context.newPage();
    await signIn(page, suite.server, REP.email);
    await preferEnglish(page);
    await page.goto(`${suite.server.url}/accounts/new`);
    await page.locator('#f-name').fill('深圳华为技术股份有限公司');
    await page.locator('#f-name').blur();
    await expectText(page.locator('#duplicate-warning'), `owned by ${ADMIN.name}`);
    assert.equal(await page.locator('#duplicate-warning a').count(), 0, 'no link to a record the rep cannot open');
    const overflow = await horizontalOverflow(page);
    assert.ok(overflow.scrollWidth <= overflow.clientWidth, `the form is wider than the phone: ${JSON.stringify(overflow)}`);
    await checkPage(page, 'm-duplicate-warning-en-phone');
    // A name nobody has: the warning goes away.
    await page.locator('#f-name').fill('Brand New Trading');
    await page.locator('#f-name').blur();
    await expectText(page.locator('#duplicate-warning'), '');
    await suite.context.close();
    suite.context = null;
  }));
});
