// The extension in a real VS Code workbench (code-server), driven like a
// user through Debian's chromium: run by ui.sh, which installs the .vsix into
// a fresh code-server and passes its address and workspace here.
'use strict';
const { test, before, after, afterEach } = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const url = process.env.DAPPER_UI_URL;
const workspace = process.env.DAPPER_UI_WORKSPACE;
const artifacts = process.env.DAPPER_UI_ARTIFACTS;
const LONG = 60000;

let browser;
let page;

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.DAPPER_UI_CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(`${url}/?folder=${encodeURIComponent(workspace)}`);
  await page.locator('.monaco-workbench').waitFor({ timeout: 120000 });
  // the explorer shows the workspace once the window is ready
  await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'main.py' }).waitFor({ timeout: 120000 });
});

after(async () => {
  if (browser) await browser.close();
});

afterEach(async (t) => {
  // a screenshot of whatever the window showed when a test failed
  if (page && t.passed === false) {
    const name = t.name.replace(/\W+/g, '-');
    await page.screenshot({ path: path.join(artifacts, `failed-${name}.png`) }).catch(() => {});
  }
});

/** Runs a command from the palette; `optional`: one the palette may not
 * offer now (returns false after closing the palette). */
async function command(title, optional = false) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  try {
    await row.waitFor({ timeout: optional ? 3000 : 30000 });
  } catch (e) {
    await page.keyboard.press('Escape');
    if (optional) return false;
    throw e;
  }
  await page.keyboard.press('Enter');
  return true;
}

async function openFile(rel) {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(rel);
  // click the file's row: Enter could take a row of the list before it is filtered
  await page.locator('.quick-input-list .monaco-list-row', { hasText: path.basename(rel) }).first().click();
  await page.locator('.tabs-container .tab.active', { hasText: path.basename(rel) }).waitFor();
  await page.locator('.editor-instance .monaco-editor .line-numbers').first().waitFor();
}

const editor = () => page.locator('.editor-instance .monaco-editor').first();

/** The bounding box of line `n`'s number in the active editor. */
async function lineBox(n) {
  const el = editor().locator('.margin-view-overlays .line-numbers', { hasText: new RegExp(`^\\s*${n}\\s*$`) });
  await el.first().waitFor();
  return el.first().boundingBox();
}

/** The line a glyph-margin decoration (breakpoint, stack frame) is on. */
async function lineOf(selector) {
  const glyph = editor().locator(selector).first();
  await glyph.waitFor({ timeout: LONG });
  const g = await glyph.boundingBox();
  const numbers = editor().locator('.margin-view-overlays .line-numbers');
  for (let i = 0; i < (await numbers.count()); i++) {
    const b = await numbers.nth(i).boundingBox();
    if (b && g.y + g.height / 2 >= b.y && g.y + g.height / 2 <= b.y + b.height)
      return Number((await numbers.nth(i).innerText()).trim());
  }
  return -1;
}

/** Clicks the glyph margin (the breakpoint column) of line `n`. */
async function gutter(n, button = 'left') {
  const b = await lineBox(n);
  const margin = await editor().locator('.margin').first().boundingBox();
  await page.mouse.click(margin.x + 8, b.y + b.height / 2, { button });
}

async function pausedLine(line) {
  await page.waitForFunction(
    (want) => {
      const g = document.querySelector('.editor-instance .monaco-editor .codicon-debug-stackframe');
      if (!g) return false;
      const y = g.getBoundingClientRect().top + g.getBoundingClientRect().height / 2;
      for (const n of document.querySelectorAll('.editor-instance .monaco-editor .margin-view-overlays .line-numbers')) {
        const r = n.getBoundingClientRect();
        if (y >= r.top && y <= r.bottom) return Number(n.textContent.trim()) === want;
      }
      return false;
    },
    line,
    { timeout: LONG },
  ).catch(async () => {
    assert.fail(`not paused on line ${line} (stack frame glyph on line ${await lineOf('.codicon-debug-stackframe').catch(() => 'none')})`);
  });
}

/** The value the VARIABLES view shows for `name`. */
async function variable(name) {
  // open the Locals scope as a user would when VS Code left it collapsed
  const locals = page.locator('.debug-variables .monaco-list-row[aria-expanded="false"]', { hasText: /^\s*Locals\s*$/ });
  await page.locator('.debug-variables .monaco-list-row', { hasText: 'Locals' }).first().waitFor({ timeout: LONG });
  if (await locals.count()) await locals.first().click();
  // a row reads "name = value"
  const handle = await page.waitForFunction(
    (want) => {
      for (const row of document.querySelectorAll('.debug-variables .monaco-list-row')) {
        const m = /^(\S+) [=:] (.*)$/.exec(row.innerText.replace(/\s+/g, ' ').trim());
        if (m && m[1] === want) return m[2];
      }
      return undefined;
    },
    name,
    { timeout: LONG },
  );
  return handle.jsonValue();
}

