// End to end through the real window: a marketing manager proves who she is with her
// passphrase, proposes a change to the MQL definition and signs it; a sales rep cannot
// sign; a sales manager signs with his passphrase on the same laptop, and it is in force.
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
  // The window opens on the home screen; the playbook is one click away.
  await d.click('[data-testid="nav-playbook"]');
  await d.waitFor('[data-testid="item-stage-mql"]');
  await d.screenshot('01-playbook');

  // Locked, nobody can sign.
  await d.click('[data-testid="item-stage-mql"]');
  await d.waitFor('[data-testid="item-title"]', { text: 'Marketing Qualified Lead' });

  // A wrong passphrase is refused in the dialog, and nothing opens.
  await d.click('[data-testid="unlock-open"]');
  await d.waitFor('dialog[open] [data-testid="unlock-member"]');
  await d.choose('unlock-member', 'Maya Okafor');
  await d.type('[data-testid="unlock-passphrase"]', 'not-her-passphrase');
  await d.click('[data-testid="unlock-submit"]');
  await d.waitFor('[data-testid="unlock-error"]', { text: 'the passphrase is wrong' });
  await d.screenshot('00-unlock-refused');
  await d.type('[data-testid="unlock-passphrase"]', 'playbook-demo');
  await d.click('[data-testid="unlock-submit"]');
  await d.waitFor('[data-testid="identity-name"]', { text: 'Maya Okafor' });

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
  await d.waitFor('[data-testid="sign-blocker"]', { text: 'has already signed' });
  await d.screenshot('02-awaiting-sales');

  // A sales rep may not sign: the backend says why, and the window shows it.
  await d.unlock('Sofia Marín');
  await d.click('[data-testid="item-stage-mql"]');
  await d.waitFor('[data-testid="sign-blocker"]', { text: 'only managers sign off' });
  assert.equal(await d.attribute('[data-testid="approve"]', 'disabled'), 'true');

  // The sales manager signs with his own passphrase on the same laptop.
  await d.unlock('Daniel Brooks');
  await d.click('[data-testid="item-stage-mql"]');
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
    ],
  );
  assert.ok(
    mql.inForce.log.every((e) => e.problem === null),
    'every signature verifies',
  );
});

test('the team view lists both sides', async () => {
  await d.click('[data-testid="nav-team"]');
  const members = await d.findAll('[data-testid="member"]');
  assert.equal(members.length, 7);
  await d.screenshot('04-team');
});
