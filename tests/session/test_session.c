/* Session tests: one dap_session over a socketpair, a scripted DAP client on
 * the other end (this file), and a fake Python (fake_python.c) that speaks
 * the runtime's side of the wire. Each test asserts the exact order of the
 * messages the adapter sends; every wait has a deadline; every test ends
 * with the session ended (on_end called once) and the loop closed cleanly
 * (uv_loop_close == 0: no handle leaks). The fixture and the scripted
 * client are in session_client.c/.h. */
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
#include "session_client.h"

#ifndef FAKE_PYTHON
#error "FAKE_PYTHON must name the fake interpreter"
#endif

/* ---- tests: handshake ------------------------------------------------------- */

static void test_initialize(void **state) {
  fx_t *fx = *state;
  long long seq = send_request(fx, "initialize", parse_json("{\"adapterID\":\"dapper\"}"));
  cJSON *resp = expect_response(fx, seq, "initialize", true);
  const cJSON *caps = body_of(resp);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(caps, "supportsConfigurationDoneRequest")));
  assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(caps, "supportsTerminateRequest")));
  assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(caps, "supportTerminateDebuggee")));
  /* `initialized` waits for the launch (the runtime answers breakpoints). */
  assert_int_equal(fx->adapter_seq, 1);
  expect_quiet(fx);
}

/* VS Code's order, with configurationDone held back until launch is
 * answered, so the whole sequence is deterministic. */
static void test_vscode_order(void **state) {
  fx_t *fx = *state;
  do_initialize(fx);
  long long seq = send_request(fx, "launch", launch_args("print:hello;exit:3"));
  int pid = expect_launched(fx, seq);
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
  expect_launched(fx, launch);
  expect_output(fx, "stdout", "hello\n");
  expect_exited(fx, 3);
  expect_event(fx, "terminated");
  expect_quiet(fx);
}

/* configurationDone before launch (a client that does not wait for
 * `initialized`): the program starts once the runtime is configured. */
static void test_nvim_order(void **state) {
  fx_t *fx = *state;
  do_initialize(fx);
  long long seq = send_request(fx, "configurationDone", NULL);
  expect_response(fx, seq, "configurationDone", true);
  seq = send_request(fx, "launch", launch_args("print:hello;exit:3"));
  expect_launched(fx, seq);
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
  int pid = expect_launched(fx, seq);
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
  /* The reason is told once: no "terminated by signal", no `exited` for a
   * program that never ran. */
  expect_event(fx, "terminated");
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
  expect_event(fx, "terminated");
  expect_quiet(fx);
}

static void test_exit_before_hello(void **state) {
  fx_t *fx = *state;
  do_initialize(fx);
  long long seq = send_request(fx, "launch", launch_args("nohello"));
  cJSON *resp = expect_response(fx, seq, "launch", false);
  assert_contains(error_text(resp), "exited (code 5) before the debugger runtime connected");
  assert_contains(error_text(resp), FAKE_PYTHON);
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
  expect_event(fx, "terminated"); /* the program never ran: no output, no `exited` */
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
  /* Had the program run, its "ran" would come before `terminated`. */
  expect_event(fx, "terminated");
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
  expect_launched(fx, seq);
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
  expect_launched(fx, seq); /* initialized at once: there is no runtime */
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
  expect_launched(fx, seq);
  unsetenv("GONE");
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

/* ---- tests: breakpoints during configuration ----------------------------------- */

static cJSON *one_breakpoint(int line) {
  char text[128];
  snprintf(text, sizeof(text),
           "{\"source\":{\"path\":\"/tmp/prog.py\"},\"breakpoints\":[{\"line\":%d}]}", line);
  return parse_json(text);
}

static const cJSON *first_bp(const cJSON *m) {
  return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(body_of(m), "breakpoints"), 0);
}

/* A client that does not wait for `initialized` (or is quick): a
 * setBreakpoints that comes while the runtime starts is held and answered by
 * the runtime, after the launch response and `initialized`. */
static void test_breakpoints_while_starting(void **state) {
  fx_t *fx = *state;
  do_initialize(fx);
  long long launch = send_request(fx, "launch", launch_args("slow-hello;print:hello;exit:0"));
  long long bps = send_request(fx, "setBreakpoints", one_breakpoint(7));
  expect_launched(fx, launch);
  cJSON *resp = expect_response(fx, bps, "setBreakpoints", true);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(first_bp(resp), "verified")));
  long long seq = send_request(fx, "configurationDone", NULL);
  expect_response(fx, seq, "configurationDone", true);
  expect_output(fx, "stdout", "hello\n");
  expect_exited(fx, 0);
  expect_event(fx, "terminated");
  expect_quiet(fx);
}

