/* The session tests' fixture and scripted DAP client (session_client.h):
 * one dap_session over a socketpair, the client on the other end, reading
 * and checking what the adapter sends. */
#include "session_client.h"

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

#ifndef FAKE_PYTHON
#error "FAKE_PYTHON must name the fake interpreter"
#endif

/* ---- the fixture ---------------------------------------------------------- */

uint64_t now_ms(void) {
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
void pump(fx_t *fx, int wait_ms) {
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

int fx_setup(void **state) {
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

void client_close(fx_t *fx) {
  if (fx->cfd >= 0) {
    close(fx->cfd);
    fx->cfd = -1;
  }
}

/* Hangs up, waits for the session to end and closes the loop. Returns 0, or
 * -1 with a message (from teardown, where asserting is not possible). */
int fx_finish(fx_t *fx, char *why, size_t whylen) {
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

int fx_teardown(void **state) {
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

void send_raw(fx_t *fx, const char *json) {
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
long long send_request(fx_t *fx, const char *command, cJSON *args) {
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

cJSON *parse_json(const char *text) {
  cJSON *j = cJSON_Parse(text);
  if (j == NULL)
    fail_msg("bad JSON in the test: %s", text);
  return j;
}

/* Launch arguments running the fake interpreter with `code`. */
cJSON *launch_args(const char *code) {
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
cJSON *next_msg(fx_t *fx, const char *waiting_for) {
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

const char *str_field(const cJSON *obj, const char *name) {
  const char *v = NULL;
  if (dap_get_string(obj, name, &v) != 0)
    return NULL;
  return v;
}

cJSON *expect_response(fx_t *fx, long long request_seq, const char *command,
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
const char *error_text(const cJSON *resp) { return str_field(resp, "message"); }

void assert_contains(const char *haystack, const char *needle) {
  if (haystack == NULL || strstr(haystack, needle) == NULL)
    fail_msg("\"%s\" does not contain \"%s\"", haystack != NULL ? haystack : "(null)", needle);
}

cJSON *expect_event(fx_t *fx, const char *event) {
  char what[128];
  snprintf(what, sizeof(what), "the %s event", event);
  cJSON *m = next_msg(fx, what);
  const char *type = str_field(m, "type"), *ev = str_field(m, "event");
  if (type == NULL || strcmp(type, "event") != 0 || ev == NULL || strcmp(ev, event) != 0)
    fail_msg("expected the %s event, got %s", event, describe(m));
  return m;
}

const cJSON *body_of(const cJSON *m) {
  const cJSON *b = cJSON_GetObjectItemCaseSensitive(m, "body");
  if (!cJSON_IsObject(b))
    fail_msg("no body: %s", describe(m));
  return b;
}

void expect_output(fx_t *fx, const char *category, const char *text) {
  cJSON *m = expect_event(fx, "output");
  const cJSON *b = body_of(m);
  const char *cat = str_field(b, "category"), *out = str_field(b, "output");
  if (cat == NULL || strcmp(cat, category) != 0 || out == NULL || strcmp(out, text) != 0)
    fail_msg("expected %s output \"%s\", got %s", category, text, describe(m));
}

void expect_exited(fx_t *fx, long long code) {
  cJSON *m = expect_event(fx, "exited");
  long long got = LLONG_MIN;
  assert_int_equal(dap_get_int(body_of(m), "exitCode", &got), 0);
  if (got != code)
    fail_msg("expected exitCode %lld, got %s", code, describe(m));
}

/* Nothing more arrives for QUIET_MS. */
void expect_quiet(fx_t *fx) {
  uint64_t until = now_ms() + QUIET_MS;
  while (now_ms() < until)
    pump(fx, 5);
  if (fx->next < fx->nmsgs)
    fail_msg("unexpected message: %s", describe(fx->msgs[fx->next]));
}

/* Program output up to `exited`: stdout and stderr each concatenated (the
 * two pipes are not ordered relative to each other, each one is). Returns
 * the exit code; the next message must then be `terminated`. */
long long collect_until_exit(fx_t *fx, output_t *o) {
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

/* initialize → response (`initialized` comes after the launch). */
void do_initialize(fx_t *fx) {
  long long seq = send_request(fx, "initialize",
                               parse_json("{\"clientID\":\"session-test\",\"adapterID\":\"dapper\","
                                          "\"linesStartAt1\":true,\"columnsStartAt1\":true}"));
  expect_response(fx, seq, "initialize", true);
}

/* The process event: checks it and returns the debuggee's pid. */
int expect_process(fx_t *fx) {
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

int expect_launched(fx_t *fx, long long launch_seq) {
  expect_response(fx, launch_seq, "launch", true);
  int pid = expect_process(fx);
  expect_event(fx, "initialized");
  return pid;
}

/* initialize, launch (answered after the fake's hello), configurationDone.
 * Returns the pid; the program has been told to start. */
int launch_running(fx_t *fx, const char *code) {
  do_initialize(fx);
  long long seq = send_request(fx, "launch", launch_args(code));
  int pid = expect_launched(fx, seq);
  seq = send_request(fx, "configurationDone", NULL);
  expect_response(fx, seq, "configurationDone", true);
  return pid;
}

/* The process is gone: reaped, not even a zombie. */
void assert_process_gone(int pid) {
  errno = 0;
  if (kill(pid, 0) == 0)
    fail_msg("process %d still exists", pid);
  assert_int_equal(errno, ESRCH);
}

/* The process exists and is not a zombie. */
bool process_running(int pid) {
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
