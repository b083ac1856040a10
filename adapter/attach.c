/* `attach`, in its four forms: `connect` (a program that runs under
 * `dapper-adapter --listen` or called dapper.listen()), `listen` (wait for
 * a program started with `dapper-adapter --connect`), `processId` (put the
 * runtime into a running process: attach_pid.c) and `subProcessId` (a child
 * process of a debugged program announced itself: children.c). The checks
 * they share are in dap_attach_read_common. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dapper/errors.h"
#include "handlers.h"
#include "log.h"

/* attach "listen": how long to wait for the program by default. */
#define LISTEN_DEADLINE_MS 60000

int dap_attach_read_common(dap_session_t *s, const cJSON *args, bool default_redirect,
                           bool warn_frame_eval) {
  if (dap_lifecycle_read_evaluate_timeout(s, args) != 0 ||
      dap_lifecycle_read_paths_and_output(s, args, default_redirect) != 0 ||
      dap_lifecycle_check_frame_eval(s, args, warn_frame_eval) != 0)
    return DAPPER_EINVAL;
  char err[1024];
  int rc = dap_launch_check_step_filters(args, err, sizeof(err));
  if (rc != 0)
    return dap_session_error(s, rc, "%s", err);
  return 0;
}

/* One console line naming the keys of an `attach` that only `launch`
 * reads: the program runs already, so they change nothing. */
static void warn_launch_only_keys(dap_session_t *s, const cJSON *args) {
  static const char *const launch_only[] = {"program", "module", "code",    "args",    "cwd", "env",
                                            "envFile", "python", "noDebug", "console", NULL};
  char names[512] = "";
  size_t used = 0;
  int n = 0;
  for (const char *const *k = launch_only; *k != NULL; k++) {
    if (cJSON_GetObjectItemCaseSensitive(args, *k) == NULL || used >= sizeof(names))
      continue;
    int w = snprintf(names + used, sizeof(names) - used, "%s\"%s\"", n > 0 ? ", " : "", *k);
    used = w < 0 ? sizeof(names) : used + (size_t)w;
    n++;
  }
  if (n > 0)
    dap_lifecycle_say_keys(s, "attach", n, names,
                           "for launch only and ignored: the program was started already");
}

void dap_attach_warn_keys(dap_session_t *s, const cJSON *args) {
  dap_lifecycle_warn_unknown_keys(s, args);
  warn_launch_only_keys(s, args);
}

/* attach with subProcessId: a child process's runtime waits on its socket. */
static int attach_child(dap_session_t *s, const cJSON *req, const cJSON *args) {
  long long pid = 0;
  const char *sock = NULL, *secret = NULL;
  if (s->launched)
    return dap_session_error(s, DAPPER_ESTATE, "this session already debugs a program");
  if (dap_get_int(args, "subProcessId", &pid) != 0 || pid <= 0 || pid > 0x7fffffff)
    return dap_session_error(s, DAPPER_EINVAL, "\"subProcessId\" must be a process id");
  if (dap_get_string(args, "subProcessSocket", &sock) != 0 || sock == NULL || *sock != '/' ||
      dap_get_string(args, "subProcessSecret", &secret) != 0 || secret == NULL ||
      strlen(secret) != 64)
    return dap_session_error(s, DAPPER_EINVAL,
                             "attach with \"subProcessId\" needs \"subProcessSocket\" and "
                             "\"subProcessSecret\" as the adapter sent them in startDebugging");
  int rc = dap_attach_read_common(s, args, false, true);
  if (rc != 0)
    return rc;
  dap_launch_free(&s->launch); /* what a failed attach before left */
  char name[64];
  snprintf(name, sizeof(name), "Subprocess %lld", pid);
  const char *title = NULL;
  if (dap_get_string(args, "name", &title) != 0 || title == NULL || *title == '\0')
    title = name;
  s->launch.name = strdup(title);
  s->launch.file = strdup(name);
  if (s->launch.name == NULL || s->launch.file == NULL)
    return dap_session_error(s, DAPPER_ENOMEM, "out of memory");
  char err[1024];
  rc = dap_debuggee_connect(s->loop, sock, secret, (int)pid, dap_lifecycle_debuggee_callbacks(), s,
                            &s->debuggee, err, sizeof(err));
  if (rc != 0) {
    s->debuggee = NULL;
    return dap_session_error(s, rc, "%s", err);
  }
  s->launched = true;
  s->child_session = true;
  dap_lifecycle_warn_unknown_keys(s, args);
  /* Its own children announce themselves to the first session's adapter
   * (the address is in their environment): the whole tree is one place. */
  return dap_lifecycle_await_hello(s, req);
}

