// The VS Code glue, with the vscode stub: what the user sees when F5
// resolves a configuration and when the adapter is started.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type * as vscodeTypes from 'vscode';
import { DapperConfigurationProvider, DapperDescriptorFactory, pythonProcesses, selectedInterpreter } from '../providers';
import * as stub from './vscode-stub';

type DebugConfiguration = vscodeTypes.DebugConfiguration;

/** An extension directory as `npm run package` lays it out, with a working
 * adapter (a script) and runtime modules for `minors`. */
function fakeExtension(root: string, minors: number[]): string {
  const rt = path.join(root, 'dist', 'lib', 'dapper-adapter', 'runtime');
  fs.mkdirSync(path.join(rt, 'boot'), { recursive: true });
  fs.writeFileSync(path.join(rt, 'boot', 'sitecustomize.py'), '');
  for (const m of minors) fs.writeFileSync(path.join(rt, `_dapper_runtime.cpython-3${m}-x86_64-linux-gnu.so`), '');
  fs.mkdirSync(path.join(root, 'dist', 'bin'));
  fs.writeFileSync(path.join(root, 'dist', 'bin', 'dapper-adapter'), '#!/bin/sh\necho dapper-adapter 0.1.0\n', { mode: 0o755 });
  return root;
}

function pythonAnswering(dir: string, answer: string): string {
  const exe = path.join(dir, `python-${answer.replace(/\W/g, '')}`);
  fs.writeFileSync(exe, `#!/bin/sh\necho "${answer}"\n`, { mode: 0o755 });
  return exe;
}

