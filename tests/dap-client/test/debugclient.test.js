// dapper-adapter driven by Microsoft's stock DebugClient
// (@vscode/debugadapter-testsupport) over stdio, the way an extension's own
// tests drive its adapter: hitBreakpoint, assertStoppedLocation,
// assertOutput, configurationSequence and launch, unchanged.
//
// DAPPER_TEST_ADAPTER: the built dapper-adapter binary.
// DAPPER_TEST_PYTHON: the interpreter the program runs with.
'use strict';

const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { DebugClient } = require('@vscode/debugadapter-testsupport');

const ADAPTER = process.env.DAPPER_TEST_ADAPTER;
const PYTHON = process.env.DAPPER_TEST_PYTHON;
const PROGRAMS = path.join(__dirname, '..', 'programs');
const GREET = path.join(PROGRAMS, 'greet.py');
const BROKEN = path.join(PROGRAMS, 'broken.py');

/** {name: line} from the `# LINE: name` markers of a file. */
function markers(file) {
  const out = {};
  fs.readFileSync(file, 'utf8').split('\n').forEach((text, i) => {
    const m = /# LINE: (\w+)/.exec(text);
    if (m) out[m[1]] = i + 1;
  });
  return out;
}

const LINES = markers(GREET);

describe(`dapper-adapter with the stock DebugClient (${PYTHON})`, function () {
  let dc;

  before(function () {
    assert.ok(ADAPTER && fs.existsSync(ADAPTER), `DAPPER_TEST_ADAPTER: no adapter at ${ADAPTER}`);
    assert.ok(PYTHON && fs.existsSync(PYTHON), `DAPPER_TEST_PYTHON: no interpreter at ${PYTHON}`);
  });

  beforeEach(function () {
    // DebugClient spawns `runtime executable`: the adapter with one option.
    dc = new DebugClient(ADAPTER, '--log-level=warn', 'python', {}, true);
    dc.defaultTimeout = 10000;
    return dc.start();
  });

  afterEach(function () {
    return dc.stop();
  });

  function launchArgs(extra) {
    return Object.assign({ program: GREET, python: PYTHON, cwd: PROGRAMS }, extra || {});
  }

  it('hits a breakpoint verified in the setBreakpoints response', function () {
    return dc.hitBreakpoint(launchArgs(), { path: GREET, line: LINES.greet });
  });

  it('verifies a breakpoint on a comment, moved to the next line with code as the file loads', function () {
    // answered before the program loads the file: verified at the comment;
    // a `breakpoint` event moves it when its code is about to run
    const comment = { path: GREET, line: LINES.comment };
    const moved = { path: GREET, line: LINES.loop };
    return Promise.all([
      dc.waitForEvent('breakpoint').then((ev) => {
        assert.strictEqual(ev.body.reason, 'changed');
        assert.strictEqual(ev.body.breakpoint.verified, true);
        assert.strictEqual(ev.body.breakpoint.line, LINES.loop);
      }),
      dc.hitBreakpoint(launchArgs(), comment, moved, comment),
    ]);
  });

  it('stops twice at a breakpoint in a loop, then runs to the end', async function () {
    await dc.hitBreakpoint(launchArgs(), { path: GREET, line: LINES.greet });
    const threads = (await dc.threadsRequest()).body.threads;
    const output = dc.assertOutput('stdout', 'hello world\nhello again\n');
    await Promise.all([
      dc.continueRequest({ threadId: threads[0].id }),
      dc.assertStoppedLocation('breakpoint', { path: GREET, line: LINES.greet }),
    ]);
    await Promise.all([
      dc.continueRequest({ threadId: threads[0].id }),
      output,
      dc.waitForEvent('terminated'),
    ]);
  });

  it('stops on entry at the first line', function () {
    return Promise.all([
      dc.configurationSequence(),
      dc.launch(launchArgs({ stopOnEntry: true })),
      dc.assertStoppedLocation('entry', { path: GREET, line: 3 }),
    ]);
  });

  it('relays the program output and its end', function () {
    return Promise.all([
      dc.configurationSequence(),
      dc.launch(launchArgs()),
      dc.assertOutput('stdout', 'hello world\nhello again\n'),
      dc.assertOutput('stderr', 'done\n'),
      dc.waitForEvent('terminated'),
    ]);
  });

  it('answers a breakpoint in a file the program has not loaded from a stat, unread', function () {
    // docs/runtime.md, "Breakpoint lines": verified at the requested line,
    // checked when the file's module code runs (this one never does: it
    // does not compile, and the program does not import it)
    return Promise.all([
      dc
        .waitForEvent('initialized')
        .then(() =>
          dc.setBreakpointsRequest({ source: { path: BROKEN }, breakpoints: [{ line: 3 }] })
        )
        .then((response) => {
          const bp = response.body.breakpoints[0];
          assert.strictEqual(bp.verified, true);
          assert.strictEqual(bp.line, 3);
          return dc.configurationDoneRequest();
        }),
      dc.launch(launchArgs()),
      dc.assertOutput('stdout', 'hello world\nhello again\n'),
    ]);
  });

  it('names a launch key it does not know on the console', function () {
    return Promise.all([
      dc.configurationSequence(),
      dc.launch(launchArgs({ gevent: true, __sessionId: 'x', name: 'Run' })),
      dc.assertOutput(
        'console',
        'dapper: launch key "gevent" is not supported and ignored'
      ),
    ]);
  });
});
