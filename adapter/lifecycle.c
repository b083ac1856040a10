/* Lifecycle requests the adapter answers itself (initialize, launch,
 * configurationDone, disconnect, terminate) and the debuggee's life:
 * the runtime's hello, exit, and the end of the session. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dapper/errors.h"
#include "dapper/wire.h"
#include "handlers.h"
#include "log.h"

#define TERMINATE_GRACE_MS 2000
#define CLIENT_GONE_GRACE_MS 1000

/* What messages call the program. */
static const char *program_name(const dap_session_t *s) {
  return s->launch.file != NULL ? s->launch.file : "the program";
}

int dap_handle_initialize(dap_session_t *s, const cJSON *req, const cJSON *args, cJSON **body) {
  if (s->initialized)
    return dap_session_error(s, DAPPER_ESTATE, "'initialize' was already received");
  bool b;
  if (dap_get_bool(args, "linesStartAt1", &b) == 0)
    s->lines_start_at1 = b;
  if (dap_get_bool(args, "columnsStartAt1", &b) == 0)
    s->columns_start_at1 = b;
  if (dap_get_bool(args, "supportsInvalidatedEvent", &b) == 0)
    s->supports_invalidated = b;
  if (dap_get_bool(args, "supportsRunInTerminalRequest", &b) == 0)
    s->supports_run_in_terminal = b;
  if (dap_get_bool(args, "supportsStartDebuggingRequest", &b) == 0)
    s->supports_start_debugging = b;
  *body = dap_capabilities();
  if (*body == NULL)
    return dap_session_error(s, DAPPER_ENOMEM, "out of memory");
  s->initialized = true;
  /* `initialized` waits for the launch: it goes out once the runtime can
   * answer breakpoint requests (dap_lifecycle_configured), so that they are
   * verified in their responses. */
  return 0;
}

/* --- the debuggee's callbacks ------------------------------------------ */

static void on_output(void *ud, const char *category, const char *text, size_t len) {
  dap_session_t *s = ud;
  if (s->listen) {
    /* --listen: the program's output is the adapter's terminal's. */
    FILE *f = strcmp(category, "stderr") == 0 ? stderr : stdout;
    fwrite(text, 1, len, f);
    fflush(f);
  }
  /* redirectOutput false: the program's output is not sent (it is read
   * all the same, so the program never blocks on a full pipe). */
  if (s->redirect_output)
    dap_session_output(s, category, text);
}

static void on_runtime_message(void *ud, cJSON *msg, dap_msg_kind_t kind) {
  dap_lifecycle_runtime_message(ud, msg, kind);
  cJSON_Delete(msg);
}

static void on_runtime_closed(void *ud) {
  dap_session_t *s = ud;
  dap_log_info("runtime channel closed");
  dap_forward_fail_all(s, "the program is no longer running");
}

static void on_debuggee_exit(void *ud, int exit_status, int term_signal) {
  dap_lifecycle_debuggee_exit(ud, exit_status, term_signal);
}

static void on_gone(void *ud) { dap_lifecycle_debuggee_gone(ud); }

static const dap_debuggee_callbacks_t debuggee_cbs = {
    .on_output = on_output,
    .on_runtime_message = on_runtime_message,
    .on_runtime_closed = on_runtime_closed,
    .on_exit = on_debuggee_exit,
    .on_gone = on_gone,
};

const dap_debuggee_callbacks_t *dap_lifecycle_debuggee_callbacks(void) {
  return &debuggee_cbs;
}

static void send_process_event(dap_session_t *s, bool now) {
  cJSON *body = cJSON_CreateObject();
  if (body == NULL)
    return;
  cJSON_AddStringToObject(body, "name", s->launch.name);
  int pid = dap_debuggee_pid(s->debuggee);
  cJSON_AddNumberToObject(body, "systemProcessId", pid > 0 ? (double)pid : (double)s->hello_pid);
  cJSON_AddBoolToObject(body, "isLocalProcess", s->origin != DAP_ORIGIN_REMOTE);
  cJSON_AddStringToObject(body, "startMethod",
                          s->listen || s->attach_pid != 0 || s->child_session ||
                                  s->origin == DAP_ORIGIN_REMOTE
                              ? "attach"
                              : "launch");
  cJSON_AddNumberToObject(body, "pointerSize", (double)(sizeof(void *) * 8));
  if (now)
    dap_session_send_event(s, "process", body);
  else
    dap_session_queue_event(s, "process", body);
}

/* Tells the runtime to let the program run, once both sides are ready. */
static void maybe_start(dap_session_t *s) {
  if (!s->configured || !s->configuration_done || s->start_sent || s->debuggee == NULL)
    return;
  s->start_sent = true;
  dap_forward(s, "start", NULL, DAP_PENDING_INTERNAL, NULL);
}

/* The launch request fails: answer it and end the debuggee at once. The
 * error says why; the program never ran, so its end is not reported. */
static void fail_launch(dap_session_t *s, const char *text) {
  uv_timer_stop(&s->hello_timer);
  if (s->listen_boot) {
    /* dapper.listen() in a program that ends at once: its runtime goes
     * while starting, which is no news for its terminal. */
    if (s->origin == DAP_ORIGIN_SPAWNED)
      fprintf(stderr, "dapper-adapter: %s\n", text);
    else
      dap_log_info("%s", text);
    cJSON_Delete(s->launch_req);
    s->launch_req = NULL;
    s->listen_boot = false;
    s->launch_failed = true;
  }
  if (s->launch_req != NULL) {
    cJSON *req = s->launch_req;
    s->launch_req = NULL;
    s->launch_failed = true;
    dap_session_respond_error(s, req, DAPPER_ELAUNCH, "%s", text);
  }
  if (s->attach_pid != 0)
    dap_attach_pid_release(s); /* a running program: never ended for this */
  else if (s->debuggee != NULL && s->origin != DAP_ORIGIN_SPAWNED)
    dap_debuggee_release(s->debuggee); /* not ours to end: it runs on */
  else if (s->debuggee != NULL)
    dap_debuggee_terminate(s->debuggee, 0);
  dap_session_release_held(s); /* answered locally: the program did not start */
}

