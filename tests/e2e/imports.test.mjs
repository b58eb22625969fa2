// End to end through the real window: an ops person imports a leads file whose status
// column Playbook does not recognise, maps it by hand (a status it does not know is left to
// enter the first stage), then an opportunities file, and finds the deal on the account page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Driver, ROOT } from './webdriver.mjs';

const FIXTURES = path.join(ROOT, 'tests/e2e/fixtures');
let d;
before(async () => {
  d = await Driver.start();
});
after(async () => {
  await d?.stop();
});

test('a leads file with a hand-mapped status column, then deals, shown on the account', async () => {
  // The window opens on the home screen; the playbook is one click away.
  await d.click('[data-testid="nav-playbook"]');
  await d.waitFor('[data-testid="item-stage-mql"]');
  await d.unlock('Tom Lindqvist');
  await d.click('[data-testid="nav-import"]');

  await d.type('[data-testid="import-file"]', path.join(FIXTURES, 'leads_with_phase.csv'), { clear: false });
  await d.waitFor('[data-testid="import-preview"]');
  assert.equal(await d.value('[data-testid="map-status"]'), '', '"Phase" is not a column Playbook knows');
  await d.choose('map-status', 'Phase');
  await d.waitFor('[data-testid="status-mapping"]', { text: 'Warmish' });
  await d.choose('status-Hot', 'Marketing Qualified Lead');
  await d.screenshot('08-import-mapping');

  await d.click('[data-testid="import-check"]');
  await d.waitFor('[data-testid="import-summary"]', { text: 'Check only' });
  await d.waitFor('[data-testid="import-summary"]', { text: 'Warmish' });
  await d.click('[data-testid="import-run"]');
  await d.waitFor('[data-testid="import-summary"]', { text: 'Imported.' });
  await d.screenshot('09-import-summary');

  const contacts = d.cli('contacts', 'list', '--search', 'fjordline');
  const stageOf = (email) => contacts.find((c) => c.email === email)?.stage;
  assert.equal(stageOf('ingrid.halvorsen@fjordline.example'), 'mql', 'mapped by hand');
  assert.equal(stageOf('mateo.ruiz@fjordline.example'), 'inquiry', 'unknown status: the first stage');

  await d.choose('import-kind', 'Opportunities');
  await d.type('[data-testid="import-file"]', path.join(FIXTURES, 'fjordline_deals.csv'), { clear: false });
  await d.waitFor('[data-testid="import-preview"]');
  await d.click('[data-testid="import-run"]');
  await d.waitFor('[data-testid="import-summary"]', { text: 'Imported.' });

  await d.click('[data-testid="nav-leads"]');
  await d.type('[data-testid="filter-search"]', 'Halvorsen');
  await d.waitFor('[data-testid="leads-total"]', { text: '1 lead' });
  await d.click('[data-testid="lead-row"]');
  await d.click('[data-testid="account-link"]');
  await d.waitFor('[data-testid="account-deals"]', { text: 'Fjordline Shipping - Fleet rollout' });
  assert.match(await d.textOf('[data-testid="deal"]'), /84[,.\u00a0\u202f ]?000/, 'the amount, in the locale of the laptop');
  await d.screenshot('10-account-deals');
  // The demo has deals of its own: the file's deal is the one named in it, stored once.
  const deals = d.cli('opportunities', 'list').filter((x) => x.name === 'Fjordline Shipping - Fleet rollout');
  assert.equal(deals.length, 1);
  assert.equal(deals[0].amountMinor, 8400000);
  assert.equal(deals[0].ownerName, 'Daniel Brooks');
});
