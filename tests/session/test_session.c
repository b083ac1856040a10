/* Session tests: one dap_session over a socketpair, a scripted DAP client on
 * the other end (this file), and a fake Python (fake_python.c) that speaks
 * the runtime's side of the wire. Each test asserts the exact order of the
 * messages the adapter sends; every wait has a deadline; every test ends
 * with the session ended (on_end called once) and the loop closed cleanly
 * (uv_loop_close == 0: no handle leaks). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <uv.h>

#include "dapper/framer.h"
#include "dapper/message.h"
#include "log.h"
#include "session.h"

#ifndef FAKE_PYTHON
#error "FAKE_PYTHON must name the fake interpreter"
#endif

#define WAIT_MS 10000   /* deadline of every wait for a message */
#define QUIET_MS 200    /* how long "nothing more arrives" is watched */
#define END_WAIT_MS 15000
#define MAX_MSGS 256

/* ---- the fixture ---------------------------------------------------------- */

typedef struct {
  uv_loop_t loop;
  bool loop_closed;
  dap_session_t *s;
  int cfd; /* the client's end; -1 once closed */
  int end_calls;
  bool eof;
  char rtdir[PATH_MAX];
  dap_framer_t *fr;
  cJSON *msgs[MAX_MSGS]; /* every message received, owned here */
  size_t nmsgs, next;    /* received, consumed */
  long long adapter_seq; /* seq of the last consumed message */
  long long client_seq;  /* seq of the last request sent */
} fx_t;

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void on_end(void *ud) {
  fx_t *fx = ud;
  fx->end_calls++;
  fx->s = NULL;
}

static const char *describe(const cJSON *m) {
  static char text[2048];
  char *p = cJSON_PrintUnformatted(m);
  snprintf(text, sizeof(text), "%s", p != NULL ? p : "?");
  free(p);
  return text;
}

static int collect(void *ud, const char *body, size_t len) {
  fx_t *fx = ud;
  cJSON *msg = NULL;
  dap_msg_kind_t kind;
  dap_parse_error_t err;
  if (dap_msg_parse(body, len, &msg, &kind, &err) != 0)
    fail_msg("the adapter sent an invalid message (%s): %.*s", err.reason, (int)len, body);
  if (fx->nmsgs == MAX_MSGS) {
    cJSON_Delete(msg);
    fail_msg("too many messages");
  }
  fx->msgs[fx->nmsgs++] = msg;
  return 0;
}