void dap_lifecycle_fail_launch(dap_session_t *s, const char *text) {
  fail_launch(s, text);
}

static void on_hello_deadline(uv_timer_t *t);

/* DAPPER_STARTUP_TIMEOUT, or the default (main.c refused a bad value at
 * start-up). */
static uint64_t startup_timeout_ms(void) {
  uint64_t ms = DAP_STARTUP_TIMEOUT_DEFAULT_MS;
  char err[256];
  if (dap_launch_startup_timeout(&ms, err, sizeof(err)) != 0)
    ms = DAP_STARTUP_TIMEOUT_DEFAULT_MS;
  return ms;
}

int dap_lifecycle_await_hello(dap_session_t *s, const cJSON *req) {
  s->launch_req = cJSON_Duplicate(req, 1);
  if (s->launch_req == NULL) {
    dap_debuggee_terminate(s->debuggee, 0);
    return dap_session_error(s, DAPPER_ENOMEM, "out of memory");
  }
  if (s->hello_deadline_ms == 0)
    s->hello_deadline_ms = startup_timeout_ms();
  uv_timer_start(&s->hello_timer, on_hello_deadline, s->hello_deadline_ms, 0);
  return DAP_DEFERRED;
}

static void on_hello_deadline(uv_timer_t *t) {
  dap_session_t *s = t->data;
  char text[1024];
  double secs = (double)s->hello_deadline_ms / 1000.0;
  if (s->origin == DAP_ORIGIN_REMOTE && dap_debuggee_pid(s->debuggee) == 0 && s->hello_pid == 0)
    snprintf(text, sizeof(text),
             "no program connected to %s within %g s: start it with `dapper-adapter --connect "
             "%s -- program.py` (or raise \"listen\": {\"timeout\": seconds})",
             s->remote_addr, secs, s->remote_addr);
  else if (s->origin != DAP_ORIGIN_SPAWNED)
    snprintf(text, sizeof(text), "the program's debugger runtime did not start within %g s", secs);
  else if (s->console != DAP_CONSOLE_INTERNAL)
    snprintf(text, sizeof(text),
             "the program started in the terminal did not connect to the debugger within %g s: "
             "the terminal did not run the command as sent (see the terminal), or %s is not "
             "CPython 3.11 or newer, or was started with -I, -E or -S",
             secs, program_name(s));
  else
    snprintf(text, sizeof(text),
             "the debugger runtime did not start in %s within %g s: is it CPython 3.11 or newer, "
             "started without -I, -E or -S?",
             program_name(s), secs);
  fail_launch(s, text);
}

/* The launch configuration's part the runtime needs: `configure`. */
static cJSON *configure_args(const cJSON *launch_args) {
  cJSON *args = cJSON_CreateObject();
  if (args == NULL)
    return NULL;
  static const char *const keys[] = {"stopOnEntry", "frameEval", "showReturnValue",
                                     "justMyCode",  "rules",     NULL};
  for (const char *const *k = keys; *k != NULL; k++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(launch_args, *k);
    if (v != NULL && !cJSON_IsNull(v) && strcmp(*k, "frameEval") != 0)
      cJSON_AddItemToObject(args, *k, cJSON_Duplicate(v, 1));
  }
  /* frameEval with its profile and defaults resolved (checked already at
   * launch/attach; --listen's boot has none). */
  char unknown[8], err[256];
  cJSON *fe = NULL;
  if (dap_frame_eval_resolve(cJSON_GetObjectItemCaseSensitive(launch_args, "frameEval"), &fe,
                             unknown, sizeof(unknown), err, sizeof(err)) >= 0 &&
      fe != NULL)
    cJSON_AddItemToObject(args, "frameEval", fe);
  return args;
}

static void accept_hello(dap_session_t *s, const cJSON *body) {
  const char *error = NULL, *pyver = "?";
  long long wire = -1;
  dap_get_string(body, "error", &error);
  dap_get_string(body, "pythonVersion", &pyver);
  dap_get_int(body, "wireVersion", &wire);
  if (error != NULL) {
    fail_launch(s, error);
    return;
  }
  if (wire != WIRE_VERSION) {
    char text[512];
    snprintf(text, sizeof(text),
             "the debugger runtime for Python %s speaks wire version %lld, this adapter speaks "
             "%d: rebuild the runtime and the adapter together",
             pyver, wire, WIRE_VERSION);
    fail_launch(s, text);
    return;
  }
  uv_timer_stop(&s->hello_timer);
  s->runtime_ready = true;
  long long pid = 0;
  if (dap_get_int(body, "pid", &pid) == 0)
    s->hello_pid = pid;
  const char *exe = NULL;
  if (s->launch.name == NULL && dap_get_string(body, "executable", &exe) == 0 && exe != NULL)
    s->launch.name = strdup(exe);
  dap_log_info("runtime ready: Python %s, pid %d", pyver, dap_debuggee_pid(s->debuggee));
  /* The request's arguments; a restart's are the configuration kept. */
  const cJSON *launch_args = NULL;
  const cJSON *command = cJSON_GetObjectItemCaseSensitive(s->launch_req, "command");
  if (cJSON_IsString(command) && strcmp(command->valuestring, "restart") == 0)
    launch_args = s->config;
  else if (s->launch_req != NULL)
    launch_args = cJSON_GetObjectItemCaseSensitive(s->launch_req, "arguments");
  /* configure first, then the breakpoints kept so far, then (once the
   * client is done configuring) start: the runtime handles them in order. */
  if (dap_lifecycle_send_configure(s, launch_args, launch_args) != 0) {
    fail_launch(s, "the debugger runtime went away while starting");
    return;
  }
  /* What was set before `launch`, then what came while it started: the
   * runtime answers them after `configure`, in this order. */
  dap_breakpoints_replay(s);
  dap_session_release_held(s);
}

