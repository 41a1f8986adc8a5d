// Test helpers: a fresh Meridian server per test file (SQLite in a temp folder, or a fresh
// PostgreSQL database when MERIDIAN_E2E_DATABASE=postgres), headless Debian Chromium driven by
// playwright-core, screenshots, and common page steps.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, createWriteStream, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

export const E2E_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ARTIFACTS = path.join(E2E_DIR, 'artifacts');
export const BACKEND = process.env.MERIDIAN_E2E_DATABASE === 'postgres' ? 'postgres' : 'sqlite';
/** The database's name for test titles. */
export const BACKEND_NAME = BACKEND === 'postgres' ? 'PostgreSQL' : 'SQLite';
const BIN = path.resolve(E2E_DIR, process.env.MERIDIAN_BIN || '../target/debug/meridian');
const PG_ADMIN = { host: '127.0.0.1', port: '5432', user: 'postgres' };
const CHROMIUM = process.env.MERIDIAN_E2E_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The password every test user gets (long enough for the password rule). */
export const PASSWORD = 'correct-horse-battery-9';

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function psql(sql) {
  execFileSync(
    'psql',
    ['-h', PG_ADMIN.host, '-p', PG_ADMIN.port, '-U', PG_ADMIN.user, '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-q', '-c', sql],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts a fresh Meridian for one test file. `name` labels its log and database.
 * Returns { url, backend, log(), stop() }.
 */
export async function startMeridian(name) {
  mkdirSync(path.join(ARTIFACTS, 'logs'), { recursive: true });
  const label = `${name}-${BACKEND}`;
  const logPath = path.join(ARTIFACTS, 'logs', `${label}.log`);
  const logFile = createWriteStream(logPath);
  let dataDir = null;
  let database = null;
  const dbArgs = [];
  if (BACKEND === 'postgres') {
    database = `meridian_e2e_${name.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${process.pid}_${Date.now()}`;
    psql(`CREATE DATABASE ${database}`);
    dbArgs.push('--database-url', `postgres://${PG_ADMIN.user}@${PG_ADMIN.host}:${PG_ADMIN.port}/${database}`);
  } else {
    dataDir = mkdtempSync(path.join(tmpdir(), `meridian-e2e-${name}-`));
    dbArgs.push('--data-dir', dataDir);
  }

  // The server's clock runs ahead of real time by the seconds in this file (none at first):
  // `advanceClock` moves it, and the scheduler's time rules with it.
  const clockDir = mkdtempSync(path.join(tmpdir(), `meridian-e2e-clock-${name}-`));
  const clockFile = path.join(clockDir, 'offset');
  let clockOffset = 0;
  let child = null;
  let exited = null;
  let output = '';
  let url = null;
  // The port is free when picked but could be taken before the server binds: try a few.
  for (let attempt = 0; attempt < 5 && !url; attempt++) {
    const port = await freePort();
    const env = { ...process.env, RUST_LOG: process.env.RUST_LOG || 'info,sqlx=warn', NO_COLOR: '1' };
    delete env.MERIDIAN_DATABASE_URL;
    delete env.MERIDIAN_DATA_DIR;
    delete env.MERIDIAN_LISTEN;
    child = spawn(BIN, ['serve', '--listen', `127.0.0.1:${port}`, '--clock-offset-file', clockFile, ...dbArgs], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    exited = null;
    const thisChild = child;
    const onData = (chunk) => {
      output += chunk.toString();
      logFile.write(chunk);
    };
    thisChild.stdout.on('data', onData);
    thisChild.stderr.on('data', onData);
    const exitPromise = new Promise((resolve) => {
      thisChild.on('exit', (code, signal) => {
        exited = { code, signal };
        resolve();
      });
      thisChild.on('error', (err) => {
        exited = { code: null, signal: null, error: err };
        resolve();
      });
    });
    thisChild.exitPromise = exitPromise;
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !exited) {
      try {
        const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2000) });
        if (res.status === 200) {
          url = base;
          break;
        }
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    if (!url && exited && /listening on|address already in use/i.test(output)) continue;
    if (!url) {
      if (!exited) thisChild.kill('SIGKILL');
      await cleanup();
      throw new Error(
        `Meridian (${BIN}) did not answer /healthz with 200` +
          (exited?.error ? `: ${exited.error.message}` : exited ? ` (exited: ${JSON.stringify(exited)})` : ' within 60 s') +
          `\n--- server log ---\n${output.slice(-4000)}`,
      );
    }
  }

  async function cleanup() {
    await new Promise((r) => logFile.end(r));
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    rmSync(clockDir, { recursive: true, force: true });
    if (database) {
      try {
        psql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      } catch (e) {
        console.error(`# could not drop database ${database}: ${e.stderr || e.message}`);
      }
    }
  }

  return {
    url,
    backend: BACKEND,
    logPath,
    /** The server's output so far. */
    log: () => output,
    /** Moves the server's clock forward by `seconds` (it reads the file at every look). */
    advanceClock(seconds) {
      clockOffset += seconds;
      writeFileSync(clockFile, `${clockOffset}\n`);
    },
    async stop() {
      if (!exited) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await child.exitPromise;
        clearTimeout(killer);
      }
      await cleanup();
    },
  };
}

