/* See rt_stats.h. */
#include "rt_compat.h" /* first: Python.h must precede system headers */

#include "rt_stats.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <dapper/errors.h>
#include <dapper/message.h>

#include "rt_backend.h"
#include "rt_backend_frame.h" /* rt_instrument_counts */
#include "rt_commands.h"
#include "rt_engine.h"
#include "rt_engine_priv.h"
#include "rt_support.h"

RT_TLS rt_stats_block_t rt_tls_stats;
RT_TLS unsigned rt_tls_stops;
bool rt_perf_on;

/* (configure, channel thread; read there and by the atexit hook) */
static double rt_perf_threshold = 0.1;
static bool rt_perf_adapt = true;       /* fallback_on_error */
static bool rt_perf_reported;
static uint64_t rt_perf_cpu0;           /* process CPU ns at configure */
static _Atomic uint64_t rt_run0;        /* monotonic ns at configure / start */
static _Atomic uint64_t rt_stop0;       /* a stop shown since then, or 0 */
static _Atomic uint64_t rt_stopped_ns;  /* stops shown before */
static uint64_t rt_stats_interval_ns;   /* 0: no periodic event */
static uint64_t rt_stats_next_ns;
static bool rt_stats_configured;

static pthread_mutex_t rt_stats_mu = PTHREAD_MUTEX_INITIALIZER;
static rt_stats_block_t *rt_stats_head;    /* (mu) linked blocks */
static uint64_t rt_stats_retired[RT_STAT_N]; /* (mu) of ended threads */
static char rt_stats_reason[768];          /* (mu) configure's reason */
static pthread_key_t rt_stats_key;
static pthread_once_t rt_stats_once = PTHREAD_ONCE_INIT;

/* The thread ends: fold its counts into the retired total. */
static void rt_stats_unlink(void *arg) {
  rt_stats_block_t *b = arg;
  pthread_mutex_lock(&rt_stats_mu);
  if (b->linked) {
    for (int i = 0; i < RT_STAT_N; i++) {
      rt_stats_retired[i] += atomic_load_explicit(&b->n[i], memory_order_relaxed);
    }
    if (b->prev != NULL) b->prev->next = b->next;
    else rt_stats_head = b->next;
    if (b->next != NULL) b->next->prev = b->prev;
    b->next = b->prev = NULL;
    b->linked = 0;
  }
  pthread_mutex_unlock(&rt_stats_mu);
}

static void rt_stats_make_key(void) {
  (void)pthread_key_create(&rt_stats_key, rt_stats_unlink);
}

void rt_stats_link(void) {
  rt_stats_block_t *b = &rt_tls_stats;
  (void)pthread_once(&rt_stats_once, rt_stats_make_key);
  pthread_mutex_lock(&rt_stats_mu);
  if (!b->linked) {
    b->prev = NULL;
    b->next = rt_stats_head;
    if (rt_stats_head != NULL) rt_stats_head->prev = b;
    rt_stats_head = b;
    b->linked = 1;
    (void)pthread_setspecific(rt_stats_key, b);
  }
  pthread_mutex_unlock(&rt_stats_mu);
}

void rt_stats_set_reason(const char *reason) {
  pthread_mutex_lock(&rt_stats_mu);
  snprintf(rt_stats_reason, sizeof rt_stats_reason, "%s", reason);
  pthread_mutex_unlock(&rt_stats_mu);
}

void rt_stats_after_fork_child(void) {
  rt_stats_block_t *b = &rt_tls_stats;
  pthread_mutex_init(&rt_stats_mu, NULL);
  rt_stats_head = b->linked ? b : NULL;
  b->next = b->prev = NULL;
}

/* ---- the request -------------------------------------------------------- */

static int rt_stats_nopt;          /* GIL: rt_stats_count_code's sum */
static bool rt_stats_by_bits;      /* 3.11 evalframe: every code with bits */

static void rt_stats_count_code(rt_codeinfo_t *ci) {
  int n = 0;
  if (ci->bits == NULL) return;
  /* armed bit 1: monitoring/evalframe 3.12+ (local LINE set), instrumented
   * (runs instrumented code) */
  if (!rt_stats_by_bits && !(ci->armed & 1)) return;
  for (int i = 0; i < (ci->nbits + 7) / 8; i++) n += __builtin_popcount(ci->bits[i]);
  rt_stats_nopt += n;
}