int dap_lifecycle_send_configure(dap_session_t *s, const cJSON *launch_args,
                                 const cJSON *code_args) {
  cJSON *cfg = configure_args(launch_args);
  if (cfg != NULL) {
    /* What inspection needs: the client's capability, the budget, and the
     * `code` a `python -c` program runs (the source of its frames). */
    cJSON_AddBoolToObject(cfg, "supportsInvalidatedEvent", s->supports_invalidated);
    cJSON_AddBoolToObject(cfg, "columnsStartAt1", s->columns_start_at1);
    cJSON_AddNumberToObject(cfg, "evaluateTimeout", (double)s->evaluate_timeout_ms / 1000.0);
    const char *code = NULL;
    if (dap_get_string(code_args, "code", &code) == 0)
      cJSON_AddStringToObject(cfg, "code", code);
    /* A program in a terminal writes there itself: with redirectOutput
     * the runtime also sends what it writes to sys.stdout/sys.stderr. */
    if (s->console != DAP_CONSOLE_INTERNAL && s->redirect_output)
      cJSON_AddTrueToObject(cfg, "redirectOutput");
  }
  return dap_forward(s, "configure", cfg, DAP_PENDING_CONFIGURE, NULL);
}

void dap_lifecycle_configured(dap_session_t *s, const cJSON *msg) {
  if (s->listen && !s->listen_boot && s->launch_req != NULL &&
      (msg == NULL || !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(msg, "success")))) {
    /* An attach the runtime refused: the program runs on, undebugged. */
    const char *text = "the debugger runtime could not be configured";
    if (msg != NULL)
      dap_get_string(msg, "message", &text);
    cJSON *req = s->launch_req;
    s->launch_req = NULL;
    s->attached = false;
    dap_session_respond_error(s, req, DAPPER_ELAUNCH, "%s", text);
    return;
  }
  if (msg == NULL) {
    fail_launch(s, "the debugger runtime went away while starting");
    return;
  }
  if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(msg, "success"))) {
    const char *text = "the debugger runtime could not be configured";
    dap_get_string(msg, "message", &text);
    fail_launch(s, text);
    return;
  }
  s->configured = true;
  if (s->listen_boot) {
    /* --listen: the program is ready; a client attaches when it likes. */
    cJSON_Delete(s->launch_req);
    s->launch_req = NULL;
    s->listen_boot = false;
    maybe_start(s);
    dap_session_release_held(s); /* an attach that came early */
    return;
  }
  if (s->launch_req != NULL) {
    const char *command =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s->launch_req, "command"));
    send_process_event(s, false);
    /* The runtime resolves breakpoints now: configuration can begin. A
     * restart keeps the configuration (breakpoints were replayed). */
    if (command == NULL || strcmp(command, "restart") != 0)
      dap_session_queue_event(s, "initialized", NULL);
    cJSON *req = s->launch_req;
    s->launch_req = NULL;
    dap_session_respond(s, req, NULL);
  }
  maybe_start(s);
}

void dap_lifecycle_runtime_message(dap_session_t *s, cJSON *msg, dap_msg_kind_t kind) {
  const char *name = NULL;
  if (kind == DAP_MSG_EVENT && dap_get_string(msg, "event", &name) == 0 &&
      strcmp(name, "hello") == 0) {
    if (s->runtime_ready) {
      dap_log_warn("runtime: a second hello, ignored");
      return;
    }
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(msg, "body");
    accept_hello(s, cJSON_IsObject(body) ? body : NULL);
    return;
  }
  if (!s->runtime_ready) {
    dap_log_warn("runtime: message before hello, ignored");
    return;
  }
  if (kind == DAP_MSG_RESPONSE) {
    dap_forward_response(s, msg);
  } else if (kind == DAP_MSG_EVENT) {
    dap_forward_event(s, msg);
    /* --listen with nobody attached: nothing may keep the program stopped
     * (a stop that raced with a detach). */
    if (s->listen && !s->attached && name != NULL && strcmp(name, "stopped") == 0)
      dap_forward(s, "continue", NULL, DAP_PENDING_INTERNAL, NULL);
  } else
    dap_log_warn("runtime: unexpected request, ignored");
}

#define NOT_SUPPORTED "not supported and ignored (docs/configuration.md lists the keys)"

void dap_lifecycle_say_keys(dap_session_t *s, const char *what, int n, const char *names,
                            const char *verdict) {
  char text[700];
  snprintf(text, sizeof(text), "dapper: %s %s %s %s %s\n", what, n == 1 ? "key" : "keys", names,
           n == 1 ? "is" : "are", verdict);
  dap_session_output(s, "console", text);
}

/* One console line naming the launch keys nothing reads (a typo, or an
 * option of another debugger), so that none is silently ignored. */
void dap_lifecycle_warn_unknown_keys(dap_session_t *s, const cJSON *args) {
  char names[512];
  int n = dap_launch_unknown_keys(args, names, sizeof(names));
  if (n > 0)
    dap_lifecycle_say_keys(s, "launch", n, names, NOT_SUPPORTED);
}

/* console integratedTerminal/externalTerminal: wait for the runtime on a
 * private socket and ask the client to run the program (runInTerminal). */
static int start_in_terminal(dap_session_t *s, const cJSON *args, char *err, size_t errlen) {
  int rc = dap_debuggee_await(s->loop, &debuggee_cbs, s, &s->debuggee, err, errlen);
  if (rc != 0)
    return rc;
  cJSON *ra =
      dap_launch_terminal_args(args, &s->launch, s->console, dap_debuggee_socket_path(s->debuggee),
                               dap_debuggee_secret(s->debuggee));
  cJSON *req = ra != NULL ? dap_msg_request("runInTerminal", ra) : NULL;
  if (req == NULL || s->client == NULL) {
    cJSON_Delete(req);
    s->launch_failed = true; /* answered with the error: no `exited` */
    dap_debuggee_terminate(s->debuggee, 0);
    snprintf(err, errlen, req == NULL ? "out of memory" : "the client is gone");
    return DAPPER_ENOMEM;
  }
  s->terminal_req_seq = dap_conn_next_seq(s->client);
  dap_session_send(s, req);
  return 0;
}

static bool child_response(dap_session_t *s, long long seq, const cJSON *msg);

