// A small W3C WebDriver client over fetch, and the set-up that starts tauri-driver (which
// starts WebKitWebDriver and the real Playbook binary) in its own process group.
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';
export const ROOT = path.resolve(import.meta.dirname, '../..');
export const APP = process.env.PLAYBOOK_APP ?? path.join(ROOT, 'target/debug/playbook');
export const SHOTS = path.join(ROOT, 'artifacts/screenshots');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Temporary directories made by the tests of this process, removed when it exits. */
const made = new Set();
process.on('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A new temporary directory named `prefix…`, removed when the test process exits. */
export function tempDir(prefix = 'playbook-e2e-') {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  made.add(dir);
  return dir;
}

export class Driver {
  /**
   * Starts the app on a data directory (a new empty one unless given); `application` and
   * `args` override the binary and its arguments (the window bench starts other binaries);
   * `env` adds to the app's environment. A data directory it made is removed by `stop`; a
   * given one is the caller's.
   */
  static async start({
    dataDir = tempDir(),
    application = APP,
    args,
    env = {},
  } = {}) {
    const port = 4500 + Math.floor(Math.random() * 400) * 2;
    const proc = spawn('tauri-driver', ['--port', String(port), '--native-port', String(port + 1)], {
      detached: true,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, XDG_DATA_HOME: path.join(dataDir, 'xdg'), ...env },
    });
    const d = new Driver(`http://127.0.0.1:${port}`, proc, dataDir);
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${d.base}/status`)).ok) break;
      } catch {
        /* not listening yet */
      }
      // A loaded 2-core machine can take many seconds to bring the drivers up; on giving
      // up, the driver goes too, or it would keep this test file (and the run) alive.
      if (i > 600) {
        try {
          process.kill(-proc.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
        throw new Error('tauri-driver did not start within 60 s');
      }
      await sleep(100);
    }
    const caps = {
      capabilities: {
        alwaysMatch: {
          browserName: 'wry',
          'tauri:options': { application, args: args ?? ['--data-dir', dataDir] },
        },
      },
    };
    const s = await d.call('POST', '/session', caps);
    d.session = s.sessionId;
    return d;
  }

  constructor(base, proc, dataDir) {
    this.base = base;
    this.proc = proc;
    this.dataDir = dataDir;
    this.session = null;
    this.owned = false;
  }

  async call(method, url, body) {
    const res = await fetch(`${this.base}${url}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${url}: ${json.value?.error}: ${json.value?.message}`);
    return json.value;
  }

  s(url) {
    return `/session/${this.session}${url}`;
  }

  async find(selector, using = 'css selector') {
    const v = await this.call('POST', this.s('/element'), { using, value: selector });
    return v[ELEMENT];
  }

  async findAll(selector) {
    const v = await this.call('POST', this.s('/elements'), { using: 'css selector', value: selector });
    return v.map((e) => e[ELEMENT]);
  }

  /** Waits until `selector` matches (and, with `text`, its text contains it). */
  async waitFor(selector, { text, timeout = 10000, using } = {}) {
    const until = Date.now() + timeout;
    let last = '';
    for (;;) {
      try {
        const id = await this.find(selector, using);
        if (text === undefined) return id;
        last = await this.text(id);
        if (last.includes(text)) return id;
      } catch {
        /* not there yet */
      }
      if (Date.now() > until) {
        throw new Error(`timed out waiting for ${selector}${text ? ` to contain "${text}" (last: "${last}")` : ''}`);
      }
      await sleep(100);
    }
  }

  /** Waits until nothing matches `selector`. */
  async waitGone(selector, { timeout = 10000 } = {}) {
    const until = Date.now() + timeout;
    while ((await this.call('POST', this.s('/elements'), { using: 'css selector', value: selector })).length > 0) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${selector} to go away`);
      await sleep(100);
    }
  }

  async click(selector, opts) {
    const id = await this.waitFor(selector, opts);
    // As a person would: scroll the window's content region until the element shows
    // (WebKitWebDriver scrolls the page, not a scrolling region inside it).
    await this.exec('arguments[0].scrollIntoView({ block: "nearest" })', { [ELEMENT]: id });
    try {
      await this.call('POST', this.s(`/element/${id}/click`), {});
    } catch (e) {
      e.message = `clicking ${selector}: ${e.message}`;
      throw e;
    }
  }

  async type(selector, text, { clear = true } = {}) {
    const id = await this.waitFor(selector);
    if (clear) await this.call('POST', this.s(`/element/${id}/clear`), {});
    if (text !== '') await this.call('POST', this.s(`/element/${id}/value`), { text });
  }

  async text(id) {
    return this.call('GET', this.s(`/element/${id}/text`));
  }

  async attribute(selector, name) {
    const id = await this.waitFor(selector);
    return this.call('GET', this.s(`/element/${id}/attribute/${name}`));
  }

  /** The current value of a form control (a select's chosen option, an input's text). */
  async value(selector) {
    const id = await this.waitFor(selector);
    return this.call('GET', this.s(`/element/${id}/property/value`));
  }

  async textOf(selector) {
    return this.text(await this.waitFor(selector));
  }

  /**
   * Chooses an option of a <select> by its visible text. WebKitWebDriver cannot click
   * <option> elements, so this sets the value and fires the change event a person's
   * choice fires.
   */
  async choose(selectTestId, optionText) {
    const script = `
      const select = document.querySelector('[data-testid="' + arguments[0] + '"]');
      const option = select && [...select.options].find((o) => o.text.includes(arguments[1]));
      if (!option) return false;
      select.value = option.value;
      select.dispatchEvent(new Event('change', { bubbles: true }));
      return true;`;
    for (let i = 0; i < 100; i++) {
      if (await this.call('POST', this.s('/execute/sync'), { script, args: [selectTestId, optionText] })) return;
      await sleep(100);
    }
    throw new Error(`no option "${optionText}" in ${selectTestId}`);
  }

  /**
   * Sets a form control's value (a date, which WebKitWebDriver types field by field in the
   * platform's order) and fires the events a person's choice fires.
   */
  async setValue(testId, value) {
    await this.waitFor(`[data-testid="${testId}"]`);
    await this.exec(
      `const e = document.querySelector('[data-testid="' + arguments[0] + '"]');
       e.value = arguments[1];
       e.dispatchEvent(new Event('input', { bubbles: true }));
       e.dispatchEvent(new Event('change', { bubbles: true }));`,
      testId,
      value,
    );
  }

  /** Closes every message on screen (before a screenshot). */
  async dismissToasts() {
    await this.exec(`document.querySelectorAll('[data-testid=toast] button[aria-label=Dismiss]').forEach((b) => b.click())`);
  }

  /** Proves who is using the window: signs in as `name` with their passphrase. */
  async unlock(name, passphrase = 'playbook-demo') {
    await this.lock();
    await this.click('[data-testid="unlock-open"]');
    await this.waitFor('dialog[open] [data-testid="unlock-member"]');
    await this.choose('unlock-member', name);
    await this.type('[data-testid="unlock-passphrase"]', passphrase);
    await this.click('[data-testid="unlock-submit"]');
    await this.waitFor('[data-testid="identity-name"]', { text: name });
  }

  /** Locks the open key, if any. */
  async lock() {
    const open = await this.call('POST', this.s('/elements'), { using: 'css selector', value: '[data-testid="lock"]' });
    if (open.length > 0) {
      await this.click('[data-testid="lock"]');
      await this.waitFor('[data-testid="unlock-open"]');
    }
  }

  async screenshot(name) {
    await sleep(1000); // WebKit can hand back a frame from before the last DOM change.
    const png = await this.call('GET', this.s('/screenshot'));
    mkdirSync(SHOTS, { recursive: true });
    const file = path.join(SHOTS, `${name}.png`);
    writeFileSync(file, Buffer.from(png, 'base64'));
    return file;
  }

  /** Runs a script in the page and returns its value. */
  async exec(script, ...args) {
    return this.call('POST', this.s('/execute/sync'), { script, args });
  }

  /** Runs an async script in the page: it calls `arguments[arguments.length - 1]` with the result. */
  async execAsync(script, ...args) {
    return this.call('POST', this.s('/execute/async'), { script, args });
  }

  /** Presses keys together, e.g. keys('\uE00A', '\uE012') for Alt+←. */
  async keys(...keys) {
    const down = keys.map((value) => ({ type: 'keyDown', value }));
    const up = [...keys].reverse().map((value) => ({ type: 'keyUp', value }));
    await this.call('POST', this.s('/actions'), { actions: [{ type: 'key', id: 'keyboard', actions: [...down, ...up] }] });
    await this.call('DELETE', this.s('/actions'));
  }

  /** Sets the window's outer size. */
  async resize(width, height) {
    await this.call('POST', this.s('/window/rect'), { width, height, x: 0, y: 0 });
    await sleep(400);
  }

  /** axe-core's serious and critical violations on the page as it is now. */
  async axe(context = 'document') {
    const source = readFileSync(path.join(ROOT, 'ui/node_modules/axe-core/axe.min.js'), 'utf8');
    await this.exec(`if (!window.axe) { ${source} }`);
    const result = await this.execAsync(
      `const done = arguments[arguments.length - 1];
       axe.run(${context}, { resultTypes: ['violations'] }).then(
         (r) => done(r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
           .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ' — ' + n.failureSummary) }))),
         (e) => done([{ id: 'axe-error', help: String(e), nodes: [] }]))`,
    );
    return result;
  }

  async stop() {
    try {
      if (this.session) await this.call('DELETE', this.s(''));
    } finally {
      try {
        process.kill(-this.proc.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      if (this.owned) rmSync(this.dataDir, { recursive: true, force: true });
    }
  }

  /** Runs the real CLI on the same data directory and parses its JSON output (writes are
   * signed with the demo members' passphrase). */
  cli(...args) {
    return JSON.parse(
      execFileSync(APP, ['--data-dir', this.dataDir, '--format', 'json', ...args], {
        encoding: 'utf8',
        env: { ...process.env, PLAYBOOK_PASSPHRASE: 'playbook-demo' },
      }),
    );
  }
}