/* Hooks of the runtime in place now (GIL held): the eval-frame hook, the
 * sys.monitoring tool ids it holds, thread states with its trace function. */
static int rt_stats_integrations(void) {
  int n = rt_compat_eval_hook_installed() ? 1 : 0;
  PyInterpreterState *interp = PyInterpreterState_Get();
  PyObject *mon = PySys_GetObject("monitoring"); /* borrowed; NULL on 3.11 */

  for (int tool = 0; mon != NULL && tool < 6; tool++) {
    PyObject *name = PyObject_CallMethod(mon, "get_tool", "i", tool);
    if (name != NULL && PyUnicode_Check(name)) {
      const char *s = PyUnicode_AsUTF8(name);
      if (s != NULL && strncmp(s, "dapper", 6) == 0) n++;
    }
    Py_XDECREF(name);
    PyErr_Clear();
  }
  for (PyThreadState *ts = PyInterpreterState_ThreadHead(interp); ts != NULL;
       ts = PyThreadState_Next(ts)) {
    if (rt_backend_is_own_tracefunc(rt_compat_thread_c_tracefunc(ts))) n++;
  }
  return n;
}

static uint64_t rt_cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The counters summed over every thread. */
static void rt_stats_sum(uint64_t sum[RT_STAT_N]) {
  pthread_mutex_lock(&rt_stats_mu);
  memcpy(sum, rt_stats_retired, sizeof(uint64_t) * RT_STAT_N);
  for (rt_stats_block_t *b = rt_stats_head; b != NULL; b = b->next) {
    for (int i = 0; i < RT_STAT_N; i++) {
      sum[i] += atomic_load_explicit(&b->n[i], memory_order_relaxed);
    }
  }
  pthread_mutex_unlock(&rt_stats_mu);
}

/* The cache of the support module (GIL held): its counters merged into
 * `out` as "cache", or nothing when the call fails. */
/* The line cache of the support module (GIL held), merged into `out` as
 * "cache". Read attribute by attribute: no Python code runs (a line of it
 * would be a sys.monitoring event while a stop has global LINE set). */
static void rt_stats_add_cache(cJSON *out) {
  static const char *const ints[] = {"hits",    "misses",   "evictions",
                                     "expired", "compiles", "pyc_reads"};
  PyObject *mod = rt_support(), *lc = NULL, *v = NULL;
  cJSON *c = NULL;
  if (mod == NULL || (lc = PyObject_GetAttrString(mod, "_line_cache")) == NULL) goto out;
  if ((c = cJSON_CreateObject()) == NULL) goto out;
  v = PyObject_GetAttrString(lc, "enabled");
  cJSON_AddBoolToObject(c, "enabled", v != NULL && PyObject_IsTrue(v) == 1);
  Py_XDECREF(v);
  v = PyObject_GetAttrString(lc, "size");
  cJSON_AddNumberToObject(c, "max_size", v != NULL && PyLong_Check(v) ? PyLong_AsDouble(v) : 0);
  Py_XDECREF(v);
  v = PyObject_GetAttrString(lc, "ttl");
  cJSON_AddNumberToObject(c, "ttl", v != NULL && PyFloat_Check(v) ? PyFloat_AsDouble(v) : 0);
  Py_XDECREF(v);
  v = PyObject_GetAttrString(lc, "entries");
  cJSON_AddNumberToObject(c, "size", v != NULL && PyDict_Check(v) ? (double)PyDict_Size(v) : 0);
  Py_XDECREF(v);
  for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
    v = PyObject_GetAttrString(lc, ints[i]);
    cJSON_AddNumberToObject(c, ints[i], v != NULL && PyLong_Check(v) ? PyLong_AsDouble(v) : 0);
    Py_XDECREF(v);
  }
  /* lazy verification (rt_lazy.c): files answered from a stat, files
   * checked when their module code ran, `breakpoint` events sent */
  cJSON_AddNumberToObject(c, "lazy", (double)rt_lazy_answered);
  cJSON_AddNumberToObject(c, "lazy_checked", (double)rt_lazy_checked);
  cJSON_AddNumberToObject(c, "lazy_events", (double)rt_lazy_events);
  cJSON_AddItemToObject(out, "cache", c);
  c = NULL;