/** What the integrated terminal shows: the program runs there (the
 * adapter's default `console` when the client supports runInTerminal).
 * The terminal panel is brought up as a user would; ui.sh turns GPU
 * rendering off, so xterm draws its rows as DOM text. */
async function waitTerminal(re) {
  await command('Terminal: Focus Terminal', true);
  const read = () => [...document.querySelectorAll('.xterm')].map((x) => x.textContent).join('\n');
  await page.waitForFunction(
    (src) => new RegExp(src).test(
      [...document.querySelectorAll('.xterm')].map((x) => x.textContent).join('\n')),
    re.source,
    { timeout: LONG },
  ).catch(async () => {
    const text = await page.evaluate(read);
    assert.fail(`the terminal does not show ${re}: ${JSON.stringify(text)}`);
  });
}

async function sessionEnded() {
  await page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: LONG });
}

/** Each test starts with no session and no breakpoint. */
async function clean() {
  if (await page.locator('.debug-toolbar').isVisible()) {
    await page.keyboard.press('Shift+F5');
    await sessionEnded();
  }
  // each test reads its program's output from a fresh terminal
  await command('Terminal: Kill All Terminals', true);
  if (await command('Remove All Breakpoints', true))
    await page.locator('.codicon-debug-breakpoint').first().waitFor({ state: 'detached', timeout: LONG });
}

async function startDebugging() {
  await editor().click({ position: { x: 300, y: 10 } });
  await page.keyboard.press('F5');
  // with another Python debugger installed VS Code asks which one
  const pick = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Python (dapper)' });
  const paused = page.locator('.debug-toolbar');
  const refused = page.locator('.notification-toast');
  await Promise.race([pick.first(), paused, refused.first()].map((l) => l.waitFor({ timeout: LONG })));
  if (await pick.count()) await pick.first().click();
}

