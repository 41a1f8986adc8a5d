// Scenario e: records around an account, in Chinese. A contact created from the account page,
// a visit logged for it and checked in with the browser's position, a custom picklist field
// on contacts set on the contact and used in the list's filter builder, the account's 360°
// stream with its kind filter, a filter value that does not fit (translated error, 422), and
// the record page and filtered list on a phone.

import { describe, before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BACKEND_NAME, startMeridian, launchBrowser, desktop, phone, screenshot, setUpCompany, accountId,
  recordId, pickLookup, expectText, expectCount, horizontalOverflow, scenario, PASSWORD,
} from '../lib/meridian.js';

const ADMIN = { company: '广州子午线信息科技有限公司', name: '黄志强', email: 'huang@example.com' };
const ACCOUNT = '广州视源电子科技股份有限公司';
const CONTACT = '张伟明';
const CONTACT_TITLE = '采购总监';
const OTHER_CONTACT = '李娜娜';
const VISIT = '季度拜访：方案沟通';
// Shenzhen Civic Centre; the browser reports it with 25 m accuracy.
const POSITION = { latitude: 22.54, longitude: 114.05, accuracy: 25 };
const FIELD = { key: 'budget_level', zh: '预算等级', en: 'Budget level' };
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const PHONE_WIDTH = 390;

/** Whether `u` is the record page of `plural` (any id), optionally with `notice`. */
const isRecordPage = (plural, notice) => (u) =>
  new RegExp(`^/${plural}/${UUID}$`).test(u.pathname) && (notice === undefined || u.searchParams.get('notice') === notice);