out:
  cJSON_Delete(c);
  Py_XDECREF(lc);
  PyErr_Clear();
}

/* An int attribute of the support module (GIL held), read without running
 * Python code; 0 when it is missing. */
static double rt_stats_support_number(const char *name) {
  PyObject *mod = rt_support(), *v = NULL;
  double n = 0;
  if (mod == NULL) return 0;
  v = PyObject_GetAttrString(mod, name);
  if (v != NULL && PyLong_Check(v)) n = PyLong_AsDouble(v);
  Py_XDECREF(v);
  PyErr_Clear();
  return n;
}

void rt_stats_started(void) {
  atomic_store(&rt_run0, rt_perf_now());
  atomic_store(&rt_stopped_ns, 0);
}

void rt_stats_stop_shown(bool shown) {
  uint64_t now = rt_perf_now();
  if (shown) {
    uint64_t zero = 0;
    (void)atomic_compare_exchange_strong(&rt_stop0, &zero, now);
  } else {
    uint64_t t0 = atomic_exchange(&rt_stop0, 0);
    if (t0 != 0 && now > t0) atomic_fetch_add(&rt_stopped_ns, now - t0);
  }
}

/* Wall time the program ran since configure or start, stops left out. */
static uint64_t rt_running_ns(void) {
  uint64_t now = rt_perf_now(), t0 = atomic_load(&rt_run0);
  uint64_t stop0 = atomic_load(&rt_stop0), off = atomic_load(&rt_stopped_ns);
  if (stop0 != 0 && now > stop0) off += now - stop0;
  return now > t0 + off ? now - t0 - off : 0;
}

