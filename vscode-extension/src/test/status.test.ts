import * as assert from 'assert';
import { formatStatistics, parseBackendLine, SessionStatus } from '../status';

const out = (output: string, category = 'console') => ({ type: 'event', event: 'output', body: { category, output } });
const ev = (event: string) => ({ type: 'event', event, body: {} });

describe('status', () => {
  it('reads the backend from the runtime console line', () => {
    assert.deepStrictEqual(parseBackendLine('dapper: breakpoints use sys.monitoring (Python 3.12.1)\n'), {
      name: 'monitoring',
      description: 'sys.monitoring',
      reason: 'Python 3.12.1',
    });
    assert.strictEqual(parseBackendLine('dapper: breakpoints use instrumented code (Python 3.11.2)')?.name, 'instrumented');
    assert.strictEqual(parseBackendLine('dapper: breakpoints use a PEP 523 eval-frame hook (requested)')?.name, 'evalframe');
    const fallback = parseBackendLine(
      "dapper: breakpoints use traditional tracing (backend 'monitoring' is not available on Python 3.11.2: sys.monitoring needs Python 3.12 or newer)",
    );
    assert.strictEqual(fallback?.name, 'tracing');
    assert.match(fallback?.reason ?? '', /not available on Python 3\.11\.2: sys\.monitoring needs/);
    assert.strictEqual(parseBackendLine('hello dapper: breakpoints use x (y)'), undefined);
    assert.strictEqual(parseBackendLine('dapper: something else'), undefined);
  });

  it('follows a session: backend shown, refresh when stopped, end at exit', () => {
    const s = new SessionStatus();
    assert.strictEqual(s.canFetch(), false);
    assert.strictEqual(s.onMessage({ type: 'response', command: 'launch' }), 'none');
    assert.strictEqual(s.onMessage(out('dapper: breakpoints use sys.monitoring (Python 3.12.1)\n', 'stdout')), 'none');
    assert.strictEqual(s.onMessage(out('dapper: breakpoints use sys.monitoring (Python 3.12.1)\n')), 'show');
    assert.strictEqual(s.text(), '$(debug) dapper: monitoring');
    assert.strictEqual(s.canFetch(), true);
    assert.strictEqual(s.onMessage(ev('stopped')), 'refresh');
    assert.strictEqual(s.state, 'stopped');
    s.setStats({ backend: 'monitoring', reason: 'Python 3.12.1', trace_function_calls: 0, monitoring_callbacks: 61 });
    assert.match(s.tooltip(), /sys\.monitoring callbacks \(`monitoring_callbacks`\) \| 61 \|/);
    assert.match(s.tooltip(), /stopped; click to refresh/);
    assert.strictEqual(s.onMessage(ev('continued')), 'none');
    assert.strictEqual(s.state, 'running');
    assert.strictEqual(s.onMessage(ev('exited')), 'ended');
    assert.strictEqual(s.onMessage(ev('terminated')), 'none');
    assert.strictEqual(s.canFetch(), false);
    assert.match(s.tooltip(), /final statistics/);
    assert.match(s.tooltip(), /\| 61 \|/);
  });

  it('takes the dapper/statistics events the adapter sends', () => {
    const s = new SessionStatus();
    s.onMessage(out('dapper: breakpoints use sys.monitoring (Python 3.12.1)\n'));
    const stats = { type: 'event', event: 'dapper/statistics', body: { backend: 'monitoring', monitoring_callbacks: 7, efficiency: 0.5 } };
    assert.strictEqual(s.onMessage(stats), 'update');
    assert.match(s.tooltip(), /\| sys\.monitoring callbacks \(`monitoring_callbacks`\) \| 7 \|/);
    assert.match(s.tooltip(), /\| share of trace events saved \(`efficiency`\) \| 0\.5 \|/);
    s.onMessage(ev('exited'));
    assert.match(s.tooltip(), /final statistics/);
  });

  it('shows why statistics are missing', () => {
    const s = new SessionStatus();
    s.onMessage(out('dapper: breakpoints use instrumented code (Python 3.11.2)'));
    assert.match(s.tooltip(), /no statistics yet/);
    s.setStats(undefined, "'dapper/statistics' needs a running program");
    assert.match(s.tooltip(), /statistics unavailable: 'dapper\/statistics' needs a running program/);
  });

  it('formats every counter the runtime reports', () => {
    const md = formatStatistics(undefined, {
      backend: 'tracing',
      reason: 'frameEval.enabled is false',
      trace_function_calls: 1200,
      frame_eval_calls: 0,
      trace_calls_saved: 0,
      breakpoints_optimized: 0,
      integrations_enabled: 1,
      errors_handled: 0,
      monitoring_callbacks: 0,
    }, 'note');
    assert.match(md, /breakpoints use `tracing` \(frameEval\.enabled is false\)/);
    assert.strictEqual(md.split('\n').filter((l) => l.startsWith('| ') && l.includes('`')).length, 7); // no efficiency given
    assert.match(md, /\| trace function calls \(`trace_function_calls`\) \| 1200 \|/);
  });
  it('formats the backend and line cache counters, the cache nested', () => {
    const md = formatStatistics(undefined, {
      backend: 'instrumented',
      reason: 'Python 3.11.2',
      functions_instrumented: 3,
      files_instrumented: 1,
      lines_compiled: 240,
      heap_scans: 2,
      cache: { enabled: true, max_size: 1000, ttl: 0, size: 4, hits: 9, misses: 4, evictions: 0, expired: 0, compiles: 1, pyc_reads: 3 },
      integration_stats: { errors_handled: 0 },
    }, 'note');
    assert.match(md, /\| functions instrumented \(`functions_instrumented`\) \| 3 \|/);
    assert.match(md, /\| files instrumented \(`files_instrumented`\) \| 1 \|/);
    assert.match(md, /\| source lines compiled \(`lines_compiled`\) \| 240 \|/);
    assert.match(md, /\| heap scans for live code \(`heap_scans`\) \| 2 \|/);
    assert.match(md, /\| line cache entries \(`cache\.size`\) \| 4 \|/);
    assert.match(md, /\| line cache hits \(`cache\.hits`\) \| 9 \|/);
    assert.match(md, /\| line cache misses \(`cache\.misses`\) \| 4 \|/);
    assert.match(md, /\| line tables compiled \(`cache\.compiles`\) \| 1 \|/);
    assert.match(md, /\| line tables read from \.pyc \(`cache\.pyc_reads`\) \| 3 \|/);
    // groups and settings are not counters: not rows of their own
    assert.doesNotMatch(md, /integration_stats|max_size|\[object Object\]/);
    // the rows follow docs/runtime.md's order
    assert.ok(md.indexOf('functions_instrumented') < md.indexOf('heap_scans'));
    assert.ok(md.indexOf('cache.hits') < md.indexOf('cache.pyc_reads'));
  });

  it('leaves out a cache that is not an object', () => {
    const md = formatStatistics(undefined, { backend: 'tracing', cache: 5, heap_scans: 0 }, 'note');
    assert.doesNotMatch(md, /cache\./);
    assert.match(md, /\| heap scans for live code \(`heap_scans`\) \| 0 \|/);
  });
});
