// End to end through the real window on a generated workspace of 100,240 contacts: the list
// keeps fewer than 100 rows in the page wherever it is scrolled; filters, sort, selection
// and scroll come back exactly with Back (Alt+←); search finds full names, names typed
// without their accents and any word of a company name.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { APP, Driver, tempDir } from './webdriver.mjs';

const CONTACTS = 100_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let d;

before(async () => {
  const dataDir = tempDir('playbook-e2e-big-');
  const env = { ...process.env, PLAYBOOK_PASSPHRASE: 'playbook-demo' };
  execFileSync(APP, ['--data-dir', dataDir, 'demo'], { env, stdio: 'ignore' });
  execFileSync(APP, ['--data-dir', dataDir, 'generate', '--contacts', String(CONTACTS), '--as', 'tom.lindqvist@larkspur.example'], {
    env,
    stdio: 'ignore',
  });
  d = await Driver.start({ dataDir });
});
after(async () => {
  // The generated workspace (1.5 GB at 100k contacts) is removed with the process's
  // temporary directories.
  await d?.stop();
});

/** Waits until `fn` (run in the test) returns something truthy. */
async function until(fn, what, timeout = 20000) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const rowsInPage = () => d.exec('return document.querySelectorAll("[data-testid=leads-list] [role=row]").length');
const loadedRows = () =>
  d.exec(`return [...document.querySelectorAll('[data-testid=leads-list] [role=row]')]
    .filter((r) => r.querySelector('[data-testid=lead-row]'))
    .map((r) => ({ index: Number(r.getAttribute('aria-rowindex')), id: r.dataset.rowId, name: r.querySelector('[data-testid=lead-row]').textContent,
                   account: r.querySelector('.c-account')?.textContent ?? '', top: r.offsetTop }))`);
const scrollTop = () => d.exec('return document.querySelector("[data-testid=leads-list]").scrollTop');
const total = () => d.textOf('[data-testid="leads-total"]');

test('at 100k leads the list keeps fewer than 100 rows in the page, wherever it is scrolled', async () => {
  await d.waitFor('[data-testid="nav-leads"]');
  await d.click('[data-testid="nav-leads"]');
  // The count, however the platform's locale groups its digits.
  await until(async () => (await total()).replace(/\D/g, '') === String(CONTACTS + 240), 'the count of 100,240 leads', 30000);
  await d.waitFor('[data-testid="lead-row"]');
  assert.ok((await rowsInPage()) < 100, `rows in the page: ${await rowsInPage()}`);
  assert.equal(await d.attribute('[data-testid="leads-table"]', 'aria-rowcount'), String(CONTACTS + 241));

  // The middle of the list: its rows are fetched after their anchor and shown.
  await d.exec(`const v = document.querySelector('[data-testid=leads-list]');
                v.scrollTop = v.scrollHeight / 2; v.dispatchEvent(new Event('scroll'));`);
  const middle = await until(async () => {
    const rows = await loadedRows();
    return rows.length > 5 && rows.every((r) => r.index > 40_000) ? rows : null;
  }, 'the middle of the list to load');
  assert.ok(middle[0].index > 45_000 && middle[0].index < 56_000, `row ${middle[0].index} is in the middle`);
  assert.ok((await rowsInPage()) < 100, `rows in the page: ${await rowsInPage()}`);
  // And the very end.
  await d.exec(`const v = document.querySelector('[data-testid=leads-list]');
                v.scrollTop = v.scrollHeight; v.dispatchEvent(new Event('scroll'));`);
  const end = await until(async () => {
    const rows = await loadedRows();
    return rows.some((r) => r.index === CONTACTS + 241) ? rows : null;
  }, 'the last row to load');
  assert.ok(end.length < 100);
  await d.screenshot('10-leads-100k');
});