void dap_lifecycle_client_response(dap_session_t *s, const cJSON *msg) {
  long long seq = 0;
  if (dap_get_int(msg, "request_seq", &seq) == 0 && seq != 0 && child_response(s, seq, msg))
    return;
  if (dap_get_int(msg, "request_seq", &seq) != 0 || seq == 0 || seq != s->terminal_req_seq) {
    dap_log_debug("client sent a response to nothing we asked; ignored");
    return;
  }
  s->terminal_req_seq = 0;
  if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(msg, "success"))) {
    long long pid = 0;
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(msg, "body");
    if (dap_get_int(body, "processId", &pid) == 0 || dap_get_int(body, "shellProcessId", &pid) == 0)
      dap_log_info("the client runs the program in a terminal (process %lld)", pid);
    return;
  }
  const char *why = NULL;
  if (dap_get_string(msg, "message", &why) != 0 || why == NULL || *why == '\0')
    why = "no reason given";
  char text[1024];
  snprintf(text, sizeof(text), "the client could not run the program in a terminal: %s", why);
  if (s->launch_req != NULL)
    fail_launch(s, text);
  else
    dap_log_warn("%s", text);
}

/* `frameEval` (launch and attach): a wrong type or range fails the request
 * with the key named; unknown keys get one console line. */
int dap_lifecycle_check_frame_eval(dap_session_t *s, const cJSON *args, bool warn) {
  char unknown[512], err[512];
  int n = dap_frame_eval_resolve(cJSON_GetObjectItemCaseSensitive(args, "frameEval"), NULL, unknown,
                                 sizeof(unknown), err, sizeof(err));
  if (n < 0)
    return dap_session_error(s, n, "%s", err);
  if (n > 0 && warn)
    dap_lifecycle_say_keys(s, "frameEval", n, unknown, NOT_SUPPORTED);
  return 0;
}

/* `evaluateTimeout` (launch and attach). */
int dap_lifecycle_read_evaluate_timeout(dap_session_t *s, const cJSON *args) {
  const cJSON *budget = cJSON_GetObjectItemCaseSensitive(args, "evaluateTimeout");
  if (budget != NULL && !cJSON_IsNull(budget)) {
    if (!cJSON_IsNumber(budget) || !(budget->valuedouble > 0) || budget->valuedouble > 86400)
      return dap_session_error(s, DAPPER_EINVAL,
                               "\"evaluateTimeout\" must be a number of seconds (0 < t <= 86400)");
    s->evaluate_timeout_ms = (uint64_t)(budget->valuedouble * 1000.0 + 0.5);
    if (s->evaluate_timeout_ms == 0)
      s->evaluate_timeout_ms = 1;
  }
  return 0;
}

/* --- child processes (subProcess) --------------------------------------- */

/* Keys of the parent's configuration a child session inherits (debugServer:
 * VS Code then connects the child's session to the same --port adapter). */
static const char *const child_inherited_keys[] = {
    "justMyCode", "rules",       "showReturnValue", "frameEval", "evaluateTimeout",
    "subProcess", "debugServer", "pathMappings",    NULL};

/* Tells a child nobody will debug it (it runs on at once) and closes. */
static void child_refuse(int fd) {
  (void)send(fd, "no\n", 3, MSG_NOSIGNAL | MSG_DONTWAIT);
  close(fd);
}

/* A child's runtime announced itself: ask the client for a session. */
static void on_child_announce(void *ud, int fd, const cJSON *announce) {
  dap_session_t *s = ud;
  long long pid = 0;
  const char *sock = NULL, *secret = NULL, *name = NULL;
  if (dap_get_int(announce, "pid", &pid) != 0 || pid <= 0 ||
      dap_get_string(announce, "socket", &sock) != 0 || sock == NULL ||
      dap_get_string(announce, "secret", &secret) != 0 || secret == NULL) {
    dap_log_warn("children: an announcement without pid, socket or secret; refused");
    child_refuse(fd);
    return;
  }
  dap_get_string(announce, "name", &name);
  if (s->client == NULL || s->ending || s->launch.name == NULL) {
    child_refuse(fd);
    return;
  }
  if (!s->supports_start_debugging) {
    child_refuse(fd);
    if (!s->children_refusal_said) {
      s->children_refusal_said = true;
      char text[700];
      snprintf(text, sizeof(text),
               "dapper: child process %lld (%s) and any other run without the debugger: the "
               "client does not support the startDebugging request "
               "(supportsStartDebuggingRequest), which \"subProcess\" needs\n",
               pid, name != NULL ? name : "?");
      dap_session_output(s, "console", text);
    }
    return;
  }
  dap_child_req_t *cr = calloc(1, sizeof(*cr));
  cJSON *ra = cJSON_CreateObject();
  cJSON *cfg = cJSON_CreateObject();
  if (cr == NULL || ra == NULL || cfg == NULL) {
    free(cr);
    cJSON_Delete(ra);
    cJSON_Delete(cfg);
    child_refuse(fd);
    return;
  }
  cJSON_AddStringToObject(ra, "request", "attach");
  cJSON_AddItemToObject(ra, "configuration", cfg);
  char title[512];
  snprintf(title, sizeof(title), "Subprocess %lld%s%s%s", pid, name != NULL ? " (" : "",
           name != NULL ? name : "", name != NULL ? ")" : "");
  cJSON_AddStringToObject(cfg, "request", "attach");
  cJSON_AddStringToObject(cfg, "name", title);
  cJSON_AddNumberToObject(cfg, "subProcessId", (double)pid);
  cJSON_AddStringToObject(cfg, "subProcessSocket", sock);
  cJSON_AddStringToObject(cfg, "subProcessSecret", secret);
  const cJSON *parent = s->launch_args;
  for (const char *const *k = child_inherited_keys; *k != NULL; k++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(parent, *k);
    if (v != NULL && !cJSON_IsNull(v))
      cJSON_AddItemToObject(cfg, *k, cJSON_Duplicate(v, 1));
  }
  cJSON *req = dap_msg_request("startDebugging", ra);
  if (req == NULL) {
    free(cr);
    child_refuse(fd);
    return;
  }
  cr->seq = dap_conn_next_seq(s->client);
  cr->fd = fd;
  cr->pid = (int)pid;
  cr->next = s->child_reqs;
  s->child_reqs = cr;
  dap_log_info("child process %lld: asking the client for a session", pid);
  dap_session_send(s, req);
}

