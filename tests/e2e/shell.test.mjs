// End to end through the real window: axe-core finds no serious or critical problem on any
// screen (light and dark, presentation scale); the skip link, Escape, the command palette
// and Ctrl +/−/0 work from the keyboard; the scale is kept across restarts; every screen is
// photographed at 1366×768 and 1920×1080.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Driver } from './webdriver.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let d;
before(async () => {
  d = await Driver.start();
  await d.resize(1366, 768);
});
after(async () => {
  await d?.stop();
});

async function clean(screen) {
  await sleep(500);
  const violations = await d.axe();
  assert.deepEqual(violations, [], `${screen}: ${JSON.stringify(violations, null, 1)}`);
}

const activeText = () => d.exec('return (document.activeElement?.textContent ?? "").trim()');
const activeTestId = () => d.exec('return document.activeElement?.dataset?.testid ?? document.activeElement?.id ?? ""');

test('every screen passes axe-core, signed out and signed in', async () => {
  // The window opens on the home screen.
  await d.waitFor('[data-testid="home-funnel-rows"]');
  await clean('home, nobody signed in');
  await d.click('[data-testid="nav-reports"]');
  await d.waitFor('[data-testid="frame-funnel"]');
  await clean('reports');
  await d.click('[data-testid="nav-meetings"]');
  await d.waitFor('[data-testid="meetings-sign-in"]');
  await clean('meetings, nobody signed in');
  await d.click('[data-testid="nav-playbook"]');
  await d.waitFor('[data-testid="item-stage-mql"]');
  await clean('playbook');
  await d.click('[data-testid="nav-queue"]');
  await d.waitFor('[data-testid="queue-signed-out"]');
  await clean('queue, nobody signed in');
  await d.screenshot('20-queue-who-are-you');

  await d.unlock('Maya Okafor');
  await d.click('[data-testid="nav-home"]');
  await d.waitFor('[data-testid="home-greeting"]', { text: 'Maya' });
  await clean('home, marketing manager');
  await d.click('[data-testid="nav-queue"]');
  await d.waitFor('[data-testid="queue-tab-rejection_review"]');
  await clean('queue, marketing manager');
  await d.click('[data-testid="queue-tab-rejection_review"]');
  await d.waitFor('[data-testid="leads-total"]');
  await d.screenshot('21-queue-marketing-manager');

  await d.click('[data-testid="nav-leads"]');
  await d.waitFor('[data-testid="lead-row"]');
  await clean('leads');
  await d.click('[data-testid="lead-row"]');
  await d.waitFor('[data-testid="contact-page"]');
  await clean('contact');
  await d.click('[data-testid="account-link"]');
  await d.waitFor('[data-testid="person"]');
  await clean('account');
  await d.click('[data-testid="nav-import"]');
  await d.waitFor('[data-testid="import-file"]');
  await clean('import');
  await d.click('[data-testid="nav-team"]');
  await d.waitFor('[data-testid="member"]');
  await clean('team');
  await d.click('[data-testid="nav-playbook"]');
  await d.click('[data-testid="item-stage-mql"]');
  await d.click('[data-testid="propose-change"]');
  await d.waitFor('[data-testid="impact"]');
  await clean('propose form');
  await d.keys('\uE00C'); // Escape closes the form, focus returns to its button
  await d.waitGone('[data-testid="propose-form"]');
  assert.equal(await activeTestId(), 'propose-change');

  await d.click('[data-testid="theme"]');
  await d.choose('theme', 'Dark');
  await sleep(300);
  await clean('playbook, dark');
  await d.click('[data-testid="nav-leads"]');
  await d.waitFor('[data-testid="lead-row"]');
  await clean('leads, dark');
  await d.choose('theme', 'System theme');
});

