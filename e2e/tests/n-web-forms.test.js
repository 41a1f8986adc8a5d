// Scenario n: web forms (网站表单). The administrator adds a rep and a rule giving website
// leads to them, designs a web form on the admin form (Chinese, desktop) and copies its
// snippet; a visitor fills in the hosted form in Chinese on a 390 px phone and is thanked;
// the rep then finds the lead among their leads. Each page is checked with axe-core and, on
// the phone, for horizontal overflow. The honeypot, size limit, origins, the rate limit and
// permissions are covered by the Rust suite.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BACKEND_NAME, desktop, phone, signIn, horizontalOverflow, screenshot,
  blockingViolations, expectText, companySuite, addUser,
} from '../lib/meridian.js';

const ADMIN = { company: '苏州表单测试有限公司', name: '冯涛', email: 'feng@example.com' };
const REP = { name: '陈晨', email: 'chen@example.com' };
const VISITOR = '林先生';

async function checkPage(page, name, { phoneWidth = false } = {}) {
  assert.deepEqual(await blockingViolations(page), [], `axe on ${name}`);
  if (phoneWidth) {
    const o = await horizontalOverflow(page);
    assert.ok(o.scrollWidth <= o.clientWidth, `${name} overflows: ${JSON.stringify(o)}`);
  }
  await screenshot(page, name);
}

describe(`web forms (${BACKEND_NAME})`, () => {
  const suite = companySuite('n-web-forms', ADMIN);
  const { step } = suite;
  let publicUrl = '';

  test('the administrator designs a form and copies its snippet', step('admin', async () => {
    suite.context = await suite.browser.newContext(desktop('zh'));
    await suite.context.grantPermissions(['clipboard-read', 'clipboard-write']).catch(() => {});
    const page = await suite.context.newPage();
    await signIn(page, suite.server, ADMIN.email);
    await addUser(page, suite.server, REP);
    await page.goto(`${suite.server.url}/admin/assignment-rules/new`);
    await page.locator('#f-name').fill('官网线索');
    await page.locator('#f-method').selectOption('criteria');
    await page.locator('#f-rep').selectOption({ label: REP.name });
    await page.locator('#save-rule').click();
    await page.waitForURL((u) => u.pathname === '/admin/assignment-rules');

    await page.goto(`${suite.server.url}/admin/web-forms`);
    await checkPage(page, 'n-web-forms-empty-zh');
    await page.locator('#new-web-form').click();
    await page.waitForURL((u) => u.pathname === '/admin/web-forms/new');
    await page.locator('#f-name').fill('官网咨询');
    await page.locator('#f-fz-0').fill('您的姓名');
    await page.locator('#f-thanks_zh').fill('感谢咨询，销售顾问会尽快联系您。');
    await checkPage(page, 'n-web-form-new-zh');
    await page.locator('#save-web-form').click();
    await page.waitForURL((u) => /^\/admin\/web-forms\/[0-9a-f-]{36}$/.test(u.pathname));
    const snippet = await page.locator('#snippet').inputValue();
    assert.match(snippet, /<form method="post" action="http:\/\/[^"]+\/f\/[0-9a-f]{32}_[0-9a-f]{24}"/);
    assert.match(snippet, /您的姓名/);
    assert.match(snippet, /name="website_url"/);
    assert.doesNotMatch(snippet, /<script/);
    await page.locator('#copy-snippet').click();
    await expectText(page.locator('#copy-snippet'), '已复制');
    publicUrl = await page.locator('#public-url').getAttribute('href');
    await checkPage(page, 'n-web-form-snippet-zh');
    await page.goto(`${suite.server.url}/admin/web-forms`);
    await expectText(page.locator('#web-forms'), '官网咨询');
    await suite.context.close();
    suite.context = null;
  }));

  test('a visitor fills in the hosted form in Chinese on a phone', step('visitor', async () => {
    suite.context = await suite.browser.newContext(phone('zh'));
    const page = await suite.context.newPage();
    await page.goto(publicUrl);
    await checkPage(page, 'n-hosted-form-phone', { phoneWidth: true });
    // A bad value is refused at its field, in Chinese, and nothing is sent.
    await page.locator('#w-name').fill(VISITOR);
    await page.locator('#w-email').fill('不是邮箱');
    await page.locator('#w-email').evaluate((el) => { el.type = 'text'; });
    await page.locator('#web-form-submit').click();
    await expectText(page.locator('#form-error'), '请更正');
    await checkPage(page, 'n-hosted-form-error-phone', { phoneWidth: true });
    await page.locator('#w-email').fill('lin@example.com');
    await page.locator('#w-mobile').fill('13912345678');
    await page.locator('#w-company').fill('昆山精密制造');
    await page.locator('#web-form-submit').click();
    await expectText(page.locator('#message'), '感谢咨询');
    await checkPage(page, 'n-hosted-thanks-phone', { phoneWidth: true });
    await suite.context.close();
    suite.context = null;
  }));

  test('the rep the rules chose finds the lead', step('rep', async () => {
    suite.context = await suite.browser.newContext(phone('zh'));
    const page = await suite.context.newPage();
    await signIn(page, suite.server, REP.email);
    await page.goto(`${suite.server.url}/leads`);
    await expectText(page.locator('#records'), VISITOR);
    await checkPage(page, 'n-rep-leads-phone', { phoneWidth: true });
    await page.locator('#records a', { hasText: VISITOR }).first().click();
    await page.waitForURL((u) => /^\/leads\/[0-9a-f-]{36}$/.test(u.pathname));
    const fact = (key) => page.locator(`#facts dd[data-field=${key}]`).textContent();
    assert.equal((await fact('owner_id')).trim(), REP.name);
    assert.equal((await fact('assignment_rule')).trim(), '官网线索');
    await suite.context.close();
    suite.context = null;
  }));
});
