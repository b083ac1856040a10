// The status bar item of `dapper` sessions: the breakpoint backend in use,
// with the runtime's live statistics (`dapper/statistics`) as its tooltip,
// refreshed every few seconds while the program runs, when it stops and on
// click. Fed by a DebugAdapterTracker.

import * as vscode from 'vscode';
import { DapMessage, SessionStatus } from './status';
import { DEBUG_TYPE } from './config';

const POLL_MS = 2000;

interface Entry {
  session: vscode.DebugSession;
  status: SessionStatus;
  timer?: ReturnType<typeof setInterval>;
  fetching?: Promise<void>;
}

export class StatusBar implements vscode.Disposable, vscode.DebugAdapterTrackerFactory {
  private readonly entries = new Map<string, Entry>();
  private readonly item: vscode.StatusBarItem;
  private readonly output: vscode.OutputChannel;
  private readonly disposables: vscode.Disposable[] = [];

  constructor() {
    this.item = vscode.window.createStatusBarItem('dapper.backend', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'dapper';
    this.item.command = 'dapper.showStatistics';
    this.output = vscode.window.createOutputChannel('dapper');
    this.disposables.push(
      this.item,
      this.output,
      vscode.debug.registerDebugAdapterTrackerFactory(DEBUG_TYPE, this),
      vscode.debug.onDidTerminateDebugSession((s) => this.forget(s)),
      vscode.debug.onDidChangeActiveDebugSession(() => this.render()),
      vscode.commands.registerCommand('dapper.showStatistics', () => this.showStatistics()),
    );
  }

  createDebugAdapterTracker(session: vscode.DebugSession): vscode.DebugAdapterTracker {
    const entry: Entry = { session, status: new SessionStatus() };
    this.entries.set(session.id, entry);
    return { onDidSendMessage: (m: DapMessage) => this.onMessage(entry, m) };
  }

  private onMessage(entry: Entry, msg: DapMessage): void {
    switch (entry.status.onMessage(msg)) {
      case 'show':
        if (entry.timer === undefined) entry.timer = setInterval(() => void this.fetch(entry), POLL_MS);
        void this.fetch(entry);
        break;
      case 'refresh':
        void this.fetch(entry);
        break;
      case 'update': // the statistics came as an event: shown as they are
        break;
      case 'ended':
        this.stopPolling(entry);
        if (entry.status.stats !== undefined)
          this.output.appendLine(`${entry.session.name}: ${entry.status.tooltip()}\n`);
        break;
      default:
        return;
    }
    this.render();
  }

  /** One `dapper/statistics` request at a time per session. */
  private fetch(entry: Entry): Promise<void> {
    if (!entry.status.canFetch()) return Promise.resolve();
    if (entry.fetching !== undefined) return entry.fetching;
    entry.fetching = Promise.resolve(entry.session.customRequest('dapper/statistics'))
      .then(
        (body) => entry.status.setStats(body ?? {}),
        (e: Error) => entry.status.setStats(undefined, e.message),
      )
      .finally(() => {
        entry.fetching = undefined;
        this.render();
      });
    return entry.fetching;
  }

  private async showStatistics(): Promise<void> {
    const entry = this.current();
    if (entry === undefined) {
      void vscode.window.showInformationMessage('No dapper debug session is running.');
      return;
    }
    await this.fetch(entry);
    this.output.appendLine(`${entry.session.name}: ${entry.status.tooltip()}\n`);
    this.output.show(true);
  }

  private current(): Entry | undefined {
    const active = vscode.debug.activeDebugSession;
    const e = active !== undefined ? this.entries.get(active.id) : undefined;
    if (e !== undefined) return e;
    return [...this.entries.values()].pop();
  }

  private render(): void {
    const e = this.current();
    if (e === undefined || e.status.backend === undefined) {
      this.item.hide();
      return;
    }
    this.item.text = e.status.text();
    const md = new vscode.MarkdownString(e.status.tooltip());
    this.item.tooltip = md;
    this.item.show();
  }

  private stopPolling(entry: Entry): void {
    if (entry.timer !== undefined) clearInterval(entry.timer);
    entry.timer = undefined;
  }

  private forget(session: vscode.DebugSession): void {
    const entry = this.entries.get(session.id);
    if (entry === undefined) return;
    this.stopPolling(entry);
    this.entries.delete(session.id);
    this.render();
  }

  dispose(): void {
    for (const e of this.entries.values()) this.stopPolling(e);
    this.entries.clear();
    for (const d of this.disposables) d.dispose();
  }
}
