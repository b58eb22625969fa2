// End to end through the real window: propose a change to the MQL definition, have a
// marketing manager and a sales manager approve it, and see it in force.
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

const NEW_MQL =
  'Lead score of at least 65, a business email address, a company in a target industry with 50 or more employees, and a stated need.';

test('a change to the MQL definition is proposed, signed by both sides and in force', async () => {
  // First start on an empty data directory: the demo workspace is there.
  await d.waitFor('[data-testid="item-stage-mql"]');
  await d.screenshot('01-playbook');

  await d.choose('identity', 'Maya Okafor');
  await d.click('[data-testid="item-stage-mql"]');
  await d.waitFor('[data-testid="item-title"]', { text: 'Marketing Qualified Lead' });
  await d.click('[data-testid="propose-change"]');
  await d.type('[data-testid="field-entry"]', NEW_MQL);
  await d.type('[data-testid="field-summary"]', 'Sales asked for a stated need before handover.');
  await d.click('[data-testid="submit-proposal"]');

  await d.waitFor('[data-testid="pending-version"]', { text: 'v3 awaiting sign-off' });
  await d.waitFor('[data-testid="diff"]', { text: 'stated need' });
  await d.click('[data-testid="approve"]');
  await d.waitFor('[data-testid="pending-version"]', { text: 'Awaiting Sales manager' });
  await d.waitFor('[data-testid="sign-blocker"]', { text: 'You have signed' });
  await d.screenshot('02-awaiting-sales');

  // A sales rep may not sign; the button explains why.
  await d.choose('identity', 'Sofia Marín');
  await d.waitFor('[data-testid="sign-blocker"]', { text: 'Only managers' });

  await d.choose('identity', 'Daniel Brooks');
  // A sales manager can: the explanation goes away.
  await d.waitGone('[data-testid="sign-blocker"]');
  await d.click('[data-testid="approve"]');
  await d.waitFor('[data-testid="in-force"]', { text: 'In force: v3' });
  assert.equal(await d.textOf('[data-testid="entry-criteria"]'), NEW_MQL);
  await d.waitFor('[data-testid="item-stage-mql"]', { text: 'v3 in force' });
  await d.screenshot('03-in-force');

  // The same database, read by the CLI, agrees.
  const mql = d.cli('agreements', 'show', 'stage/mql');
  assert.equal(mql.inForce.number, 3);
  assert.equal(mql.inForce.body.entryCriteria, NEW_MQL);
  assert.deepEqual(
    mql.inForce.log.map((e) => [e.action, e.memberName]),
    [
      ['proposed', 'Maya Okafor'],
      ['approved', 'Maya Okafor'],
      ['approved', 'Daniel Brooks'],
      ['agreed', null],
    ],
  );
});

test('the team view lists both sides', async () => {
  await d.click('[data-testid="nav-team"]');
  const members = await d.findAll('[data-testid="member"]');
  assert.equal(members.length, 7);
  await d.screenshot('04-team');
});