test('keyboard: skip link, the command palette, Escape, focus after opening a lead', async () => {
  await d.click('[data-testid="nav-playbook"]');
  await d.waitFor('[data-testid="item-stage-mql"]');
  await d.exec('document.activeElement?.blur(); document.body.focus();');
  await d.keys('\uE004'); // Tab: the skip link comes first
  assert.equal(await activeText(), 'Skip to content');
  await d.keys('\uE007'); // Enter
  assert.equal(await d.exec('return document.activeElement?.id'), 'content');

  await d.keys('\uE009', 'k'); // Ctrl+K
  await d.waitFor('dialog[open] [data-testid="palette-input"]');
  await clean('command palette');
  await d.keys('\uE00C'); // Escape closes it
  await d.waitGone('dialog[open][data-testid="palette"]');

  // Jump to a contact by part of the name, accents ignored.
  const name = await d.cli('contacts', 'list', '--limit', '1')[0].name;
  await d.keys('\uE009', 'k');
  await d.type('[data-testid="palette-input"]', name.normalize('NFD').replace(/\p{M}/gu, ''));
  await d.waitFor('[data-testid="palette-hit"]', { text: name });
  await d.exec(`[...document.querySelectorAll('[data-testid=palette-hit]')].find((h) => h.textContent.includes(${JSON.stringify(name)})).click()`);
  await d.waitFor('[data-testid="page-title"]', { text: name });
  assert.equal(await activeTestId(), 'page-title', 'a new page starts at its heading');
});

test('presentation scale: Ctrl + grows every control with the text and is kept across restarts', async () => {
  const size = () => d.exec('return parseFloat(getComputedStyle(document.documentElement).fontSize)');
  const buttonHeight = () => d.exec('return document.querySelector("[data-testid=scale-up]").getBoundingClientRect().height');
  const [before, beforeButton] = [await size(), await buttonHeight()];
  await d.keys('\uE009', '=');
  await d.keys('\uE009', '=');
  await d.waitFor('[data-testid="scale-reset"]', { text: '125%' });
  assert.ok((await size()) > before * 1.2, 'the text grows');
  assert.ok((await buttonHeight()) > beforeButton * 1.15, 'and the controls with it');
  await d.click('[data-testid="nav-leads"]');
  await d.waitFor('[data-testid="lead-row"]');
  await clean('leads at 125%');

  // The next window opens the same data directory, and removes it when it stops.
  const dataDir = d.dataDir;
  d.owned = false;
  await d.stop();
  d = await Driver.start({ dataDir });
  d.owned = true;
  await d.waitFor('[data-testid="scale-reset"]', { text: '125%' });
  await d.keys('\uE009', '0');
  await d.waitFor('[data-testid="scale-reset"]', { text: '100%' });
});

test('screenshots at 1366×768 and 1920×1080, light and dark, and at presentation scale', async () => {
  await d.click('[data-testid="nav-home"]');
  await d.waitFor('[data-testid="home-funnel-rows"]');
  await d.unlock('Daniel Brooks');
  const shots = [
    { w: 1366, h: 768, theme: 'Light', scale: 0 },
    { w: 1920, h: 1080, theme: 'Dark', scale: 0 },
    { w: 1920, h: 1080, theme: 'Light', scale: 3 },
    { w: 1366, h: 768, theme: 'Dark', scale: 2 },
  ];
  for (const s of shots) {
    await d.resize(s.w, s.h);
    await d.choose('theme', s.theme);
    await d.keys('\uE009', '0');
    for (let i = 0; i < s.scale; i++) await d.keys('\uE009', '=');
    const tag = `${s.w}x${s.h}-${s.theme.toLowerCase()}${s.scale ? '-scaled' : ''}`;
    await d.click('[data-testid="nav-playbook"]');
    await d.click('[data-testid="item-stage-mql"]');
    await d.waitFor('[data-testid="item-title"]');
    await d.screenshot(`30-playbook-${tag}`);
    await d.click('[data-testid="nav-leads"]');
    await d.waitFor('[data-testid="lead-row"]');
    await d.screenshot(`31-leads-${tag}`);
    await d.click('[data-testid="lead-row"]');
    await d.waitFor('[data-testid="contact-page"]');
    await d.screenshot(`32-contact-${tag}`);
    await d.click('[data-testid="nav-queue"]');
    await d.waitFor('[data-testid="leads-total"]');
    await d.screenshot(`33-queue-${tag}`);
    // Nothing clips sideways: no region is wider than the window.
    const overflow = await d.exec('return document.documentElement.scrollWidth - document.documentElement.clientWidth');
    assert.ok(overflow <= 0, `${tag}: the page scrolls sideways by ${overflow}px`);
  }
  await d.resize(900, 700);
  await d.keys('\uE009', '0');
  await d.click('[data-testid="nav-leads"]');
  await d.waitFor('[data-testid="lead-row"]');
  await d.screenshot('34-leads-900px');
  await clean('leads at 900 px');
  await d.choose('theme', 'System theme');
});
