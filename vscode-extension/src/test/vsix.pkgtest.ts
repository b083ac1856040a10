// `npm run test:vsix`: packs the extension with scripts/package.js from the
// CMake build in DAPPER_BUILD_DIR (default ../build/dev, used as it is),
// checks what the .vsix holds, unpacks it as VS Code would and debugs a
// program with the unpacked adapter and runtime on every interpreter in
// DAPPER_VSIX_PYTHONS (':'-separated; default python3).
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as yauzl from 'yauzl';
import { adapterProblem, runtimeDir, runtimeProblem, runtimeVersions } from '../adapter';
import { parseBackendLine } from '../status';
import { DapClient } from './dap';

const ext = path.resolve(__dirname, '..', '..');
const build = path.resolve(process.env.DAPPER_BUILD_DIR || path.join(ext, '..', 'build', 'dev'));
const pythons = (process.env.DAPPER_VSIX_PYTHONS || 'python3').split(':').filter((p) => p !== '');

interface Entry {
  name: string;
  mode: number;
  data: Buffer;
}

function readZip(file: string): Promise<Entry[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      const entries: Entry[] = [];
      zip.on('entry', (e: yauzl.Entry) => {
        zip.openReadStream(e, (err2, stream) => {
          if (err2 || !stream) return reject(err2);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            entries.push({ name: e.fileName, mode: (e.externalFileAttributes >>> 16) & 0o7777, data: Buffer.concat(chunks) });
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(entries));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

/** Unpacks `extension/` the way VS Code installs a .vsix (modes kept). */
function unpack(entries: Entry[], dir: string): void {
  for (const e of entries) {
    if (!e.name.startsWith('extension/') || e.name.endsWith('/')) continue;
    const out = path.join(dir, e.name.slice('extension/'.length));
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, e.data, { mode: e.mode || 0o644 });
  }
}

describe('the packaged .vsix', function () {
  this.timeout(180000);
  let tmp: string;
  let entries: Entry[];
  let installed: string;

  before(async () => {
    assert.ok(fs.existsSync(path.join(build, 'CMakeCache.txt')), `${build} is not a CMake build directory`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dapper-vsix-'));
    const vsix = path.join(tmp, 'dapper.vsix');
    execFileSync(process.execPath, [path.join(ext, 'scripts', 'package.js'), '--out', vsix], {
      cwd: ext,
      env: { ...process.env, DAPPER_BUILD_DIR: build, DAPPER_VSIX_NO_BUILD: '1' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    entries = await readZip(vsix);
    installed = path.join(tmp, 'installed');
    unpack(entries, installed);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const entry = (name: string) => entries.find((e) => e.name === name);

  it('contributes the dapper debug type', () => {
    const pkg = JSON.parse(entry('extension/package.json')!.data.toString());
    assert.strictEqual(pkg.main, './out/extension.js');
    assert.ok(entry('extension/out/extension.js'), 'no out/extension.js');
    const dbg = pkg.contributes.debuggers[0];
    assert.strictEqual(dbg.type, 'dapper');
    assert.deepStrictEqual(dbg.languages, ['python']);
    assert.ok('program' in dbg.configurationAttributes.launch.properties);
    assert.deepStrictEqual(pkg.contributes.breakpoints, [{ language: 'python' }]);
    const manifest = entry('extension.vsixmanifest')!.data.toString();
    assert.match(manifest, /TargetPlatform="linux-x64"|TargetPlatform="[a-z]+-[a-z0-9]+"/);
  });

  it('bundles the executable adapter and the runtime for every Python the build has', () => {
    const adapter = entry('extension/dist/bin/dapper-adapter');
    assert.ok(adapter, 'no dist/bin/dapper-adapter');
    assert.strictEqual(adapter.mode & 0o111, 0o111, `adapter mode ${adapter.mode.toString(8)}`);
    const built = fs.readdirSync(path.join(build, 'runtime')).filter((n) => /^_dapper_runtime\..*\.so$/.test(n));
    assert.ok(built.length > 0);
    for (const n of [...built, 'boot/sitecustomize.py', '_dapper_support.py', '_dapper_inspect.py', '_dapper_values.py', '_dapper_budget.py', '_dapper_renderers.py', '_dapper_instrument.py'])
      assert.ok(entry(`extension/dist/lib/dapper-adapter/runtime/${n}`), `runtime file ${n} missing`);
    const stray = entries.filter((e) => /^extension\/(src|node_modules|scripts|out\/test)\//.test(e.name));
    assert.deepStrictEqual(stray.map((e) => e.name), []);
  });

  it('passes the extension checks once unpacked', async () => {
    const adapter = path.join(installed, 'dist', 'bin', 'dapper-adapter');
    assert.strictEqual(await adapterProblem(adapter), undefined);
    const dir = runtimeDir(adapter);
    assert.strictEqual(dir, path.join(installed, 'dist', 'lib', 'dapper-adapter', 'runtime'));
    assert.ok(runtimeVersions(dir!).length > 0);
    for (const py of pythons) assert.strictEqual(await runtimeProblem({ python: py }, adapter, process.env), undefined);
  });

  for (const py of pythons) {
    it(`debugs a program with the unpacked adapter and runtime (${py})`, async () => {
      const program = path.join(tmp, 'hello.py');
      fs.writeFileSync(program, 'import sys\nx = 41\nprint("hello from the vsix", x + 1, "%d.%d" % sys.version_info[:2])\nsys.exit(3)\n');
      const version = execFileSync(py, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])']).toString().trim();
      const dap = new DapClient(path.join(installed, 'dist', 'bin', 'dapper-adapter'));
      try {
        const init = await dap.request('initialize', { adapterID: 'dapper', clientID: 'vsix-test', linesStartAt1: true, columnsStartAt1: true });
        assert.ok(init.success, init.message);
        const launch = dap.request('launch', { program, python: py, cwd: tmp, stopOnEntry: true });
        await dap.event('initialized');
        const done = await dap.request('configurationDone');
        assert.ok(done.success, done.message);
        const launched = await launch;
        assert.ok(launched.success, launched.message);
        const stopped = await dap.event('stopped');
        assert.strictEqual(stopped.body.reason, 'entry');

        // what the status bar item reads: the console line and the statistics
        const backend = parseBackendLine(dap.output('console').split('\n').find((l) => l.startsWith('dapper: breakpoints use')) ?? '');
        assert.ok(backend, `no backend line in: ${dap.output('console')}`);
        assert.strictEqual(backend.name, version === '3.11' ? 'instrumented' : 'monitoring');
        const stats = await dap.request('dapper/statistics');
        assert.ok(stats.success, stats.message);
        assert.strictEqual(stats.body.backend, backend.name);
        assert.strictEqual(typeof stats.body.trace_calls_saved, 'number');

        assert.ok((await dap.request('continue', { threadId: stopped.body.threadId })).success);
        const exited = await dap.event('exited');
        await dap.event('terminated');
        assert.strictEqual(exited.body.exitCode, 3);
        assert.strictEqual(dap.output('stdout'), `hello from the vsix 42 ${version}\n`);
        await dap.request('disconnect', {});
      } finally {
        await dap.close();
      }
    });
  }
});
