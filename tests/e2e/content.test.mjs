// End to end through the real window: a rep narrows the content library by buying stage
// and persona, searches, opens an asset (the system's viewer is asked to open the stored
// file: a stand-in `xdg-open` on the app's PATH records what it was given), sends it to a
// contact, and sees the send on the contact's timeline; the coverage heat map is drawn.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Driver } from './webdriver.mjs';

const bin = mkdtempSync(path.join(tmpdir(), 'playbook-opener-'));
const opened = path.join(bin, 'opened.log');
// What the desktop's opener would receive; it records and returns, opening nothing.
writeFileSync(path.join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${opened}'\n`);
chmodSync(path.join(bin, 'xdg-open'), 0o755);

let d;
before(async () => {
  d = await Driver.start({ env: { PATH: `${bin}:${process.env.PATH}` } });
});
after(async () => {
  await d?.stop();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(check, what, timeout = 10000) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

test('a rep finds an asset by stage, persona and words, opens it, sends it and sees it on the timeline', async () => {
  // The window opens on the home screen; the playbook is one click away.
  await d.click('[data-testid="nav-playbook"]');
  await d.waitFor('[data-testid="item-stage-mql"]');
  await d.unlock('Sofia Marín');
  await d.click('[data-testid="nav-library"]');
  await d.waitFor('[data-testid="library-hit"]');
  const all = d.cli('content', 'search');
  await d.waitFor('[data-testid="library-total"]', { text: `${all.total} assets` });

  // Narrow by facets: the window's count is the CLI's for the same filters.
  await d.click('[data-testid="facet-stage-decision"]');
  const decision = d.cli('content', 'search', '--stage', 'decision');
  await d.waitFor('[data-testid="library-total"]', { text: `${decision.total} assets` });
  await d.click('[data-testid="facet-persona-economic_buyer"]');
  const narrowed = d.cli('content', 'search', '--stage', 'decision', '--persona', 'economic_buyer');
  assert.ok(narrowed.total > 0 && narrowed.total < decision.total, 'each facet narrows the library');
  await d.waitFor('[data-testid="library-total"]', { text: `${narrowed.total} assets` });

  // Words, typed: the business case template comes first, its title highlighted.
  await d.type('[data-testid="library-search"]', 'business case');
  await d.waitFor('[data-testid="library-total"]', { text: 'for “business case”' });
  const first = await d.textOf('[data-testid="hit-title"]');
  assert.equal(first, 'Business case template');
  const marks = await d.findAll('[data-testid="library-hit"] mark');
  assert.ok(marks.length >= 2, 'the matched words are highlighted');
  await d.screenshot('50-content-library');

  // Open: the system viewer is asked for the stored file, named by its SHA-256.
  await d.click('[data-testid="library-hit"]');
  const assetId = await d.attribute('[data-testid="asset-panel"]', 'data-id');
  const asset = d.cli('content', 'show', assetId);
  const sha = asset.asset.fields.source.sha256;
  await d.click('[data-testid="asset-open"]');
  const line = await until(() => existsSync(opened) && readFileSync(opened, 'utf8').trim(), 'the opener');
  const stored = path.join(d.dataDir, 'content', 'sha256', sha.slice(0, 2), sha);
  assert.equal(line, stored, 'the opener got the stored file, inside the content store');
  assert.equal(readFileSync(stored).length, asset.asset.fields.source.size);

  // Send it to a contact: the draft names them; the send is logged, signed by Sofia.
  const contact = d.cli('contacts', 'list', '--limit', '1')[0];
  await d.click('[data-testid="asset-send"]');
  await d.type('[data-testid="send-contact-search"]', contact.email);
  await d.click('[data-testid="send-contact-option"]');
  await d.waitFor('[data-testid="send-body"]', { text: 'Business case template' });
  await d.click('[data-testid="send-log"]');
  await d.waitGone('[data-testid="send-panel"]');
  const shown = d.cli('contacts', 'show', contact.id);
  const sent = shown.activities.find((a) => a.kind === 'content_sent' && a.assetId === assetId);
  assert.ok(sent, 'the send is an activity of the contact');
  assert.equal(sent.actorName, 'Sofia Marín');

  // A competitor heard of on the account, noted through the CLI (signed by Sofia).
  process.env.PLAYBOOK_PASSPHRASE = 'playbook-demo';
  const risks = d.cli('content', 'risk', contact.accountId, '--risk', 'competitor:acme_cloud', '--note', 'Acme Cloud demo booked', '--as', 'sofia.marin@larkspur.example');
  assert.ok(risks.some((r) => r.risk === 'competitor:acme_cloud'));

  // On the contact's page: the send on the timeline, and what else fits them.
  await d.click('[data-testid="nav-leads"]');
  await d.type('[data-testid="filter-search"]', contact.email);
  await d.click('[data-testid="lead-row"]');
  await d.waitFor('[data-testid="timeline-send"]', { text: 'Business case template' });
  await d.waitFor('[data-testid="recommendation-reason"]', { text: 'against competitor Acme Cloud' });
  await d.waitGone('button[aria-label="Dismiss"]', { timeout: 9000 });
  await d.call('POST', d.s('/execute/sync'), {
    script: 'document.querySelector(\'[data-testid="contact-content"]\').scrollIntoView({ block: "center" })',
    args: [],
  });
  await d.screenshot('51-contact-recommendations');

  // The library's health: the heat map is drawn, its empty cells counted.
  await d.click('[data-testid="nav-coverage"]');
  await d.waitFor('[data-testid="heat-personas"] svg rect');
  const health = d.cli('content', 'coverage');
  await d.waitFor('[data-testid="empty-cells"]', { text: String(health.emptyCells) });
  await d.screenshot('52-content-coverage');
});
