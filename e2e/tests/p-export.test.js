// Scenario p: export of a filtered list. The administrator creates leads of two sources,
// filters the leads list on one source with the filter builder, sorts it by name and exports
// it as CSV; the progress page polls until the job is done, the file is downloaded and read
// back (UTF-8 with a BOM, the Chinese headers, only the filtered rows in the list's order,
// choices by their labels). Then the same list to XLSX on a 390 px phone in English: the
// progress page and "my exports" fit the phone and pass axe.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import {
  BACKEND_NAME, desktop, phone, signIn, screenshot, blockingViolations, expectText,
  expectCount, companySuite, horizontalOverflow, preferEnglish,
} from '../lib/meridian.js';

const ADMIN = { company: '杭州导出测试有限公司', name: '周敏', email: 'zhou@example.com' };
const LEADS = [
  { name: '乙 · 西湖机械', source: 'web' },
  { name: '甲 · 钱塘物流', source: 'web' },
  { name: '丙 · 滨江电子', source: 'phone' },
  { name: '=HYPERLINK("x") 丁', source: 'web' },
];

/** Opens the filter builder and turns its empty last row into `field op value`. */
async function addFilterRow(page, field, op, value) {
  const builder = page.locator('details#filter-builder');
  if (!(await builder.evaluate((d) => d.open))) await builder.locator('summary').click();
  const empty = builder.locator('.filter-row').last();
  const reloaded = page.waitForResponse((r) => new URL(r.url()).pathname === '/leads/filter-row');
  await empty.locator('select[name=ff]').selectOption(field);
  assert.equal((await reloaded).status(), 200);
  const row = builder.locator(`.filter-row:has(select[name=ff] option[value="${field}"][selected])`);
  await expectCount(row, 1);
  await row.locator('select[name=fo]').selectOption(op);
  await row.locator('input[name=fv]').fill(value);
}

/** Clicks an export button, waits for the job on the progress page and downloads the file. */
async function exportAndDownload(page, button, tap = false) {
  const details = page.locator('details#export-list');
  if (!(await details.evaluate((d) => d.open))) await details.locator('summary').click();
  await (tap ? page.locator(button).tap() : page.locator(button).click());
  await page.waitForURL((u) => /^\/exports\/[0-9a-f-]{36}$/.test(u.pathname));
  await expectCount(page.locator('#export-download'), 1, { timeout: 60_000 });
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('#export-download').click(),
  ]);
  const file = await download.path();
  return { name: download.suggestedFilename(), bytes: await fs.readFile(file) };
}

function csvRows(text) {
  // The fields of this test hold no line breaks; quoted fields may hold commas and quotes.
  return text.trim().split(/\r\n/).map((line) => {
    const cells = [];
    let cell = '';
    let quoted = false;
    for (let i = 0; i < line.length; i += 1) {
      const ch = line[i];
      if (quoted && ch === '"' && line[i + 1] === '"') { cell += '"'; i += 1; }
      else if (ch === '"') quoted = !quoted;
      else if (ch === ',' && !quoted) { cells.push(cell); cell = ''; }
      else cell += ch;
    }
    cells.push(cell);
    return cells;
  });
}

describe(`export (${BACKEND_NAME})`, () => {
  const suite = companySuite('p-export', ADMIN);
  const { step } = suite;

  test('a filtered, sorted list exported to CSV and read back', step('csv', async () => {
    suite.context = await suite.browser.newContext({ ...desktop('zh'), acceptDownloads: true });
    const page = await suite.context.newPage();
    await signIn(page, suite.server, ADMIN.email);
    for (const lead of LEADS) {
      await page.goto(`${suite.server.url}/leads/new`);
      await page.locator('#f-name').fill(lead.name);
      await page.locator('#f-source').selectOption(lead.source);
      await page.locator('#save-record').click();
      await page.waitForURL((u) => /^\/leads\/[0-9a-f-]{36}$/.test(u.pathname));
    }
    await page.goto(`${suite.server.url}/leads?sort=name`);
    await addFilterRow(page, 'source', 'eq', 'web');
    await Promise.all([
      page.waitForResponse((r) => r.request().resourceType() === 'document' && new URL(r.url()).pathname === '/leads'),
      page.locator('#apply-filters').click(),
    ]);
    await page.waitForLoadState('domcontentloaded');
    await expectCount(page.locator('#record-rows tr'), 3);
    const { name, bytes } = await exportAndDownload(page, '#export-csv');
    assert.match(name, /^leads-\d{8}-\d{4}\.csv$/);
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 with a BOM');
    const rows = csvRows(bytes.subarray(3).toString('utf8'));
    assert.deepEqual(rows[0], ['姓名', '公司名称', '状态', '意向等级', '线索来源', '负责人']);
    assert.deepEqual(rows.slice(1).map((r) => r[0]), ["'=HYPERLINK(\"x\") 丁", '乙 · 西湖机械', '甲 · 钱塘物流'],
      'the filtered rows in the list\'s order, a formula neutralised');
    for (const row of rows.slice(1)) {
      assert.equal(row[4], '官网', 'the source by its Chinese label');
      assert.equal(row[5], ADMIN.name, 'the owner by name');
    }
    await screenshot(page, 'p-export-done-zh');
    await page.goto(`${suite.server.url}/exports`);
    await expectCount(page.locator('#exports tbody tr'), 1);
    await suite.context.close();
    suite.context = null;
  }));

  test('the list to XLSX on a 390 px phone in English', step('xlsx-phone', async () => {
    suite.context = await suite.browser.newContext({ ...phone('en'), acceptDownloads: true });
    const page = await suite.context.newPage();
    await signIn(page, suite.server, ADMIN.email);
    await preferEnglish(page);
    await page.goto(`${suite.server.url}/leads?source=phone`);
    await expectCount(page.locator('#record-rows tr'), 1);
    const list = await horizontalOverflow(page);
    assert.ok(list.scrollWidth <= list.clientWidth, `the list is wider than the phone: ${JSON.stringify(list)}`);
    const { name, bytes } = await exportAndDownload(page, '#export-xlsx', true);
    assert.match(name, /^leads-\d{8}-\d{4}\.xlsx$/);
    assert.equal(bytes.subarray(0, 2).toString('latin1'), 'PK', 'a workbook (a ZIP file)');
    await expectText(page.locator('#export-rows'), 'Rows written: 1');
    const overflow = await horizontalOverflow(page);
    assert.ok(overflow.scrollWidth <= overflow.clientWidth, `the export page is wider than the phone: ${JSON.stringify(overflow)}`);
    assert.deepEqual(await blockingViolations(page), [], 'axe on the export page');
    await screenshot(page, 'p-export-phone-en');
    await page.goto(`${suite.server.url}/exports`);
    await expectCount(page.locator('#exports tbody tr'), 2);
    const again = await horizontalOverflow(page);
    assert.ok(again.scrollWidth <= again.clientWidth, `my exports is wider than the phone: ${JSON.stringify(again)}`);
    assert.deepEqual(await blockingViolations(page), [], 'axe on my exports');
    await suite.context.close();
    suite.context = null;
  }));
});
