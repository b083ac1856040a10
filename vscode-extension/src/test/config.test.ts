import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { Config, mergedEnv, pythonArgv, resolveConfig, ResolveInputs, splitArgs } from '../config';

const pyFile = { fsPath: '/home/u/proj/app.py', languageId: 'python' };

function inputs(over: Partial<ResolveInputs> = {}): ResolveInputs {
  return {
    activeFile: pyFile,
    folder: '/home/u/proj',
    selectedInterpreter: async () => undefined,
    pythonSetting: '',
    ...over,
  };
}

async function resolved(config: Config, over: Partial<ResolveInputs> = {}): Promise<Config> {
  const r = await resolveConfig(config, inputs(over));
  if ('error' in r) assert.fail(`unexpected error: ${r.error}`);
  return r.config;
}

describe('resolveConfig', () => {
  it('F5 with no launch.json on a Python file debugs that file', async () => {
    const c = await resolved({});
    assert.deepStrictEqual(c, {
      type: 'dapper',
      request: 'launch',
      name: 'Python (dapper): Current File',
      program: '${file}',
      cwd: '/home/u/proj',
      python: 'python3',
    });
  });

  it('Ctrl+F5 with no launch.json runs the file without the debugger', async () => {
    const c = await resolved({ noDebug: true });
    assert.strictEqual(c.program, '${file}');
    assert.strictEqual(c.noDebug, true);
  });

  it('F5 with no launch.json and no folder runs in the file directory', async () => {
    const c = await resolved({}, { folder: undefined });
    assert.strictEqual(c.cwd, '/home/u/proj');
    assert.strictEqual(c.program, '${file}');
  });

  it('F5 with no launch.json on a non-Python editor is refused with a message', async () => {
    for (const activeFile of [undefined, { fsPath: '/x/notes.md', languageId: 'markdown' }]) {
      const r = await resolveConfig({}, inputs({ activeFile }));
      assert.ok('error' in r && /Open a Python file/.test(r.error), JSON.stringify(r));
    }
  });

  it('attach: needs connect.port, keeps the rest, resolves no interpreter', async () => {
    const r = await resolveConfig({ type: 'dapper', request: 'attach', connect: { port: 5678 }, justMyCode: false }, inputs());
    assert.ok('config' in r, JSON.stringify(r));
    assert.deepStrictEqual(r.config, {
      type: 'dapper', request: 'attach', name: 'Python (dapper): Attach', connect: { port: 5678 }, justMyCode: false,
    });
    for (const connect of [undefined, {}, { port: 'x' }, { port: 0 }, 5678]) {
      const bad = await resolveConfig({ type: 'dapper', request: 'attach', name: 'a', connect }, inputs());
      assert.ok('error' in bad && /--listen/.test(bad.error), JSON.stringify(bad));
    }
    const listen = await resolveConfig({ type: 'dapper', request: 'attach', listen: { port: 5678 } }, inputs());
    assert.ok('config' in listen, JSON.stringify(listen));
    const none = await resolveConfig({ type: 'dapper', request: 'attach', name: 'a', listen: 5678 }, inputs());
    assert.ok('error' in none && /--connect/.test(none.error), JSON.stringify(none));
    for (const processId of [4242, '4242', '${command:pickProcess}']) {
      const byPid = await resolveConfig({ type: 'dapper', request: 'attach', processId }, inputs());
      assert.ok('config' in byPid && byPid.config.processId === processId, JSON.stringify(byPid));
    }
    const other = await resolveConfig({ type: 'dapper', request: 'test', name: 'a' }, inputs());
    assert.ok('error' in other && /"launch" and "attach"/.test(other.error), JSON.stringify(other));
  });

  it('attach to a child process (startDebugging): no connect needed, no interpreter', async () => {
    const child = {
      type: 'dapper', request: 'attach', name: 'Subprocess 42 (worker.py)', subProcessId: 42,
      subProcessSocket: '/run/user/1/dapper-child-x/child.sock', subProcessSecret: 'ab'.repeat(32),
    };
    const r = await resolveConfig(child, inputs());
    assert.ok('config' in r, JSON.stringify(r));
    assert.deepStrictEqual(r.config, child);
  });

  it('keeps what launch.json says', async () => {
    const cfg = {
      type: 'dapper',
      request: 'launch',
      name: 'm',
      module: 'pkg.main',
      args: ['-v'],
      cwd: '/elsewhere',
      python: ['python3.12', '-X', 'dev'],
      stopOnEntry: true,
    };
    const c = await resolved(cfg, { selectedInterpreter: async () => '/venv/bin/python' });
    assert.deepStrictEqual(c, cfg);
  });

  it('interpreter: the python key, then the Python extension, then dapper.python, then python3', async () => {
    const sel = async () => '/venv/bin/python';
    const base = { type: 'dapper', request: 'launch', name: 'n', program: 'a.py' };
    assert.strictEqual((await resolved({ ...base, python: '/opt/py' }, { selectedInterpreter: sel })).python, '/opt/py');
    assert.strictEqual((await resolved(base, { selectedInterpreter: sel, pythonSetting: '/s/py' })).python, '/venv/bin/python');
    assert.strictEqual((await resolved(base, { pythonSetting: '/s/py' })).python, '/s/py');
    assert.strictEqual((await resolved(base)).python, 'python3');
  });

  it('asks the Python extension only when the python key is absent', async () => {
    let asked = 0;
    const sel = async () => {
      asked++;
      return '/venv/bin/python';
    };
    await resolved({ type: 'dapper', request: 'launch', name: 'n', program: 'a.py', python: 'py' }, { selectedInterpreter: sel });
    assert.strictEqual(asked, 0);
    await resolved({ type: 'dapper', request: 'launch', name: 'n', program: 'a.py' }, { selectedInterpreter: sel });
    assert.strictEqual(asked, 1);
  });
});