/* Opens the children's socket and puts its address in the program's
 * environment; or says once why children run undebugged. */
static void setup_children(dap_session_t *s, const cJSON *args) {
  bool sub = true;
  (void)dap_get_bool(args, "subProcess", &sub);
  if (!sub || s->launch.no_debug || s->listen)
    return;
  /* Without startDebugging the socket is opened too: a child that
   * announces itself is told at once to run on, and the client is told
   * once why (on_child_announce). */
  char err[512];
  if (dap_children_open(s->loop, on_child_announce, s, &s->children, err, sizeof(err)) != 0) {
    s->children = NULL;
    char text[700];
    snprintf(text, sizeof(text), "dapper: child processes run without the debugger: %s\n", err);
    dap_session_output(s, "console", text);
    return;
  }
  if (dap_launch_setenv(&s->launch, DAP_CHILD_SOCKET_ENV, dap_children_path(s->children)) != 0 ||
      dap_launch_setenv(&s->launch, DAP_CHILD_SECRET_ENV, dap_children_secret(s->children)) != 0) {
    dap_children_close(s->children);
    s->children = NULL;
  }
}

/* The client answered a startDebugging request; true if it was one. */
static bool child_response(dap_session_t *s, long long seq, const cJSON *msg) {
  for (dap_child_req_t **pp = &s->child_reqs; *pp != NULL; pp = &(*pp)->next) {
    dap_child_req_t *cr = *pp;
    if (cr->seq != seq)
      continue;
    *pp = cr->next;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(msg, "success"))) {
      close(cr->fd); /* the child waits for its session to connect */
    } else {
      const char *why = NULL;
      if (dap_get_string(msg, "message", &why) != 0 || why == NULL || *why == '\0')
        why = "no reason given";
      char text[1024];
      snprintf(text, sizeof(text),
               "dapper: the client did not start a session for child process %d (%s); it runs "
               "without the debugger\n",
               cr->pid, why);
      dap_session_output(s, "console", text);
      child_refuse(cr->fd);
    }
    free(cr);
    return true;
  }
  return false;
}

/* No more children: the program is gone or the session ends. */
void dap_lifecycle_children_close(dap_session_t *s) {
  if (s->children != NULL)
    dap_children_close(s->children);
  s->children = NULL;
  while (s->child_reqs != NULL) {
    dap_child_req_t *cr = s->child_reqs;
    s->child_reqs = cr->next;
    child_refuse(cr->fd);
    free(cr);
  }
}

/* `pathMappings` and `redirectOutput` of a launch or attach (borrowed):
 * they replace the session's. Returns 0 or an error code after
 * dap_session_error. */
int dap_lifecycle_read_paths_and_output(dap_session_t *s, const cJSON *args,
                                        bool default_redirect) {
  char err[1024];
  dap_pathmap_t *m = NULL;
  int rc = dap_pathmap_parse(cJSON_GetObjectItemCaseSensitive(args, "pathMappings"), &m, err,
                             sizeof(err));
  if (rc != 0)
    return dap_session_error(s, rc, "%s", err);
  /* --listen runs beside the program: the client's files are elsewhere. */
  dap_pathmap_check_local(m, !s->listen);
  bool redirect = default_redirect;
  if (dap_get_bool(args, "redirectOutput", &redirect) < 0) {
    dap_pathmap_free(m);
    return dap_session_error(s, DAPPER_EINVAL, "\"redirectOutput\" must be true or false");
  }
  dap_pathmap_free(s->pathmap);
  s->pathmap = m;
  s->redirect_output = redirect;
  return 0;
}

/* Starts the program of launch arguments args (borrowed), for req (a
 * `launch`, or a `restart` whose old program is gone; borrowed). Returns
 * 0 (noDebug: answer now), DAP_DEFERRED (req is answered once the runtime
 * is configured), or an error code after dap_session_error. */
static int start_program(dap_session_t *s, const cJSON *req, const cJSON *args) {
  char err[1024];
  bool restart =
      strcmp(cJSON_GetObjectItemCaseSensitive(req, "command")->valuestring, "restart") == 0;
  if (dap_lifecycle_read_evaluate_timeout(s, args) != 0)
    return DAPPER_EINVAL;
  if (dap_lifecycle_check_frame_eval(s, args, true) != 0)
    return DAPPER_EINVAL;
  int rc = dap_launch_check_step_filters(args, err, sizeof(err));
  if (rc != 0)
    return dap_session_error(s, rc, "%s", err);
  rc = dap_launch_console(args, s->supports_run_in_terminal, &s->console, err, sizeof(err));
  if (rc != 0)
    return dap_session_error(s, rc, "%s", err);
  /* redirectOutput: on by default where the output has nowhere else to go. */
  if ((rc = dap_lifecycle_read_paths_and_output(s, args, s->console == DAP_CONSOLE_INTERNAL)) !=
      0)
    return rc;
  rc =
      dap_launch_parse(args, s->runtime_dir, DAP_DEBUGGEE_RUNTIME_FD, &s->launch, err, sizeof(err));
  if (rc != 0)
    return dap_session_error(s, rc, "%s", err);
  if (s->console != DAP_CONSOLE_INTERNAL && s->launch.no_debug) {
    /* Without the runtime nothing would tell us the program's pid or end. */
    s->console = DAP_CONSOLE_INTERNAL;
    s->redirect_output = true;
    dap_session_output(s, "console",
                       "dapper: noDebug runs the program with its output in the debug console "
                       "(stdin is empty); a terminal needs the debugger\n");
  }
  cJSON *config = cJSON_Duplicate(args, 1);
  if (config == NULL) {
    dap_launch_free(&s->launch);
    return dap_session_error(s, DAPPER_ENOMEM, "out of memory");
  }
  cJSON_Delete(s->config);
  s->config = config;
  cJSON_Delete(s->launch_args);
  s->launch_args = cJSON_Duplicate(args, 1);
  setup_children(s, args);
  if (s->console != DAP_CONSOLE_INTERNAL)
    rc = start_in_terminal(s, args, err, sizeof(err));
  else
    rc = dap_debuggee_spawn(s->loop, &s->launch, !s->launch.no_debug, &debuggee_cbs, s,
                            &s->debuggee, err, sizeof(err));
  if (rc != 0) {
    s->debuggee = NULL;
    dap_lifecycle_children_close(s);
    dap_launch_free(&s->launch);
    return dap_session_error(s, DAPPER_ELAUNCH, "%s", err);
  }
  s->launched = true;
  dap_lifecycle_warn_unknown_keys(s, args);
  if (s->launch.no_debug) {
    send_process_event(s, false);
    if (!restart)
      dap_session_queue_event(s, "initialized", NULL);
    return 0;
  }
  return dap_lifecycle_await_hello(s, req);
}

