// Scenario i: the settings and administration pages. As the administrator, in Chinese on a
// desktop: the company currency and exchange rates (a bad rate is a field error and changes
// nothing; a good one converts an account's USD deal into its CNY total; a rate is removed),
// the e-mail server (the password is never shown back; the delivery log is empty), notification
// preferences under My settings, and the audit of administration listing those changes. Then
// every page again in English on a 390 px phone, and a sales rep, who is refused the
// administration pages but keeps their own preferences. Each page is checked with axe-core
// (critical and serious violations fail) and for horizontal overflow, and screenshotted.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BACKEND_NAME, desktop, phone, signIn, accountId, horizontalOverflow, screenshot,
  blockingViolations, expectCount, companySuite, addUser,
} from '../lib/meridian.js';

const ADMIN = { company: '杭州子午线网络有限公司', name: '吴昊', email: 'wu@example.com' };
const REP = { name: '李娜', email: 'li@example.com' };
const PAGES = ['/admin/exchange-rates', '/admin/mail', '/settings', '/admin/audit'];

/** axe, overflow (on a phone) and a screenshot of the current page. */
async function checkPage(page, name, { phoneWidth = false } = {}) {
  assert.deepEqual(await blockingViolations(page), [], `${name}: accessibility`);
  if (phoneWidth) {
    const o = await horizontalOverflow(page);
    assert.ok(o.scrollWidth <= o.clientWidth, `${name} overflows: ${JSON.stringify(o)}`);
  }
  await screenshot(page, name);
}

