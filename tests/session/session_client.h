/* The session tests' fixture and scripted DAP client (session_client.c).
 *
 * The fixture: one dap_session over a socketpair, the client's end kept
 * non-blocking here, and a runtime directory for the adapter. The client
 * sends requests and checks, in order and within deadlines, every message
 * the adapter sends back (seq numbering included). The helpers fail the
 * running cmocka test on any mismatch. */
#ifndef DAPPER_TESTS_SESSION_CLIENT_H
#define DAPPER_TESTS_SESSION_CLIENT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <uv.h>

#include "dapper/framer.h"
#include "session.h"

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

uint64_t now_ms(void);
/* One turn: run the loop without blocking, read, then wait a little. */
void pump(fx_t *fx, int wait_ms);
/* cmocka setup/teardown: a session with a fresh runtime directory. */
int fx_setup(void **state);
int fx_teardown(void **state);
void client_close(fx_t *fx);
/* Hangs up, waits for the session to end and closes the loop. Returns 0, or
 * -1 with a message (from teardown, where asserting is not possible). */
int fx_finish(fx_t *fx, char *why, size_t whylen);

/* ---- the scripted client -------------------------------------------------- */

void send_raw(fx_t *fx, const char *json);
/* Sends a request; args is consumed (may be NULL). Returns its seq. */
long long send_request(fx_t *fx, const char *command, cJSON *args);
cJSON *parse_json(const char *text);
/* Launch arguments running the fake interpreter with `code`. */
cJSON *launch_args(const char *code);
/* The next message from the adapter (borrowed), within WAIT_MS. Checks
 * that the adapter numbers its messages 1, 2, 3, ... */
cJSON *next_msg(fx_t *fx, const char *waiting_for);
const char *str_field(const cJSON *obj, const char *name);
cJSON *expect_response(fx_t *fx, long long request_seq, const char *command, bool success);
/* The error message of an error response. */
const char *error_text(const cJSON *resp);
void assert_contains(const char *haystack, const char *needle);
cJSON *expect_event(fx_t *fx, const char *event);
const cJSON *body_of(const cJSON *m);
void expect_output(fx_t *fx, const char *category, const char *text);
void expect_exited(fx_t *fx, long long code);
/* Nothing more arrives for QUIET_MS. */
void expect_quiet(fx_t *fx);

/* Program output up to `exited`: stdout and stderr each concatenated (the
 * two pipes are not ordered relative to each other, each one is). Returns
 * the exit code; the next message must then be `terminated`. */
typedef struct {
  char out[4096], err[4096], console[1024];
} output_t;
long long collect_until_exit(fx_t *fx, output_t *o);

/* initialize → response (`initialized` comes after the launch). */
void do_initialize(fx_t *fx);
/* The process event: checks it and returns the debuggee's pid. */
int expect_process(fx_t *fx);
/* A successful launch: its response, `process`, then `initialized` (the
 * runtime can answer breakpoint requests). Returns the pid. */
int expect_launched(fx_t *fx, long long launch_seq);
/* initialize, launch (answered after the fake's hello), configurationDone.
 * Returns the pid; the program has been told to start. */
int launch_running(fx_t *fx, const char *code);
/* The process is gone: reaped, not even a zombie. */
void assert_process_gone(int pid);
/* The process exists and is not a zombie. */
bool process_running(int pid);

#endif