int dap_handle_launch(dap_session_t *s, const cJSON *req, const cJSON *args, cJSON **body) {
  if (s->launched)
    return dap_session_error(s, DAPPER_ESTATE, "this session already launched a program");
  return start_program(s, req, args);
}

/* The old program is gone: the restart's program starts (req consumed). */
static void relaunch(dap_session_t *s, cJSON *req) {
  s->runtime_ready = s->configured = s->start_sent = false;
  s->exited_sent = s->terminated_sent = s->launch_failed = s->detached = false;
  s->hello_pid = 0;
  dap_launch_free(&s->launch);
  cJSON *args = s->config; /* start_program replaces it */
  s->config = NULL;
  s->errmsg[0] = '\0';
  int rc = start_program(s, req, args);
  cJSON_Delete(args);
  if (rc == DAP_DEFERRED) {
    cJSON_Delete(req);
    return;
  }
  if (rc == 0) {
    dap_session_respond(s, req, NULL);
    return;
  }
  /* The new program did not start: the session is over. */
  s->launch_failed = true;
  dap_session_respond_error(s, req, rc, "%s",
                            s->errmsg[0] != '\0' ? s->errmsg : "the program did not start");
  if (!s->terminated_sent) {
    s->terminated_sent = true;
    dap_session_send_event(s, "terminated", NULL);
  }
}

/* `restart`: the launched program is ended (`exited`, no `terminated`) and
 * started again with the same configuration, or with `arguments` when the
 * client sends new ones; the breakpoints and exception filters set so far
 * reach the new program before its first line. An attached program is not
 * the debugger's to restart. */
int dap_handle_restart(dap_session_t *s, const cJSON *req, const cJSON *args, cJSON **body) {
  if (s->listen || s->origin != DAP_ORIGIN_SPAWNED)
    return dap_session_error(
        s, DAPPER_ENOTSUP,
        "restart is not supported for an attached program: the debugger did not start it. "
        "Restart the program yourself and attach again");
  if (!s->launched || s->config == NULL)
    return dap_session_error(s, DAPPER_ESTATE, "restart needs a launched program: send launch");
  if (s->restart_req != NULL || s->launch_req != NULL || s->terminal_req_seq != 0)
    return dap_session_error(s, DAPPER_ESTATE,
                             "the program is still starting: restart once it runs");
  if (s->disconnect_req != NULL || s->detached)
    return dap_session_error(s, DAPPER_ESTATE, "the session is ending");
  const cJSON *fresh = cJSON_GetObjectItemCaseSensitive(args, "arguments");
  if (fresh != NULL && !cJSON_IsNull(fresh)) {
    if (!cJSON_IsObject(fresh))
      return dap_session_error(s, DAPPER_EINVAL,
                               "restart: \"arguments\" must be the launch configuration (an "
                               "object)");
    /* Checked now, while the old program still runs. */
    char err[1024];
    dap_launch_t probe;
    int rc =
        dap_launch_parse(fresh, s->runtime_dir, DAP_DEBUGGEE_RUNTIME_FD, &probe, err, sizeof(err));
    if (rc != 0)
      return dap_session_error(s, rc, "restart: %s", err);
    dap_launch_free(&probe);
    dap_pathmap_t *m = NULL;
    rc = dap_pathmap_parse(cJSON_GetObjectItemCaseSensitive(fresh, "pathMappings"), &m, err,
                           sizeof(err));
    dap_pathmap_free(m);
    if (rc != 0)
      return dap_session_error(s, rc, "restart: %s", err);
    cJSON *copy = cJSON_Duplicate(fresh, 1);
    if (copy == NULL)
      return dap_session_error(s, DAPPER_ENOMEM, "out of memory");
    cJSON_Delete(s->config);
    s->config = copy;
  }
  cJSON *copy = cJSON_Duplicate(req, 1);
  if (copy == NULL)
    return dap_session_error(s, DAPPER_ENOMEM, "out of memory");
  if (s->debuggee == NULL) {
    relaunch(s, copy);
    return DAP_DEFERRED;
  }
  s->restart_req = copy;
  dap_debuggee_terminate(s->debuggee, TERMINATE_GRACE_MS);
  return DAP_DEFERRED;
}

/* --listen: the client goes, the program runs on with no breakpoint, no
 * exception filter and no thread stopped; the runtime stays connected for
 * the next client. */
