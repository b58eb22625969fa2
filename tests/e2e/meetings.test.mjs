// End to end through the real window: the home screen of a manager and of a rep; a meeting
// whose agenda is built from the data, walked in present mode with the keyboard; a decision
// that proposes a change to the MQL definition, signed in the room by the marketing and the
// sales manager with their own passphrases; an action item; the meeting closed and its
// minutes saved; the next meeting's agenda carries the open action. Then the screens of the
// meeting photographed at 1920×1080 and 1280×720, light and dark, with no sideways clipping.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { Driver } from './webdriver.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const KEY = { right: '\uE014', left: '\uE012', pageDown: '\uE00F', pageUp: '\uE00E', escape: '\uE00C' };

let d;
before(async () => {
  d = await Driver.start();
});
after(async () => {
  await d?.stop();
});

/** Runs a test's steps; when one fails, the window as it was is kept for the report. */
const photographed = (fn) => async () => {
  try {
    await fn();
  } catch (e) {
    await d.screenshot(`failed-meetings-${Date.now()}`).catch(() => {});
    throw e;
  }
};

/** Presses one key, as a person or a presentation clicker does. */
const press = (key) => d.keys(key);

/** The element among those `selector` matches whose text contains `text`, and its text. */
async function withText(selector, text) {
  for (let i = 0; i < 100; i++) {
    for (const id of await d.findAll(selector)) {
      const t = await d.text(id);
      if (t.includes(text)) return { id, text: t };
    }
    await sleep(100);
  }
  throw new Error(`no ${selector} with "${text}"`);
}

async function clickText(selector, text) {
  const { id } = await withText(selector, text);
  await d.call('POST', d.s(`/element/${id}/click`), {});
}

async function clean(screen) {
  await sleep(300);
  const violations = await d.axe();
  assert.deepEqual(violations, [], `${screen}: ${JSON.stringify(violations, null, 1)}`);
}

/** How far the page, or any scrolling region in it, is wider than its box (0: nothing clips sideways). */
const sideways = () =>
  d.exec(`return Math.max(0, ...[document.documentElement, ...document.querySelectorAll('main, .content, [data-testid=present-mode] *')]
    .filter((e) => getComputedStyle(e).overflowX !== 'visible' || e === document.documentElement)
    .map((e) => e.scrollWidth - e.clientWidth))`);

const NEW_MQL =
  'Lead score of at least 65, a business email address, a company in a target industry with 50 or more employees, and a stated need.';

