// What a `dapper` session shows in the status bar: the breakpoint backend the
// runtime chose (from its console line) and the runtime's statistics
// (`dapper/statistics`). No `vscode` import: SessionStatus is fed the DAP
// messages the adapter sends and tells the extension when to fetch.

/** The runtime's description of each backend (its console line) → name. */
const BACKEND_NAMES: Record<string, string> = {
  'sys.monitoring': 'monitoring',
  'instrumented code': 'instrumented',
  'a PEP 523 eval-frame hook': 'evalframe',
  'traditional tracing': 'tracing',
};

export interface Backend {
  name: string;
  description: string;
  reason: string;
}

/** Parses "dapper: breakpoints use <description> (<reason>)". */
export function parseBackendLine(text: string): Backend | undefined {
  const m = /^dapper: breakpoints use (.+?) \((.*)\)\s*$/s.exec(text);
  if (!m) return undefined;
  return { name: BACKEND_NAMES[m[1]] ?? m[1], description: m[1], reason: m[2] };
}

/** The statistics counters, in the order docs/runtime.md lists them. */
const COUNTERS: [string, string][] = [
  ['trace_function_calls', 'trace function calls'],
  ['frame_eval_calls', 'frame evaluation hook calls'],
  ['trace_calls_saved', 'trace events saved'],
  ['breakpoints_optimized', 'breakpoints served selectively'],
  ['integrations_enabled', 'interpreter hooks held'],
  ['errors_handled', 'errors handled'],
  ['monitoring_callbacks', 'sys.monitoring callbacks'],
  ['functions_instrumented', 'functions instrumented'],
  ['files_instrumented', 'files instrumented'],
  ['lines_compiled', 'source lines compiled'],
  ['efficiency', 'share of trace events saved'],
  ['heap_scans', 'heap scans for live code'],
  ['cache.size', 'line cache entries'],
  ['cache.hits', 'line cache hits'],
  ['cache.misses', 'line cache misses'],
  ['cache.compiles', 'line tables compiled'],
  ['cache.pyc_reads', 'line tables read from .pyc'],
];

/** The value at a dotted key (`cache.hits`: stats.cache.hits), or undefined. */
function lookup(stats: Stats, key: string): unknown {
  let value: unknown = stats;
  for (const part of key.split('.')) {
    if (value === null || typeof value !== 'object' || !(part in value)) return undefined;
    value = (value as Stats)[part];
  }
  return value;
}

export type Stats = { [key: string]: unknown };

/** Statistics as Markdown (the status bar tooltip and the output channel). */
export function formatStatistics(backend: Backend | undefined, stats: Stats | undefined, note: string): string {
  const lines: string[] = [];
  const name = (stats?.backend as string | undefined) ?? backend?.name;
  const reason = (stats?.reason as string | undefined) ?? backend?.reason;
  lines.push(`**dapper**: breakpoints use \`${name ?? 'not chosen yet'}\`${reason ? ` (${reason})` : ''}`);
  lines.push('');
  if (stats === undefined) {
    lines.push(note);
    return lines.join('\n');
  }
  lines.push('| statistic | value |', '|---|---:|');
  for (const [key, label] of COUNTERS) {
    const value = lookup(stats, key);
    if (value !== undefined) lines.push(`| ${label} (\`${key}\`) | ${String(value)} |`);
  }
  lines.push('', note);
  return lines.join('\n');
}

/** A DAP message as the tracker sees it. */
export interface DapMessage {
  type?: string;
  event?: string;
  command?: string;
  body?: { [key: string]: unknown };
}

/** What the extension should do after a message. */
export type Action = 'none' | 'show' | 'refresh' | 'update' | 'ended';

/** The state of one `dapper` session, fed the adapter's messages. */
export class SessionStatus {
  backend?: Backend;
  stats?: Stats;
  statsError?: string;
  state: 'starting' | 'running' | 'stopped' | 'ended' = 'starting';
  updated?: Date;

  onMessage(msg: DapMessage): Action {
    if (msg.type !== 'event') return 'none';
    switch (msg.event) {
      case 'output': {
        if (msg.body?.category !== 'console' || typeof msg.body.output !== 'string') return 'none';
        const b = parseBackendLine(msg.body.output);
        if (b === undefined) return 'none';
        this.backend = b;
        if (this.state === 'starting') this.state = 'running';
        return 'show';
      }
      case 'stopped':
        this.state = 'stopped';
        return 'refresh';
      case 'dapper/statistics':
        // sent every frameEval.statisticsInterval seconds and as the program ends
        if (msg.body === undefined) return 'none';
        this.setStats(msg.body);
        return 'update';
      case 'continued':
        if (this.state !== 'ended') this.state = 'running';
        return 'none';
      case 'exited':
      case 'terminated':
        if (this.state === 'ended') return 'none';
        this.state = 'ended';
        return 'ended';
      default:
        return 'none';
    }
  }

  /** The runtime can answer `dapper/statistics` (it is configured and the
   * program has not ended). */
  canFetch(): boolean {
    return this.backend !== undefined && this.state !== 'ended' && this.state !== 'starting';
  }

  setStats(stats: Stats | undefined, error?: string): void {
    if (stats !== undefined) {
      this.stats = stats;
      this.statsError = undefined;
      this.updated = new Date();
    } else {
      this.statsError = error;
    }
  }

  text(): string {
    const name = this.backend?.name ?? 'starting';
    return `$(debug) dapper: ${name}`;
  }

  tooltip(): string {
    let note: string;
    if (this.statsError !== undefined) note = `statistics unavailable: ${this.statsError}`;
    else if (this.updated === undefined) note = 'no statistics yet (click to fetch them)';
    else {
      const when = this.updated.toLocaleTimeString();
      note =
        this.state === 'ended'
          ? `final statistics, last read at ${when} before the program ended`
          : `statistics at ${when} (${this.state}; click to refresh)`;
    }
    return formatStatistics(this.backend, this.stats, note);
  }
}
