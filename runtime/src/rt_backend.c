/* Backend selection (`configure`) and dispatch to the active backend. */
#include "rt_backend.h"

#include <stdio.h>
#include <string.h>

#include <dapper/errors.h>
#include <dapper/message.h>

#include "rt_engine.h"
#include "rt_engine_priv.h"
#include "rt_log.h"
#include "rt_stats.h"
#include "rt_stop.h"
#include "rt_support.h"

const rt_backend_t *rt_backend;

static void rt_backend_add_audit_hook(void);

void rt_backend_breakpoints_changed(const char *canon) {
  /* once the first line breakpoint is set under a backend that wants the
   * code run, or a file is answered lazily (checked when its code runs) */
  if (rt_backend != NULL &&
      ((rt_backend->code_executed != NULL && rt_bpfiles != NULL) || rt_lazy_pending > 0)) {
    rt_backend_add_audit_hook();
  }
  if (rt_backend != NULL && rt_backend->breakpoints_changed != NULL) {
    rt_backend->breakpoints_changed(canon);
  }
}

void rt_backend_exceptions_changed(void) {
  if (rt_backend != NULL && rt_backend->exceptions_changed != NULL) {
    rt_backend->exceptions_changed();
  }
}

void rt_backend_control_changed(void) {
  if (rt_backend != NULL && rt_backend->control_changed != NULL) {
    rt_backend->control_changed();
  }
}

void rt_backend_step_changed(rt_thread_t *t) {
  if (rt_backend != NULL && rt_backend->step_changed != NULL) {
    rt_backend->step_changed(t);
  }
}

void rt_backend_thread_started(void) {
  if (rt_backend != NULL && rt_backend->thread_started != NULL) {
    rt_backend->thread_started();
  }
}

/* The `exec` audit hook: hands the code object about to run to the active
 * backend. Audit hooks cannot be removed, so it is added once, when the
 * first line breakpoint is set under a backend that wants it (a session
 * without breakpoints never has it), and does nothing while no backend
 * wants it. With any audit hook installed CPython builds the argument
 * tuple of every audited event (`builtins.id`, `open`, `sys._getframe`,
 * ...): ~300-480 instructions per event, of which this hook's one-byte
 * compare is 4 (docs/performance.md, "the exec audit hook's cost"). */
static int rt_backend_audit(const char *event, PyObject *args, void *data) {
  PyObject *code = NULL;
  if (event[0] != 'e' || strcmp(event, "exec") != 0) return 0;
  /* audit hooks are process-wide: another interpreter's code is not ours */
  if (rt_backend == NULL || rt_tls_in_debugger || (void *)PyInterpreterState_Get() != data) {
    return 0;
  }
  if (rt_backend->code_executed == NULL && rt_lazy_pending <= 0) return 0;
  if (!PyTuple_Check(args) || PyTuple_GET_SIZE(args) < 1) return 0;
  code = PyTuple_GET_ITEM(args, 0);
  if (!PyCode_Check(code)) return 0;
  rt_stat_inc(RT_STAT_EXEC_EVENTS);
  /* lazily answered lines are checked first: the backend arms those */
  rt_lazy_code_loaded(code);
  if (rt_backend->code_executed != NULL) rt_backend->code_executed(code);
  return 0;
}

static void rt_backend_add_audit_hook(void) {
  static bool added;
  if (added) return;
  if (PySys_AddAuditHook(rt_backend_audit, PyInterpreterState_Get()) < 0) {
    char text[512];
    rt_exc_text(text, sizeof text);
    rt_log(RT_LOG_ERROR, "could not add the exec audit hook: %s", text);
    PyErr_Clear();
    return;
  }
  added = true;
}

bool rt_backend_is_own_tracefunc(Py_tracefunc f) {
  if (f == NULL) return false;
#if RT_HAVE_FRAME_HOOK
  if (f == rt_frame_func) return true;
#endif
  return f == rt_tracing_func || f == rt_tracing_func_timed;
}

void rt_backend_uninstall(void) {
  if (rt_backend != NULL && rt_backend->uninstall != NULL) rt_backend->uninstall();
  rt_backend = NULL;
}

/* The backend `name` if this build has it, else NULL with *why set. */
static const rt_backend_t *rt_backend_find(const char *name, const char **why) {
  if (strcmp(name, "tracing") == 0) return &rt_backend_tracing;
  if (strcmp(name, "monitoring") == 0) {
#if RT_HAVE_MONITORING
    return &rt_backend_monitoring;
#else
    *why = "sys.monitoring needs Python 3.12 or newer";
    return NULL;
#endif
  }
  if (strcmp(name, "evalframe") == 0) {
    return &rt_backend_evalframe;
  }
  if (strcmp(name, "instrumented") == 0) {
#if RT_HAVE_INSTRUMENTED
    return &rt_backend_instrumented;
#else
    *why = "instrumented code is for Python 3.11 (3.12: its tracing fallback "
           "is missing; 3.13: assigning __code__ deoptimises calls for good; "
           "use 'monitoring')";
    return NULL;
#endif
  }
  *why = "unknown backend";
  return NULL;
}