/* Reads what the client end has, without blocking. */
static void client_read(fx_t *fx) {
  char buf[65536];
  while (fx->cfd >= 0 && !fx->eof) {
    ssize_t n = read(fx->cfd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return;
    if (n <= 0) {
      fx->eof = true;
      return;
    }
    int rc = dap_framer_feed(fx->fr, buf, (size_t)n, collect, fx);
    if (rc != 0)
      fail_msg("broken framing from the adapter: %s", dap_framer_error(fx->fr));
  }
}

/* One turn: run the loop without blocking, read, then wait a little. */
static void pump(fx_t *fx, int wait_ms) {
  uv_run(&fx->loop, UV_RUN_NOWAIT);
  size_t before = fx->nmsgs;
  client_read(fx);
  if (fx->nmsgs == before && wait_ms > 0) {
    if (fx->cfd >= 0 && !fx->eof) {
      struct pollfd p = {.fd = fx->cfd, .events = POLLIN};
      poll(&p, 1, wait_ms);
    } else {
      usleep((useconds_t)wait_ms * 1000u);
    }
  }
}

static int fx_setup(void **state) {
  fx_t *fx = calloc(1, sizeof(*fx));
  assert_non_null(fx);
  fx->cfd = -1;
  assert_int_equal(uv_loop_init(&fx->loop), 0);
  fx->fr = dap_framer_new(64u * 1024u * 1024u);
  assert_non_null(fx->fr);

  /* A runtime directory: the adapter puts boot/ on PYTHONPATH. */
  snprintf(fx->rtdir, sizeof(fx->rtdir), "%s", "/tmp/dapper-session-XXXXXX");
  assert_non_null(mkdtemp(fx->rtdir));
  char path[PATH_MAX + 32];
  snprintf(path, sizeof(path), "%s/boot", fx->rtdir);
  assert_int_equal(mkdir(path, 0700), 0);
  snprintf(path, sizeof(path), "%s/boot/sitecustomize.py", fx->rtdir);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs("# session tests: the fake interpreter never reads this\n", f);
  fclose(f);

  /* Close-on-exec on both ends: the debuggee must not inherit the client. */
  int sv[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  fx->cfd = sv[0];
  assert_int_equal(fcntl(fx->cfd, F_SETFL, fcntl(fx->cfd, F_GETFL) | O_NONBLOCK), 0);
  assert_int_equal(dap_session_open_fds(&fx->loop, sv[1], sv[1], fx->rtdir, on_end, fx, &fx->s),
                   0);
  *state = fx;
  return 0;
}

static void rm_rtdir(fx_t *fx) {
  char path[PATH_MAX + 32];
  snprintf(path, sizeof(path), "%s/boot/sitecustomize.py", fx->rtdir);
  unlink(path);
  snprintf(path, sizeof(path), "%s/boot", fx->rtdir);
  rmdir(path);
  rmdir(fx->rtdir);
}

static void client_close(fx_t *fx) {
  if (fx->cfd >= 0) {
    close(fx->cfd);
    fx->cfd = -1;
  }
}

/* Hangs up, waits for the session to end and closes the loop. Returns 0, or
 * -1 with a message (from teardown, where asserting is not possible). */
static int fx_finish(fx_t *fx, char *why, size_t whylen) {
  if (fx->loop_closed)
    return 0;
  client_close(fx);
  uint64_t deadline = now_ms() + END_WAIT_MS;
  while (fx->end_calls == 0 && now_ms() < deadline)
    pump(fx, 5);
  if (fx->end_calls != 1) {
    snprintf(why, whylen, "on_end was called %d times (expected once)", fx->end_calls);
    return -1;
  }
  /* The session is gone: what it closed last must drain now. */
  while (uv_loop_alive(&fx->loop) && now_ms() < deadline)
    pump(fx, 5);
  int rc = uv_loop_close(&fx->loop);
  if (rc != 0) {
    snprintf(why, whylen, "uv_loop_close: %s (a handle was left open)", uv_strerror(rc));
    return -1;
  }
  fx->loop_closed = true;
  return 0;
}

static int fx_teardown(void **state) {
  fx_t *fx = *state;
  char why[256];
  int rc = fx_finish(fx, why, sizeof(why));
  if (rc != 0)
    print_error("teardown: %s\n", why);
  for (size_t i = 0; i < fx->nmsgs; i++)
    cJSON_Delete(fx->msgs[i]);
  dap_framer_free(fx->fr);
  rm_rtdir(fx);
  if (rc == 0)
    free(fx); /* else the loop may still reference it: leak it */
  return rc;
}

/* ---- the scripted client -------------------------------------------------- */

static void send_raw(fx_t *fx, const char *json) {
  char *frame = NULL;
  int n = asprintf(&frame, "Content-Length: %zu\r\n\r\n%s", strlen(json), json);
  assert_true(n > 0);
  size_t off = 0;
  uint64_t deadline = now_ms() + WAIT_MS;
  while (off < (size_t)n) {
    ssize_t w = write(fx->cfd, frame + off, (size_t)n - off);
    if (w > 0) {
      off += (size_t)w;
      continue;
    }
    if (w < 0 && errno != EAGAIN && errno != EINTR) {
      free(frame);
      fail_msg("client write: %s", strerror(errno));
    }
    if (now_ms() > deadline) {
      free(frame);
      fail_msg("client write: timed out");
    }
    pump(fx, 5);
  }
  free(frame);
}

/* Sends a request; args is consumed (may be NULL). Returns its seq. */
static long long send_request(fx_t *fx, const char *command, cJSON *args) {
  cJSON *req = cJSON_CreateObject();
  assert_non_null(req);
  cJSON_AddNumberToObject(req, "seq", (double)++fx->client_seq);
  cJSON_AddStringToObject(req, "type", "request");
  cJSON_AddStringToObject(req, "command", command);
  if (args != NULL)
    cJSON_AddItemToObject(req, "arguments", args);
  char *json = cJSON_PrintUnformatted(req);
  cJSON_Delete(req);
  assert_non_null(json);
  send_raw(fx, json);
  free(json);
  return fx->client_seq;
}

static cJSON *parse_json(const char *text) {
  cJSON *j = cJSON_Parse(text);
  if (j == NULL)
    fail_msg("bad JSON in the test: %s", text);
  return j;
}

/* Launch arguments running the fake interpreter with `code`. */
static cJSON *launch_args(const char *code) {
  cJSON *a = cJSON_CreateObject();
  assert_non_null(a);
  cJSON_AddStringToObject(a, "name", "session test");
  cJSON_AddStringToObject(a, "python", FAKE_PYTHON);
  if (code != NULL)
    cJSON_AddStringToObject(a, "code", code);
  return a;
}

/* The next message from the adapter (borrowed), within WAIT_MS. Checks
 * that the adapter numbers its messages 1, 2, 3, ... */
static cJSON *next_msg(fx_t *fx, const char *waiting_for) {
  uint64_t deadline = now_ms() + WAIT_MS;
  while (fx->next == fx->nmsgs) {
    if (fx->eof)
      fail_msg("the adapter closed the connection while the client waited for %s", waiting_for);
    if (now_ms() > deadline)
      fail_msg("no message within %d ms while waiting for %s", WAIT_MS, waiting_for);
    pump(fx, 5);
  }
  cJSON *m = fx->msgs[fx->next++];
  long long seq = -1;
  assert_int_equal(dap_get_int(m, "seq", &seq), 0);
  if (seq != fx->adapter_seq + 1)
    fail_msg("seq %lld after %lld: %s", seq, fx->adapter_seq, describe(m));
  fx->adapter_seq = seq;
  return m;
}

static const char *str_field(const cJSON *obj, const char *name) {
  const char *v = NULL;
  if (dap_get_string(obj, name, &v) != 0)
    return NULL;
  return v;
}

static cJSON *expect_response(fx_t *fx, long long request_seq, const char *command,
                              bool success) {
  char what[128];
  snprintf(what, sizeof(what), "the %s response", command);
  cJSON *m = next_msg(fx, what);
  const char *type = str_field(m, "type"), *cmd = str_field(m, "command");
  if (type == NULL || strcmp(type, "response") != 0 || cmd == NULL || strcmp(cmd, command) != 0)
    fail_msg("expected the %s response, got %s", command, describe(m));
  long long rs = -1;
  assert_int_equal(dap_get_int(m, "request_seq", &rs), 0);
  if (rs != request_seq)
    fail_msg("expected request_seq %lld, got %s", request_seq, describe(m));
  bool ok = !success;
  assert_int_equal(dap_get_bool(m, "success", &ok), 0);
  if (ok != success)
    fail_msg("expected %s, got %s", success ? "success" : "an error", describe(m));
  if (!success) {
    /* Error responses carry the text twice: message and body.error.format. */
    const char *text = str_field(m, "message");
    assert_non_null(text);
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(m, "body");
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(body, "error");
    const char *format = str_field(error, "format");
    assert_non_null(format);
    assert_string_equal(format, text);
  }
  return m;
}

/* The error message of an error response. */
static const char *error_text(const cJSON *resp) { return str_field(resp, "message"); }

static void assert_contains(const char *haystack, const char *needle) {
  if (haystack == NULL || strstr(haystack, needle) == NULL)
    fail_msg("\"%s\" does not contain \"%s\"", haystack != NULL ? haystack : "(null)", needle);
}

static cJSON *expect_event(fx_t *fx, const char *event) {
  char what[128];
  snprintf(what, sizeof(what), "the %s event", event);
  cJSON *m = next_msg(fx, what);
  const char *type = str_field(m, "type"), *ev = str_field(m, "event");
  if (type == NULL || strcmp(type, "event") != 0 || ev == NULL || strcmp(ev, event) != 0)
    fail_msg("expected the %s event, got %s", event, describe(m));
  return m;
}

static const cJSON *body_of(const cJSON *m) {
  const cJSON *b = cJSON_GetObjectItemCaseSensitive(m, "body");
  if (!cJSON_IsObject(b))
    fail_msg("no body: %s", describe(m));
  return b;
}

static void expect_output(fx_t *fx, const char *category, const char *text) {
  cJSON *m = expect_event(fx, "output");
  const cJSON *b = body_of(m);
  const char *cat = str_field(b, "category"), *out = str_field(b, "output");
  if (cat == NULL || strcmp(cat, category) != 0 || out == NULL || strcmp(out, text) != 0)
    fail_msg("expected %s output \"%s\", got %s", category, text, describe(m));
}

static void expect_exited(fx_t *fx, long long code) {
  cJSON *m = expect_event(fx, "exited");
  long long got = LLONG_MIN;
  assert_int_equal(dap_get_int(body_of(m), "exitCode", &got), 0);
  if (got != code)
    fail_msg("expected exitCode %lld, got %s", code, describe(m));
}

/* Nothing more arrives for QUIET_MS. */
static void expect_quiet(fx_t *fx) {
  uint64_t until = now_ms() + QUIET_MS;
  while (now_ms() < until)
    pump(fx, 5);
  if (fx->next < fx->nmsgs)
    fail_msg("unexpected message: %s", describe(fx->msgs[fx->next]));
}

/* Program output up to `exited`: stdout and stderr each concatenated (the
 * two pipes are not ordered relative to each other, each one is). Returns
 * the exit code; the next message must then be `terminated`. */
typedef struct {
  char out[4096], err[4096], console[1024];
} output_t;

static long long collect_until_exit(fx_t *fx, output_t *o) {
  memset(o, 0, sizeof(*o));
  for (;;) {
    cJSON *m = next_msg(fx, "output or exited");
    const char *type = str_field(m, "type"), *ev = str_field(m, "event");
    if (type == NULL || strcmp(type, "event") != 0 || ev == NULL)
      fail_msg("expected output or exited, got %s", describe(m));
    if (strcmp(ev, "exited") == 0) {
      long long code = LLONG_MIN;
      assert_int_equal(dap_get_int(body_of(m), "exitCode", &code), 0);
      expect_event(fx, "terminated");
      return code;
    }
    if (strcmp(ev, "output") != 0)
      fail_msg("expected output or exited, got %s", describe(m));
    const char *cat = str_field(body_of(m), "category");
    const char *text = str_field(body_of(m), "output");
    assert_non_null(cat);
    assert_non_null(text);
    char *dst = strcmp(cat, "stdout") == 0   ? o->out
                : strcmp(cat, "stderr") == 0 ? o->err
                : strcmp(cat, "console") == 0 ? o->console
                                              : NULL;
    if (dst == NULL)
      fail_msg("unknown output category: %s", describe(m));
    size_t used = strlen(dst);
    assert_true(used + strlen(text) < sizeof(o->out));
    strcat(dst, text);
  }
}

/* initialize → response, initialized. */
static void do_initialize(fx_t *fx) {
  long long seq = send_request(fx, "initialize",
                               parse_json("{\"clientID\":\"session-test\",\"adapterID\":\"dapper\","
                                          "\"linesStartAt1\":true,\"columnsStartAt1\":true}"));
  expect_response(fx, seq, "initialize", true);
  expect_event(fx, "initialized");
}

/* The process event: checks it and returns the debuggee's pid. */
static int expect_process(fx_t *fx) {
  cJSON *m = expect_event(fx, "process");
  const cJSON *b = body_of(m);
  long long pid = 0;
  assert_int_equal(dap_get_int(b, "systemProcessId", &pid), 0);
  assert_true(pid > 0);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "isLocalProcess")));
  const char *method = str_field(b, "startMethod");
  assert_non_null(method);
  assert_string_equal(method, "launch");
  return (int)pid;
}

