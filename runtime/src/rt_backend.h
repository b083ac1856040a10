/* Breakpoint backends: how the runtime gets control at breakpoint lines,
 * function entries, raised exceptions, and while stepping or pausing.
 *
 *   tracing     a C trace function on every thread (every line), 3.11+
 *   monitoring  sys.monitoring with C callbacks, LINE only where needed,
 *               3.12+
 *   instrumented  functions recompiled with the breakpoint checks inserted,
 *               scoped tracing for what cannot be (3.11; rt_backend_frame.h)
 *   evalframe   a permanent PEP 523 hook: 3.11 traces only frames whose
 *               code has breakpoints (rt_backend_frame.c); 3.12+ arms
 *               sys.monitoring local events on the code objects it sees
 *               (rt_backend_monitoring.c, no global PY_START)
 *
 * The active backend is chosen by `configure` (rt_handle_configure). All
 * hooks are called with the GIL held; any may be NULL. */
#ifndef RT_BACKEND_H
#define RT_BACKEND_H

#include "rt_compat.h"

#include <cjson/cJSON.h>

#include "rt_channel.h"
#include "rt_threads.h"

typedef struct rt_backend {
  const char *name;        /* "tracing", "monitoring" */
  const char *description; /* "traditional tracing", "sys.monitoring" */
  /* Returns 0, or -1 with an exception set. */
  int (*install)(void);
  void (*uninstall)(void);
  /* Breakpoints of file `canon` changed (NULL: function breakpoints). */
  void (*breakpoints_changed)(const char *canon);
  /* Exception filters changed. */
  void (*exceptions_changed)(void);
  /* Pause-all, entry-pending or stepping state changed: recompute the
   * events they need. */
  void (*control_changed)(void);
  /* Thread t starts a step (t->step_kind, t->step_frame set) or its step
   * target moved to another frame. */
  void (*step_changed)(rt_thread_t *t);
  /* The calling thread started (threading bootstrap hook). */
  void (*thread_started)(void);
  /* A code object is about to run as a module or exec'd/eval'd code: the
   * `exec` audit event (exec() and eval() of a code object, every import,
   * runpy, the interpreter's run of the main script, pytest's rewritten
   * test modules), whoever compiled it. Must not raise. */
  void (*code_executed)(PyObject *code);
} rt_backend_t;

extern const rt_backend_t rt_backend_tracing;
#if RT_HAVE_MONITORING
extern const rt_backend_t rt_backend_monitoring;
#endif
#if RT_HAVE_EVALFRAME
extern const rt_backend_t rt_backend_evalframe;
#endif
#if RT_HAVE_INSTRUMENTED
extern const rt_backend_t rt_backend_instrumented;
#endif

/* The installed backend, or NULL before configure / after uninstall. */
extern const rt_backend_t *rt_backend;

/* Calls a hook of the active backend if it has one. GIL held. */
void rt_backend_breakpoints_changed(const char *canon);
void rt_backend_exceptions_changed(void);
void rt_backend_control_changed(void);
void rt_backend_step_changed(rt_thread_t *t);
void rt_backend_thread_started(void);

/* True when f is one of the backends' C trace functions (statistics). */
bool rt_backend_is_own_tracefunc(Py_tracefunc f);
extern const Py_tracefunc rt_tracing_func; /* rt_backend_tracing.c */
extern const Py_tracefunc rt_tracing_func_timed;
#if RT_HAVE_FRAME_HOOK
extern const Py_tracefunc rt_frame_func; /* rt_backend_frame.c */
#endif

/* frameEval.selective_tracing (tracing backend): only frames of code with
 * breakpoint lines, or that a step, pause or function breakpoint needs,
 * get line events. Set by configure; the overhead check may turn it on. */
extern bool rt_selective_tracing;

/* Removes the active backend's hooks. GIL held. */
void rt_backend_uninstall(void);

/* `configure` (channel thread, no GIL; rt_commands.h). */
int rt_handle_configure(rt_channel_t *ch, const cJSON *req, cJSON **body);

#endif
