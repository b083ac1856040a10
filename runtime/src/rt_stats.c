/* See rt_stats.h. */
#include "rt_compat.h" /* first: Python.h must precede system headers */

#include "rt_stats.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <dapper/errors.h>

#include "rt_backend.h"
#include "rt_backend_frame.h" /* rt_instrument_counts */
#include "rt_commands.h"
#include "rt_engine.h"

RT_TLS rt_stats_block_t rt_tls_stats;

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

int rt_handle_statistics(rt_channel_t *ch, const cJSON *req, cJSON **body) {
  uint64_t sum[RT_STAT_N];
  char reason[sizeof rt_stats_reason];
  const rt_backend_t *backend = NULL;
  int optimized = 0, integrations = 0;
  double ins[3] = {0, 0, 0}; /* rt_instrument_counts */
  cJSON *out = NULL;

  (void)req;
  if (rt_channel_python_allowed(ch)) {
    PyGILState_STATE gil = PyGILState_Ensure();
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
#if RT_HAVE_INSTRUMENTED
    rt_instrument_counts(ins);
#endif
    rt_compat_exc_restore(&saved);
    PyGILState_Release(gil);
  }

  pthread_mutex_lock(&rt_stats_mu);
  memcpy(sum, rt_stats_retired, sizeof sum);
  for (rt_stats_block_t *b = rt_stats_head; b != NULL; b = b->next) {
    for (int i = 0; i < RT_STAT_N; i++) {
      sum[i] += atomic_load_explicit(&b->n[i], memory_order_relaxed);
    }
  }
  memcpy(reason, rt_stats_reason, sizeof reason);
  pthread_mutex_unlock(&rt_stats_mu);

  out = cJSON_CreateObject();
  if (out == NULL) return DAPPER_ENOMEM;
  if (backend != NULL) {
    cJSON_AddStringToObject(out, "backend", backend->name);
    cJSON_AddStringToObject(out, "reason", reason);
  } else {
    cJSON_AddNullToObject(out, "backend");
    cJSON_AddNullToObject(out, "reason");
  }
  cJSON_AddNumberToObject(out, "integrations_enabled", integrations);
  cJSON_AddNumberToObject(out, "breakpoints_optimized", optimized);
  cJSON_AddNumberToObject(out, "trace_calls_saved",
                          (double)(sum[RT_STAT_MON_DISABLED] + sum[RT_STAT_FRAME_EVAL] -
                                   sum[RT_STAT_FRAMES_TRACED]));
  cJSON_AddNumberToObject(out, "errors_handled", (double)sum[RT_STAT_ERRORS]);
  cJSON_AddNumberToObject(out, "trace_function_calls", (double)sum[RT_STAT_TRACE_CALLS]);
  cJSON_AddNumberToObject(out, "frame_eval_calls", (double)sum[RT_STAT_FRAME_EVAL]);
  cJSON_AddNumberToObject(out, "monitoring_callbacks", (double)sum[RT_STAT_MON_CALLBACKS]);
  cJSON_AddNumberToObject(out, "functions_instrumented", ins[0]);
  cJSON_AddNumberToObject(out, "files_instrumented", ins[1]);
  cJSON_AddNumberToObject(out, "lines_compiled", ins[2]);
  *body = out;
  return 0;
}
