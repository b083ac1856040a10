import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  adapterPath,
  adapterProblem,
  descriptorFor,
  pythonVersion,
  runtimeDir,
  runtimeProblem,
  runtimeVersions,
} from '../adapter';

/** A fake installed adapter: PREFIX/bin/dapper-adapter (a shell script) and
 * PREFIX/lib/dapper-adapter/runtime with runtime modules for `minors`. */
function fakeInstall(root: string, minors: number[], script = 'echo "dapper-adapter 0.1.0"'): string {
  const bin = path.join(root, 'bin');
  const rt = path.join(root, 'lib', 'dapper-adapter', 'runtime');
  fs.mkdirSync(bin, { recursive: true });
  fs.mkdirSync(path.join(rt, 'boot'), { recursive: true });
  fs.writeFileSync(path.join(rt, 'boot', 'sitecustomize.py'), '');
  for (const m of minors) fs.writeFileSync(path.join(rt, `_dapper_runtime.cpython-3${m}-x86_64-linux-gnu.so`), '');
  const exe = path.join(bin, 'dapper-adapter');
  fs.writeFileSync(exe, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  return exe;
}

/** A fake interpreter answering the version probe like CPython `minor`. */
function fakePython(dir: string, answer: string): string {
  const exe = path.join(dir, 'fakepython');
  fs.writeFileSync(exe, `#!/bin/sh\necho "${answer}"\n`, { mode: 0o755 });
  return exe;
}

describe('adapter', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dapper-ext-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('uses the bundled binary unless dapper.adapterPath is set', () => {
    assert.strictEqual(adapterPath('', '/ext'), '/ext/dist/bin/dapper-adapter');
    assert.strictEqual(adapterPath(' /opt/dapper/bin/dapper-adapter ', '/ext'), '/opt/dapper/bin/dapper-adapter');
    assert.strictEqual(adapterPath('~/bin/dapper-adapter', '/ext'), path.join(os.homedir(), 'bin/dapper-adapter'));
  });

  it('starts the binary over stdio, or connects to debugServer', () => {
    assert.deepStrictEqual(descriptorFor({ program: 'a.py' }, '/x/dapper-adapter'), {
      kind: 'executable',
      command: '/x/dapper-adapter',
      args: [],
    });
    assert.deepStrictEqual(descriptorFor({ debugServer: 5678 }, '/x'), { kind: 'server', host: '127.0.0.1', port: 5678 });
    assert.deepStrictEqual(descriptorFor({ debugServer: '::1:4711' }, '/x'), { kind: 'server', host: '::1', port: 4711 });
    // attach: VS Code speaks DAP to the --listen adapter that runs the program
    assert.deepStrictEqual(descriptorFor({ request: 'attach', connect: { port: 5678 } }, '/x'), {
      kind: 'server', host: '127.0.0.1', port: 5678,
    });
    assert.deepStrictEqual(descriptorFor({ request: 'attach', connect: { host: '10.0.0.2', port: 7 } }, '/x'), {
      kind: 'server', host: '10.0.0.2', port: 7,
    });
    // attach listen: the bundled adapter waits for the program (--connect)
    assert.deepStrictEqual(descriptorFor({ request: 'attach', listen: { port: 5678 } }, '/x/dapper-adapter'), {
      kind: 'executable', command: '/x/dapper-adapter', args: [],
    });
    // attach by processId: the adapter is started as for launch (stdio)
    assert.deepStrictEqual(descriptorFor({ request: 'attach', processId: '4242' }, '/x'), {
      kind: 'executable', command: '/x', args: [],
    });
  });

  it('names a missing, non-file, non-executable or broken binary', async () => {
    assert.match((await adapterProblem(path.join(tmp, 'nope'))) ?? '', /was not found at .*nope.*dapper\.adapterPath/);
    assert.match((await adapterProblem(tmp)) ?? '', /not a file/);
    const plain = path.join(tmp, 'plain');
    fs.writeFileSync(plain, '#!/bin/sh\n', { mode: 0o644 });
    assert.match((await adapterProblem(plain)) ?? '', /is not executable/);
    const broken = fakeInstall(path.join(tmp, 'b'), [11], 'echo "error while loading shared libraries: libuv.so.1" >&2; exit 127');
    assert.match((await adapterProblem(broken)) ?? '', /does not run: error while loading shared libraries: libuv\.so\.1/);
    assert.strictEqual(await adapterProblem(fakeInstall(path.join(tmp, 'ok'), [11])), undefined);
  });

  it('finds the runtime where the adapter does, through symlinks', () => {
    const exe = fakeInstall(path.join(tmp, 'prefix'), [11, 13, 12]);
    assert.strictEqual(runtimeDir(exe), path.join(tmp, 'prefix', 'lib', 'dapper-adapter', 'runtime'));
    assert.deepStrictEqual(runtimeVersions(runtimeDir(exe)!), ['3.11', '3.12', '3.13']);
    const link = path.join(tmp, 'link');
    fs.symlinkSync(exe, link);
    assert.strictEqual(runtimeDir(link), runtimeDir(exe));
    // the build tree: build/adapter/dapper-adapter and build/runtime
    fs.mkdirSync(path.join(tmp, 'build', 'adapter'), { recursive: true });
    fs.mkdirSync(path.join(tmp, 'build', 'runtime', 'boot'), { recursive: true });
    fs.writeFileSync(path.join(tmp, 'build', 'runtime', 'boot', 'sitecustomize.py'), '');
    fs.writeFileSync(path.join(tmp, 'build', 'adapter', 'dapper-adapter'), '', { mode: 0o755 });
    assert.strictEqual(runtimeDir(path.join(tmp, 'build', 'adapter', 'dapper-adapter')), path.join(tmp, 'build', 'runtime'));
    assert.strictEqual(runtimeDir(path.join(tmp, 'nowhere')), undefined);
  });

  it('reads the version of a real interpreter', async () => {
    const r = await pythonVersion(['python3'], undefined, process.env);
    assert.ok('version' in r && /^3\.\d+$/.test(r.version), JSON.stringify(r));
    const bad = await pythonVersion(['no-such-python-here'], undefined, process.env);
    assert.ok('error' in bad && /ENOENT/.test(bad.error), JSON.stringify(bad));
  });

  it('refuses a Python the runtime was not built for, naming the supported versions', async () => {
    const exe = fakeInstall(path.join(tmp, 'prefix'), [12, 13]);
    const py = fakePython(tmp, '3.10 cpython');
    const msg = await runtimeProblem({ python: py, program: 'a.py' }, exe, process.env);
    assert.ok(msg !== undefined);
    assert.match(msg, /is Python 3\.10, which this dapper build has no runtime for \(supported: 3\.12, 3\.13;/);
    // the same interpreter found on the configuration's PATH
    const byName = await runtimeProblem({ python: 'fakepython', env: { PATH: tmp } }, exe, {});
    assert.match(byName ?? '', /fakepython is Python 3\.10/);
    // without the runtime (noDebug) any Python will do
    assert.strictEqual(await runtimeProblem({ python: py, noDebug: true }, exe, process.env), undefined);
    // a supported version passes
    assert.strictEqual(await runtimeProblem({ python: fakePython(tmp, '3.13 cpython') }, exe, process.env), undefined);
    // PyPy is not CPython
    assert.match(
      (await runtimeProblem({ python: fakePython(tmp, '3.12 pypy') }, exe, process.env)) ?? '',
      /is pypy 3\.12: dapper debugs CPython only \(supported: 3\.12, 3\.13\)/,
    );
    // an interpreter that does not start is left to the adapter's launch error
    assert.strictEqual(await runtimeProblem({ python: path.join(tmp, 'missing') }, exe, process.env), undefined);
  });

  it('says when there is no runtime next to the adapter', async () => {
    const exe = path.join(tmp, 'bin', 'dapper-adapter');
    fs.mkdirSync(path.dirname(exe));
    fs.writeFileSync(exe, '#!/bin/sh\n', { mode: 0o755 });
    assert.match((await runtimeProblem({ python: 'python3' }, exe, process.env)) ?? '', /No dapper runtime next to/);
  });
});