describe('providers (vscode stub)', () => {
  let tmp: string;
  let ext: string;
  beforeEach(() => {
    stub.reset();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dapper-prov-'));
    ext = fakeExtension(path.join(tmp, 'ext'), [11, 12]);
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const folder = { uri: { fsPath: '/ws' }, name: 'ws', index: 0 } as unknown as vscodeTypes.WorkspaceFolder;

  it('F5 with no launch.json: the open file with the Python extension interpreter', async () => {
    stub.state.activeTextEditor = { document: { uri: { fsPath: '/ws/main.py' }, languageId: 'python' } };
    const p = new DapperConfigurationProvider(ext, async (f) => (f === folder ? '/ws/.venv/bin/python' : undefined));
    const c = await p.resolveDebugConfiguration(folder, {} as DebugConfiguration);
    assert.deepStrictEqual(c, {
      type: 'dapper',
      request: 'launch',
      name: 'Python (dapper): Current File',
      program: '${file}',
      cwd: '/ws',
      python: '/ws/.venv/bin/python',
    });
    assert.deepStrictEqual(stub.calls.errors, []);
  });

  it('without the Python extension: the dapper.python setting', async () => {
    stub.state.activeTextEditor = { document: { uri: { fsPath: '/ws/main.py' }, languageId: 'python' } };
    stub.state.settings['dapper.python'] = '/usr/bin/python3.12';
    const p = new DapperConfigurationProvider(ext);
    const c = await p.resolveDebugConfiguration(folder, {} as DebugConfiguration);
    assert.strictEqual(c?.python, '/usr/bin/python3.12');
  });

  it('reads the Python extension environments API', async () => {
    const uri = folder.uri;
    stub.state.extensions['ms-python.python'] = {
      isActive: false,
      activate: async () => ({
        environments: {
          getActiveEnvironmentPath: (r: unknown) => (r === uri ? { id: 'venv', path: '/ws/.venv' } : undefined),
          resolveEnvironment: async (e: { path: string }) => ({ executable: { uri: { fsPath: `${e.path}/bin/python` } } }),
        },
      }),
    };
    assert.strictEqual(await selectedInterpreter(folder), '/ws/.venv/bin/python');
    stub.state.extensions['ms-python.python'] = { isActive: true, exports: {} };
    assert.strictEqual(await selectedInterpreter(folder), undefined);
    stub.state.extensions = {};
    assert.strictEqual(await selectedInterpreter(folder), undefined);
  });

  it('shows an error notification and does not start for an attach without a port or a non-Python file', async () => {
    const p = new DapperConfigurationProvider(ext, async () => undefined);
    stub.state.activeTextEditor = { document: { uri: { fsPath: '/ws/README.md' }, languageId: 'markdown' } };
    assert.strictEqual(await p.resolveDebugConfiguration(folder, {} as DebugConfiguration), undefined);
    assert.strictEqual(
      await p.resolveDebugConfiguration(folder, { type: 'dapper', request: 'attach', name: 'a' }),
      undefined,
    );
    assert.strictEqual(stub.calls.errors.length, 2);
    assert.match(stub.calls.errors[0], /Open a Python file/);
    assert.match(stub.calls.errors[1], /--listen/);
    // with a port: resolved, and no adapter binary check (the --listen adapter is the adapter)
    const cfg = { type: 'dapper', request: 'attach', name: 'a', connect: { host: 'h', port: 5679 } };
    assert.deepStrictEqual(await p.resolveDebugConfiguration(folder, { ...cfg }), cfg);
    assert.deepStrictEqual(await p.resolveDebugConfigurationWithSubstitutedVariables(folder, { ...cfg }), cfg);
    assert.strictEqual(stub.calls.errors.length, 2);
  });

  it('checks the adapter and the runtime after substitution', async () => {
    const p = new DapperConfigurationProvider(ext, async () => undefined);
    const base = { type: 'dapper', request: 'launch', name: 'n', program: '/ws/a.py' };
    const ok = await p.resolveDebugConfigurationWithSubstitutedVariables(folder, {
      ...base,
      python: pythonAnswering(tmp, '3.12 cpython'),
      args: `--name 'two words'`,
    });
    assert.deepStrictEqual(ok?.args, ['--name', 'two words']);
    assert.deepStrictEqual(stub.calls.errors, []);

    const py310 = pythonAnswering(tmp, '3.10 cpython');
    assert.strictEqual(await p.resolveDebugConfigurationWithSubstitutedVariables(folder, { ...base, python: py310 }), undefined);
    assert.match(stub.calls.errors.pop() ?? '', /is Python 3\.10, which this dapper build has no runtime for \(supported: 3\.11, 3\.12;/);

    stub.state.settings['dapper.adapterPath'] = path.join(tmp, 'missing-adapter');
    assert.strictEqual(await p.resolveDebugConfigurationWithSubstitutedVariables(folder, { ...base }), undefined);
    assert.match(stub.calls.errors.pop() ?? '', /dapper-adapter binary was not found at .*missing-adapter/);

    // debugServer: an adapter started by hand, nothing local to check
    const remote = await p.resolveDebugConfigurationWithSubstitutedVariables(folder, { ...base, debugServer: 5678 });
    assert.strictEqual(remote?.debugServer, 5678);

    assert.strictEqual(await p.resolveDebugConfigurationWithSubstitutedVariables(folder, { ...base, args: `"open` }), undefined);
    assert.match(stub.calls.errors.pop() ?? '', /"args": unterminated "/);
    assert.deepStrictEqual(stub.calls.errors, []);
  });

  it('descriptor factory: the bundled binary, dapper.adapterPath, debugServer', async () => {
    const f = new DapperDescriptorFactory(ext);
    const session = (configuration: object) =>
      ({ configuration, workspaceFolder: folder }) as unknown as vscodeTypes.DebugSession;
    const bundled = (await f.createDebugAdapterDescriptor(session({ program: 'a.py' }))) as unknown as stub.DebugAdapterExecutable;
    assert.ok(bundled instanceof stub.DebugAdapterExecutable);
    assert.strictEqual(bundled.command, path.join(ext, 'dist', 'bin', 'dapper-adapter'));

    const server = (await f.createDebugAdapterDescriptor(session({ debugServer: 5678 }))) as unknown as stub.DebugAdapterServer;
    assert.ok(server instanceof stub.DebugAdapterServer);
    assert.strictEqual(server.port, 5678);

    const other = path.join(tmp, 'other-adapter');
    fs.writeFileSync(other, '#!/bin/sh\necho dapper-adapter 0.1.0\n', { mode: 0o755 });
    stub.state.settings['dapper.adapterPath'] = other;
    const custom = (await f.createDebugAdapterDescriptor(session({}))) as unknown as stub.DebugAdapterExecutable;
    assert.strictEqual(custom.command, other);

    fs.chmodSync(other, 0o644);
    await assert.rejects(f.createDebugAdapterDescriptor(session({})), /other-adapter is not executable/);
  });
});

describe('pickProcess', () => {
  it('lists Python interpreters from ps output, not other programs nor itself', () => {
    const ps = [
      '    1 /sbin/init',
      '  101 /usr/bin/python3 app.py --port 8000',
      '  102 python3.12 -m http.server',
      '  103 /usr/bin/sleep 30',
      '  104 /opt/py/bin/python worker.py',
      '  105 /usr/bin/python3-config --libs',
      '  200 /usr/bin/python3 extension-host',
      '',
    ].join('\n');
    assert.deepStrictEqual(pythonProcesses(ps, 200), [
      { pid: 101, args: '/usr/bin/python3 app.py --port 8000' },
      { pid: 102, args: 'python3.12 -m http.server' },
      { pid: 104, args: '/opt/py/bin/python worker.py' },
    ]);
  });
});