test('a meeting from the home screen to the minutes, with a decision signed in the room', photographed(async () => {
  // The window opens on the home screen: the team's numbers before anyone signs in.
  await d.waitFor('[data-testid="home-greeting"]', { text: 'How the funnel is doing' });
  await d.waitFor('[data-testid="home-funnel-rows"]');

  await d.unlock('Maya Okafor');
  await d.waitFor('[data-testid="home-greeting"]', { text: 'Maya' });
  await d.waitFor('[data-testid="home-awaiting"]', { text: 'Sales Accepted Lead' }).catch(() => {});
  await clean('home, marketing manager');

  await d.unlock('Sofia Marín');
  await d.waitFor('[data-testid="home-greeting"]', { text: 'Sofia' });
  await d.waitFor('[data-testid="home"][data-state="fresh"]');
  await d.waitFor('[data-testid="home-queue"]');
  await d.waitFor('[data-testid="home-my-overdue"]');
  // The content that fits her most pressing contacts: each contact named is one of hers
  // the screen lists as owed under an SLA or past their stage's time.
  await d.waitFor('[data-testid="home-content"]');
  const rep = await d.exec(`const names = (sel) => [...document.querySelectorAll(sel + ' li a')].map((a) => a.textContent.trim());
    return { content: names('[data-testid=home-content]'), pressing: [...names('[data-testid=home-my-overdue]'), ...names('[data-testid=home-sla-due]')] }`);
  assert.ok(rep.content.length > 0, 'a rep sees content for her open contacts');
  for (const who of rep.content) assert.ok(rep.pressing.includes(who), `${who} is one of ${rep.pressing.join(', ')}`);
  await clean('home, sales rep');

  // Maya prepares the meeting: its agenda comes from the data of the period.
  await d.unlock('Maya Okafor');
  await d.click('[data-testid="nav-meetings"]');
  await d.click('[data-testid="new-meeting"]');
  await d.type('[data-testid="meeting-title-input"]', 'November alignment');
  await d.click('[data-testid="meeting-create"]');
  await d.waitFor('[data-testid="page-title"]', { text: 'November alignment' });
  await clean('a meeting');
  const titles = [];
  for (const id of await d.findAll('[data-testid="agenda-title"]')) titles.push(await d.text(id));
  assert.ok(titles[0].startsWith('Funnel and conversion'), titles.join(' | '));
  assert.ok(titles.some((t) => t.startsWith('Rejected and recycled leads')), titles.join(' | '));
  assert.ok(titles.some((t) => t.startsWith('Awaiting sign-off')), titles.join(' | '));
  // The demo playbook has SLAs: each side's breaches come to the table.
  assert.ok(titles.some((t) => t.startsWith('SLA breaches by side: ')), titles.join(' | '));
  // The content library's gaps, stale assets and marketing's credit, with their evidence.
  assert.ok(titles.some((t) => t.startsWith('Content: ')), titles.join(' | '));
  // Versions by their names, never by the CLI's codes (stage/sal@2).
  assert.ok(titles.every((t) => !/\w+\/\w+@\d/.test(t)), titles.join(' | '));
  await clickText('[data-testid="agenda-title"]', 'Content: ');
  await d.waitFor('[data-testid="agenda-content"]');
  const evidence = await d.attribute('[data-testid="agenda-content"] ~ .evidence a', 'href');
  assert.ok(evidence.endsWith('#/content/health'), evidence);
  await clickText('[data-testid="agenda-title"]', 'Awaiting sign-off');
  const signoffs = await d.text(await d.waitFor('[data-testid="agenda-signoffs"]'));
  assert.ok(!/\w+\/\w+@\d/.test(signoffs) && / v\d/.test(signoffs), signoffs);
  const count = titles.length;

  // Present mode at projector size, walked with the arrows and a clicker's page keys.
  await d.resize(1920, 1080);
  await d.click('[data-testid="present"]');
  await d.waitFor('[data-testid="present-position"]', { text: `1 / ${count}` });
  await d.waitFor('[data-testid="present-title"]', { text: 'Funnel and conversion' });
  await clean('present mode');
  await press(KEY.right);
  await d.waitFor('[data-testid="present-position"]', { text: `2 / ${count}` });
  await press(KEY.pageDown);
  await d.waitFor('[data-testid="present-position"]', { text: `3 / ${count}` });
  await press(KEY.pageUp);
  await d.waitFor('[data-testid="present-position"]', { text: `2 / ${count}` });
  await d.waitFor('[data-testid="present-title"]', { text: 'Rejected and recycled leads' });

  // A decision against this item proposes a stricter MQL; both managers sign it here.
  await d.click('[data-testid="present-decide"]');
  await d.type('[data-testid="decision-text"]', 'Ask for a stated need before the MQL handover');
  await d.click('[data-testid="decision-propose"]');
  await d.choose('decision-item', 'Marketing Qualified Lead');
  await d.type('[data-testid="field-entry"]', NEW_MQL);
  await d.type('[data-testid="field-summary"]', 'Most rejections say the lead was not ready.');
  await d.click('[data-testid="submit-proposal"]');
  await d.waitFor('[data-testid="present-decision"]', { text: 'Ask for a stated need' });
  await d.waitFor('[data-testid="decision-version-status"]', { text: 'Awaiting sign-off' });
  // The room sees what it signs: the entry criteria, before and after.
  await d.waitFor('[data-testid="decision-changes"]', { text: NEW_MQL });

  await d.choose('sign-member', 'Maya Okafor');
  await d.type('[data-testid="sign-passphrase"]', 'playbook-demo');
  await d.click('[data-testid="sign-submit"]');
  await d.waitFor('[data-testid="decision-signed-by"]', { text: 'Maya Okafor' });

  // A wrong passphrase signs nothing; his own does.
  await d.choose('sign-member', 'Daniel Brooks');
  await d.type('[data-testid="sign-passphrase"]', 'not-his-passphrase');
  await d.click('[data-testid="sign-submit"]');
  await d.waitFor('[data-testid="sign-error"]', { text: 'the passphrase is wrong' });
  await d.choose('sign-member', 'Daniel Brooks');
  await d.type('[data-testid="sign-passphrase"]', 'playbook-demo');
  await d.click('[data-testid="sign-submit"]');
  await d.waitFor('[data-testid="decision-agreed"]', { text: 'Agreed in this meeting' });
  await d.waitFor('[data-testid="decision-signed-by"]', { text: 'Maya Okafor and Daniel Brooks' });
  await d.dismissToasts();
  await d.screenshot('14-present-decision-signed-1920x1080');

  await press(KEY.escape);
  await d.waitGone('[data-testid="present-mode"]');
  // Daniel's key was opened for his signature only: the window is still Maya's.
  await d.waitFor('[data-testid="identity-name"]', { text: 'Maya Okafor' });
  await d.resize(1280, 820);

  // An action item against the sources item, then the meeting is closed.
  await d.exec(`[...document.querySelectorAll('[data-testid=agenda-item]')]
    .find((li) => li.querySelector('[data-testid=agenda-title]').textContent.startsWith('Lead sources'))
    .querySelector('[data-testid=add-action]').click()`);
  await d.type('[data-testid="action-title"]', 'Review webinar lead quality with sales development');
  await d.choose('action-owner', 'Priya Raman');
  await d.setValue('action-due', '2030-01-15');
  await d.click('[data-testid="action-save"]');
  await d.waitFor('[data-testid="action"]', { text: 'Review webinar lead quality' });
  await d.click('[data-testid="close-meeting"]');
  await d.waitFor('[data-testid="meeting-status"]', { text: 'Closed' });

  // The minutes, as a printable page, and saved as Markdown.
  await d.click('[data-testid="open-minutes"]');
  await d.waitFor('[data-testid="minutes-decisions"]', { text: 'Marketing Qualified Lead v3' });
  await d.waitFor('[data-testid="minutes-decisions"]', { text: 'signed by Maya Okafor and Daniel Brooks' });
  await d.waitFor('[data-testid="minutes-actions"]', { text: 'Priya Raman' });
  await clean('minutes');
  await d.dismissToasts();
  await d.screenshot('14-minutes-screen');
  // As printed: the page's print stylesheet applied to the screen (the system print dialog
  // makes the PDF from the same rules).
  await d.exec(`for (const sheet of document.styleSheets) for (const rule of sheet.cssRules)
    if (rule instanceof CSSMediaRule && rule.media.mediaText.includes('print')) rule.media.appendMedium('screen');`);
  await d.resize(1000, 1300);
  await d.screenshot('14-minutes-printed');
  await d.exec(`for (const sheet of document.styleSheets) for (const rule of sheet.cssRules)
    if (rule instanceof CSSMediaRule && rule.media.mediaText.includes('print')) rule.media.deleteMedium('screen');`);
  await d.click('[data-testid="minutes-save-md"]');
  const saved = (await withText('[data-testid="toast"]', 'Saved the minutes')).text;
  const file = saved.slice(saved.indexOf('/')).split('\n')[0].replace(/×$/, '').trim();
  assert.ok(existsSync(file), `the minutes file ${file} exists`);
  const md = readFileSync(file, 'utf8');
  assert.ok(md.includes('# November alignment'), md);
  assert.ok(md.includes('**Decision:** Ask for a stated need before the MQL handover'), md);

  // The same database through the CLI: in force, and its history names the meeting.
  const mql = d.cli('agreements', 'show', 'stage/mql');
  assert.equal(mql.inForce.number, 3);
  assert.equal(mql.inForce.body.entryCriteria, NEW_MQL);
  const approvals = mql.inForce.log.filter((e) => e.action === 'approved');
  assert.deepEqual(
    approvals.map((e) => [e.memberName, e.comment.startsWith('Agreed in meeting “November alignment”')]),
    [
      ['Maya Okafor', true],
      ['Daniel Brooks', true],
    ],
  );

  // The next meeting's agenda carries the open action.
  await d.resize(1280, 820);
  await d.click('[data-testid="nav-meetings"]');
  await d.click('[data-testid="new-meeting"]');
  await d.type('[data-testid="meeting-title-input"]', 'December alignment');
  await d.click('[data-testid="meeting-create"]');
  await d.waitFor('[data-testid="page-title"]', { text: 'December alignment' });
  await clickText('[data-testid="agenda-title"]', 'Open actions from earlier meetings');
  await d.waitFor('[data-testid="agenda-carried-actions"]', { text: 'Review webinar lead quality' });
}));