describe(`records around an account (${BACKEND_NAME})`, () => {
  let server;
  let browser;
  let context;
  let phoneContext;
  let page;
  let jobUrl;
  let account;
  let contact;
  let otherContact;
  let visit;
  const step = scenario(() => server, () => [context, phoneContext].filter(Boolean));

  before(async () => {
    server = await startMeridian('e-records');
    browser = await launchBrowser();
    await setUpCompany(browser, server, ADMIN);
    context = await browser.newContext({
      ...desktop('zh'),
      permissions: ['geolocation'],
      geolocation: POSITION,
    });
    page = await context.newPage();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** Submits the list's filter form and returns the list page's response. */
  async function applyFilters(p = page) {
    const [response] = await Promise.all([
      p.waitForResponse((r) => r.request().resourceType() === 'document' && new URL(r.url()).pathname === '/contacts'),
      p.locator('#apply-filters').click(),
    ]);
    await p.waitForLoadState('domcontentloaded');
    return response;
  }

  /** Opens the filter builder (if closed) and turns its empty last row into `field op value`. */
  async function addFilterRow(p, field, op, value) {
    const builder = p.locator('details#filter-builder');
    if (!(await builder.evaluate((d) => d.open))) await builder.locator('summary').click();
    const empty = builder.locator('.filter-row').last();
    assert.equal(await empty.locator('select[name=ff]').inputValue(), '', 'the last filter row is the empty one');
    // Choosing the field reloads the row (htmx) with the operators of the field's type.
    const reloaded = p.waitForResponse((r) => new URL(r.url()).pathname === '/contacts/filter-row');
    await empty.locator('select[name=ff]').selectOption(field);
    assert.equal((await reloaded).status(), 200);
    const row = builder.locator(`.filter-row:has(select[name=ff] option[value="${field}"][selected])`);
    await expectCount(row, 1);
    await expectCount(row.locator(`select[name=fo] option[value="${op}"]`), 1);
    await row.locator('select[name=fo]').selectOption(op);
    await row.locator('input[name=fv]').fill(value);
    return row;
  }

  test('signing in lands on "My day"', step('my-day', async () => {
    await page.goto(server.url + '/login');
    await page.locator('input[name=email]').fill(ADMIN.email);
    await page.locator('input[name=password]').fill(PASSWORD);
    await page.locator('form[action="/login"] button[type=submit]').click();
    await page.waitForURL((u) => u.pathname === '/');
    for (const id of ['#day-today', '#day-overdue', '#day-reminders']) await expectCount(page.locator(id), 1);
    await expectText(page.locator('nav.mainnav'), ADMIN.name);
  }));

  test('an account created in the UI shows the 360° cards; a contact created from its related list links back to it', step('contact', async () => {
    await page.goto(server.url + '/accounts/new');
    await page.locator('input[name=name]').fill(ACCOUNT);
    await page.locator('#save-record').click();
    await page.waitForURL((u) => /^\/accounts\/[0-9a-f-]{36}$/.test(u.pathname) && u.searchParams.get('notice') === 'record_created');
    account = accountId(page);
    await expectText(page.locator('#account-name'), ACCOUNT);
    // The 360° parts of the account page.
    await expectText(page.locator('#rollup'), '下级客户');
    await expectText(page.locator('#timeline h2'), '360° 客户视图');
    for (const id of ['#related-contacts', '#related-opportunities', '#related-activities', '#related-accounts', '#links']) {
      await expectCount(page.locator(id), 1);
    }
    await expectText(page.locator('#related-contacts'), '暂无记录');
    const visitLink = page.locator('nav.quick-log a', { hasText: '记录拜访' });
    assert.equal(await visitLink.getAttribute('href'), `/activities/new?kind=visit&account_id=${account}`);
    await screenshot(page, 'zh-desktop-account-360-empty');

    // "New" in the related contacts list opens the contact form with the account filled in.
    const newContact = page.locator('#related-contacts').getByRole('link', { name: '新建', exact: true });
    assert.equal(await newContact.getAttribute('href'), `/contacts/new?account_id=${account}`);
    await newContact.click();
    await page.waitForURL((u) => u.pathname === '/contacts/new' && u.searchParams.get('account_id') === account);
    await expectText(page.locator('h1'), '新建联系人');
    assert.equal(await page.locator('#f-account_id').inputValue(), account);
    assert.equal(await page.locator('#lk-account_id').inputValue(), ACCOUNT);
    await page.locator('#f-name').fill(CONTACT);
    await page.locator('#f-title').fill(CONTACT_TITLE);
    await page.locator('#f-mobile').fill('13912345678');
    await page.locator('#f-customer_role').selectOption('decision_maker');
    await screenshot(page, 'zh-desktop-contact-form');
    await page.locator('#save-record').click();
    await page.waitForURL(isRecordPage('contacts', 'record_created'));
    contact = recordId(page, 'contacts');
    await expectText(page.locator('h1#record-name'), CONTACT);
    const accountFact = page.locator('dl#facts dd[data-field=account_id] a');
    await expectText(accountFact, ACCOUNT);
    assert.equal(await accountFact.getAttribute('href'), `/accounts/${account}`);
    await expectText(page.locator('dl#facts dd[data-field=title]'), CONTACT_TITLE);
    await expectText(page.locator('dl#facts dd[data-field=customer_role]'), '决策者');
    await screenshot(page, 'zh-desktop-contact-record');

    // Back on the account, its related contacts list the new contact.
    await accountFact.click();
    await page.waitForURL((u) => u.pathname === `/accounts/${account}`);
    const listed = page.locator('#related-contacts a', { hasText: CONTACT });
    await expectCount(listed, 1);
    assert.equal(await listed.getAttribute('href'), `/contacts/${contact}`);
    await expectText(page.locator('#related-contacts'), CONTACT_TITLE);
  }));

  test('a visit logged from the contact page is done, counts as contact, and can be checked in with the browser\'s position', step('visit', async () => {
    await page.goto(`${server.url}/contacts/${contact}`);
    const log = page.locator('nav.quick-log a', { hasText: '记录拜访' });
    await log.click();
    await page.waitForURL((u) => u.pathname === '/activities/new' && u.searchParams.get('kind') === 'visit');
    // Kind, contact and account come filled in from the link.
    assert.equal(await page.locator('#f-kind').inputValue(), 'visit');
    assert.equal(await page.locator('#f-contact_id').inputValue(), contact);
    assert.equal(await page.locator('#lk-contact_id').inputValue(), CONTACT);
    assert.equal(await page.locator('#f-account_id').inputValue(), account);
    assert.equal(await page.locator('#lk-account_id').inputValue(), ACCOUNT);
    // Clearing the contact and picking it again through the lookup's suggestions works too.
    await page.locator('#lk-contact_id').fill('');
    assert.equal(await page.locator('#f-contact_id').inputValue(), '', 'clearing the lookup text clears its id');
    assert.equal(await pickLookup(page, 'contact_id', CONTACT.slice(0, 2), CONTACT), contact);
    await page.locator('#f-name').fill(VISIT);
    await page.locator('#f-location').fill('广州市黄埔区云埔四路6号');
    await screenshot(page, 'zh-desktop-visit-form');
    await page.locator('#save-record').click();
    await page.waitForURL(isRecordPage('activities', 'record_created'));
    visit = recordId(page, 'activities');
    await expectText(page.locator('h1#record-name'), VISIT);
    await expectText(page.locator('dl#facts dd[data-field=kind]'), '拜访');
    await expectText(page.locator('dl#facts dd[data-field=contact_id] a'), CONTACT);
    await expectText(page.locator('dl#facts dd[data-field=account_id] a'), ACCOUNT);
    // A visit logged has happened: it is done, and the account was contacted.
    await expectText(page.locator('dl#facts dd[data-field=status]'), '已完成');
    await expectCount(page.locator('#complete-activity'), 0);
    await expectCount(page.locator('#checkin-status'), 0);
    await expectText(page.locator('#checkin-form'), '现场签到');
    await screenshot(page, 'zh-desktop-visit-before-checkin');

    // Check in: the page asks the browser (geolocation granted to this context) and posts.
    const posted = page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === `/activities/${visit}/check-in`);
    await page.locator('#checkin-button').click();
    const body = new URLSearchParams((await posted).postData() || '');
    assert.equal(Number(body.get('latitude')), POSITION.latitude);
    assert.equal(Number(body.get('longitude')), POSITION.longitude);
    assert.equal(body.get('accuracy'), String(POSITION.accuracy));
    await page.waitForURL((u) => u.pathname === `/activities/${visit}` && u.searchParams.get('notice') === 'checked_in');
    await expectText(page.locator('.flash.ok'), '签到成功。');
    await expectText(page.locator('#checkin-status'), /签到时间\s*\d{4}-\d{2}-\d{2} \d{2}:\d{2}/);
    await expectText(page.locator('#checkin-location'), '22.54000, 114.05000 (±25 m)');
    await expectCount(page.locator('#checkin-form'), 0);
    await screenshot(page, 'zh-desktop-visit-checked-in');

    // The visit is the account's last contact.
    await expectText(page.locator('dl#facts dd[data-field=status]'), '已完成');
    await page.goto(`${server.url}/accounts/${account}`);
    await expectText(page.locator('#last-contacted'), /\d{4}-\d{2}-\d{2}/);
    const related = page.locator('#related-activities a', { hasText: VISIT });
    await expectCount(related, 1);
    assert.equal(await related.getAttribute('href'), `/activities/${visit}`);
  }));

  test('the administrator adds an indexed custom picklist to contacts; it is set on the form and filters the list', step('custom-field', async () => {
    await page.goto(server.url + '/admin/fields/contacts');
    await expectText(page.locator('table#fields'), 'customer_role');
    await page.locator('#new-field').click();
    await page.waitForURL((u) => u.pathname === '/admin/fields/contacts/new');
    await page.locator('#f-key').fill(FIELD.key);
    await page.locator('select#f-field_type').selectOption('picklist');
    await page.locator('#f-label_zh').fill(FIELD.zh);
    await page.locator('#f-label_en').fill(FIELD.en);
    await page.locator('textarea#f-options').fill('high|高|High\nlow|低|Low');
    await page.locator('#f-indexed').check();
    await screenshot(page, 'zh-desktop-field-form');
    await page.locator('#save-field').click();
    // The index is built by a background job: its page shows the progress, polled with htmx,
    // until the job is done, then links back to the fields.
    await page.waitForURL((u) => /^\/jobs\/[0-9a-f-]{36}$/.test(u.pathname));
    await expectText(page.locator('h1'), '自定义字段索引');
    const status = page.locator('#job-status[data-state=done]');
    await status.waitFor({ timeout: 15000 });
    await expectText(page.locator('#job-state'), '已完成');
    assert.equal(await page.locator('#job-progress').getAttribute('value'), '100');
    await screenshot(page, 'zh-desktop-field-index-job');
    jobUrl = page.url();
    await page.locator('#job-back').click();
    await page.waitForURL((u) => u.pathname === '/admin/fields/contacts');
    const fieldRow = page.locator('table#fields tr', { has: page.locator('code', { hasText: FIELD.key }) });
    await expectCount(fieldRow, 1);
    await expectText(fieldRow, FIELD.zh);
    await screenshot(page, 'zh-desktop-fields');

    // The field is on the contact's edit form; set it.
    await page.goto(`${server.url}/contacts/${contact}`);
    await page.locator('#edit-record').click();
    await page.waitForURL((u) => u.pathname === `/contacts/${contact}/edit`);
    const select = page.locator(`select#f-${FIELD.key}`);
    assert.deepEqual(await select.locator('option').allInnerTexts(), ['—', '高', '低']);
    await select.selectOption('high');
    await page.locator('#save-record').click();
    await page.waitForURL((u) => u.pathname === `/contacts/${contact}` && !!u.searchParams.get('notice'));
    await expectText(page.locator(`dl#facts dd[data-field=${FIELD.key}]`), '高');
    await expectText(page.locator('#history'), `${FIELD.zh}:`);
    await screenshot(page, 'zh-desktop-contact-with-field');

    // A second contact (no account) with the other choice, set on the new form.
    await page.goto(server.url + '/contacts/new');
    await page.locator('#f-name').fill(OTHER_CONTACT);
    await page.locator(`select#f-${FIELD.key}`).selectOption('low');
    await page.locator('#save-record').click();
    await page.waitForURL(isRecordPage('contacts', 'record_created'));
    otherContact = recordId(page, 'contacts');
    await expectText(page.locator(`dl#facts dd[data-field=${FIELD.key}]`), '低');

    // On the list, the field is a filter choice; "= high" lists the first contact only.
    await page.goto(server.url + '/contacts');
    const rows = page.locator('#record-rows tr');
    await expectCount(rows, 2);
    const choices = await page.locator('#filter-builder select[name=ff] option').evaluateAll((os) => os.map((o) => o.value));
    assert.ok(choices.includes(FIELD.key), `the filter field choices include ${FIELD.key}: ${choices.join(', ')}`);
    const row = await addFilterRow(page, FIELD.key, 'eq', 'high');
    // A picklist is filtered by =, ≠, in, empty or not; no number operators.
    const ops = await row.locator('select[name=fo] option').evaluateAll((os) => os.map((o) => o.value));
    assert.deepEqual(ops, ['eq', 'ne', 'in', 'empty', 'not_empty']);
    await screenshot(page, 'zh-desktop-list-filter-builder');
    let response = await applyFilters();
    assert.equal(response.status(), 200);
    let url = new URL(page.url());
    assert.deepEqual([url.searchParams.get('ff'), url.searchParams.get('fo'), url.searchParams.get('fv')], [FIELD.key, 'eq', 'high']);
    await expectCount(rows, 1);
    const found = rows.first().locator('a', { hasText: CONTACT });
    await expectCount(found, 1);
    assert.equal(await found.getAttribute('href'), `/contacts/${contact}`);
    await expectCount(page.locator('#list-error'), 0);
    // The builder keeps the condition, with a fresh empty row after it.
    const kept = page.locator('#filter-builder .filter-row').first();
    assert.equal(await kept.locator('select[name=ff]').inputValue(), FIELD.key);
    assert.equal(await kept.locator('select[name=fo]').inputValue(), 'eq');
    assert.equal(await kept.locator('input[name=fv]').inputValue(), 'high');
    await expectCount(page.locator('#filter-builder .filter-row'), 2);
    await screenshot(page, 'zh-desktop-list-filtered-high');

    // "= low": the first contact is not listed (the other one is).
    await kept.locator('input[name=fv]').fill('low');
    response = await applyFilters();
    assert.equal(response.status(), 200);
    url = new URL(page.url());
    assert.equal(url.searchParams.get('fv'), 'low');
    await expectCount(rows, 1);
    await expectCount(page.locator('#record-rows a', { hasText: CONTACT }), 0);
    const other = page.locator('#record-rows a', { hasText: OTHER_CONTACT });
    await expectCount(other, 1);
    assert.equal(await other.getAttribute('href'), `/contacts/${otherContact}`);
    await screenshot(page, 'zh-desktop-list-filtered-low');
  }));

  test('the account\'s 360° stream shows the contact and the checked-in visit, and its kind filter keeps only activities', step('timeline', async () => {
    await page.goto(`${server.url}/accounts/${account}`);
    const items = page.locator('#timeline-items li');
    const contactEntry = page.locator('#timeline-items li.entry.contact');
    await expectCount(contactEntry, 1);
    await expectText(contactEntry.locator('.tag'), '联系人');
    await expectText(contactEntry, '新增联系人');
    const contactLink = contactEntry.locator('a', { hasText: CONTACT });
    assert.equal(await contactLink.getAttribute('href'), `/contacts/${contact}`);
    await expectText(contactEntry.locator('.who'), ADMIN.name);
    // The visit: logged (done, as it happened) and checked in — each an activity entry linking
    // to it.
    const visitEntries = page.locator('#timeline-items li.entry.activity', { hasText: VISIT });
    await expectCount(visitEntries, 2);
    for (const entry of await visitEntries.all()) {
      await expectText(entry.locator('.tag'), '活动');
      await expectText(entry, `拜访 · ${VISIT}`);
      assert.equal(await entry.locator('a').first().getAttribute('href'), `/activities/${visit}`);
    }
    const checkedIn = visitEntries.filter({ hasText: '已签到' });
    await expectCount(checkedIn, 1);
    await expectText(checkedIn, '已现场签到');
    await expectCount(visitEntries.filter({ hasText: '已记录' }), 1);
    // Entries other than those: none (the other contact has no account).
    await expectCount(page.locator('#timeline-items li.entry'), 3);
    assert.equal(await items.filter({ hasText: OTHER_CONTACT }).count(), 0);
    await screenshot(page, 'zh-desktop-account-360');

    // The kind filter reloads the stream in place.
    const kinds = page.locator('#timeline .timeline-kinds');
    assert.deepEqual(await kinds.locator('a').allInnerTexts(), ['全部', '活动', '商机', '联系人', '字段变更']);
    const filtered = page.waitForResponse((r) => {
      const u = new URL(r.url());
      return u.pathname === `/accounts/${account}/timeline` && u.searchParams.get('kind') === 'activity';
    });
    await kinds.getByRole('link', { name: '活动', exact: true }).click();
    assert.equal((await filtered).status(), 200);
    await expectText(page.locator('#timeline .timeline-kinds a[aria-current=page]'), '活动');
    await expectCount(page.locator('#timeline-items li.entry.contact'), 0);
    await expectCount(page.locator('#timeline-items li.entry'), 2);
    await expectCount(page.locator('#timeline-items li.entry:not(.activity)'), 0);
    assert.equal(new URL(page.url()).pathname, `/accounts/${account}`, 'the filter does not leave the page');
    await screenshot(page, 'zh-desktop-account-360-activities');

    // "Contacts" shows only the contact; "All" brings everything back.
    await page.locator('#timeline .timeline-kinds').getByRole('link', { name: '联系人', exact: true }).click();
    await expectText(page.locator('#timeline .timeline-kinds a[aria-current=page]'), '联系人');
    await expectCount(page.locator('#timeline-items li.entry'), 1);
    await expectCount(page.locator('#timeline-items li.entry.contact'), 1);
    await page.locator('#timeline .timeline-kinds').getByRole('link', { name: '全部', exact: true }).click();
    await expectText(page.locator('#timeline .timeline-kinds a[aria-current=page]'), '全部');
    await expectCount(page.locator('#timeline-items li.entry'), 3);

    // The custom field is on the contact the stream links to.
    await page.locator('#timeline-items li.entry.contact a', { hasText: CONTACT }).click();
    await page.waitForURL((u) => u.pathname === `/contacts/${contact}`);
    await expectText(page.locator(`dl#facts dd[data-field=${FIELD.key}]`), '高');
  }));

  test('a filter value that is not one of the picklist\'s choices, or an operator that does not fit, shows a translated error (422)', step('bad-filter', async () => {
    await page.goto(server.url + '/contacts');
    await addFilterRow(page, FIELD.key, 'eq', 'nope');
    const response = await applyFilters();
    assert.equal(response.status(), 422);
    await expectText(page.locator('#list-error'), '部分字段有误，请检查。');
    // The error names the field by its label, not its API key.
    await expectText(page.locator('#list-error li'), `${FIELD.zh}: 不是允许的选项。`);
    // The page is whole: the builder is open and keeps what was typed; no rows are listed.
    assert.equal(await page.locator('details#filter-builder').evaluate((d) => d.open), true);
    const kept = page.locator('#filter-builder .filter-row').first();
    assert.equal(await kept.locator('select[name=ff]').inputValue(), FIELD.key);
    assert.equal(await kept.locator('input[name=fv]').inputValue(), 'nope');
    await expectCount(page.locator('#record-rows a'), 0);
    await expectText(page.locator('h1'), '联系人');
    await screenshot(page, 'zh-desktop-list-filter-error');

    // A number operator on the picklist (not offered by the builder, but possible in a URL).
    const query = `edited=1&ff=${FIELD.key}&fo=gt&fv=1`;
    const gt = await page.goto(`${server.url}/contacts?${query}`);
    assert.equal(gt.status(), 422);
    await expectText(page.locator('#list-error'), '部分字段有误，请检查。');
    await expectText(page.locator('#list-error li'), `${FIELD.zh}: 该条件不适用于此字段类型。`);

    // The same error in English.
    const en = await browser.newContext({ ...desktop('en'), storageState: await context.storageState() });
    try {
      const p = await en.newPage();
      const res = await p.goto(`${server.url}/contacts?edited=1&ff=${FIELD.key}&fo=eq&fv=nope`);
      assert.equal(res.status(), 422);
      await expectText(p.locator('h1'), 'Contacts');
      await expectText(p.locator('#list-error'), 'Some fields need your attention.');
      await expectText(p.locator('#list-error li'), `${FIELD.en}: Not one of the allowed choices.`);
      // The builder offers the field under its English label.
      await expectText(p.locator(`#filter-builder .filter-row select[name=ff] option[value=${FIELD.key}]`).first(), FIELD.en);
      await screenshot(p, 'en-desktop-list-filter-error');
    } finally {
      await en.close();
    }

    // The server is still fine: a correct filter after the bad ones works.
    assert.equal((await fetch(server.url + '/healthz')).status, 200);
    await page.goto(`${server.url}/contacts?edited=1&ff=${FIELD.key}&fo=eq&fv=high`);
    await expectCount(page.locator('#list-error'), 0);
    await expectCount(page.locator('#record-rows tr'), 1);
    await expectText(page.locator('#record-rows'), CONTACT);
  }));

  test('on a phone (390 px) the contact page and the filtered list fit the screen', step('phone', async () => {
    phoneContext = await browser.newContext({ ...phone('zh'), storageState: await context.storageState() });
    const p = await phoneContext.newPage();
    const assertFits = async (what) => {
      const o = await horizontalOverflow(p);
      assert.ok(o.scrollWidth <= PHONE_WIDTH,
        `${what} (${p.url()}) is ${o.scrollWidth}px wide on a ${PHONE_WIDTH}px phone; elements reaching past the edge: ${o.wide.join(', ')}`);
    };
    await p.goto(`${server.url}/contacts/${contact}`);
    assert.equal(await p.evaluate(() => window.innerWidth), PHONE_WIDTH);
    await expectText(p.locator('h1#record-name'), CONTACT);
    await expectText(p.locator(`dl#facts dd[data-field=${FIELD.key}]`), '高');
    await screenshot(p, 'zh-phone-contact-record');
    await assertFits('the contact page');

    await p.goto(`${server.url}/contacts?edited=1&ff=${FIELD.key}&fo=eq&fv=high`);
    await expectCount(p.locator('#record-rows tr'), 1);
    assert.equal(await p.locator('details#filter-builder').evaluate((d) => d.open), true, 'the builder is open when filters are set');
    await screenshot(p, 'zh-phone-contacts-filtered');
    await assertFits('the filtered contacts list');

    await p.goto(`${server.url}/activities/${visit}`);
    await expectText(p.locator('#checkin-location'), '22.54000, 114.05000 (±25 m)');
    await screenshot(p, 'zh-phone-visit-record');
    await assertFits('the visit page');

    // The index build's page, left and come back to, and the administrators' list of jobs.
    await p.goto(jobUrl);
    await expectText(p.locator('#job-state'), '已完成');
    await screenshot(p, 'zh-phone-field-index-job');
    await assertFits('the job page');
    await p.goto(`${server.url}/admin/jobs?state=done`);
    // The index build, among the recurring reminder runs done meanwhile.
    await expectCount(p.locator('table#jobs tbody tr', { hasText: '自定义字段索引' }), 1);
    await screenshot(p, 'zh-phone-admin-jobs');
    await assertFits('the jobs list');
    await phoneContext.close();
    phoneContext = null;
  }));
});
