/* Statistics (DESIGN §5, docs/runtime.md "Statistics"): per-thread event
 * counters, aggregated on the `statistics` request.
 *
 * Each thread counts into its own thread-local block (no shared cache line,
 * no lock, no atomic read-modify-write: a relaxed load and store). A
 * block is linked into a global list the first time one of its counters
 * goes from 0 to 1, and its counts are folded into a retired total when
 * its thread ends, so the channel thread can sum them under a mutex. */
#ifndef RT_STATS_H
#define RT_STATS_H

#include "rt_compat.h" /* RT_TLS; Python.h precedes system headers */

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "rt_channel.h"

typedef enum {
  RT_STAT_TRACE_CALLS,    /* calls of the runtime's C trace function */
  RT_STAT_FRAME_EVAL,     /* calls of the runtime's PEP 523 hook */
  RT_STAT_FRAMES_TRACED,  /* of those: frames given line events */
  RT_STAT_MON_CALLBACKS,  /* sys.monitoring callbacks of the runtime */
  RT_STAT_MON_DISABLED,   /* of those: returned DISABLE */
  RT_STAT_ERRORS,         /* errors caught and handled (never raised into the program) */
  RT_STAT_LINES_OFF,      /* tracing, selective: frames run without line events */
  RT_STAT_HOOK_CALLS,     /* performance_monitoring: timed hook calls */
  RT_STAT_HOOK_NS,        /* performance_monitoring: ns in them (calls that did not stop) */
  RT_STAT_EXEC_EVENTS,    /* `exec` audit events handed to the backend */
  RT_STAT_FILES_RESOLVED, /* per-file records made (a canonical path computed in Python) */
  RT_STAT_CODES_REGISTERED, /* code objects given a codeinfo (co_extra) record */
  RT_STAT_N
} rt_stat_t;

typedef struct rt_stats_block {
  _Atomic uint64_t n[RT_STAT_N];
  struct rt_stats_block *next, *prev; /* (stats mutex) */
  int linked;                         /* (stats mutex) */
} rt_stats_block_t;

extern RT_TLS rt_stats_block_t rt_tls_stats;

/* Links the calling thread's block (idempotent). */
void rt_stats_link(void);

/* One more event `s` on the calling thread. */
static inline void rt_stat_inc(rt_stat_t s) {
  uint64_t v = atomic_load_explicit(&rt_tls_stats.n[s], memory_order_relaxed) + 1;
  atomic_store_explicit(&rt_tls_stats.n[s], v, memory_order_relaxed);
  if (__builtin_expect(v == 1, 0)) rt_stats_link();
}

/* ---- performance_monitoring --------------------------------------------
 * Only the hooks installed while it is on are timed (the tracing backend's
 * timed trace function, the timed sys.monitoring callbacks): with it off
 * the untimed ones run, unchanged. */
extern bool rt_perf_on;             /* set by configure before installing */
extern RT_TLS unsigned rt_tls_stops; /* stops and parks of this thread */

static inline uint64_t rt_perf_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A timed hook ends: count it, and its time unless it stopped the thread
 * (a stop's time is the user's, not the debugger's). */
static inline void rt_perf_end(uint64_t t0, unsigned stops0) {
  uint64_t dt = rt_perf_now() - t0;
  rt_stat_inc(RT_STAT_HOOK_CALLS);
  if (rt_tls_stops == stops0) {
    uint64_t v = atomic_load_explicit(&rt_tls_stats.n[RT_STAT_HOOK_NS], memory_order_relaxed);
    atomic_store_explicit(&rt_tls_stats.n[RT_STAT_HOOK_NS], v + dt, memory_order_relaxed);
  }
}

/* configure: frameEval's performance_monitoring, trace_overhead_threshold,
 * fallback_on_error (adaptation allowed) and statisticsInterval. Channel
 * thread, before the backend is installed. */
void rt_stats_configure(const cJSON *frame_eval);

/* The program's first line may run (`start`): its running time counts
 * from here (else from configure). */
void rt_stats_started(void);

/* A stop is shown (true) or over (false): the program's running time
 * leaves stops out. Threads lock held. */
void rt_stats_stop_shown(bool shown);

/* Channel thread, at each wake-up (at least every 250 ms): the periodic
 * `statistics` event, and the overhead check of performance_monitoring. */
void rt_stats_tick(rt_channel_t *ch);

/* How long the channel thread may sleep, at most max_ms: until the next
 * periodic event is due. */
int rt_stats_wait_ms(int max_ms);

/* The `statistics` event once more, as the program ends (atexit; GIL held). */
void rt_stats_send_final(void);

/* _dapper_runtime.statistics(): the same body as a dict (None before
 * configure). */
PyObject *rt_stats_py(PyObject *module, PyObject *unused);

/* Records the reason `configure` gave for the backend. */
void rt_stats_set_reason(const char *reason);

/* After fork, in the child: only the calling thread's block survives. */
void rt_stats_after_fork_child(void);

/* `statistics` (channel thread, no GIL; rt_commands.h). */
int rt_handle_statistics(rt_channel_t *ch, const cJSON *req, cJSON **body);

#endif
