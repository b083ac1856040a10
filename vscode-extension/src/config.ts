// Launch configuration resolution for the `dapper` debug type. Nothing here
// imports `vscode`: the extension passes in what it knows (the active editor,
// the workspace folder, the interpreter the Python extension selected, the
// settings), so every rule is testable without VS Code.

import * as path from 'path';

export const DEBUG_TYPE = 'dapper';

/** A launch configuration as VS Code hands it over (launch.json or empty). */
export type Config = { [key: string]: unknown };

/** What resolution knows about the editor and the settings. */
export interface ResolveInputs {
  /** The file in the active editor, if any. */
  activeFile?: { fsPath: string; languageId: string };
  /** The workspace folder the configuration belongs to. */
  folder?: string;
  /** Asks the Python extension for its selected interpreter (undefined when
   * it is not installed or has none). Called only when it is needed. */
  selectedInterpreter(): Promise<string | undefined>;
  /** The `dapper.python` setting ('' when unset). */
  pythonSetting: string;
}

export type Resolved = { config: Config } | { error: string };

/** The configuration F5 uses when there is no launch.json. */
export function currentFileConfig(): Config {
  return {
    type: DEBUG_TYPE,
    request: 'launch',
    name: 'Python (dapper): Current File',
    program: '${file}',
  };
}

/**
 * resolveDebugConfiguration: fills what F5 without launch.json needs, checks
 * the request, and chooses the interpreter: the `python` key, else the
 * Python extension's selected interpreter, else `dapper.python`, else
 * `python3` on PATH.
 */
export async function resolveConfig(input: Config, ctx: ResolveInputs): Promise<Resolved> {
  let config: Config = { ...input };
  if (config.type === undefined && config.request === undefined && config.name === undefined) {
    if (ctx.activeFile === undefined || ctx.activeFile.languageId !== 'python')
      return {
        error:
          'Open a Python file to debug it with dapper, or add a "dapper" configuration to launch.json.',
      };
    config = { ...currentFileConfig(), ...config }; // keeps noDebug (Ctrl+F5)
  }
  if (config.type === undefined) config.type = DEBUG_TYPE;
  if (config.request === undefined) config.request = 'launch';
  if (config.request === 'attach' && config.subProcessId !== undefined) {
    // A child process of a debugged program: the adapter asked for this
    // session (startDebugging); a new adapter attaches to the child.
    if (config.name === undefined) config.name = `Subprocess ${String(config.subProcessId)}`;
    return { config };
  }
  if (config.request === 'attach') {
    const pid = config.processId;
    const hasPid = pid !== undefined && pid !== null && pid !== '';
    if (attachTarget(config) === undefined && !listensFor(config) && !hasPid)
      return {
        error:
          'dapper attaches to a program started with `dapper-adapter --listen [HOST:]PORT -- program.py` (or calling dapper.listen(PORT)): give its port as "connect": {"host": "127.0.0.1", "port": PORT}; or waits for one started with `dapper-adapter --connect HOST:PORT -- program.py`: "listen": {"host": "127.0.0.1", "port": PORT}; or to a running process: give "processId".',
      };
    if (config.name === undefined) config.name = 'Python (dapper): Attach';
    return { config };
  }
  if (config.request !== 'launch')
    return {
      error: `dapper supports "request": "launch" and "attach" (got ${JSON.stringify(config.request)}).`,
    };
  if (config.name === undefined) config.name = 'Python (dapper)';
  if (config.cwd === undefined) {
    const cwd = defaultCwd(config, ctx);
    if (cwd !== undefined) config.cwd = cwd;
  }
  if (config.python === undefined || config.python === null || config.python === '') {
    config.python = (await ctx.selectedInterpreter()) || ctx.pythonSetting || 'python3';
  }
  return { config };
}

/** Where an attach configuration's `connect` points (a --listen adapter),
 * or undefined when it names no port. */
export function attachTarget(config: Config): { host: string; port: number } | undefined {
  const c = config.connect;
  if (c === null || typeof c !== 'object' || Array.isArray(c)) return undefined;
  const { host, port } = c as { host?: unknown; port?: unknown };
  const p = typeof port === 'string' && /^\d+$/.test(port) ? Number(port) : port;
  if (typeof p !== 'number' || !Number.isInteger(p) || p <= 0 || p > 65535) return undefined;
  return { host: typeof host === 'string' && host !== '' ? host : '127.0.0.1', port: p };
}

/** An attach configuration that waits for the program (`listen`): the
 * bundled adapter runs on stdio and the program connects to it. */
export function listensFor(config: Config): boolean {
  const l = config.listen;
  return l !== null && typeof l === 'object' && !Array.isArray(l) && 'port' in l;
}

/** debugpy's default: the workspace folder; without one, the directory of
 * the open file when `program` is that file. */
function defaultCwd(config: Config, ctx: ResolveInputs): string | undefined {
  if (ctx.folder !== undefined) return ctx.folder;
  if (config.program === '${file}' && ctx.activeFile !== undefined)
    return path.dirname(ctx.activeFile.fsPath);
  return undefined;
}

/**
 * Splits an `args` string into words the way a POSIX shell does, with no
 * expansion: single quotes keep everything, double quotes keep everything
 * but `\"`, `\\`, `\$` and `` \` ``, a backslash outside quotes keeps the next
 * character. Throws on an unterminated quote.
 */
export function splitArgs(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' in arguments: ${text}`);
      word += text.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && j + 1 < text.length && '"\\$`'.includes(text[j + 1])) j++;
        word += text[j];
      }
      if (j >= text.length) throw new Error(`unterminated " in arguments: ${text}`);
      inWord = true;
      i = j;
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** The interpreter argv a configuration names (`python` string or array). */
export function pythonArgv(config: Config): string[] {
  const py = config.python;
  if (Array.isArray(py)) return py.map(String);
  if (typeof py === 'string' && py !== '') return [py];
  return ['python3'];
}

/**
 * The environment the debugger will give the interpreter: the adapter's
 * (`base`) with the configuration's `env` merged in (`null` removes).
 */
export function mergedEnv(base: NodeJS.ProcessEnv, config: Config): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  const extra = config.env;
  if (extra !== null && typeof extra === 'object' && !Array.isArray(extra)) {
    for (const [k, v] of Object.entries(extra as Record<string, unknown>)) {
      if (v === null) delete env[k];
      else if (typeof v === 'string') env[k] = v;
    }
  }
  return env;
}
