// Scenario h: notifications. A task created with a reminder at the current minute (already
// due: the server runs on the real clock, and the reminder's own job is due at once, so the
// worker's next poll fires it) raises the bell's count; the bell opens the inbox, the
// notification opens its task; mark one read; then the same on a 390 px phone, in English.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BACKEND_NAME, desktop, phone, signIn, recordId, horizontalOverflow, screenshot, companySuite, preferEnglish,
} from '../lib/meridian.js';

const ADMIN = { company: '苏州子午线软件有限公司', name: '周敏', email: 'zhou@example.com' };

/** The current minute as a datetime-local value in Asia/Shanghai (the user's zone). */
function thisMinuteInShanghai() {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 16);
}

/** Reloads the page until the bell's accessible name is `label` (the worker polls each second). */
async function waitForBell(page, label, { timeout = 20_000 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const now = await page.locator('#bell').getAttribute('aria-label');
    if (now === label) return;
    if (Date.now() > deadline) assert.fail(`the bell says ${JSON.stringify(now)}, not ${JSON.stringify(label)}`);
    await new Promise((r) => setTimeout(r, 500));
    await page.reload();
  }
}

/** Creates a task whose reminder is due now; returns its id. */
async function dueTask(page, server, name) {
  await page.goto(`${server.url}/activities/new?kind=task`);
  await page.locator('#f-name').fill(name);
  await page.locator('#f-remind_at').fill(thisMinuteInShanghai());
  await page.locator('#save-record').click();
  await page.waitForURL((u) => /^\/activities\/[0-9a-f-]{36}$/.test(u.pathname));
  return recordId(page, 'activities');
}

describe(`notifications (${BACKEND_NAME})`, () => {
  const suite = companySuite('h-notifications', ADMIN);
  const { step } = suite;

  test('a due reminder raises the bell, which opens the notification and its task', step('desktop', async () => {
    suite.context = await suite.browser.newContext(desktop('zh'));
    const page = await suite.context.newPage();
    await signIn(page, suite.server, ADMIN.email);
    assert.equal(await page.locator('#bell').getAttribute('aria-label'), '消息，无未读');
    const task = await dueTask(page, suite.server, '给王总回电话');
    await waitForBell(page, '消息 1 条未读');
    assert.equal(await page.locator('#bell-count').textContent(), '1');
    await page.locator('#bell').click();
    await page.waitForURL((u) => u.pathname === '/notifications');
    const item = page.locator('#notification-list li').first();
    await item.getByRole('link', { name: '任务提醒：给王总回电话' }).click();
    await page.waitForURL((u) => u.pathname === `/activities/${task}`);
    await page.goto(`${suite.server.url}/notifications`);
    await page.getByRole('button', { name: '标为已读: 任务提醒：给王总回电话' }).click();
    await page.waitForURL((u) => u.pathname === '/notifications');
    await waitForBell(page, '消息，无未读', { timeout: 5_000 });
    assert.equal(await page.locator('#bell-count').count(), 0);
    await suite.context.close();
    suite.context = null;
  }));

  test('at phone width the bell and the inbox fit, in English', step('phone', async () => {
    suite.context = await suite.browser.newContext(phone('en'));
    const page = await suite.context.newPage();
    await signIn(page, suite.server, ADMIN.email);
    // The administrator's language may be Chinese from the set-up: switch when it is.
    await preferEnglish(page);
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    await dueTask(page, suite.server, 'Send the quote to Suzhou Precision Machinery Manufacturing Co., Ltd.');
    await waitForBell(page, 'Notifications, 1 unread');
    assert.ok(await page.locator('#bell').isVisible(), 'the bell shows on a phone');
    await page.locator('#bell').tap();
    await page.waitForURL((u) => u.pathname === '/notifications');
    assert.ok(await page.getByText('Reminder: Send the quote').isVisible());
    const overflow = await horizontalOverflow(page);
    assert.ok(overflow.scrollWidth <= overflow.clientWidth, `the inbox is wider than the phone: ${JSON.stringify(overflow)}`);
    await screenshot(page, 'notifications-phone');
    await page.locator('#read-all').tap();
    await waitForBell(page, 'Notifications, none unread', { timeout: 5_000 });
    await suite.context.close();
    suite.context = null;
  }));
});