/* Before `launch` no runtime will come for a while: the breakpoint is
 * answered at once, unverified and "pending", and verified by a `breakpoint`
 * event once the runtime has it. */
static void test_breakpoints_before_launch(void **state) {
  fx_t *fx = *state;
  do_initialize(fx);
  long long bps = send_request(fx, "setBreakpoints", one_breakpoint(3));
  cJSON *resp = expect_response(fx, bps, "setBreakpoints", true);
  const cJSON *bp = first_bp(resp);
  assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(bp, "verified")));
  assert_string_equal(str_field(bp, "reason"), "pending");
  long long id = 0;
  assert_int_equal(dap_get_int(bp, "id", &id), 0);
  long long seq = send_request(fx, "launch", launch_args("exit:0"));
  expect_launched(fx, seq);
  cJSON *ev = expect_event(fx, "breakpoint");
  const cJSON *changed = cJSON_GetObjectItemCaseSensitive(body_of(ev), "breakpoint");
  long long ev_id = 0;
  assert_int_equal(dap_get_int(changed, "id", &ev_id), 0);
  assert_int_equal(ev_id, id);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(changed, "verified")));
  seq = send_request(fx, "configurationDone", NULL);
  expect_response(fx, seq, "configurationDone", true);
  expect_exited(fx, 0);
  expect_event(fx, "terminated");
  expect_quiet(fx);
}

/* Held while the runtime starts, then the launch fails: the breakpoint is
 * answered, unverified, with why. */
static void test_breakpoints_when_launch_fails(void **state) {
  fx_t *fx = *state;
  do_initialize(fx);
  long long launch = send_request(fx, "launch", launch_args("slow-hello;error-hello;sleep"));
  long long bps = send_request(fx, "setBreakpoints", one_breakpoint(3));
  expect_response(fx, launch, "launch", false);
  cJSON *resp = expect_response(fx, bps, "setBreakpoints", true);
  const cJSON *bp = first_bp(resp);
  assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(bp, "verified")));
  assert_string_equal(str_field(bp, "reason"), "failed");
  assert_contains(str_field(bp, "message"), "did not start");
  expect_event(fx, "terminated");
  expect_quiet(fx);
}

/* ---- tests: what the adapter does not do ------------------------------------- */

static void test_attach_refused(void **state) {
  fx_t *fx = *state;
  do_initialize(fx);
  long long seq = send_request(fx, "attach", parse_json("{\"port\":5678}"));
  cJSON *resp = expect_response(fx, seq, "attach", false);
  assert_contains(error_text(resp), "this adapter has no program to attach to");
  assert_contains(error_text(resp), "\"launch\"");
  assert_contains(error_text(resp), "--listen PORT -- program.py");
  expect_quiet(fx);
}

/* Launch keys nothing reads get one console line naming them; the keys
 * clients add for themselves are not named. */
static void test_unknown_launch_keys(void **state) {
  fx_t *fx = *state;
  do_initialize(fx);
  cJSON *args = launch_args("exit:0");
  cJSON *extra = parse_json("{\"type\":\"python\",\"request\":\"launch\",\"name\":\"Run\","
                            "\"__sessionId\":\"abc\",\"__configurationTarget\":6,"
                            "\"debugServer\":4711,\"console\":\"internalConsole\","
                            "\"subProcess\":false,\"stopOnEntyr\":true}");
  for (cJSON *e = extra->child; e != NULL; e = e->next)
    cJSON_AddItemToObject(args, e->string, cJSON_Duplicate(e, 1));
  cJSON_Delete(extra);
  long long seq = send_request(fx, "launch", args);
  /* subProcess is read (it is false here); the typo is named. */
  expect_output(fx, "console",
                "dapper: launch key \"stopOnEntyr\" is not "
                "supported and ignored (docs/configuration.md lists the keys)\n");
  expect_launched(fx, seq);
  seq = send_request(fx, "configurationDone", NULL);
  expect_response(fx, seq, "configurationDone", true);
  expect_exited(fx, 0);
  expect_event(fx, "terminated");
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
      T(test_breakpoints_while_starting),
      T(test_breakpoints_before_launch),
      T(test_breakpoints_when_launch_fails),
      T(test_attach_refused),
      T(test_unknown_launch_keys),
  };
#undef T
  return cmocka_run_group_tests_name("session", tests, NULL, NULL);
}