static void listen_detach(dap_session_t *s) {
  s->attached = false;
  if (s->runtime_ready && s->debuggee != NULL && !dap_debuggee_exited(s->debuggee)) {
    cJSON *client = cJSON_CreateObject();
    cJSON_AddFalseToObject(client, "attached");
    dap_forward(s, "client", client, DAP_PENDING_INTERNAL, NULL);
    const cJSON *src;
    cJSON_ArrayForEach(src, s->bp_sources) {
      cJSON *args = cJSON_CreateObject();
      cJSON_AddItemToObject(args, "source",
                            cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(src, "source"), 1));
      cJSON_AddArrayToObject(args, "breakpoints");
      dap_forward(s, "setBreakpoints", args, DAP_PENDING_INTERNAL, NULL);
    }
    cJSON *fn = cJSON_CreateObject();
    cJSON_AddArrayToObject(fn, "breakpoints");
    dap_forward(s, "setFunctionBreakpoints", fn, DAP_PENDING_INTERNAL, NULL);
    cJSON *ex = cJSON_CreateObject();
    cJSON_AddArrayToObject(ex, "filters");
    dap_forward(s, "setExceptionBreakpoints", ex, DAP_PENDING_INTERNAL, NULL);
    dap_forward(s, "continue", NULL, DAP_PENDING_INTERNAL, NULL);
  }
  dap_breakpoints_free(s);
  dap_pathmap_free(s->pathmap); /* the next client brings its own */
  s->pathmap = NULL;
  s->redirect_output = true;
  /* Answers still to come belong to the client that left. */
  for (dap_pending_t *p = s->pending; p != NULL; p = p->next) {
    if (p->kind == DAP_PENDING_CLIENT) {
      cJSON_Delete(p->client_req);
      p->client_req = NULL;
      p->kind = DAP_PENDING_DROPPED;
      p->deadline = 0;
    }
  }
}

int dap_lifecycle_listen_start(dap_session_t *s, const cJSON *args, bool wait_for_client) {
  s->listen_args = dap_msg_request("launch", cJSON_Duplicate(args, 1));
  if (s->listen_args == NULL)
    return DAPPER_ENOMEM;
  /* Without --wait-for-client the program starts as soon as it is ready. */
  s->configuration_done = !wait_for_client;
  cJSON *body = NULL;
  int rc = dap_handle_launch(s, s->listen_args, args, &body);
  cJSON_Delete(body);
  if (rc == DAP_DEFERRED) {
    s->listen_boot = true;
    return 0;
  }
  fprintf(stderr, "dapper-adapter: %s\n", s->errmsg[0] != '\0' ? s->errmsg : "cannot start");
  return rc < 0 ? rc : DAPPER_ELAUNCH;
}

int dap_lifecycle_listen_adopt(dap_session_t *s, int fd) {
  s->listen_args = dap_msg_request("launch", cJSON_CreateObject());
  if (s->listen_args == NULL)
    return DAPPER_ENOMEM;
  s->configuration_done = true; /* the program runs already */
  char err[1024];
  int rc = dap_debuggee_adopt(s->loop, fd, &debuggee_cbs, s, &s->debuggee, err, sizeof(err));
  if (rc != 0) {
    s->debuggee = NULL;
    fprintf(stderr, "dapper-adapter: %s\n", err);
    return rc;
  }
  s->origin = DAP_ORIGIN_ADOPTED;
  s->console = DAP_CONSOLE_INTERNAL;
  s->launched = true;
  s->launch_req = cJSON_Duplicate(s->listen_args, 1);
  if (s->launch_req == NULL) {
    dap_debuggee_release(s->debuggee);
    return DAPPER_ENOMEM;
  }
  s->listen_boot = true;
  s->hello_deadline_ms = startup_timeout_ms();
  uv_timer_start(&s->hello_timer, on_hello_deadline, s->hello_deadline_ms, 0);
  return 0;
}

void dap_lifecycle_client_attached(dap_session_t *s) {
  s->initialized = false;
  s->attached = false;
  s->terminated_sent = false;
  s->lines_start_at1 = s->columns_start_at1 = true;
  s->supports_invalidated = false;
  s->supports_run_in_terminal = false;
}

int dap_handle_configurationDone(dap_session_t *s, const cJSON *req, const cJSON *args,
                                 cJSON **body) {
  s->configuration_done = true;
  if (s->configured && s->debuggee != NULL) {
    /* dapper.is_client_connected() / wait_for_client() */
    cJSON *client = cJSON_CreateObject();
    cJSON_AddTrueToObject(client, "attached");
    dap_forward(s, "client", client, DAP_PENDING_INTERNAL, NULL);
  }
  maybe_start(s);
  return 0;
}

static void send_terminated(dap_session_t *s) {
  if (s->terminated_sent)
    return;
  s->terminated_sent = true;
  dap_session_send_event(s, "terminated", NULL);
}

int dap_handle_disconnect(dap_session_t *s, const cJSON *req, const cJSON *args, cJSON **body) {
  /* the default: launched yes, attached no */
  bool terminate = !s->listen && s->origin != DAP_ORIGIN_REMOTE && s->attach_pid == 0;
  if (dap_get_bool(args, "terminateDebuggee", &terminate) < 0)
    return dap_session_error(s, DAPPER_EINVAL, "\"terminateDebuggee\" must be a boolean");
  if (s->attach_pid != 0 && (!terminate || s->debuggee == NULL || !s->runtime_ready)) {
    /* Detach: the runtime removes its hooks, the program runs on. */
    dap_attach_pid_release(s);
    return 0;
  }
  if (s->debuggee == NULL)
    return 0;
  if (s->origin == DAP_ORIGIN_REMOTE) {
    if (terminate && !dap_debuggee_exited(s->debuggee))
      dap_session_output(s, "console",
                         "dapper: a program that connected over TCP (attach \"listen\") cannot "
                         "be ended by the debugger; it runs on without it\n");
    s->detached = true;
    dap_debuggee_release(s->debuggee);
    return 0;
  }
  if (s->listen && !terminate) {
    if (s->attached)
      listen_detach(s);
    return 0;
  }
  if (!terminate && !dap_debuggee_exited(s->debuggee)) {
    /* The program runs on without the debugger; the session (and in stdio
     * mode the adapter) stays until it exits, so its output pipes stay
     * open and it is never hurt by a closed pipe. */
    s->detached = true;
    dap_debuggee_detach(s->debuggee);
    return 0;
  }
  if (s->disconnect_req != NULL)
    return dap_session_error(s, DAPPER_ESTATE, "a disconnect is already in progress");
  /* Answer once the program is gone, after `exited` and `terminated`. */
  s->disconnect_req = cJSON_Duplicate(req, 1);
  if (s->disconnect_req == NULL)
    return dap_session_error(s, DAPPER_ENOMEM, "out of memory");
  dap_debuggee_terminate(s->debuggee, TERMINATE_GRACE_MS);
  return DAP_DEFERRED;
}