/* initialize, launch (answered after the fake's hello), configurationDone.
 * Returns the pid; the program has been told to start. */
static int launch_running(fx_t *fx, const char *code) {
  do_initialize(fx);
  long long seq = send_request(fx, "launch", launch_args(code));
  expect_response(fx, seq, "launch", true);
  int pid = expect_process(fx);
  seq = send_request(fx, "configurationDone", NULL);
  expect_response(fx, seq, "configurationDone", true);
  return pid;
}

/* The process is gone: reaped, not even a zombie. */
static void assert_process_gone(int pid) {
  errno = 0;
  if (kill(pid, 0) == 0)
    fail_msg("process %d still exists", pid);
  assert_int_equal(errno, ESRCH);
}

/* The process exists and is not a zombie. */
static bool process_running(int pid) {
  char path[64], stat[512];
  snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  FILE *f = fopen(path, "r");
  if (f == NULL)
    return false;
  size_t n = fread(stat, 1, sizeof(stat) - 1, f);
  fclose(f);
  stat[n] = '\0';
  const char *paren = strrchr(stat, ')');
  return paren != NULL && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

/* ---- tests: handshake ------------------------------------------------------- */

static void test_initialize(void **state) {
  fx_t *fx = *state;
  long long seq = send_request(fx, "initialize", parse_json("{\"adapterID\":\"dapper\"}"));
  cJSON *resp = expect_response(fx, seq, "initialize", true);
  const cJSON *caps = body_of(resp);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(caps, "supportsConfigurationDoneRequest")));
  assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(caps, "supportsTerminateRequest")));
  assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(caps, "supportTerminateDebuggee")));
  expect_event(fx, "initialized");
  assert_int_equal(fx->adapter_seq, 2);
  expect_quiet(fx);
}

