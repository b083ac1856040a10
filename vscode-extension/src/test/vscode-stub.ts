// The part of the `vscode` API the providers use, recorded so tests can see
// what a user would (error notifications) and set what VS Code would hand
// over (active editor, settings). Installed by hook.ts for require('vscode').

export const calls = { errors: [] as string[] };

export const state = {
  activeTextEditor: undefined as undefined | { document: { uri: { fsPath: string }; languageId: string } },
  settings: {} as Record<string, unknown>,
  extensions: {} as Record<string, unknown>,
};

export function reset(): void {
  calls.errors = [];
  state.activeTextEditor = undefined;
  state.settings = {};
  state.extensions = {};
}

export const window = {
  get activeTextEditor() {
    return state.activeTextEditor;
  },
  showErrorMessage(message: string) {
    calls.errors.push(message);
    return Promise.resolve(undefined);
  },
};

export const workspace = {
  getConfiguration(section: string) {
    return { get: <T>(key: string): T | undefined => state.settings[`${section}.${key}`] as T | undefined };
  },
};

export const extensions = {
  getExtension(id: string) {
    return state.extensions[id];
  },
};

export class DebugAdapterExecutable {
  constructor(
    public readonly command: string,
    public readonly args: string[] = [],
  ) {}
}

export class DebugAdapterServer {
  constructor(
    public readonly port: number,
    public readonly host?: string,
  ) {}
}