test('screenshots: home, reports, an agenda and present mode at 1920×1080 and 1280×720, light and dark', photographed(async () => {
  const shots = [];
  const shot = async (name) => {
    await d.dismissToasts();
    const over = await sideways();
    assert.ok(over <= 0, `${name}: something is ${over}px wider than its box`);
    await d.screenshot(name);
    shots.push(name);
  };
  for (const [w, h] of [
    [1920, 1080],
    [1280, 720],
  ]) {
    for (const theme of ['Light', 'Dark']) {
      const tag = `${w}x${h}-${theme.toLowerCase()}`;
      await d.resize(w, h);
      await d.choose('theme', theme);
      await d.unlock('Maya Okafor');
      await d.click('[data-testid="nav-home"]');
      await d.waitFor('[data-testid="home-greeting"]', { text: 'Maya' });
      await d.waitFor('[data-testid="home"][data-state="fresh"] [data-testid="home-funnel-rows"]');
      await d.waitFor('[data-testid="home-sla"]');
      await shot(`14-home-manager-${tag}`);

      await d.unlock('Sofia Marín');
      await d.waitFor('[data-testid="home-greeting"]', { text: 'Sofia' });
      await d.waitFor('[data-testid="home"][data-state="fresh"]');
      await d.waitFor('[data-testid="leads-total"]');
      await d.waitFor('[data-testid="home-content"]');
      await shot(`14-home-rep-${tag}`);

      await d.unlock('Maya Okafor');
      await d.click('[data-testid="nav-reports"]');
      await d.waitFor('[data-testid="frame-funnel"]');
      await shot(`14-reports-funnel-${tag}`);
      await d.click('[data-testid="report-tab-reasons"]');
      await d.waitFor('[data-testid="frame-reasons"]');
      await shot(`14-reports-reasons-${tag}`);

      await d.click('[data-testid="nav-meetings"]');
      await clickText('[data-testid="meeting-row"]', 'December alignment');
      await d.waitFor('[data-testid="page-title"]', { text: 'December alignment' });
      await clickText('[data-testid="agenda-title"]', 'Rejected and recycled leads');
      await d.waitFor('[data-testid="agenda-facts"]');
      await shot(`14-meeting-agenda-${tag}`);
      await clickText('[data-testid="agenda-title"]', 'Content: ');
      await d.waitFor('[data-testid="agenda-content"]');
      // The item's facts, not the items above it: scrolled as a person would.
      await d.exec(`document.querySelector('[data-testid=agenda-content]').scrollIntoView({ block: 'center' })`);
      await sleep(200);
      await shot(`14-meeting-agenda-content-${tag}`);

      await d.click('[data-testid="present"]');
      await d.waitFor('[data-testid="present-title"]', { text: 'Funnel and conversion' });
      await shot(`14-present-funnel-${tag}`);
      await press(KEY.right);
      await d.waitFor('[data-testid="present-title"]', { text: 'Rejected and recycled leads' });
      await shot(`14-present-reasons-${tag}`);
      await press(KEY.right);
      await d.waitFor('[data-testid="present-title"]', { text: 'SLA breaches by side' });
      await d.waitFor('[data-testid="agenda-sla-side"]');
      await shot(`14-present-sla-${tag}`);
      await press(KEY.escape);
      await d.waitGone('[data-testid="present-mode"]');
    }
  }
  await d.choose('theme', 'System theme');
  assert.equal(shots.length, 36);
}));
