// The debug configuration provider and the adapter descriptor factory of the
// `dapper` debug type: thin VS Code glue over config.ts and adapter.ts.

import * as vscode from 'vscode';
import { adapterPath, adapterProblem, descriptorFor, debugServer, runtimeProblem } from './adapter';
import { Config, currentFileConfig, resolveConfig, splitArgs } from './config';

/** The "Run and Debug" drop-down's dynamic entry (launch.json's first
 * configurations come from package.json's initialConfigurations). */
export const dynamicConfigurations: vscode.DebugConfigurationProvider = {
  provideDebugConfigurations: () => [currentFileConfig() as vscode.DebugConfiguration],
};

/** The interpreter the Python extension selected for a folder, through its
 * public `environments` API; undefined when it is not installed or fails. */
export async function selectedInterpreter(folder: vscode.WorkspaceFolder | undefined): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension('ms-python.python');
  if (ext === undefined) return undefined;
  try {
    const api = ext.isActive ? ext.exports : await ext.activate();
    const envs = api?.environments;
    if (envs === undefined) return undefined;
    const active = envs.getActiveEnvironmentPath(folder?.uri);
    const resolved = await envs.resolveEnvironment(active);
    const exe: string | undefined = resolved?.executable?.uri?.fsPath ?? active?.path;
    return exe || undefined;
  } catch {
    return undefined;
  }
}

function settings(folder?: vscode.WorkspaceFolder) {
  const cfg = vscode.workspace.getConfiguration('dapper', folder?.uri);
  return { python: cfg.get<string>('python') ?? '', adapterPath: cfg.get<string>('adapterPath') ?? '' };
}

export class DapperConfigurationProvider implements vscode.DebugConfigurationProvider {
  constructor(
    private readonly extensionPath: string,
    private readonly interpreter: (f?: vscode.WorkspaceFolder) => Promise<string | undefined> = selectedInterpreter,
  ) {}

  async resolveDebugConfiguration(
    folder: vscode.WorkspaceFolder | undefined,
    config: vscode.DebugConfiguration,
  ): Promise<vscode.DebugConfiguration | undefined> {
    const editor = vscode.window.activeTextEditor;
    const r = await resolveConfig(config as Config, {
      activeFile: editor && { fsPath: editor.document.uri.fsPath, languageId: editor.document.languageId },
      folder: folder?.uri.fsPath,
      selectedInterpreter: () => this.interpreter(folder),
      pythonSetting: settings(folder).python,
    });
    if ('error' in r) {
      void vscode.window.showErrorMessage(r.error);
      return undefined;
    }
    return r.config as vscode.DebugConfiguration;
  }

  /** After ${...} substitution: a string `args` becomes words, and the
   * adapter binary and the runtime for the chosen Python are checked so a
   * problem is named before anything starts. */
  async resolveDebugConfigurationWithSubstitutedVariables(
    folder: vscode.WorkspaceFolder | undefined,
    config: vscode.DebugConfiguration,
  ): Promise<vscode.DebugConfiguration | undefined> {
    if (typeof config.args === 'string') {
      try {
        config.args = splitArgs(config.args);
      } catch (e) {
        void vscode.window.showErrorMessage(`dapper: "args": ${(e as Error).message}`);
        return undefined;
      }
    }
    if (debugServer(config) !== undefined || config.request === 'attach') return config;
    const adapter = adapterPath(settings(folder).adapterPath, this.extensionPath);
    const problem = (await adapterProblem(adapter)) ?? (await runtimeProblem(config, adapter, process.env));
    if (problem !== undefined) {
      void vscode.window.showErrorMessage(problem);
      return undefined;
    }
    return config;
  }
}

export class DapperDescriptorFactory implements vscode.DebugAdapterDescriptorFactory {
  constructor(private readonly extensionPath: string) {}

  async createDebugAdapterDescriptor(session: vscode.DebugSession): Promise<vscode.DebugAdapterDescriptor> {
    const adapter = adapterPath(settings(session.workspaceFolder).adapterPath, this.extensionPath);
    const d = descriptorFor(session.configuration as Config, adapter);
    if (d.kind === 'server') return new vscode.DebugAdapterServer(d.port, d.host);
    const problem = await adapterProblem(d.command);
    if (problem !== undefined) throw new Error(problem);
    return new vscode.DebugAdapterExecutable(d.command, d.args);
  }
}

/** `${command:pickArgs}`: asks for the program's arguments (a string, split
 * like a shell would by resolveDebugConfigurationWithSubstitutedVariables). */
export async function pickArgs(): Promise<string | undefined> {
  return vscode.window.showInputBox({
    title: 'Program arguments',
    prompt: 'Arguments for the program, split into words as a shell would (no expansion)',
    ignoreFocusOut: true,
  });
}

/** The user's own Python processes as `ps -x -o pid=,args=` prints them
 * (one "PID ARGS" per line): [pid, command line], this extension host's
 * own process left out. */
export function pythonProcesses(psOutput: string, self: number): Array<{ pid: number; args: string }> {
  const found: Array<{ pid: number; args: string }> = [];
  for (const line of psOutput.split('\n')) {
    const m = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (!m || Number(m[1]) === self) continue;
    const exe = m[2].split(/\s+/)[0].split('/').pop() ?? '';
    if (/^python(\d(\.\d+)?)?$/.test(exe)) found.push({ pid: Number(m[1]), args: m[2] });
  }
  return found;
}

/** `${command:pickProcess}`: a quick pick of the user's Python processes;
 * returns the chosen pid as a string (what `processId` takes). */
export async function pickProcess(): Promise<string | undefined> {
  const { execFile } = await import('child_process');
  const out = await new Promise<string>((resolve) =>
    execFile('ps', ['-x', '-o', 'pid=,args='], { maxBuffer: 8 << 20 }, (err, stdout) => resolve(err ? '' : stdout)),
  );
  const items = pythonProcesses(out, process.pid).map((p) => ({ label: String(p.pid), description: p.args }));
  const pick = await vscode.window.showQuickPick(items, {
    title: 'Attach to a Python process',
    placeHolder: items.length ? 'Your Python processes (pid, command line)' : 'No Python process of yours is running',
    matchOnDescription: true,
    ignoreFocusOut: true,
  });
  return pick?.label;
}