/* VS Code's order, with configurationDone held back until launch is
 * answered, so the whole sequence is deterministic. */
static void test_vscode_order(void **state) {
  fx_t *fx = *state;
  do_initialize(fx);
  long long seq = send_request(fx, "launch", launch_args("print:hello;exit:3"));
  expect_response(fx, seq, "launch", true);
  int pid = expect_process(fx);
  seq = send_request(fx, "configurationDone", NULL);
  expect_response(fx, seq, "configurationDone", true);
  expect_output(fx, "stdout", "hello\n");
  expect_exited(fx, 3);
  expect_event(fx, "terminated");
  expect_quiet(fx);
  assert_process_gone(pid);
}

/* What VS Code really does: configurationDone right after launch, before
 * the runtime said hello. configurationDone is answered at once; launch
 * when the runtime is ready. */
static void test_config_done_while_launching(void **state) {
  fx_t *fx = *state;
  do_initialize(fx);
  long long launch = send_request(fx, "launch", launch_args("print:hello;exit:3"));
  long long done = send_request(fx, "configurationDone", NULL);
  expect_response(fx, done, "configurationDone", true);
  expect_response(fx, launch, "launch", true);
  expect_process(fx);
  expect_output(fx, "stdout", "hello\n");
  expect_exited(fx, 3);
  expect_event(fx, "terminated");
  expect_quiet(fx);
}

/* nvim-dap's order: configurationDone before launch. */
static void test_nvim_order(void **state) {
  fx_t *fx = *state;
  do_initialize(fx);
  long long seq = send_request(fx, "configurationDone", NULL);
  expect_response(fx, seq, "configurationDone", true);
  seq = send_request(fx, "launch", launch_args("print:hello;exit:3"));
  expect_response(fx, seq, "launch", true);
  expect_process(fx);
  expect_output(fx, "stdout", "hello\n");
  expect_exited(fx, 3);
  expect_event(fx, "terminated");
  expect_quiet(fx);
}