test('Back returns to the filters, sort, scroll and selection the list was left with', async () => {
  await d.choose('filter-stage', 'Nurture');
  await d.click('[data-testid="sort-name"]');
  await until(async () => (await d.attribute('[role=columnheader][aria-sort]', 'aria-sort')) === 'ascending', 'the name sort');
  await until(async () => !(await total()).startsWith('Loading') && (await total()).replace(/\D/g, '') !== String(CONTACTS + 240), 'the filtered count');
  const filtered = await total();
  await d.exec(`const v = document.querySelector('[data-testid=leads-list]');
                v.scrollTop = 4000; v.dispatchEvent(new Event('scroll'));`);
  const rows = await until(async () => {
    const top = await scrollTop();
    const r = (await loadedRows()).filter((x) => x.top >= top);
    return r.length > 3 ? r : null;
  }, 'rows at 4000 px');
  const left = await scrollTop();
  const chosen = rows[2];
  await d.exec(`document.querySelector('[data-row-id="${chosen.id}"] [data-testid=lead-row]').click()`);
  await d.waitFor('[data-testid="contact-page"]');
  await d.waitFor('[data-testid="page-title"]', { text: chosen.name });
  const crumbs = await d.textOf('nav[aria-label="Breadcrumb"]');
  assert.match(crumbs, /Leads/);
  assert.match(await d.exec('return document.title'), new RegExp(chosen.name));

  // Alt+← : back to the list as it was.
  await d.keys('\uE00A', '\uE012');
  await d.waitFor('[data-testid="leads-table"]');
  await d.waitFor('[data-testid="leads-total"]', { text: filtered });
  assert.equal(await d.exec('return document.querySelector("[data-testid=filter-stage]").value'), 'nurture');
  assert.equal(await d.attribute('[role=columnheader][aria-sort]', 'aria-sort'), 'ascending');
  await until(async () => Math.abs((await scrollTop()) - left) <= 2, `scroll back at ${left} (is ${await scrollTop()})`);
  const focused = await until(
    () => d.exec('return document.activeElement?.closest("[data-row-id]")?.dataset.rowId ?? null'),
    'the row that was opened to have the focus',
  );
  assert.equal(focused, chosen.id);
  assert.equal(await d.attribute(`[data-row-id="${chosen.id}"]`, 'aria-current'), 'true');
  assert.deepEqual(await d.axe(), [], 'the list as Back left it passes axe-core');
});

test('search finds full names, names typed without accents and any word of a company', async () => {
  await d.choose('filter-stage', 'All stages');
  const search = async (text) => {
    await d.type('[data-testid="filter-search"]', text);
    // The search is in the URL once typed (after a short pause); only then are the rows
    // shown its answer, not the list before it (a slow answer was read as the result).
    await until(
      async () => (await d.exec(`return new URLSearchParams(location.hash.split('?')[1] ?? '').get('q')`)) === text,
      `the search ${text} in the URL`,
    );
    await until(async () => {
      const rows = await loadedRows();
      return !(await total()).startsWith('Loading') && rows.length > 0 ? rows : null;
    }, `results for ${text}`);
    await sleep(300);
    return loadedRows();
  };
  const liam = await search('Liam Hughes');
  assert.match(liam[0].name, /^Liam Hughes/, 'the full name comes first');
  const muller = await search('muller');
  assert.ok(muller.slice(0, 5).every((r) => /Müller/.test(r.name)), JSON.stringify(muller.slice(0, 5)));
  const analytics = await search('analytics');
  assert.ok(analytics.slice(0, 5).every((r) => /Analytics/.test(r.account)), JSON.stringify(analytics.slice(0, 5)));
  assert.equal(await d.exec('return document.querySelector("[data-testid=filter-sort]").value'), 'best_match');
  // Within one stage too, ranked (the full-text matches lead the query, not the stage).
  await d.choose('filter-stage', 'Nurture');
  const inStage = await search('hughes');
  assert.ok(inStage.slice(0, 5).every((r) => /Hughes/.test(r.name)), JSON.stringify(inStage.slice(0, 5)));
  await d.choose('filter-stage', 'All stages');
  await d.screenshot('11-search-accents');
  await d.type('[data-testid="filter-search"]', '');
});