/** Launches headless Debian Chromium. */
export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** Context options for a Chinese or English desktop browser. */
export function desktop(lang) {
  return lang === 'en'
    ? { locale: 'en-US', extraHTTPHeaders: { 'Accept-Language': 'en' }, viewport: { width: 1280, height: 900 } }
    : { locale: 'zh-CN', extraHTTPHeaders: { 'Accept-Language': 'zh-CN,zh;q=0.9' }, viewport: { width: 1280, height: 900 } };
}

/** Context options for a phone (390×844, touch). */
export function phone(lang = 'zh') {
  return {
    ...desktop(lang),
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  };
}

/** Saves a full-page screenshot as artifacts/<backend>/<name>.png. */
export async function screenshot(page, name) {
  const dir = path.join(ARTIFACTS, BACKEND);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Wraps a test body: on failure, saves a screenshot of every open page and adds the URL and
 * the end of the server log to the error.
 */
export function withDiagnostics(server, getContexts, name, fn) {
  return async (t) => {
    try {
      await fn(t);
    } catch (err) {
      const notes = [];
      let i = 0;
      for (const ctx of getContexts()) {
        for (const p of ctx.pages()) {
          try {
            const file = await screenshot(p, `FAILED-${name}-${i++}`);
            notes.push(`page ${p.url()} → ${path.relative(E2E_DIR, file)}`);
          } catch {
            notes.push(`page ${p.url()} (no screenshot)`);
          }
        }
      }
      const log = server.log().split('\n').slice(-40).join('\n');
      err.message += `\n--- pages ---\n${notes.join('\n')}\n--- last server log lines (${path.relative(E2E_DIR, server.logPath)}) ---\n${log}`;
      throw err;
    }
  };
}

/** How far the page is wider than the viewport (0 when it fits). */
export async function horizontalOverflow(page) {
  return page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
    wide: [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : ''} (right=${Math.round(el.getBoundingClientRect().right)})`),
  }));
}

/** Fills and submits the set-up form on the current page (which must be /setup). */
export async function fillSetup(page, { company, name, email, password = PASSWORD }) {
  await page.locator('input[name=company]').fill(company);
  await page.locator('input[name=name]').fill(name);
  await page.locator('input[name=email]').fill(email);
  await page.locator('input[name=password]').fill(password);
  await page.locator('form[action="/setup"] button[type=submit]').click();
}

/** Sets Meridian up through its set-up page in a throw-away context. */
export async function setUpCompany(browser, server, who) {
  const context = await browser.newContext(desktop('zh'));
  try {
    const page = await context.newPage();
    await page.goto(`${server.url}/setup`);
    await fillSetup(page, who);
    await page.waitForURL(/\/accounts\?notice=welcome$/);
  } finally {
    await context.close();
  }
}

/** The ids of the three lists of the "My day" home page ("/"). */
export const MY_DAY_LISTS = ['#day-today', '#day-overdue', '#day-reminders'];

/**
 * Where signing in on the sign-in page at `loginUrl` leads: its local ?next= target, or else
 * "/" ("My day").
 */
export function signInTarget(loginUrl) {
  const login = new URL(loginUrl);
  const next = login.searchParams.get('next');
  const local = next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\');
  return new URL(local ? next : '/', login.origin);
}

/**
 * After submitting the sign-in form of the page at `loginUrl`, waits until the browser is on
 * exactly the sign-in target (see signInTarget); on "/" also waits for My day's lists.
 */
export async function waitForSignedIn(page, loginUrl) {
  const target = signInTarget(loginUrl);
  await page.waitForURL((u) => u.pathname === target.pathname && u.search === target.search);
  if (target.pathname === '/') {
    for (const id of MY_DAY_LISTS) await expectCount(page.locator(id), 1);
  }
}

/**
 * Signs in on /login (with ?next=`next` when given) and waits for the sign-in target: "/"
 * ("My day"), or `next`.
 */
export async function signIn(page, server, email, password = PASSWORD, { next } = {}) {
  const loginUrl = `${server.url}/login${next ? `?next=${encodeURIComponent(next)}` : ''}`;
  await page.goto(loginUrl);
  await page.locator('input[name=email]').fill(email);
  await page.locator('input[name=password]').fill(password);
  await page.locator('form[action="/login"] button[type=submit]').click();
  await waitForSignedIn(page, loginUrl);
}

/**
 * The page's own header (title, crumbs, tags, actions). Cards on a page (e.g. an account's
 * related lists) have `.pagehead`s of their own, so this takes only the one directly in <main>.
 */
export function pageHead(page) {
  return page.locator('#main > .pagehead');
}

/**
 * The details list of an account record page: the `dl.facts` holding the owner (the roll-up
 * card below it is a `dl.facts` too).
 */
export function accountFacts(page) {
  return page.locator('dl.facts', { has: page.locator('#owner-name') });
}

/** The id in a record page's URL. */
export function accountId(page) {
  const m = new URL(page.url()).pathname.match(/^\/accounts\/([0-9a-f-]{36})$/);
  if (!m) throw new Error(`not on an account record page: ${page.url()}`);
  return m[1];
}

/** Waits until the locator's visible text contains `expected` (string or RegExp). */
export async function expectText(locator, expected, { timeout = 10_000 } = {}) {
  const deadline = Date.now() + timeout;
  let last = '';
  for (;;) {
    try {
      last = await locator.innerText({ timeout: 1000 });
    } catch (e) {
      last = `<not found: ${e.message.split('\n')[0]}>`;
    }
    const ok = typeof expected === 'string' ? last.includes(expected) : expected.test(last);
    if (ok) return last;
    if (Date.now() > deadline) {
      throw new Error(`expected ${locator} to show ${expected}, but it shows: ${JSON.stringify(last)}`);
    }
    await sleep(100);
  }
}

/** Waits until the locator matches exactly `n` elements. */
export async function expectCount(locator, n, { timeout = 10_000 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const count = await locator.count();
    if (count === n) return;
    if (Date.now() > deadline) {
      throw new Error(`expected ${n} element(s) for ${locator}, found ${count}`);
    }
    await sleep(100);
  }
}

/**
 * Steps of one scenario that build on each other: once one fails, the later ones are skipped
 * (reported as such) rather than failing with confusing follow-up errors.
 */
export function scenario(server, getContexts) {
  let broken = null;
  return (name, fn) => async (t) => {
    if (broken) {
      t.skip(`an earlier step failed: ${broken}`);
      return;
    }
    try {
      await withDiagnostics(server(), getContexts, name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60), fn)(t);
    } catch (e) {
      broken = name;
      throw e;
    }
  };
}

/**
 * One scenario's server with a company set up by `admin`, a browser, and the browser context
 * the current step works in (`suite.context`, closed after the last step): registers the
 * describe block's before and after hooks, and gives the scenario's `step`.
 */
export function companySuite(name, admin) {
  const suite = { server: null, browser: null, context: null };
  suite.step = scenario(() => suite.server, () => (suite.context ? [suite.context] : []));
  before(async () => {
    suite.server = await startMeridian(name);
    suite.browser = await launchBrowser();
    await setUpCompany(suite.browser, suite.server, admin);
  });
  after(async () => {
    await suite.context?.close();
    await suite.browser?.close();
    await suite.server?.stop();
  });
  return suite;
}

/** Switches the signed-in user to English where My day offers it (their choice is kept). */
export async function preferEnglish(page) {
  if (await page.locator('button[value=en]').count()) {
    await page.locator('button[value=en]').click();
    await page.waitForURL((u) => u.pathname === '/');
  }
}

/** Adds a user through the administrator's user page (`page` signed in as an administrator). */
export async function addUser(page, server, { email, name }, roleLabel = '销售代表') {
  await page.goto(`${server.url}/admin/users/new`);
  await page.locator('#f-email').fill(email);
  await page.locator('#f-name').fill(name);
  await page.locator('#f-password').fill(PASSWORD);
  await page.locator('#f-role_id').selectOption({ label: roleLabel });
  await page.locator('#save-user').click();
  await page.waitForURL((u) => u.pathname !== '/admin/users/new' && u.pathname.startsWith('/admin/users'));
}

/** The id in the URL of a record page of `plural` (e.g. "contacts"). */
export function recordId(page, plural) {
  const m = new URL(page.url()).pathname.match(new RegExp(`^/${plural}/([0-9a-f-]{36})$`));
  if (!m) throw new Error(`not on a ${plural} record page: ${page.url()}`);
  return m[1];
}

/**
 * Types `text` into the lookup search box of field `key` on a record form (#lk-<key>), waits
 * for the suggestions and picks the one whose text contains `label` (default: `text`).
 * Returns the picked id, which is then in the hidden #f-<key>.
 */
export async function pickLookup(page, key, text, label = text) {
  const box = page.locator(`#lk-${key}`);
  await box.fill('');
  await box.pressSequentially(text, { delay: 30 });
  const choice = page.locator(`#lr-${key} [data-pick-id]`).filter({ hasText: label }).first();
  await choice.waitFor({ state: 'visible', timeout: 10_000 });
  const id = await choice.getAttribute('data-pick-id');
  await choice.click();
  const deadline = Date.now() + 5_000;
  while ((await page.locator(`#f-${key}`).inputValue()) !== id) {
    if (Date.now() > deadline) throw new Error(`picking "${label}" did not fill #f-${key}`);
    await sleep(50);
  }
  return id;
}

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** Runs axe-core on the page; returns its critical and serious violations, readable. */
export async function blockingViolations(page) {
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) {
    await page.addScriptTag({ path: AXE });
  }
  const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return results.violations
    .filter((v) => ['critical', 'serious'].includes(v.impact))
    .map((v) => `${v.impact} ${v.id} (${v.help}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(', ')}`);
}