/* The program does not run before configurationDone. */
static void test_waits_for_configuration_done(void **state) {
  fx_t *fx = *state;
  do_initialize(fx);
  long long seq = send_request(fx, "launch", launch_args("print:hello;exit:0"));
  expect_response(fx, seq, "launch", true);
  int pid = expect_process(fx);
  expect_quiet(fx); /* no output: the fake waits for start */
  assert_true(process_running(pid));
  seq = send_request(fx, "configurationDone", NULL);
  expect_response(fx, seq, "configurationDone", true);
  expect_output(fx, "stdout", "hello\n");
  expect_exited(fx, 0);
  expect_event(fx, "terminated");
}

/* A hello with an error: launch fails with the runtime's sentence, and the
 * program (which would run on undebugged) is ended. */
static void test_error_hello(void **state) {
  fx_t *fx = *state;
  do_initialize(fx);
  long long seq = send_request(fx, "launch", launch_args("error-hello;sleep"));
  cJSON *resp = expect_response(fx, seq, "launch", false);
  assert_string_equal(error_text(resp), "no runtime for Python 3.99");
  output_t o;
  long long code = collect_until_exit(fx, &o);
  assert_true(code == -15 || code == -9);
  assert_contains(o.console, code == -15 ? "SIGTERM" : "SIGKILL");
  assert_string_equal(o.out, "");
  expect_quiet(fx);
  /* The session is still usable: a second launch is refused though. */
  seq = send_request(fx, "launch", launch_args("exit:0"));
  resp = expect_response(fx, seq, "launch", false);
  assert_contains(error_text(resp), "already");
}

static void test_bad_wire_version(void **state) {
  fx_t *fx = *state;
  do_initialize(fx);
  long long seq = send_request(fx, "launch", launch_args("badwire;print:never;exit:0"));
  cJSON *resp = expect_response(fx, seq, "launch", false);
  assert_contains(error_text(resp), "wire version 999");
  assert_contains(error_text(resp), "3.99.0");
  output_t o;
  long long code = collect_until_exit(fx, &o);
  assert_true(code == -15 || code == -9);
  assert_string_equal(o.out, "");
  expect_quiet(fx);
}

static void test_exit_before_hello(void **state) {
  fx_t *fx = *state;
  do_initialize(fx);
  long long seq = send_request(fx, "launch", launch_args("nohello"));
  cJSON *resp = expect_response(fx, seq, "launch", false);
  assert_contains(error_text(resp), "exited (code 5) before the debugger runtime connected");
  assert_contains(error_text(resp), FAKE_PYTHON);
  expect_exited(fx, 5);
  expect_event(fx, "terminated");
  expect_quiet(fx);
}

/* The runtime refuses `configure`: launch fails with its message and the
 * program, which never got `start`, is ended without running. */
static void test_configure_fails(void **state) {
  fx_t *fx = *state;
  do_initialize(fx);
  long long seq = send_request(fx, "launch", launch_args("configure-fail;print:ran;exit:0"));
  cJSON *resp = expect_response(fx, seq, "launch", false);
  assert_string_equal(error_text(resp), "frame evaluation is not available (fake)");
  output_t o;
  long long code = collect_until_exit(fx, &o);
  assert_true(code == -15 || code == -9);
  assert_string_equal(o.out, "");
  expect_quiet(fx);
}

/* The same with configurationDone already received (nvim-dap's order):
 * `start` must wait for the configure answer, or a launch that fails would
 * still run the program's code. */
static void test_configure_fails_after_configuration_done(void **state) {
  fx_t *fx = *state;
  do_initialize(fx);
  long long seq = send_request(fx, "configurationDone", NULL);
  expect_response(fx, seq, "configurationDone", true);
  seq = send_request(fx, "launch", launch_args("configure-fail;print:ran;exit:0"));
  cJSON *resp = expect_response(fx, seq, "launch", false);
  assert_string_equal(error_text(resp), "frame evaluation is not available (fake)");
  output_t o;
  long long code = collect_until_exit(fx, &o);
  if (strcmp(o.out, "") != 0 || code == 0)
    fail_msg("the program ran after its launch failed (exit %lld, stdout \"%s\")", code, o.out);
  expect_quiet(fx);
}

/* ---- tests: requests the dispatcher refuses ----------------------------------- */

static void test_unknown_command(void **state) {
  fx_t *fx = *state;
  do_initialize(fx);
  long long seq = send_request(fx, "frobnicate", NULL);
  cJSON *resp = expect_response(fx, seq, "frobnicate", false);
  assert_contains(error_text(resp), "frobnicate");
  /* The session goes on. */
  seq = send_request(fx, "configurationDone", NULL);
  expect_response(fx, seq, "configurationDone", true);
  expect_quiet(fx);
}

static void test_request_before_initialize(void **state) {
  fx_t *fx = *state;
  const char *commands[] = {"launch", "configurationDone", "terminate"};
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
    long long seq = send_request(fx, commands[i],
                                 strcmp(commands[i], "launch") == 0 ? launch_args("exit:0") : NULL);
    cJSON *resp = expect_response(fx, seq, commands[i], false);
    assert_contains(error_text(resp), "initialize");
    assert_contains(error_text(resp), commands[i]);
  }
  /* Nothing was started, and initialize still works. */
  do_initialize(fx);
  expect_quiet(fx);
}