int rt_handle_configure(rt_channel_t *ch, const cJSON *req, cJSON **body) {
  const cJSON *args = cJSON_GetObjectItemCaseSensitive(req, "arguments");
  const cJSON *fe = NULL;
  const char *requested = "auto", *why = NULL;
  bool enabled = true, fallback = true, stop_on_entry = false;
  bool selective = true, rewrite = true;
  const rt_backend_t *chosen = NULL;
  char reason[768], version[32];
  const char *pyver = Py_GetVersion();
  PyGILState_STATE gil;
  cJSON *out = NULL;
  int rc = 0;

  snprintf(version, sizeof version, "%.*s", (int)strcspn(pyver, " "), pyver);
  (void)dap_get_bool(args, "stopOnEntry", &stop_on_entry);
  (void)dap_get_object(args, "frameEval", &fe);
  (void)dap_get_bool(fe, "enabled", &enabled);
  (void)dap_get_string(fe, "backend", &requested);
  (void)dap_get_bool(fe, "fallback_on_error", &fallback);
  (void)dap_get_bool(fe, "selective_tracing", &selective);
  (void)dap_get_bool(fe, "bytecode_optimization", &rewrite);

  if (!enabled) {
    chosen = &rt_backend_tracing;
    snprintf(reason, sizeof reason, "frameEval.enabled is false");
  } else if (strcmp(requested, "auto") == 0) {
#if RT_HAVE_MONITORING
    chosen = rt_backend_monitoring.install != NULL ? &rt_backend_monitoring
                                                   : &rt_backend_tracing;
    snprintf(reason, sizeof reason, "Python %s", version);
#elif RT_HAVE_INSTRUMENTED
    /* the only backend that rewrites code objects */
    chosen = rewrite ? &rt_backend_instrumented : &rt_backend_tracing;
    snprintf(reason, sizeof reason, "Python %s%s", version,
             rewrite ? "" : ", frameEval.bytecode_optimization is false");
#else
    chosen = &rt_backend_tracing;
    snprintf(reason, sizeof reason, "Python %s", version);
#endif
  } else {
    chosen = rt_backend_find(requested, &why);
    if (chosen != NULL && !rewrite && strcmp(requested, "instrumented") == 0) {
      chosen = NULL;
      why = "frameEval.bytecode_optimization is false (it recompiles functions)";
    }
    if (chosen != NULL && chosen->install == NULL) {
      chosen = NULL;
      why = "not implemented yet";
    }
    if (chosen != NULL) {
      snprintf(reason, sizeof reason, "requested");
    } else if (!fallback) {
      return rt_commands_fail(DAPPER_ENOTSUP,
                              "breakpoint backend '%s' is not available on "
                              "Python %s: %s",
                              requested, version, why);
    } else {
      chosen = &rt_backend_tracing;
      snprintf(reason, sizeof reason,
               "backend '%s' is not available on Python %s: %s", requested,
               version, why);
    }
  }
  if (!rt_python_enter(&gil)) return rt_commands_exiting();
  if (rt_support() == NULL) {
    char text[512];
    rt_exc_text(text, sizeof text);
    rt_python_leave(gil);
    return rt_commands_fail(DAPPER_ERUNTIME, "the runtime support module failed: %s",
                            text);
  }
  rt_engine_set_main();
  rt_backend_uninstall();
  rt_selective_tracing = selective;
  rt_stats_configure(fe); /* performance_monitoring: before install */
  if (chosen->install() < 0) {
    char text[512];
    rt_exc_text(text, sizeof text);
    if (!fallback || chosen == &rt_backend_tracing) {
      rt_python_leave(gil);
      return rt_commands_fail(DAPPER_ERUNTIME, "could not install backend '%s': %s",
                              chosen->name, text);
    }
    snprintf(reason, sizeof reason, "%s failed: %s", chosen->name, text);
    rt_stat_inc(RT_STAT_ERRORS); /* fell back */
    chosen = &rt_backend_tracing;
    (void)chosen->install();
  }
  rt_backend = chosen;
  rt_stats_set_reason(reason);
  atomic_store(&rt_entry_pending, stop_on_entry ? 1 : 0);
  rt_backend_control_changed();
  rt_backend_breakpoints_changed(NULL);
  rt_backend_exceptions_changed();
  rt_console("dapper: breakpoints use %s (%s)", chosen->description, reason);
  rt_python_leave(gil);

  out = cJSON_CreateObject();
  if (out == NULL) return DAPPER_ENOMEM;
  cJSON_AddStringToObject(out, "backend", chosen->name);
  cJSON_AddStringToObject(out, "reason", reason);
  *body = out;
  return rc;
}