/* `connect: {host, port}` names where the client connected: checked only. */
static int check_connect(dap_session_t *s, const cJSON *args) {
  const cJSON *c = cJSON_GetObjectItemCaseSensitive(args, "connect");
  if (c == NULL || cJSON_IsNull(c))
    return 0;
  const cJSON *host = cJSON_GetObjectItemCaseSensitive(c, "host");
  const cJSON *port = cJSON_GetObjectItemCaseSensitive(c, "port");
  if (!cJSON_IsObject(c) || (host != NULL && !cJSON_IsString(host)) ||
      (port != NULL &&
       (!cJSON_IsNumber(port) || port->valuedouble != (double)(int)port->valuedouble ||
        port->valuedouble < 1 || port->valuedouble > 65535)))
    return dap_session_error(s, DAPPER_EINVAL,
                             "\"connect\" must be {\"host\": string, \"port\": 1-65535}");
  return 0;
}

static bool is_loopback_host(const char *host) {
  return strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0 ||
         strcmp(host, "localhost") == 0;
}

/* attach "listen": {host, port, timeout}: wait for a program started with
 * dapper-adapter --connect HOST:PORT; then the session goes on as a launch. */
static int attach_listen(dap_session_t *s, const cJSON *req, const cJSON *args,
                         const cJSON *listen) {
  static const char shape[] = "\"listen\" must be {\"host\": string, \"port\": 0-65535, "
                              "\"timeout\": seconds}";
  const cJSON *host = cJSON_GetObjectItemCaseSensitive(listen, "host");
  const cJSON *port = cJSON_GetObjectItemCaseSensitive(listen, "port");
  const cJSON *timeout = cJSON_GetObjectItemCaseSensitive(listen, "timeout");
  if (!cJSON_IsObject(listen) || (host != NULL && !cJSON_IsString(host)) || !cJSON_IsNumber(port) ||
      port->valuedouble != (double)(int)port->valuedouble || port->valuedouble < 0 ||
      port->valuedouble > 65535 ||
      (timeout != NULL &&
       (!cJSON_IsNumber(timeout) || !(timeout->valuedouble > 0) || timeout->valuedouble > 86400)))
    return dap_session_error(s, DAPPER_EINVAL, "%s", shape);
  if (s->launched)
    return dap_session_error(s, DAPPER_ESTATE, "this session already has a program");
  if (cJSON_GetObjectItemCaseSensitive(args, "connect") != NULL)
    return dap_session_error(s, DAPPER_EINVAL, "attach takes \"listen\" or \"connect\", not both");
  int rc = dap_attach_read_common(s, args, true, true);
  if (rc != 0)
    return rc;
  char err[1024];
  const char *h = host != NULL ? host->valuestring : "127.0.0.1";
  int bound = 0;
  rc = dap_debuggee_await_tcp(s->loop, h, port->valueint, dap_lifecycle_debuggee_callbacks(), s,
                              &s->debuggee, &bound, err, sizeof(err));
  if (rc != 0) {
    s->debuggee = NULL;
    return dap_session_error(s, rc, "%s", err);
  }
  s->origin = DAP_ORIGIN_REMOTE;
  s->console = DAP_CONSOLE_INTERNAL;
  snprintf(s->remote_addr, sizeof(s->remote_addr), strchr(h, ':') ? "[%s]:%d" : "%s:%d", h, bound);
  s->hello_deadline_ms =
      timeout != NULL ? (uint64_t)(timeout->valuedouble * 1000.0 + 0.5) : LISTEN_DEADLINE_MS;
  if (s->hello_deadline_ms == 0)
    s->hello_deadline_ms = 1;
  s->launched = true;
  if (!is_loopback_host(h)) {
    snprintf(err, sizeof(err),
             "dapper: WARNING: waiting for the program on %s: anyone who can connect to this "
             "address can take the session (there is no secret over TCP)\n",
             s->remote_addr);
    dap_session_output(s, "console", err);
  }
  snprintf(err, sizeof(err),
           "dapper: waiting for the program on %s (dapper-adapter --connect %s "
           "-- program.py)\n",
           s->remote_addr, s->remote_addr);
  dap_session_output(s, "console", err);
  dap_log_info("attach: waiting for a program on %s", s->remote_addr);
  dap_attach_warn_keys(s, args);
  return dap_lifecycle_await_hello(s, req);
}