static void test_second_initialize(void **state) {
  fx_t *fx = *state;
  do_initialize(fx);
  long long seq = send_request(fx, "initialize", NULL);
  cJSON *resp = expect_response(fx, seq, "initialize", false);
  assert_contains(error_text(resp), "initialize");
  expect_quiet(fx); /* and no second initialized event */
}

static void test_second_launch(void **state) {
  fx_t *fx = *state;
  launch_running(fx, "sleep");
  long long seq = send_request(fx, "launch", launch_args("exit:0"));
  cJSON *resp = expect_response(fx, seq, "launch", false);
  assert_contains(error_text(resp), "already launched");
  expect_quiet(fx);
}

/* Invalid launch arguments: each is refused with a sentence naming the key
 * or the path, nothing is started, and the next launch may be valid. */
static void test_launch_invalid_arguments(void **state) {
  fx_t *fx = *state;
  do_initialize(fx);
  struct {
    const char *extra_json; /* merged into launch_args(NULL) */
    const char *code;
    const char *needle;
  } cases[] = {
      {"{}", NULL, "\"program\", \"module\" or \"code\""},
      {"{\"program\":\"/x.py\"}", "exit:0", "only one of"},
      {"{\"args\":\"a b\"}", "exit:0", "\"args\""},
      {"{\"args\":[\"a\",1]}", "exit:0", "\"args\""},
      {"{\"env\":{\"FOO\":1}}", "exit:0", "\"env.FOO\""},
      {"{\"env\":[\"FOO=1\"]}", "exit:0", "\"env\""},
      {"{\"cwd\":\"/nonexistent/dapper-session-dir\"}", "exit:0",
       "/nonexistent/dapper-session-dir"},
      {"{\"cwd\":5}", "exit:0", "\"cwd\""},
      {"{\"python\":\"/nonexistent/bin/python3\"}", "exit:0", "/nonexistent/bin/python3"},
      {"{\"python\":\"dapper-no-such-python\"}", "exit:0", "dapper-no-such-python"},
      {"{\"python\":[]}", "exit:0", "\"python\""},
      {"{\"noDebug\":\"yes\"}", "exit:0", "\"noDebug\""},
      {"{\"program\":\"\"}", NULL, "\"program\""},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    cJSON *args = launch_args(cases[i].code);
    cJSON *extra = parse_json(cases[i].extra_json);
    for (cJSON *e = extra->child; e != NULL; e = e->next) {
      cJSON_DeleteItemFromObjectCaseSensitive(args, e->string);
      cJSON_AddItemToObject(args, e->string, cJSON_Duplicate(e, 1));
    }
    cJSON_Delete(extra);
    long long seq = send_request(fx, "launch", args);
    cJSON *resp = expect_response(fx, seq, "launch", false);
    assert_contains(error_text(resp), cases[i].needle);
  }
  /* No arguments at all. */
  long long seq = send_request(fx, "launch", NULL);
  expect_response(fx, seq, "launch", false);
  expect_quiet(fx);
  /* None of those counted as a launch. */
  seq = send_request(fx, "launch", launch_args("print:ok;exit:0"));
  expect_response(fx, seq, "launch", true);
  expect_process(fx);
  seq = send_request(fx, "configurationDone", NULL);
  expect_response(fx, seq, "configurationDone", true);
  expect_output(fx, "stdout", "ok\n");
  expect_exited(fx, 0);
  expect_event(fx, "terminated");
}

/* A body that is not a valid request: answered when it has a seq, skipped
 * when it has none; the session goes on either way. */
static void test_malformed_messages(void **state) {
  fx_t *fx = *state;
  send_raw(fx, "{\"seq\":7,\"type\":\"request\"}");           /* no command */
  send_raw(fx, "{\"seq\":8,\"type\":\"request\",\"command\":\"launch\",\"arguments\":3}");
  send_raw(fx, "{\"type\":\"request\",\"command\":\"initialize\"}"); /* no seq */
  send_raw(fx, "this is not JSON");
  send_raw(fx, "[1,2,3]");
  send_raw(fx, "{\"seq\":9,\"type\":\"response\",\"request_seq\":1,\"success\":true,"
               "\"command\":\"runInTerminal\"}"); /* a response: ignored */
  send_raw(fx, "{\"seq\":10,\"type\":\"request\",\"command\":\"initialize\"}");
  cJSON *m = expect_response(fx, 7, "", false);
  assert_contains(error_text(m), "invalid message");
  m = expect_response(fx, 8, "launch", false);
  assert_contains(error_text(m), "invalid message");
  expect_response(fx, 10, "initialize", true);
  expect_event(fx, "initialized");
  expect_quiet(fx);
}

/* ---- tests: ending the program ------------------------------------------------ */