int rt_handle_statistics(rt_channel_t *ch, const cJSON *req, cJSON **body) {
  uint64_t sum[RT_STAT_N];
  char reason[sizeof rt_stats_reason];
  const rt_backend_t *backend = NULL;
  int optimized = 0, integrations = 0;
  double ins[4] = {0, 0, 0, 0}; /* rt_instrument_counts */
  double disk[5] = {0, 0, 0, 0, 0}; /* rt_instrument_disk_counts */
  bool disk_on = false;             /* the support module's disk_cache */
  double heap_scans = 0;         /* the support module's, plus ins[3] */
  cJSON *out = NULL, *cache = NULL;

  (void)req;
  out = cJSON_CreateObject();
  if (out == NULL) return DAPPER_ENOMEM;
  PyGILState_STATE gil;
  (void)ch;
  if (rt_python_enter(&gil)) { /* exiting: the counters alone */
    rt_compat_exc_t saved;
    rt_compat_exc_save(&saved);
    backend = rt_backend;
    if (backend != NULL && strcmp(backend->name, "tracing") != 0) {
      rt_stats_nopt = 0;
      rt_stats_by_bits = strcmp(backend->name, "evalframe") == 0 && !RT_HAVE_MONITORING;
      rt_engine_foreach_code(NULL, rt_stats_count_code);
      optimized = rt_stats_nopt;
    }
    integrations = rt_stats_integrations();
    if (backend != NULL) {
      cache = cJSON_CreateObject();
      if (cache != NULL) rt_stats_add_cache(cache);
    }
#if RT_HAVE_INSTRUMENTED
    rt_instrument_counts(ins);
    rt_instrument_disk_counts(disk);
    disk_on = rt_stats_support_number("disk_cache") != 0;
#endif
    heap_scans = rt_stats_support_number("heap_scans") + ins[3];
    rt_compat_exc_restore(&saved);
    rt_python_leave(gil);
  }

  rt_stats_sum(sum);
  pthread_mutex_lock(&rt_stats_mu);
  memcpy(reason, rt_stats_reason, sizeof reason);
  pthread_mutex_unlock(&rt_stats_mu);

  if (backend != NULL) {
    cJSON_AddStringToObject(out, "backend", backend->name);
    cJSON_AddStringToObject(out, "reason", reason);
  } else {
    cJSON_AddNullToObject(out, "backend");
    cJSON_AddNullToObject(out, "reason");
  }
  uint64_t saved = sum[RT_STAT_MON_DISABLED] + sum[RT_STAT_FRAME_EVAL] -
                  sum[RT_STAT_FRAMES_TRACED] + sum[RT_STAT_LINES_OFF];
  uint64_t delivered = sum[RT_STAT_TRACE_CALLS] + sum[RT_STAT_MON_CALLBACKS];
  /* the flat fields, then the same numbers grouped */
  cJSON_AddNumberToObject(out, "integrations_enabled", integrations);
  cJSON_AddNumberToObject(out, "breakpoints_optimized", optimized);
  cJSON_AddNumberToObject(out, "trace_calls_saved", (double)saved);
  cJSON_AddNumberToObject(out, "errors_handled", (double)sum[RT_STAT_ERRORS]);
  cJSON_AddNumberToObject(out, "trace_function_calls", (double)sum[RT_STAT_TRACE_CALLS]);
  cJSON_AddNumberToObject(out, "frame_eval_calls", (double)sum[RT_STAT_FRAME_EVAL]);
  cJSON_AddNumberToObject(out, "monitoring_callbacks", (double)sum[RT_STAT_MON_CALLBACKS]);
  cJSON_AddNumberToObject(out, "functions_instrumented", ins[0]);
  cJSON_AddNumberToObject(out, "files_instrumented", ins[1]);
  cJSON_AddNumberToObject(out, "lines_compiled", ins[2]);
  cJSON_AddNumberToObject(out, "heap_scans", heap_scans);
  cJSON_AddNumberToObject(out, "exec_events", (double)sum[RT_STAT_EXEC_EVENTS]);
  cJSON_AddNumberToObject(out, "files_resolved", (double)sum[RT_STAT_FILES_RESOLVED]);
  cJSON_AddNumberToObject(out, "codes_registered", (double)sum[RT_STAT_CODES_REGISTERED]);
  cJSON *is = cJSON_AddObjectToObject(out, "integration_stats");
  if (is != NULL) {
    cJSON_AddNumberToObject(is, "integrations_enabled", integrations);
    cJSON_AddNumberToObject(is, "breakpoints_optimized", optimized);
    cJSON_AddNumberToObject(is, "trace_calls_saved", (double)saved);
    cJSON_AddNumberToObject(is, "errors_handled", (double)sum[RT_STAT_ERRORS]);
  }
  cJSON *pd = cJSON_AddObjectToObject(out, "performance_data");
  if (pd != NULL) {
    cJSON_AddNumberToObject(pd, "trace_function_calls", (double)sum[RT_STAT_TRACE_CALLS]);
    cJSON_AddNumberToObject(pd, "frame_eval_calls", (double)sum[RT_STAT_FRAME_EVAL]);
    cJSON_AddNumberToObject(pd, "monitoring_callbacks", (double)sum[RT_STAT_MON_CALLBACKS]);
    cJSON_AddNumberToObject(pd, "frames_without_line_events", (double)sum[RT_STAT_LINES_OFF]);
    if (rt_perf_on) {
      uint64_t cpu = rt_cpu_now() - rt_perf_cpu0, run = rt_running_ns();
      double frac = run > 0 ? (double)sum[RT_STAT_HOOK_NS] / (double)run : 0.0;
      cJSON_AddNumberToObject(pd, "hook_calls", (double)sum[RT_STAT_HOOK_CALLS]);
      cJSON_AddNumberToObject(pd, "hook_time_ms", (double)sum[RT_STAT_HOOK_NS] / 1e6);
      cJSON_AddNumberToObject(pd, "run_time_ms", (double)run / 1e6);
      cJSON_AddNumberToObject(pd, "cpu_time_ms", (double)cpu / 1e6);
      cJSON_AddNumberToObject(pd, "overhead_fraction", frac < 1.0 ? frac : 1.0);
    }
  }
  cJSON_AddNumberToObject(out, "efficiency",
                          saved + delivered > 0 ? (double)saved / (double)(saved + delivered)
                                                : 0.0);
  cJSON *dc = cJSON_AddObjectToObject(out, "disk_cache");
  if (dc != NULL) {
    static const char *const dkeys[5] = {"hits", "misses", "writes", "errors", "pruned"};
    cJSON_AddBoolToObject(dc, "enabled", disk_on);
    for (int i = 0; i < 5; i++) cJSON_AddNumberToObject(dc, dkeys[i], disk[i]);
  }
  if (cache != NULL) {
    cJSON *c = cJSON_DetachItemFromObjectCaseSensitive(cache, "cache");
    if (c != NULL) cJSON_AddItemToObject(out, "cache", c);
    cJSON_Delete(cache);
  }
  *body = out;
  return 0;
}

