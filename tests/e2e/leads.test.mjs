// End to end through the real window: a sales rep finds a lead handed to her, rejects it
// with an agreed reason, and sees the rejection in the contact's timeline.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Driver } from './webdriver.mjs';

let d;
before(async () => {
  d = await Driver.start();
});
after(async () => {
  await d?.stop();
});

test('a rep rejects a handed-over lead with a reason and sees it in the timeline', async () => {
  // The window opens on the home screen; the playbook is one click away.
  await d.click('[data-testid="nav-playbook"]');
  await d.waitFor('[data-testid="item-stage-mql"]');
  await d.unlock('Sofia Marín');

  await d.click('[data-testid="nav-leads"]');
  await d.waitFor('[data-testid="lead-row"]');
  await d.waitFor('[data-testid="leads-total"]', { text: '240 leads' });
  await d.screenshot('05-leads-list');

  await d.click('[data-testid="nav-queue"]');
  // The leads list's rows stay in the page until the queue replaces them: wait for it.
  await d.waitFor('[data-testid="queue-tab-response"]');
  await d.click('[data-testid="lead-row"]');
  await d.waitFor('[data-testid="contact-stage"]', { text: 'Marketing Qualified Lead' });
  const contactId = await d.attribute('[data-testid="contact-page"]', 'data-id');

  await d.click('[data-testid="action-rejected"]');
  await d.choose('action-reason', 'No budget');
  await d.type('[data-testid="action-note"]', 'Budget frozen until the next fiscal year');
  await d.click('[data-testid="action-submit"]');

  await d.waitFor('[data-testid="contact-stage"]', { text: 'Nurture' });
  const first = await d.textOf('[data-testid="timeline-event"]');
  assert.match(first, /Rejected/);
  assert.match(first, /No budget/);
  assert.match(first, /Budget frozen until the next fiscal year/);
  assert.match(first, /Sofia Marín/);
  await d.screenshot('06-contact-page');

  // The log, read by the CLI from the same database, has the event with its reason.
  const detail = d.cli('contacts', 'show', contactId);
  assert.equal(detail.contact.stage, 'nurture');
  assert.equal(detail.events[0].kind, 'rejected');
  assert.equal(detail.events[0].reason, 'no_budget');
  assert.match(detail.events[0].playbook, /reason\/no_budget@1/);
  assert.equal(detail.events[0].status, 'applied', 'her signature verifies');

  await d.click('[data-testid="account-link"]');
  await d.waitFor('[data-testid="person"]');
  const people = await d.findAll('[data-testid="person"]');
  assert.ok(people.length >= 4, `a buying team has 4 or more people, saw ${people.length}`);
  await d.screenshot('07-people-map');
});