static void test_disconnect_while_running(void **state) {
  fx_t *fx = *state;
  int pid = launch_running(fx, "sleep");
  expect_quiet(fx);
  long long seq = send_request(fx, "disconnect", parse_json("{\"restart\":false}"));
  expect_output(fx, "console", "The program was terminated by signal SIGTERM (15).\n");
  expect_exited(fx, -15);
  expect_event(fx, "terminated");
  expect_response(fx, seq, "disconnect", true);
  assert_process_gone(pid);
  expect_quiet(fx);
}

/* After a failed launch the program is gone: disconnect is answered at once. */
static void test_disconnect_after_failed_launch(void **state) {
  fx_t *fx = *state;
  do_initialize(fx);
  long long seq = send_request(fx, "launch", launch_args("nohello"));
  expect_response(fx, seq, "launch", false);
  expect_exited(fx, 5);
  expect_event(fx, "terminated");
  seq = send_request(fx, "disconnect", NULL);
  expect_response(fx, seq, "disconnect", true);
  expect_quiet(fx);
}

static void test_disconnect_without_program(void **state) {
  fx_t *fx = *state;
  do_initialize(fx);
  long long seq = send_request(fx, "disconnect", NULL);
  expect_response(fx, seq, "disconnect", true);
  expect_quiet(fx);
}

static void test_terminate_while_running(void **state) {
  fx_t *fx = *state;
  int pid = launch_running(fx, "print:started;sleep");
  expect_output(fx, "stdout", "started\n");
  long long seq = send_request(fx, "terminate", NULL);
  expect_response(fx, seq, "terminate", true);
  expect_output(fx, "console", "The program was terminated by signal SIGTERM (15).\n");
  expect_exited(fx, -15);
  expect_event(fx, "terminated");
  expect_quiet(fx);
  /* The client then disconnects; nothing is left to end. */
  seq = send_request(fx, "disconnect", NULL);
  expect_response(fx, seq, "disconnect", true);
  expect_quiet(fx);
  assert_process_gone(pid);
}

static void test_terminate_without_program(void **state) {
  fx_t *fx = *state;
  do_initialize(fx);
  long long seq = send_request(fx, "terminate", NULL);
  expect_response(fx, seq, "terminate", true);
  expect_event(fx, "terminated");
  expect_quiet(fx);
}

/* The client hangs up while the program runs: the program is ended, the
 * session ends, and nothing is left on the loop. */
static void test_client_closes_while_running(void **state) {
  fx_t *fx = *state;
  int pid = launch_running(fx, "sleep");
  expect_quiet(fx);
  assert_true(process_running(pid));
  client_close(fx);
  uint64_t deadline = now_ms() + END_WAIT_MS;
  while (fx->end_calls == 0 && now_ms() < deadline)
    pump(fx, 5);
  assert_int_equal(fx->end_calls, 1);
  assert_process_gone(pid);
  deadline = now_ms() + WAIT_MS;
  while (uv_loop_alive(&fx->loop) && now_ms() < deadline)
    pump(fx, 5);
  assert_false(uv_loop_alive(&fx->loop));
  assert_int_equal(uv_loop_close(&fx->loop), 0);
  fx->loop_closed = true;
}

/* The client hangs up while launch waits for the runtime (the fake sends a
 * hello nobody reads): no response is sent to a gone client, nothing leaks. */
static void test_client_closes_during_launch(void **state) {
  fx_t *fx = *state;
  do_initialize(fx);
  send_request(fx, "launch", launch_args("sleep"));
  client_close(fx);
  char why[256] = "";
  if (fx_finish(fx, why, sizeof(why)) != 0)
    fail_msg("%s", why);
}

/* disconnect with terminateDebuggee false: the program runs on, also after
 * the client hangs up (DAP: "the debuggee should not be terminated"). */
static void test_detach_leaves_program_running(void **state) {
  fx_t *fx = *state;
  int pid = launch_running(fx, "print:started;sleep");
  expect_output(fx, "stdout", "started\n");
  long long seq = send_request(fx, "disconnect", parse_json("{\"terminateDebuggee\":false}"));
  expect_response(fx, seq, "disconnect", true);
  expect_quiet(fx);
  assert_true(process_running(pid));
  client_close(fx);
  /* Longer than the adapter's grace period for a client that went away. */
  uint64_t until = now_ms() + 1500;
  while (now_ms() < until)
    pump(fx, 5);
  bool alive = process_running(pid);
  /* Clean up whatever happened: end the program ourselves. */
  kill(-pid, SIGKILL);
  kill(pid, SIGKILL);
  uint64_t deadline = now_ms() + END_WAIT_MS;
  while (fx->end_calls == 0 && now_ms() < deadline)
    pump(fx, 5);
  waitpid(pid, NULL, 0); /* if the session let go of it, it is our zombie */
  if (!alive)
    fail_msg("the detached program was ended when the client hung up");
}

/* ---- tests: the program's output and exit ------------------------------------ */

static void test_output_order(void **state) {
  fx_t *fx = *state;
  launch_running(fx, "print:a;err:b;print:c;err:d;print:e;exit:0");
  output_t o;
  long long code = collect_until_exit(fx, &o);
  assert_int_equal(code, 0);
  assert_string_equal(o.out, "a\nc\ne\n");
  assert_string_equal(o.err, "b\nd\n");
  assert_string_equal(o.console, "");
  expect_quiet(fx);
}