/* attach "connect" to an adapter that serves its program (--listen,
 * dapper.listen()): the runtime runs already; configure it for this client. */
static int attach_connect(dap_session_t *s, const cJSON *req, const cJSON *args) {
  if (s->attached)
    return dap_session_error(s, DAPPER_ESTATE, "this client is attached already");
  if (check_connect(s, args) != 0)
    return DAPPER_EINVAL;
  int rc = dap_attach_read_common(s, args, true, false);
  if (rc != 0)
    return rc;
  if (s->debuggee == NULL || dap_debuggee_exited(s->debuggee) || s->launch_failed)
    return dap_session_error(s, DAPPER_ESTATE, "the program has ended");
  if (!s->configured)
    return dap_session_hold(s, req); /* the runtime is starting */
  dap_attach_warn_keys(s, args);
  (void)dap_lifecycle_check_frame_eval(s, args, true); /* checked above: the warning only */
  s->launch_req = cJSON_Duplicate(req, 1);
  if (s->launch_req == NULL)
    return dap_session_error(s, DAPPER_ENOMEM, "out of memory");
  const cJSON *boot = cJSON_GetObjectItemCaseSensitive(s->listen_args, "arguments");
  if (dap_lifecycle_send_configure(s, args, boot) != 0) {
    cJSON_Delete(s->launch_req);
    s->launch_req = NULL;
    return dap_session_error(s, DAPPER_ERUNTIME, "the program is no longer running");
  }
  s->attached = true;
  return DAP_DEFERRED;
}

int dap_handle_attach(dap_session_t *s, const cJSON *req, const cJSON *args, cJSON **body) {
  if (!s->listen && cJSON_GetObjectItemCaseSensitive(args, "subProcessId") != NULL) {
    cJSON_Delete(s->launch_args);
    s->launch_args = cJSON_Duplicate(args, 1);
    return attach_child(s, req, args);
  }
  const cJSON *pid = cJSON_GetObjectItemCaseSensitive(args, "processId");
  if (pid != NULL && !cJSON_IsNull(pid))
    return dap_attach_pid_start(s, req, args);
  const cJSON *listen = cJSON_GetObjectItemCaseSensitive(args, "listen");
  if (!s->listen && listen != NULL && !cJSON_IsNull(listen))
    return attach_listen(s, req, args, listen);
  if (!s->listen)
    return dap_session_error(
        s, DAPPER_ENOTSUP,
        "this adapter has no program to attach to: start the program with the debugger "
        "listening (dapper-adapter --listen PORT -- program.py, or dapper.listen(PORT) in it) "
        "and attach with \"connect\": {\"port\": PORT}; or attach with \"listen\": "
        "{\"port\": PORT} and start it with dapper-adapter --connect PORT -- program.py; or "
        "attach to a running process with \"processId\"; or use a \"launch\" request "
        "(\"program\", \"module\" or \"code\")");
  if (listen != NULL && !cJSON_IsNull(listen))
    return dap_session_error(s, DAPPER_EINVAL,
                             "this adapter serves a program that is running already: attach "
                             "with \"connect\", not \"listen\"");
  return attach_connect(s, req, args);
}