/* ---- configure, the periodic event, the overhead check ---------------- */

void rt_stats_configure(const cJSON *fe) {
  bool on = false, fallback = true;
  double threshold = 0.1, interval = 0;
  (void)dap_get_bool(fe, "performance_monitoring", &on);
  (void)dap_get_bool(fe, "fallback_on_error", &fallback);
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(fe, "trace_overhead_threshold");
  if (cJSON_IsNumber(v) && v->valuedouble > 0) threshold = v->valuedouble;
  v = cJSON_GetObjectItemCaseSensitive(fe, "statisticsInterval");
  if (cJSON_IsNumber(v) && v->valuedouble > 0) interval = v->valuedouble;
  rt_perf_threshold = threshold;
  rt_perf_adapt = fallback;
  rt_perf_reported = false;
  rt_perf_cpu0 = rt_cpu_now();
  atomic_store(&rt_run0, rt_perf_now());
  atomic_store(&rt_stopped_ns, 0);
  rt_perf_on = on;
  rt_stats_interval_ns = (uint64_t)(interval * 1e9);
  rt_stats_next_ns = rt_perf_now() + rt_stats_interval_ns;
  rt_stats_configured = true;
}

/* The `statistics` event; gil: the caller holds the GIL. */
static void rt_stats_send(rt_channel_t *ch, bool gil) {
  cJSON *body = NULL;
  if (rt_handle_statistics(ch, NULL, &body) != 0 || body == NULL) return;
  if (gil) {
    (void)rt_send_event_gil("statistics", body);
    return;
  }
  cJSON *msg = dap_msg_event("statistics", body); /* consumes body */
  if (msg != NULL) (void)rt_channel_send(ch, msg);
}

/* Formats n as "2.1 M", "12.3 k" or "950". */
static void rt_count_text(char *buf, size_t len, unsigned long long n) {
  if (n >= 1000000) snprintf(buf, len, "%.1f M", (double)n / 1e6);
  else if (n >= 10000) snprintf(buf, len, "%.1f k", (double)n / 1e3);
  else snprintf(buf, len, "%llu", n);
}

/* The overhead passed the threshold (GIL held): one console message with
 * the cause and, where adaptation is allowed and a cheaper strategy
 * exists, the switch to it. */
static void rt_perf_report(double fraction, const uint64_t sum[RT_STAT_N]) {
  const rt_bp_t *top = NULL;
  const rt_bpfile_t *topf = NULL;
  char cause[1024], action[512], count[32];
  bool tracing = rt_backend != NULL && strcmp(rt_backend->name, "tracing") == 0;

  for (const rt_bpfile_t *bf = rt_bpfiles; bf != NULL; bf = bf->next) {
    if (bf->dead) continue;
    for (int i = 0; i < bf->n; i++) {
      if (top == NULL || bf->bps[i].reached > top->reached) {
        top = &bf->bps[i];
        topf = bf;
      }
    }
  }
  action[0] = '\0';
  if (top != NULL && top->reached >= 10000) {
    const char *base = strrchr(topf->client_path != NULL ? topf->client_path : topf->canon, '/');
    base = base != NULL ? base + 1 : (topf->client_path != NULL ? topf->client_path : topf->canon);
    rt_count_text(count, sizeof count, top->reached);
    snprintf(cause, sizeof cause, "a %s at %s:%d ran %s times%s%s%s",
             top->log != NULL ? "logpoint" : top->cond_src != NULL ? "conditional breakpoint"
                                                                   : "breakpoint",
             base, top->line, count, top->cond_src != NULL ? " (condition " : "",
             top->cond_src != NULL ? top->cond_src : "", top->cond_src != NULL ? ")" : "");
    if (top->cond_src != NULL && top->pred == NULL) {
      snprintf(action, sizeof action,
               "; a simple condition (name <op> constant, joined by 'and') is decided in C "
               "without calling Python (docs/runtime.md)");
    }
  } else if (tracing && !rt_selective_tracing) {
    rt_count_text(count, sizeof count, sum[RT_STAT_TRACE_CALLS]);
    snprintf(cause, sizeof cause,
             "the tracing backend traced every line of every frame (%s trace calls; "
             "frameEval.selective_tracing is false)", count);
    if (rt_perf_adapt) {
      rt_selective_tracing = true;
      snprintf(action, sizeof action,
               "; switched to selective tracing (only code with breakpoints gets line events)");
    }
  } else if (tracing) {
    rt_count_text(count, sizeof count, sum[RT_STAT_TRACE_CALLS]);
    snprintf(cause, sizeof cause,
             "the tracing backend's trace function ran %s times (a call and a return event "
             "for every frame)", count);
    snprintf(action, sizeof action,
             "; frameEval.backend \"auto\" costs nothing where no breakpoint is");
  } else {
    rt_count_text(count, sizeof count, sum[RT_STAT_HOOK_CALLS]);
    snprintf(cause, sizeof cause, "the runtime's hooks ran %s times (stepping, breakpoints)",
             count);
  }
  rt_console("dapper: the debugger's hooks took %.0f %% of the program's running time "
             "(frameEval.trace_overhead_threshold %.0f %%): %s%s",
             fraction * 100.0, rt_perf_threshold * 100.0, cause, action);
}