describe(`settings and administration pages (${BACKEND_NAME})`, () => {
  const suite = companySuite('i-settings', ADMIN);
  const { step } = suite;

  test('exchange rates, the e-mail suite.server, preferences and the audit, in Chinese', step('desktop', async () => {
    suite.context = await suite.browser.newContext(desktop('zh'));
    const page = await suite.context.newPage();
    await signIn(page, suite.server, ADMIN.email);

    // A bad rate: a field error on the form, nothing saved.
    await page.goto(`${suite.server.url}/admin/exchange-rates`);
    await page.locator('#f-rate-currency').selectOption('USD');
    await page.locator('#f-valid-from').fill('2026-01-01');
    await page.locator('#f-rate').fill('abc');
    await page.locator('#add-rate button[type=submit]').click();
    await page.locator('#f-rate[aria-invalid=true]').waitFor();
    assert.equal(await page.locator('#rates tbody tr').count(), 0);
    await checkPage(page, 'i-rates-error-zh');
    // A good one is listed.
    await page.locator('#f-rate').fill('7.1');
    await page.locator('#add-rate button[type=submit]').click();
    await page.waitForURL((u) => u.pathname === '/admin/exchange-rates' && u.searchParams.get('notice') === 'exchange_rates_saved');
    assert.match(await page.locator('#rates tbody tr').first().textContent(), /1 USD = 7\.1 CNY/);
    await checkPage(page, 'i-rates-zh');
    // A second rate is removed again.
    await page.locator('#f-rate-currency').selectOption('EUR');
    await page.locator('#f-valid-from').fill('2026-01-01');
    await page.locator('#f-rate').fill('7.8');
    await page.locator('#add-rate button[type=submit]').click();
    await expectCount(page.locator('#rates tbody tr'), 2);
    await page.locator('#rates button[aria-label$="EUR 2026-01-01"]').click();
    await expectCount(page.locator('#rates tbody tr'), 1);
    assert.doesNotMatch(await page.locator('#rates').textContent(), /EUR/);

    // An account with deals in two currencies shows their sum in CNY.
    await page.goto(`${suite.server.url}/accounts/new`);
    await page.locator('input[name=name]').fill('杭州娃哈哈集团有限公司');
    await page.locator('#save-record').click();
    await page.waitForURL((u) => /^\/accounts\/[0-9a-f-]{36}$/.test(u.pathname));
    const account = accountId(page);
    for (const [name, amount, currency] of [['美元项目', '100', 'USD'], ['人民币项目', '1000.50', 'CNY']]) {
      await page.goto(`${suite.server.url}/opportunities/new?account_id=${account}`);
      await page.locator('#f-name').fill(name);
      await page.locator('#f-amount').fill(amount);
      await page.locator('#f-currency').selectOption(currency);
      await page.locator('#save-record').click();
      await page.waitForURL((u) => /^\/opportunities\/[0-9a-f-]{36}$/.test(u.pathname));
    }
    await page.goto(`${suite.server.url}/accounts/${account}`);
    assert.equal((await page.locator('#rollup-total-open').textContent()).trim(), '1,710.50');

    // The e-mail suite.server: the password is kept, never shown back.
    await page.goto(`${suite.server.url}/admin/mail`);
    await page.locator('#f-host').fill('smtp.example.com');
    await page.locator('#f-port').fill('587');
    await page.locator('#f-username').fill('crm@example.com');
    await page.locator('#f-password').fill('s3cret-smtp-pw');
    await page.locator('#f-from_address').fill('crm@example.com');
    await page.locator('#mail-settings button[type=submit]').first().click();
    await page.waitForURL((u) => u.pathname === '/admin/mail' && u.searchParams.has('notice'));
    assert.equal(await page.locator('#f-host').inputValue(), 'smtp.example.com');
    assert.equal(await page.locator('#f-password').inputValue(), '');
    assert.ok(!(await page.content()).includes('s3cret-smtp-pw'));
    // The delivery log is there, still empty.
    await page.locator('#deliveries-empty').waitFor();
    assert.equal(await page.locator('#deliveries tbody tr').count(), 0);
    await checkPage(page, 'i-mail-zh');

    // My settings: reminders by e-mail and in the app.
    await page.goto(`${suite.server.url}/settings`);
    await page.locator('#pref-task_reminder-both').check();
    await page.locator('#notification-preferences button[type=submit]').click();
    await page.waitForURL((u) => u.pathname === '/settings');
    await page.reload();
    assert.ok(await page.locator('#pref-task_reminder-both').isChecked());
    await checkPage(page, 'i-settings-zh');

    // The audit lists the settings changed, and filters by area.
    await page.goto(`${suite.server.url}/admin/audit?object=setting`);
    const rows = await page.locator('#audit tbody tr').allTextContents();
    assert.ok(rows.some((r) => r.includes('币种与汇率')), rows.join('\n'));
    assert.ok(rows.some((r) => r.includes('邮件服务器')), rows.join('\n'));
    assert.ok(rows.some((r) => /服务器:\s+→ smtp\.example\.com/.test(r)), rows.join('\n'));
    assert.ok(!rows.join('\n').includes('s3cret-smtp-pw'));
    // Rows without a name say no empty quotes.
    await page.goto(`${suite.server.url}/admin/audit`);
    assert.ok(!(await page.locator('#audit').textContent()).includes('“”'));
    await checkPage(page, 'i-audit-zh');

    // A sales rep for the second part.
    await addUser(page, suite.server, REP);
    await suite.context.close();
    suite.context = null;
  }));

  test('the same pages in English on a 390 px phone', step('phone', async () => {
    suite.context = await suite.browser.newContext(phone('en'));
    const page = await suite.context.newPage();
    await signIn(page, suite.server, ADMIN.email);
    for (const path of PAGES) {
      await page.goto(`${suite.server.url}${path}`);
      assert.equal(await page.locator('html').getAttribute('lang'), 'en');
      await checkPage(page, `i-phone-en${path.replaceAll('/', '-')}`, { phoneWidth: true });
    }
    await suite.context.close();
    suite.context = null;
  }));

  test('a rep is refused the administration pages but keeps their own preferences', step('rep', async () => {
    suite.context = await suite.browser.newContext(phone('en'));
    const page = await suite.context.newPage();
    await signIn(page, suite.server, REP.email);
    for (const path of ['/admin/exchange-rates', '/admin/mail', '/admin/audit']) {
      const res = await page.goto(`${suite.server.url}${path}`);
      assert.equal(res.status(), 403, path);
      assert.match(await page.locator('main').textContent(), /Your role does not allow this/);
    }
    await checkPage(page, 'i-rep-forbidden-en', { phoneWidth: true });
    await page.goto(`${suite.server.url}/settings`);
    await page.locator('#pref-task_reminder-email').check();
    await page.locator('#notification-preferences button[type=submit]').click();
    await page.waitForURL((u) => u.pathname === '/settings');
    await page.reload();
    assert.ok(await page.locator('#pref-task_reminder-email').isChecked());
    await checkPage(page, 'i-rep-settings-en', { phoneWidth: true });
    await suite.context.close();
    suite.context = null;
  }));
});