int dap_handle_terminate(dap_session_t *s, const cJSON *req, const cJSON *args, cJSON **body) {
  if (s->debuggee == NULL) {
    /* Nothing runs: the session is over as far as the client is concerned. */
    if (!s->terminated_sent) {
      s->terminated_sent = true;
      dap_session_queue_event(s, "terminated", NULL);
    }
    return 0;
  }
  if (dap_debuggee_exited(s->debuggee))
    return 0; /* exited and terminated are on their way */
  if (s->origin == DAP_ORIGIN_REMOTE)
    return dap_session_error(s, DAPPER_ENOTSUP,
                             "a program that connected over TCP (attach \"listen\") cannot be "
                             "ended by the debugger: disconnect leaves it running");
  dap_debuggee_terminate(s->debuggee, TERMINATE_GRACE_MS);
  return 0;
}

static const char *signal_name(int sig) {
  const char *abbrev = sigabbrev_np(sig);
  return abbrev != NULL ? abbrev : "?";
}

void dap_lifecycle_debuggee_exit(dap_session_t *s, int exit_status, int term_signal) {
  char text[256];
  int code = exit_status;
  if (s->launch_req != NULL && s->attach_pid != 0) {
    snprintf(text, sizeof(text), "process %d ended before the debugger was ready", s->attach_pid);
    fail_launch(s, text);
  } else if (s->launch_req != NULL && term_signal == DAP_DEBUGGEE_EXIT_UNKNOWN) {
    fail_launch(s, "the program ended before the debugger was ready; the terminal shows why");
  } else if (s->launch_req != NULL) {
    snprintf(text, sizeof(text),
             "%s exited (%s %d) before the debugger runtime connected; its output tells why",
             program_name(s), term_signal != 0 ? "signal" : "code",
             term_signal != 0 ? term_signal : exit_status);
    fail_launch(s, text);
  }
  /* A failed launch was answered with the reason: the program never ran
   * under the debugger, and its end (usually our SIGTERM) is not news. */
  if (s->launch_failed || term_signal == DAP_DEBUGGEE_EXIT_RELEASED) {
    s->exited_sent = true; /* released: the program runs on */
    term_signal = 0;
    exit_status = 0;
  } else if (term_signal == DAP_DEBUGGEE_EXIT_UNKNOWN) {
    /* A program run in a terminal that ended without its runtime telling
     * the status (killed, crashed, os._exit): not our child, no waitpid. */
    code = -1;
    if (s->restart_req == NULL) /* else: ended by the restart, as asked */
      dap_session_output(s, "console",
                         "The program ended without reporting its exit code (killed by a signal, "
                         "crashed, or os._exit()); exit code reported as -1.\n");
  } else if (term_signal != 0) {
    code = -term_signal;
  }
  if (term_signal > 0 && !s->launch_failed && s->restart_req == NULL) {
    snprintf(text, sizeof(text), "The program was terminated by signal SIG%s (%d).\n",
             signal_name(term_signal), term_signal);
    dap_session_output(s, "console", text);
  }
  uv_timer_stop(&s->hello_timer);
  if (s->exit_status != NULL)
    *s->exit_status = term_signal > 0 ? 128 + term_signal : exit_status;
  dap_forward_fail_all(s, "the program is no longer running");
  if (!s->exited_sent) {
    s->exited_sent = true;
    cJSON *body = cJSON_CreateObject();
    if (body != NULL) {
      cJSON_AddNumberToObject(body, "exitCode", code);
      dap_session_send_event(s, "exited", body);
    }
  }
  if (s->restart_req == NULL) /* a restart goes on with a new program */
    send_terminated(s);
}

void dap_lifecycle_debuggee_gone(dap_session_t *s) {
  s->debuggee = NULL;
  bool disconnecting = s->disconnect_req != NULL;
  dap_lifecycle_children_close(s);
  if (s->disconnect_req != NULL) {
    cJSON *req = s->disconnect_req;
    s->disconnect_req = NULL;
    dap_session_respond(s, req, NULL);
  }
  if (s->restart_req != NULL) {
    cJSON *req = s->restart_req;
    s->restart_req = NULL;
    if (s->ending || s->client == NULL || disconnecting)
      cJSON_Delete(req); /* the client went, or ended the session meanwhile */
    else
      relaunch(s, req);
    if (s->debuggee != NULL)
      return;
    send_terminated(s);
  }
  if (s->listen) {
    /* --listen: the program is gone, so is the adapter. */
    s->ending = true;
    if (s->client != NULL) {
      dap_conn_close(s->client, 1);
      s->client = NULL;
    }
  }
  dap_session_maybe_free(s);
}

void dap_lifecycle_client_gone(dap_session_t *s) {
  if (s->listen && s->debuggee != NULL && !dap_debuggee_exited(s->debuggee)) {
    /* --listen: the program runs on and waits for the next client. */
    if (s->attached)
      listen_detach(s);
    if (!s->listen_boot) {
      cJSON_Delete(s->launch_req); /* an attach still being configured */
      s->launch_req = NULL;
    }
    cJSON_Delete(s->held);
    s->held = NULL;
    cJSON_Delete(s->disconnect_req);
    s->disconnect_req = NULL;
    cJSON_Delete(s->post_response);
    s->post_response = NULL;
    return;
  }
  s->ending = true;
  cJSON_Delete(s->launch_req);
  s->launch_req = NULL;
  cJSON_Delete(s->held);
  s->held = NULL;
  cJSON_Delete(s->disconnect_req);
  s->disconnect_req = NULL;
  uv_timer_stop(&s->hello_timer);
  if (s->attach_pid != 0)
    dap_attach_pid_release(s); /* an attached program runs on */
  else if (s->debuggee != NULL && !s->detached) {
    if (s->origin == DAP_ORIGIN_SPAWNED)
      dap_debuggee_terminate(s->debuggee, CLIENT_GONE_GRACE_MS);
    else
      dap_debuggee_release(s->debuggee); /* not ours to end: it runs on */
  }
  dap_session_maybe_free(s);
}