void rt_stats_tick(rt_channel_t *ch) {
  if (!rt_stats_configured || !rt_channel_python_allowed(ch)) return;
  if (rt_stats_interval_ns > 0 && rt_perf_now() >= rt_stats_next_ns) {
    rt_stats_next_ns += rt_stats_interval_ns; /* no drift; no burst after a delay */
    if (rt_stats_next_ns <= rt_perf_now()) rt_stats_next_ns = rt_perf_now() + rt_stats_interval_ns;
    rt_stats_send(ch, false);
  }
  if (rt_perf_on && !rt_perf_reported) {
    uint64_t sum[RT_STAT_N];
    uint64_t run = rt_running_ns();
    rt_stats_sum(sum);
    /* 0.2 s of running at least: start-up alone is no trend */
    PyGILState_STATE gil;
    if (run >= 200000000u && (double)sum[RT_STAT_HOOK_NS] > rt_perf_threshold * (double)run &&
        rt_python_enter(&gil)) {
      rt_compat_exc_t saved;
      double frac = (double)sum[RT_STAT_HOOK_NS] / (double)run;
      rt_compat_exc_save(&saved);
      rt_perf_reported = true;
      rt_perf_report(frac < 1.0 ? frac : 1.0, sum);
      rt_compat_exc_restore(&saved);
      rt_python_leave(gil);
    }
  }
}

int rt_stats_wait_ms(int max_ms) {
  uint64_t now = 0;
  if (!rt_stats_configured || rt_stats_interval_ns == 0 ||
      !rt_channel_python_allowed(rt_channel_get())) {
    return max_ms; /* nothing to send (at exit: not from here) */
  }
  now = rt_perf_now();
  if (rt_stats_next_ns <= now) return 0;
  return rt_stats_next_ns - now < (uint64_t)max_ms * 1000000u
             ? (int)((rt_stats_next_ns - now + 999999u) / 1000000u)
             : max_ms;
}

void rt_stats_send_final(void) {
  rt_channel_t *ch = rt_channel_get();
  if (!rt_stats_configured || rt_backend == NULL || ch == NULL) return;
  rt_stats_send(ch, true);
}

PyObject *rt_stats_py(PyObject *module, PyObject *unused) {
  cJSON *body = NULL;
  char *text = NULL;
  PyObject *json = NULL, *res = NULL;
  (void)module;
  (void)unused;
  if (!rt_stats_configured || rt_backend == NULL) Py_RETURN_NONE;
  rt_tls_in_debugger++; /* the debugger's own work: no breakpoint, no step */
  if (rt_handle_statistics(rt_channel_get(), NULL, &body) == 0 && body != NULL) {
    text = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
  }
  if (text != NULL) json = PyImport_ImportModule("json");
  if (json != NULL) res = PyObject_CallMethod(json, "loads", "s", text);
  rt_tls_in_debugger--;
  Py_XDECREF(json);
  free(text);
  if (text == NULL && !PyErr_Occurred()) return PyErr_NoMemory();
  return res;
}