static void test_killed_by_signal(void **state) {
  fx_t *fx = *state;
  launch_running(fx, "print:before;signal:11");
  expect_output(fx, "stdout", "before\n");
  expect_output(fx, "console", "The program was terminated by signal SIGSEGV (11).\n");
  expect_exited(fx, -11);
  expect_event(fx, "terminated");
  expect_quiet(fx);
}

static void test_exit_without_output(void **state) {
  fx_t *fx = *state;
  launch_running(fx, "exit:0");
  expect_exited(fx, 0);
  expect_event(fx, "terminated");
  expect_quiet(fx);
}

/* noDebug: no runtime, no hello; launch is answered at once and the
 * program runs without waiting for configurationDone. */
static void test_no_debug(void **state) {
  fx_t *fx = *state;
  do_initialize(fx);
  cJSON *args = launch_args("env:DAPPER_RUNTIME_FD;exit:4");
  cJSON_AddTrueToObject(args, "noDebug");
  long long seq = send_request(fx, "launch", args);
  expect_response(fx, seq, "launch", true);
  expect_process(fx);
  output_t o;
  assert_int_equal(collect_until_exit(fx, &o), 4);
  assert_string_equal(o.out, "DAPPER_RUNTIME_FD unset\n");
  expect_quiet(fx);
}

/* What the adapter hands the interpreter: argv, environment, cwd. */
static void test_launch_environment(void **state) {
  fx_t *fx = *state;
  do_initialize(fx);
  cJSON *args = launch_args("argv;cwd;env:FOO;env:GONE;env:PYTHONPATH;env:DAPPER_ORIG_PYTHONPATH;"
                            "env:DAPPER_RUNTIME_FD;env:DAPPER_RUNTIME_DIR;env:PYTHONUNBUFFERED;"
                            "exit:0");
  cJSON_AddItemToObject(args, "args", parse_json("[\"a b\",\"\",\"$HOME;x\"]"));
  cJSON_AddItemToObject(args, "env",
                        parse_json("{\"FOO\":\"bar baz\",\"GONE\":null,\"PYTHONPATH\":\"/user/pp\"}"));
  cJSON_AddStringToObject(args, "cwd", fx->rtdir);
  setenv("GONE", "here", 1);
  long long seq = send_request(fx, "launch", args);
  expect_response(fx, seq, "launch", true);
  unsetenv("GONE");
  expect_process(fx);
  seq = send_request(fx, "configurationDone", NULL);
  expect_response(fx, seq, "configurationDone", true);
  output_t o;
  assert_int_equal(collect_until_exit(fx, &o), 0);
  char real[PATH_MAX];
  assert_non_null(realpath(fx->rtdir, real));
  char expected[3 * PATH_MAX + 512];
  snprintf(expected, sizeof(expected),
           "argv=a b\nargv=\nargv=$HOME;x\ncwd=%s\nFOO=bar baz\nGONE unset\n"
           "PYTHONPATH=%s/boot:/user/pp\nDAPPER_ORIG_PYTHONPATH=/user/pp\n"
           "DAPPER_RUNTIME_FD=3\nDAPPER_RUNTIME_DIR=%s\nPYTHONUNBUFFERED=1\n",
           real, fx->rtdir, fx->rtdir);
  /* The fake splits its code on ';', so "$HOME;x" arrives as an argument
   * but would break as code: it is passed in args on purpose. */
  assert_string_equal(o.out, expected);
  expect_quiet(fx);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  dap_log_level_t level = DAP_LOG_ERROR;
  const char *want = getenv("DAPPER_SESSION_LOG");
  if (want != NULL && dap_log_parse_level(want, &level) != 0)
    level = DAP_LOG_ERROR;
  dap_log_init(NULL, level);
#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)
  const struct CMUnitTest tests[] = {
      T(test_initialize),
      T(test_vscode_order),
      T(test_config_done_while_launching),
      T(test_nvim_order),
      T(test_waits_for_configuration_done),
      T(test_error_hello),
      T(test_bad_wire_version),
      T(test_exit_before_hello),
      T(test_configure_fails),
      T(test_configure_fails_after_configuration_done),
      T(test_unknown_command),
      T(test_request_before_initialize),
      T(test_second_initialize),
      T(test_second_launch),
      T(test_launch_invalid_arguments),
      T(test_malformed_messages),
      T(test_disconnect_while_running),
      T(test_disconnect_after_failed_launch),
      T(test_disconnect_without_program),
      T(test_terminate_while_running),
      T(test_terminate_without_program),
      T(test_client_closes_while_running),
      T(test_client_closes_during_launch),
      T(test_detach_leaves_program_running),
      T(test_output_order),
      T(test_killed_by_signal),
      T(test_exit_without_output),
      T(test_no_debug),
      T(test_launch_environment),
  };
#undef T
  return cmocka_run_group_tests_name("session", tests, NULL, NULL);
}
