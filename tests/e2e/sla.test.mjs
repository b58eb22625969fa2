// End to end through the real window: the SLA scorecard with both sides' commitments, its
// trend as a chart and as a table, a breach that opens the contact's timeline, and a rep's
// queue showing what she owes with the time left counting down. Light and dark screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Driver } from './webdriver.mjs';

let d;
/** Scrolls the element `selector` to the top of the window. */
const scrollTo = (driver, selector) =>
  driver.call('POST', driver.s('/execute/sync'), {
    script: 'document.querySelector(arguments[0]).scrollIntoView({ block: "start" }); return true;',
    args: [selector],
  });
before(async () => {
  d = await Driver.start();
});
after(async () => {
  await d?.stop();
});

test('the scorecard shows both sides, its trend as a table, and a breach opens the timeline', async () => {
  // The window opens on the home screen; the playbook is one click away.
  await d.click('[data-testid="nav-playbook"]');
  await d.waitFor('[data-testid="item-stage-mql"]');
  await d.click('[data-testid="nav-slas"]');
  await d.waitFor('[data-testid="sla-scorecard"]', { timeout: 20000 });
  const marketing = await d.textOf('[data-testid="sla-side-marketing"]');
  const sales = await d.textOf('[data-testid="sla-side-sales"]');
  assert.match(marketing, /MQL volume/);
  assert.match(marketing, /MQL acceptance rate/);
  assert.match(sales, /MQL response time/);
  assert.match(sales, /First touch/);

  // The window's figures are the CLI's: the same log, the same rules.
  const report = d.cli('sla', 'report');
  const response = report.slas.find((s) => s.key === 'mql_response');
  const row = await d.textOf('[data-testid="sla-row"][data-key="mql_response"]');
  assert.match(row, new RegExp(`${response.met} met · ${response.breached} breached`));
  await d.screenshot('40-sla-scorecard');

  await d.click('[data-testid="trend-table"]');
  const table = await d.textOf('[data-testid="trend-rows"]');
  assert.match(table, /\d{4}-W\d{2}/, 'weeks as rows');
  await d.click('[data-testid="trend-chart"]');
  await d.waitFor('[data-testid="sla-trend"] svg');
  await scrollTo(d, '[data-testid="sla-trend"]');
  await d.screenshot('40-sla-trend-and-breaches');

  const breaches = await d.textOf('[data-testid="sla-breaches"]');
  assert.match(breaches, /Breaches \d+/);
  // Each breach says what happened against what was agreed.
  const why = await d.textOf('[data-testid="breach-why"]');
  assert.match(why, /(after|past|within) the \d+ business (hours?|days?) agreed|fewer than the \d+ attempts agreed|without an agreed reason/, why);
  await d.click('[data-testid="breach-open"]');
  await d.waitFor('[data-testid="timeline-event"]');
  await scrollTo(d, '[data-testid="timeline"]');
  const contactId = await d.attribute('[data-testid="contact-page"]', 'data-id');
  const breached = report.slas.flatMap((s) => s.items).filter((i) => i.status === 'breached');
  assert.ok(
    breached.some((i) => i.contactId === contactId),
    'the contact opened from the breach list has a breached item in the CLI report',
  );
  await d.screenshot('41-breach-timeline');
});

test('a rep sees what she owes with the time left counting down', async () => {
  // Marketing hands a new lead to Sofia: she owes a response within 8 business hours.
  const [lead] = d.cli('contacts', 'list', '--stage', 'inquiry', '--limit', '1');
  assert.ok(lead, 'the demo has a lead in the first stage');
  const id = lead.id;
  d.cli('handoff', id, 'hand-over', '--to', 'sofia.marin@larkspur.example', '--as', 'priya.raman@larkspur.example');

  await d.unlock('Sofia Marín');
  await d.click('[data-testid="nav-queue"]');
  const item = await d.waitFor('[data-testid="due-item"]', { text: lead.name, timeout: 15000 });
  assert.match(await d.text(item), /MQL response time/);
  const first = Number(await d.attribute('[data-testid="due-left"]', 'data-seconds-left'));
  await new Promise((r) => setTimeout(r, 2200));
  const later = Number(await d.attribute('[data-testid="due-left"]', 'data-seconds-left'));
  assert.ok(first > 0 && later < first, `the time left counts down (${first} s, then ${later} s)`);
  await d.screenshot('42-due-soon');
});

test('the scorecard in the dark', async () => {
  const dark = await Driver.start({ env: { GTK_THEME: 'Adwaita:dark' } });
  try {
    await dark.click('[data-testid="nav-playbook"]');
    await dark.waitFor('[data-testid="item-stage-mql"]');
    await dark.click('[data-testid="nav-slas"]');
    await dark.waitFor('[data-testid="sla-scorecard"]', { timeout: 20000 });
    await dark.waitFor('[data-testid="sla-trend"] svg');
    await dark.screenshot('43-sla-scorecard-dark');
    await scrollTo(dark, '[data-testid="sla-trend"]');
    await dark.screenshot('43-sla-trend-dark');
  } finally {
    await dark.stop();
  }
});
