// End to end through the real window: a marketing manager edits the scoring model — the
// backend says what to fix in words, beside the field — sees which contacts would cross or
// fall below the MQL line before proposing, schedules it for a later date, and once a sales
// manager signs it shows "takes force on" with that date. Focus follows each action.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Driver } from './webdriver.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let d;
before(async () => {
  d = await Driver.start();
});
after(async () => {
  await d?.stop();
});

const active = () => d.exec('return document.activeElement?.dataset?.testid ?? document.activeElement?.tagName');

test('the scoring editor checks in words, previews the impact and schedules a version', async () => {
  await d.click('[data-testid="nav-playbook"]');
  await d.waitFor('[data-testid="item-stage-mql"]');
  await d.unlock('Maya Okafor');
  await d.click('[data-testid="tab-scoring"]');
  await d.click('[data-testid="item-scoring-default"]');
  await d.waitFor('[data-testid="item-title"]', { text: 'Lead scoring model' });
  await d.click('[data-testid="propose-change"]');
  await d.waitFor('[data-testid="fit-rules"]');

  // Lowering the threshold: the backend lists who would reach the MQL line.
  await d.type('[data-testid="field-threshold"]', '30');
  await d.waitFor('[data-testid="impact-summary"]', { text: 'to 30 points' });
  const crossing = Number((await d.textOf('[data-testid="impact-crossing"]')).replace(/,/g, ''));
  assert.ok(crossing > 0, `some contacts reach the line at 30: ${crossing}`);
  assert.equal(await d.textOf('[data-testid="impact-falling"]'), '0');

  // A rule without a name and a numeric test on text: every problem at once, in words.
  const label = await d.exec('return document.querySelector("[data-testid=fit-label-0]").value');
  await d.exec(`const v = document.querySelector('[data-testid=fit-label-0]');
                v.value = ''; v.dispatchEvent(new Event('input', { bubbles: true }));`);
  await d.click('[data-testid="add-fit-rule"]');
  await d.exec(`const v = document.querySelector('[data-testid=fit-value-${await d.exec('return document.querySelectorAll("[data-testid^=fit-label-]").length - 1')}]');
                v.value = ''; v.dispatchEvent(new Event('input', { bubbles: true }));`);
  await sleep(400);
  await d.click('[data-testid="submit-proposal"]');
  const problems = await d.textOf('[data-testid="form-problems"]');
  assert.match(problems, /Fit rule 1: give it a name/);
  assert.match(problems, /Fit rule \d+: give it a name/);
  assert.doesNotMatch(problems, /fitRules|mqlThreshold|\[\d\]/, 'no developer field names');
  assert.equal(await d.attribute('[data-testid="fit-label-0"]', 'aria-invalid'), 'true');
  assert.equal(await active(), 'fit-label-0', 'focus moves to the first field to fix');
  await d.screenshot('12-scoring-editor-problems');

  // Fixed, dated, proposed.
  await d.type('[data-testid="fit-label-0"]', label);
  await d.exec(`document.querySelectorAll('[aria-label^="Remove fit rule"]')[document.querySelectorAll('[aria-label^="Remove fit rule"]').length - 1].click()`);
  await d.exec(`const v = document.querySelector('[data-testid=field-effective]');
                v.value = '2027-03-15'; v.dispatchEvent(new Event('input', { bubbles: true })); v.dispatchEvent(new Event('change', { bubbles: true }));`);
  await d.type('[data-testid="field-summary"]', 'More leads for the spring campaign.');
  await sleep(400);
  await d.screenshot('13-scoring-impact');
  await d.click('[data-testid="submit-proposal"]');
  await d.waitFor('[data-testid="pending-version"]', { text: 'awaiting sign-off' });
  assert.equal(await active(), 'item-title', 'focus moves to the item once the form is gone');
  await d.waitFor('[data-testid="pending-version"] [data-testid="impact-summary"]', { text: 'to 30 points' });
  await d.click('[data-testid="approve"]');
  await d.waitFor('[data-testid="pending-version"]', { text: 'Awaiting Sales manager' });

  await d.unlock('Daniel Brooks');
  await d.click('[data-testid="tab-scoring"]');
  await d.click('[data-testid="item-scoring-default"]');
  await d.click('[data-testid="approve"]');
  await d.waitFor('[data-testid="scheduled-version"]', { text: 'takes force on' });
  assert.match(await d.textOf('[data-testid="scheduled-version"]'), /2027/);
  assert.match(await d.textOf('[data-testid="scheduled-badge"]'), /v2 takes force on .*2027/);
  assert.match(await d.textOf('[data-testid="in-force"]'), /In force: v1/, 'v1 stays in force until then');
  await d.screenshot('14-scheduled-version');

  const model = d.cli('agreements', 'show', 'scoring/default');
  assert.equal(model.versions[0].status, 'scheduled');
  assert.equal(model.versions[0].body.mqlThreshold, 30);
  assert.match(model.versions[0].effectiveAt, /^2027-03-1[45]T/);
});
