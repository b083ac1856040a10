/* `attach` with `processId`: the runtime goes into a CPython process that
 * is already running (inject.c), connects back through a rendezvous socket
 * (rendezvous.c, as a program run in a terminal does), and the session goes
 * on as after a launch: `configure`, the breakpoints, `initialized`. Detach
 * lets go of the process; it runs on with every hook removed and can be
 * attached to again (the runtime stays loaded and takes a new channel). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dapper/errors.h"
#include "handlers.h"
#include "inject.h"
#include "log.h"

#define ATTACH_TIMEOUT_MS 10000

/* The bootstrap was queued but did not connect in time. */
static void on_attach_deadline(uv_timer_t *t) {
  dap_session_t *s = t->data;
  char text[1024];
  if (kill(s->attach_pid, 0) != 0 && errno == ESRCH) {
    snprintf(text, sizeof(text), "process %d ended before the debugger was ready", s->attach_pid);
    dap_lifecycle_fail_launch(s, text);
    return;
  }
  snprintf(text, sizeof(text),
           "process %d did not run the debugger's bootstrap within %.1f s: its main thread is "
           "not running Python code (blocked in C: sleep, I/O, a lock, waiting for a child). "
           "The bootstrap runs when the main thread runs Python again and then finds nobody "
           "waiting, so the program goes on undebugged; attach again then, raise "
           "\"attachTimeout\", or start the program with dapper-adapter --listen",
           s->attach_pid, (double)s->attach_timeout_ms / 1000.0);
  dap_lifecycle_fail_launch(s, text);
}

static void on_injected(void *ud, int rc, const char *message) {
  dap_session_t *s = ud;
  s->inject = NULL;
  if (rc == 0 && s->launch_req != NULL && !s->runtime_ready) {
    /* Queued: the main thread runs it at its next bytecode. */
    uv_timer_start(&s->hello_timer, on_attach_deadline, s->attach_timeout_ms, 0);
  } else if (rc != 0 && s->launch_req != NULL) {
    dap_lifecycle_fail_launch(s, message);
  }
  dap_session_maybe_free(s);
}

/* `attachTimeout`: seconds the bootstrap may take to connect. */
static int read_attach_timeout(dap_session_t *s, const cJSON *args) {
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(args, "attachTimeout");
  s->attach_timeout_ms = ATTACH_TIMEOUT_MS;
  if (t == NULL || cJSON_IsNull(t))
    return 0;
  if (!cJSON_IsNumber(t) || !(t->valuedouble > 0) || t->valuedouble > 3600)
    return dap_session_error(s, DAPPER_EINVAL,
                             "\"attachTimeout\" must be a number of seconds (0 < t <= 3600)");
  s->attach_timeout_ms = (uint64_t)(t->valuedouble * 1000.0 + 0.5);
  return 0;
}

int dap_attach_pid_start(dap_session_t *s, const cJSON *req, const cJSON *args) {
  if (s->listen)
    return dap_session_error(s, DAPPER_EINVAL,
                             "this adapter serves the program it started (--listen): attach "
                             "with \"connect\", not \"processId\"");
  if (s->launched)
    return dap_session_error(s, DAPPER_ESTATE, "this session already has a program");
  int pid = dap_inject_parse_pid(cJSON_GetObjectItemCaseSensitive(args, "processId"));
  if (pid < 0)
    return dap_session_error(s, DAPPER_EINVAL,
                             "\"processId\" must be a process id (a positive integer, or a "
                             "string of digits)");
  if (cJSON_GetObjectItemCaseSensitive(args, "connect") != NULL ||
      cJSON_GetObjectItemCaseSensitive(args, "listen") != NULL)
    return dap_session_error(s, DAPPER_EINVAL,
                             "attach takes one of \"processId\", \"connect\" or \"listen\"");
  int rc = dap_attach_read_common(s, args, true, true);
  if (rc != 0)
    return rc;
  if (read_attach_timeout(s, args) != 0)
    return DAPPER_EINVAL;
  char err[1024];
  dap_inject_target_t target;
  rc = dap_inject_check(pid, &target, err, sizeof(err));
  if (rc != 0)
    return dap_session_error(s, rc, "%s", err);
  s->launch.name = strdup(target.name);
  s->launch.file = strdup(target.exe);
  s->launch_req = cJSON_Duplicate(req, 1);
  if (s->launch.name == NULL || s->launch.file == NULL || s->launch_req == NULL) {
    dap_launch_free(&s->launch);
    cJSON_Delete(s->launch_req);
    s->launch_req = NULL;
    return dap_session_error(s, DAPPER_ENOMEM, "out of memory");
  }
  rc = dap_debuggee_await(s->loop, dap_lifecycle_debuggee_callbacks(), s, &s->debuggee, err,
                          sizeof(err));
  if (rc == 0) {
    dap_debuggee_set_attached(s->debuggee, pid);
    rc = dap_inject_start(s->loop, &target, s->runtime_dir, dap_debuggee_socket_path(s->debuggee),
                          dap_debuggee_secret(s->debuggee), on_injected, s, &s->inject, err,
                          sizeof(err));
    if (rc != 0) {
      s->launch_failed = true; /* answered with the error: no `exited` */
      dap_debuggee_release(s->debuggee);
    }
  }
  if (rc != 0) {
    s->debuggee = NULL; /* freed once its handles closed */
    dap_launch_free(&s->launch);
    cJSON_Delete(s->launch_req);
    s->launch_req = NULL;
    return dap_session_error(s, rc, "%s", err);
  }
  s->attach_pid = pid;
  s->launched = true;
  dap_log_info("attach: process %d (%s, %s, Python 3.%d)", pid, target.name, target.exe,
               target.minor);
  dap_attach_warn_keys(s, args);
  return DAP_DEFERRED;
}

void dap_attach_pid_release(dap_session_t *s) {
  uv_timer_stop(&s->hello_timer);
  if (s->inject != NULL)
    dap_inject_cancel(s->inject); /* its callback clears s->inject */
  if (s->debuggee != NULL)
    dap_debuggee_release(s->debuggee); /* on_gone clears s->debuggee */
}
