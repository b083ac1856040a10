// How a `dapper` session's adapter is found and started, and the checks that
// turn "the debug adapter process has terminated unexpectedly" into a message
// naming the problem. No `vscode` import: the extension turns the results into
// DebugAdapterExecutable / DebugAdapterServer and notifications.

import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { attachTarget, Config, mergedEnv, pythonArgv } from './config';

/** Where `npm run package` puts the adapter inside the extension. */
export const BUNDLED_ADAPTER = path.join('dist', 'bin', 'dapper-adapter');

/** Runtime directories the adapter looks for, relative to its own directory
 * (adapter/server.c: installed layout, then the build tree). */
const RUNTIME_RELATIVE = [path.join('..', 'lib', 'dapper-adapter', 'runtime'), path.join('..', 'runtime')];

const RUNTIME_MODULE = /^_dapper_runtime\.cpython-3(\d+)-.*\.so$/;

export type Descriptor =
  | { kind: 'server'; host: string; port: number }
  | { kind: 'executable'; command: string; args: string[] };

/** The adapter binary: the `dapper.adapterPath` setting, else the bundled one. */
export function adapterPath(setting: string, extensionPath: string): string {
  const s = setting.trim();
  if (s === '') return path.join(extensionPath, BUNDLED_ADAPTER);
  if (s === '~' || s.startsWith('~/')) return path.join(os.homedir(), s.slice(1));
  return path.resolve(extensionPath, s);
}

/** How VS Code reaches the adapter: `debugServer` (a port, or "host:port")
 * connects to a running `dapper-adapter --port`; otherwise the binary is
 * started and speaks DAP on stdio. */
export function descriptorFor(config: Config, adapter: string): Descriptor {
  const server = debugServer(config);
  if (server !== undefined) return { kind: 'server', ...server };
  // attach: the `dapper-adapter --listen` that runs the program is the
  // adapter; VS Code speaks DAP to it over TCP
  const target = config.request === 'attach' ? attachTarget(config) : undefined;
  if (target !== undefined) return { kind: 'server', ...target };
  return { kind: 'executable', command: adapter, args: [] };
}

export function debugServer(config: Config): { host: string; port: number } | undefined {
  const ds = config.debugServer;
  if (typeof ds === 'number') return { host: '127.0.0.1', port: ds };
  if (typeof ds === 'string' && ds !== '') {
    const m = /^(?:(.*):)?(\d+)$/.exec(ds);
    if (m) return { host: m[1] || '127.0.0.1', port: Number(m[2]) };
  }
  return undefined;
}

/** Why the adapter at `file` cannot be started, or undefined when it runs. */
export async function adapterProblem(file: string): Promise<string | undefined> {
  const hint = 'Set "dapper.adapterPath" to a dapper-adapter binary, or reinstall the extension.';
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    return `The dapper-adapter binary was not found at ${file}. ${hint}`;
  }
  if (!st.isFile()) return `${file} is not a dapper-adapter binary (not a file). ${hint}`;
  try {
    fs.accessSync(file, fs.constants.X_OK);
  } catch {
    return `The dapper-adapter binary ${file} is not executable (chmod +x it). ${hint}`;
  }
  const key = `${file}:${st.mtimeMs}:${st.size}`;
  if (runsOk.has(key)) return undefined;
  const r = await run(file, ['--version'], {});
  if (r.error !== undefined || r.code !== 0) {
    const why = firstLine(r.stderr) || r.error || `exit status ${r.code}`;
    return `The dapper-adapter binary ${file} does not run: ${why}`;
  }
  runsOk.add(key);
  return undefined;
}
const runsOk = new Set<string>();

/** The runtime directory the adapter at `file` will use, or undefined. */
export function runtimeDir(file: string): string | undefined {
  let dir: string;
  try {
    dir = path.dirname(fs.realpathSync(file));
  } catch {
    return undefined;
  }
  for (const rel of RUNTIME_RELATIVE) {
    const cand = path.join(dir, rel);
    if (fs.existsSync(path.join(cand, 'boot', 'sitecustomize.py'))) return cand;
  }
  return undefined;
}

/** The Python versions ("3.12") a runtime directory has a module for. */
export function runtimeVersions(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const minors = new Set<number>();
  for (const n of names) {
    const m = RUNTIME_MODULE.exec(n);
    if (m) minors.add(Number(m[1]));
  }
  return [...minors].sort((a, b) => a - b).map((m) => `3.${m}`);
}

/** "3.12" for the interpreter argv, run as the debugger will run it (same
 * cwd and environment), or an error text when it cannot be run. */
export async function pythonVersion(
  argv: string[],
  cwd: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<{ version: string; implementation: string } | { error: string }> {
  const code = 'import sys; print("%d.%d" % sys.version_info[:2], sys.implementation.name)';
  const exe = resolveOnPath(argv[0], cwd, env.PATH);
  const r = await run(exe, [...argv.slice(1), '-c', code], { cwd, env });
  if (r.error !== undefined) return { error: r.error };
  const m = /^(\d+\.\d+) (\w+)/.exec(r.stdout.trim());
  if (r.code !== 0 || !m) return { error: firstLine(r.stderr) || `exit status ${r.code}` };
  return { version: m[1], implementation: m[2] };
}

/**
 * Why the configuration's interpreter cannot be debugged with the runtime
 * next to `adapter`, or undefined. An interpreter that cannot be started at
 * all is left to the adapter, whose launch error says so.
 */
export async function runtimeProblem(
  config: Config,
  adapter: string,
  baseEnv: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  if (config.noDebug === true) return undefined;
  const dir = runtimeDir(adapter);
  if (dir === undefined)
    return `No dapper runtime next to ${adapter} (looked in ${RUNTIME_RELATIVE.join(' and ')}).`;
  const supported = runtimeVersions(dir);
  const argv = pythonArgv(config);
  const cwd = typeof config.cwd === 'string' && fs.existsSync(config.cwd) ? config.cwd : undefined;
  const probe = await pythonVersion(argv, cwd, mergedEnv(baseEnv, config));
  if ('error' in probe) return undefined;
  const list = supported.length > 0 ? supported.join(', ') : 'none';
  const choose = 'Choose another interpreter with "python" or "dapper.python".';
  if (probe.implementation !== 'cpython')
    return `${argv[0]} is ${probe.implementation} ${probe.version}: dapper debugs CPython only (supported: ${list}). ${choose}`;
  if (supported.includes(probe.version)) return undefined;
  return `${argv[0]} is Python ${probe.version}, which this dapper build has no runtime for (supported: ${list}; ${dir}). ${choose}`;
}

function resolveOnPath(exe: string, cwd: string | undefined, searchPath: string | undefined): string {
  if (exe.includes('/')) return path.resolve(cwd ?? process.cwd(), exe);
  for (const dir of (searchPath ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const cand = path.join(dir, exe);
    try {
      fs.accessSync(cand, fs.constants.X_OK);
      if (fs.statSync(cand).isFile()) return cand;
    } catch {
      /* next */
    }
  }
  return exe;
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  error?: string;
}

function run(
  file: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv },
): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, args, { ...opts, timeout: 10000, encoding: 'utf8' }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: unknown; killed?: boolean }) | null;
      if (e === null) resolve({ code: 0, stdout, stderr });
      else if (e.killed) resolve({ code: null, stdout, stderr, error: 'timed out' });
      else if (typeof e.code === 'number') resolve({ code: e.code, stdout, stderr });
      else resolve({ code: null, stdout, stderr, error: e.message });
    });
  });
}