describe('splitArgs', () => {
  it('splits like a POSIX shell without expansion', () => {
    assert.deepStrictEqual(splitArgs('  a  b\tc '), ['a', 'b', 'c']);
    assert.deepStrictEqual(splitArgs(`'x y' "z \\"w\\"" q\\ r $HOME`), ['x y', 'z "w"', 'q r', '$HOME']);
    assert.deepStrictEqual(splitArgs(`"" '' a""b`), ['', '', 'ab']);
    assert.deepStrictEqual(splitArgs(''), []);
    assert.deepStrictEqual(splitArgs(`"a\\nb"`), ['a\\nb']);
  });
  it('rejects an unterminated quote', () => {
    assert.throws(() => splitArgs(`a 'b`), /unterminated '/);
    assert.throws(() => splitArgs(`a "b`), /unterminated "/);
  });
});

describe('pythonArgv and mergedEnv', () => {
  it('takes a string or an argv array', () => {
    assert.deepStrictEqual(pythonArgv({ python: 'python3.12' }), ['python3.12']);
    assert.deepStrictEqual(pythonArgv({ python: ['py', '-X', 'dev'] }), ['py', '-X', 'dev']);
    assert.deepStrictEqual(pythonArgv({}), ['python3']);
  });
  it('merges env with null removing a variable', () => {
    const env = mergedEnv({ A: '1', B: '2' }, { env: { B: null, C: '3' } });
    assert.deepStrictEqual(env, { A: '1', C: '3' });
  });
});

describe('package.json launch schema', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
  const dbg = manifest.contributes.debuggers[0];

  it('declares the dapper debug type for Python, launch only', () => {
    assert.strictEqual(dbg.type, 'dapper');
    assert.strictEqual(dbg.label, 'Python (dapper)');
    assert.deepStrictEqual(dbg.languages, ['python']);
    assert.deepStrictEqual(Object.keys(dbg.configurationAttributes), ['launch', 'attach']);
  });

  it('has exactly the launch keys docs/configuration.md lists, each described with a default', () => {
    const doc = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'configuration.md'), 'utf8');
    const section = doc.split('## `launch` arguments')[1].split('\n## ')[0];
    const documented = [...section.matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]);
    const frameEval = doc.split('## `frameEval`')[1].split('\n## ')[0];
    const feDocumented = [...frameEval.matchAll(/^\| `(\w+)` \| (boolean|string)/gm)].map((m) => m[1]);
    assert.ok(documented.length >= 10, `launch table not found: ${documented}`);
    const props = dbg.configurationAttributes.launch.properties;
    assert.deepStrictEqual(Object.keys(props).sort(), [...documented, 'frameEval'].sort());
    assert.deepStrictEqual(Object.keys(props.frameEval.properties).sort(), feDocumented.sort());
    for (const [k, v] of Object.entries<{ description?: string; default?: unknown }>(props)) {
      assert.ok(v.description && v.description.length > 10, `${k} has no description`);
      assert.ok('default' in v, `${k} has no default`);
    }
    assert.deepStrictEqual(props.frameEval.properties.backend.enum, ['auto', 'monitoring', 'instrumented', 'evalframe', 'tracing']);
  });

  it('initial configuration and snippets are valid launch or attach configurations', () => {
    const configs = [...dbg.initialConfigurations, ...dbg.configurationSnippets.map((s: { body: Config }) => s.body)];
    assert.ok(configs.length >= 5);
    for (const c of configs) {
      assert.strictEqual(c.type, 'dapper');
      assert.ok(c.request === 'launch' || c.request === 'attach', String(c.request));
      const props = dbg.configurationAttributes[c.request as string].properties;
      for (const k of Object.keys(c)) assert.ok(['type', 'request', 'name'].includes(k) || k in props, `unknown key ${k}`);
    }
    const labels = dbg.configurationSnippets.map((s: { label: string }) => s.label);
    assert.ok(labels.some((l: string) => /Module/.test(l)) && labels.some((l: string) => /Arguments/.test(l)));
    assert.ok(labels.some((l: string) => /Attach/.test(l)));
    assert.strictEqual(dbg.variables.pickArgs, 'dapper.pickArgs');
    assert.strictEqual(dbg.variables.pickProcess, 'dapper.pickProcess');
  });
});