test('F5 with no launch.json: breakpoint, variables, step, Debug Console, output', async () => {
  await clean();
  assert.ok(!fs.existsSync(path.join(workspace, '.vscode', 'launch.json')));
  await openFile('main.py');
  await gutter(3);
  assert.strictEqual(await lineOf('.codicon-debug-breakpoint'), 3);

  await startDebugging();
  await pausedLine(3);
  assert.strictEqual(await variable('x'), '41');
  assert.strictEqual(await variable('n'), '40');
  // the status bar item shows the backend the runtime chose
  const status = page.locator('.statusbar-item', { hasText: 'dapper:' });
  await status.first().waitFor({ timeout: LONG });
  assert.match(await status.first().innerText(), /dapper: (instrumented|monitoring)/);
  // its hover: the runtime's statistics, read while stopped
  await status.first().hover();
  const hover = page.locator('.workbench-hover, .monaco-hover', { hasText: 'interpreter hooks held' });
  await hover.first().waitFor({ timeout: LONG });
  assert.match(await hover.first().innerText(), /breakpoints use (instrumented|monitoring)[\s\S]*statistics at .*\(stopped/);
  await page.mouse.move(700, 300);
  await page.screenshot({ path: path.join(artifacts, 'paused.png') });

  await page.keyboard.press('F10');
  await pausedLine(4);
  assert.strictEqual(await variable('y'), '82');

  // the Debug Console opened with the session (debug.internalConsoleOptions)
  const input = page.locator('.repl-input-wrapper .monaco-editor');
  await input.click();
  await page.keyboard.type('x * 3 + 1');
  await page.keyboard.press('Enter');
  await page.locator('.repl .monaco-list-row', { hasText: /^\s*124\s*$/ }).first().waitFor({ timeout: LONG });

  await page.keyboard.press('F5');
  await sessionEnded();
  await waitTerminal(/result 82/);
});

test('launch.json with module and args', async () => {
  await clean();
  fs.mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
  fs.writeFileSync(
    path.join(workspace, '.vscode', 'launch.json'),
    JSON.stringify({
      version: '0.2.0',
      configurations: [
        { name: 'tool (dapper)', type: 'dapper', request: 'launch', module: 'pkg.tool', args: ['alpha', 'be ta', 'gamma', 'd'], cwd: '${workspaceFolder}' },
      ],
    }, null, 2),
  );
  await openFile('pkg/tool.py');
  await gutter(8);
  assert.strictEqual(await lineOf('.codicon-debug-breakpoint'), 8);
  // the Run and Debug view lists the launch.json configuration
  await command('View: Show Run and Debug');
  await page.locator('.debug-start-action-configuration, .start-debug-action-item', { hasText: 'tool (dapper)' })
    .first().waitFor({ timeout: LONG }).catch(() => {});
  await startDebugging();
  await pausedLine(8);
  assert.strictEqual(await variable('total'), '16');
  await page.keyboard.press('F5');
  await sessionEnded();
  await waitTerminal(/total 16 \['alpha', 'be ta', 'gamma', 'd'\]/);
});

test('conditional breakpoint set through the editor', async () => {
  await clean();
  await openFile('pkg/tool.py');
  // the gutter's context menu, "Add Conditional Breakpoint..." (chosen with
  // the keyboard once hovered: a click can land while the menu still opens)
  const widget = page.locator('.breakpoint-widget .monaco-editor');
  const item = page.locator('.context-view .action-label', { hasText: 'Add Conditional Breakpoint' }).first();
  for (let attempt = 0; attempt < 3 && !(await widget.isVisible()); attempt++) {
    if (!(await item.isVisible())) await gutter(7, 'right');
    await item.waitFor();
    await item.hover();
    await page.keyboard.press('Enter');
    await widget.waitFor({ timeout: 5000 }).catch(() => {});
  }
  await widget.waitFor();
  await widget.click();
  await page.keyboard.type('i == 2');
  await page.keyboard.press('Enter');
  await editor().locator('.codicon-debug-breakpoint-conditional').first().waitFor();
  assert.strictEqual(await lineOf('.codicon-debug-breakpoint-conditional'), 7);

  await startDebugging();
  await pausedLine(7);
  assert.strictEqual(await variable('i'), '2');
  assert.strictEqual(await variable('word'), "'gamma'");
  assert.strictEqual(await variable('total'), '10');
  await page.keyboard.press('F5');
  await sessionEnded();
  await waitTerminal(/total 16/);
});

test('an interpreter the bundled runtime was not built for: a notification naming the supported versions', async () => {
  await clean();
  // an interpreter that answers the extension's version probe like CPython 3.10
  const old = path.join(workspace, 'python3.10');
  fs.writeFileSync(old, '#!/bin/sh\necho "3.10 cpython"\n', { mode: 0o755 });
  fs.writeFileSync(
    path.join(workspace, '.vscode', 'launch.json'),
    JSON.stringify({
      version: '0.2.0',
      configurations: [{ name: 'old python (dapper)', type: 'dapper', request: 'launch', program: '${file}', python: old }],
    }, null, 2),
  );
  await page.locator('.part.sidebar', { hasText: 'old python (dapper)' }).first().waitFor({ timeout: LONG });
  await openFile('main.py');
  await startDebugging();
  const toast = page.locator('.notification-toast', { hasText: 'has no runtime for' });
  await toast.first().waitFor({ timeout: LONG });
  const text = (await toast.first().innerText()).replace(/\s+/g, ' ');
  assert.match(text, /python3\.10 is Python 3\.10, which this dapper build has no runtime for \(supported: 3\.1\d(, 3\.1\d)*;/);
  assert.strictEqual(await page.locator('.debug-toolbar').isVisible(), false);
});

test('arguments asked with ${command:pickArgs} and split like a shell', async () => {
  await clean();
  fs.rmSync(path.join(workspace, 'python3.10'), { force: true });
  fs.writeFileSync(
    path.join(workspace, '.vscode', 'launch.json'),
    JSON.stringify({
      version: '0.2.0',
      configurations: [{ name: 'asked args (dapper)', type: 'dapper', request: 'launch', module: 'pkg.tool', args: '${command:pickArgs}' }],
    }, null, 2),
  );
  await page.locator('.part.sidebar', { hasText: 'asked args (dapper)' }).first().waitFor({ timeout: LONG });
  await openFile('pkg/tool.py');
  await gutter(8);
  await editor().click({ position: { x: 300, y: 10 } });
  await page.keyboard.press('F5');
  const input = page.locator('.quick-input-widget input');
  await page.locator('.quick-input-widget', { hasText: 'Program arguments' }).waitFor({ timeout: LONG });
  await input.fill(`alpha "be ta" 'gamma' d`);
  await page.keyboard.press('Enter');
  await pausedLine(8);
  assert.strictEqual(await variable('total'), '16');
  await page.keyboard.press('F5');
  await sessionEnded();
  await waitTerminal(/total 16 \['alpha', 'be ta', 'gamma', 'd'\]/);
});
