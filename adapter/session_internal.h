/* Session internals shared by the dispatcher and the handler files. */
#ifndef DAPPER_ADAPTER_SESSION_INTERNAL_H
#define DAPPER_ADAPTER_SESSION_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <uv.h>

#include "children.h"
#include "conn.h"
#include "debuggee.h"
#include "launch.h"
#include "pathmap.h"
#include "session.h"

#define DAP_BPSRC_BUCKETS 1024 /* dap_session.bp_index */
struct dap_bpsrc;

/* A handler's return value when it will answer later (deferred response). */
#define DAP_DEFERRED 1

/* A startDebugging request for a child process awaiting the client's
 * response; fd is the child's announcing connection (children.h). */
typedef struct dap_child_req {
  long long seq;
  int fd;
  int pid;
  struct dap_child_req *next;
} dap_child_req_t;

/* What a request sent to the runtime is waiting for. */
typedef enum {
  DAP_PENDING_CLIENT,    /* answer the client's request with the response */
  DAP_PENDING_CONFIGURE, /* the launch goes on (or fails) with the response */
  DAP_PENDING_REPLAY,    /* breakpoints sent at start: report as events */
  DAP_PENDING_INTERNAL,  /* nothing; failures are logged */
  DAP_PENDING_DROPPED,   /* the client was answered already (timeout, cancel) */
} dap_pending_kind_t;

typedef struct dap_pending {
  long long wire_seq;
  dap_pending_kind_t kind;
  cJSON *client_req; /* owned; the client's request (DAP_PENDING_CLIENT) */
  uint64_t deadline; /* uv_now() after which the adapter answers it (0: never) */
  struct dap_pending *next;
} dap_pending_t;

struct dap_session {
  uv_loop_t *loop;
  dap_conn_t *client;       /* NULL once the client is gone */
  dap_debuggee_t *debuggee; /* NULL before launch and once it is gone */
  dap_session_end_cb on_end;
  void *end_ud;
  char runtime_dir[PATH_MAX];

  /* Lifecycle. */
  bool initialized;        /* initialize answered */
  bool configuration_done; /* configurationDone received */
  bool launched;           /* a launch was accepted */
  bool runtime_ready;      /* the runtime's hello was accepted */
  bool configured;         /* the runtime accepted `configure` */
  bool detached;           /* disconnect without terminating: leave it running */
  bool start_sent;         /* the program was told to run */
  bool terminated_sent;
  bool exited_sent;
  bool launch_failed; /* the launch was answered with an error */
  bool ending;        /* client gone or shutdown: free once all is closed */
  bool timer_closed;

  /* Who started the program: the adapter (launch, --listen), the program
   * itself (dapper.listen: adopted), or someone else, connecting over TCP
   * (attach "listen" and dapper-adapter --connect: remote). */
  enum { DAP_ORIGIN_SPAWNED, DAP_ORIGIN_ADOPTED, DAP_ORIGIN_REMOTE } origin;
  char remote_addr[320];      /* remote: "host:port" waited on */
  uint64_t hello_deadline_ms; /* 0: HELLO_DEADLINE_MS */
  long long hello_pid;        /* the pid the runtime's hello told */

  /* --listen: the session is the program's; clients attach and detach. */
  bool listen;
  bool listen_boot;   /* launch_req is the adapter's own start, not a client's */
  bool attached;      /* the current client's attach was answered */
  int *exit_status;   /* --listen: where the program's exit status goes */
  cJSON *listen_args; /* --listen: the adapter's own launch request */

  /* attach by processId (attach_pid.c): the process, and gdb while it
   * injects the runtime (NULL otherwise; the session waits for it). */
  int attach_pid;
  struct dap_inject *inject;
  uint64_t attach_timeout_ms;

  /* Client capabilities from initialize. */
  bool lines_start_at1;
  bool columns_start_at1;
  bool supports_invalidated; /* supportsInvalidatedEvent */
  /* supportsRunInTerminalRequest */
  bool supports_run_in_terminal;
  bool supports_start_debugging; /* supportsStartDebuggingRequest */

  /* Child processes (`subProcess`): where they announce themselves, and
   * the startDebugging requests sent for them. */
  dap_children_t *children;
  dap_child_req_t *child_reqs;
  bool children_refusal_said; /* the client was told children run undebugged */
  cJSON *launch_args;         /* the launch/attach arguments (what children inherit) */
  /* This session debugs a child process (attach with subProcessId). */
  bool child_session;

  /* Where the program runs (`console`), and the seq of our runInTerminal
   * request while its response is awaited (0: none). */
  dap_console_t console;
  long long terminal_req_seq;

  /* Time budget of a request run in the program (evaluateTimeout), ms. */
  uint64_t evaluate_timeout_ms;
  /* Answers requests whose budget ran out (forward.c). */
  uv_timer_t inspect_timer;

  /* Requests answered later; each owned here until answered. */
  cJSON *launch_req;
  cJSON *disconnect_req;

  /* Requests held while the runtime is starting (array of requests):
   * dispatched again once it said hello or the launch failed. */
  cJSON *held;

  /* Events handlers queue to go out right after their response. */
  cJSON *post_response;

  /* Requests sent to the runtime and not answered yet. */
  dap_pending_t *pending;

  /* Breakpoints as the client last set them, with the ids we assigned:
   * kept so that they reach a runtime that connects later. */
  cJSON *bp_sources;   /* object: path -> setBreakpoints arguments */
  /* bp_sources' items by path (breakpoints.c): finding a file's entry
   * stays O(1) when a client sends 1,000 files' breakpoints at once */
  struct dap_bpsrc *bp_index[DAP_BPSRC_BUCKETS];
  cJSON *bp_functions; /* setFunctionBreakpoints arguments, or NULL */
  cJSON *bp_exceptions; /* setExceptionBreakpoints arguments, or NULL */
  long long next_bp_id;

  /* Deadline for the runtime's hello. */
  uv_timer_t hello_timer;

  dap_launch_t launch;
  /* The launch (or --listen start) arguments in effect: what `restart`
   * runs again unless it brings new ones. */
  cJSON *config;
  /* A `restart` waiting for the old program to be gone (owned). */
  cJSON *restart_req;

  /* `pathMappings` of the current launch or attach (NULL: none); applied
   * to everything sent to and relayed from the runtime (forward.c). */
  dap_pathmap_t *pathmap;
  /* `redirectOutput`: the program's output is sent as output events
   * (internalConsole: else dropped; a terminal: also teed by the runtime). */
  bool redirect_output;

  /* The message of the last dap_session_error (for the dispatcher). */
  char errmsg[1024];
};

/* Records an error message for the current request and returns code (< 0),
 * so a handler can `return dap_session_error(s, DAPPER_EINVAL, "...")`. */
int dap_session_error(dap_session_t *s, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sends a message to the client (consumed). No-op once the client is gone. */
void dap_session_send(dap_session_t *s, cJSON *msg);
/* Sends an event now; body consumed (may be NULL). */
void dap_session_send_event(dap_session_t *s, const char *event, cJSON *body);
/* Queues an event to be sent right after the current response. */
void dap_session_queue_event(dap_session_t *s, const char *event, cJSON *body);
/* Answers a deferred request (consumed) with success and body (consumed). */
void dap_session_respond(dap_session_t *s, cJSON *req, cJSON *body);
/* Answers a deferred request (consumed) with an error. */
void dap_session_respond_error(dap_session_t *s, cJSON *req, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Sends an output event of the given category. */
void dap_session_output(dap_session_t *s, const char *category, const char *text);

/* True between an accepted launch and the runtime's hello: requests the
 * runtime must answer are held until then (dap_session_hold). */
bool dap_session_runtime_starting(const dap_session_t *s);
/* Keeps a copy of req to dispatch again once the runtime is there or the
 * launch failed; returns DAP_DEFERRED, or a negative code (out of memory). */
int dap_session_hold(dap_session_t *s, const cJSON *req);
/* Dispatches the held requests again, in the order they came. */
void dap_session_release_held(dap_session_t *s);

/* Frees the session if it is ending and nothing is left open. */
void dap_session_maybe_free(dap_session_t *s);

/* Forwarding to the runtime (forward.c). */
/* Sends `command` with args (consumed; may be NULL) to the runtime and
 * records what the answer is for. client_req is borrowed and copied for
 * DAP_PENDING_CLIENT. Returns 0 or a negative code (runtime gone). */
int dap_forward(dap_session_t *s, const char *command, cJSON *args, dap_pending_kind_t kind,
                const cJSON *client_req);
/* Routes a runtime response (borrowed) to whoever waits for it. */
void dap_forward_response(dap_session_t *s, const cJSON *msg);
/* Relays a runtime event (borrowed) to the client. */
void dap_forward_event(dap_session_t *s, const cJSON *msg);
/* Starts the time budget of the request just forwarded (the newest pending). */
void dap_forward_set_deadline(dap_session_t *s);
/* Answers every pending client request with an error (the runtime is gone). */
void dap_forward_fail_all(dap_session_t *s, const char *why);
/* Sends the breakpoints kept so far to a runtime that just connected. */
void dap_breakpoints_replay(dap_session_t *s);
void dap_breakpoints_free(dap_session_t *s);
/* The configure response arrived: go on with the launch. */
void dap_lifecycle_configured(dap_session_t *s, const cJSON *msg);

/* Lifecycle pieces used by the session core (lifecycle.c). */
void dap_lifecycle_runtime_message(dap_session_t *s, cJSON *msg, dap_msg_kind_t kind);
void dap_lifecycle_debuggee_exit(dap_session_t *s, int exit_status, int term_signal);
void dap_lifecycle_debuggee_gone(dap_session_t *s);
void dap_lifecycle_client_gone(dap_session_t *s);
/* --listen: starts the program (launch arguments borrowed); returns 0 or a
 * negative code (printed on stderr). */
int dap_lifecycle_listen_start(dap_session_t *s, const cJSON *args, bool wait_for_client);
/* dapper.listen: the program's runtime is on fd (a connected Unix socket
 * whose peer is the program); returns 0 or a negative code (printed). */
int dap_lifecycle_listen_adopt(dap_session_t *s, int fd);
/* Lifecycle helpers shared with attach_pid.c. */
const dap_debuggee_callbacks_t *dap_lifecycle_debuggee_callbacks(void);
/* Reads `evaluateTimeout`; returns 0 or DAPPER_EINVAL (error recorded). */
int dap_lifecycle_read_evaluate_timeout(dap_session_t *s, const cJSON *args);
/* One console line "dapper: <what> key(s) <names> is/are <verdict>". */
void dap_lifecycle_say_keys(dap_session_t *s, const char *what, int n, const char *names,
                            const char *verdict);
/* One console line naming the configuration keys nothing reads. */
void dap_lifecycle_warn_unknown_keys(dap_session_t *s, const cJSON *args);
/* `frameEval` of a launch or attach (borrowed): a wrong type or range fails
 * the request with the key named (returns an error code after
 * dap_session_error); with warn, unknown keys get one console line. */
int dap_lifecycle_check_frame_eval(dap_session_t *s, const cJSON *args, bool warn);
/* `pathMappings` and `redirectOutput` of a launch or attach (borrowed);
 * returns 0 or an error code after dap_session_error. */
int dap_lifecycle_read_paths_and_output(dap_session_t *s, const cJSON *args, bool default_redirect);
/* Answers the pending launch/attach with the error text and lets the
 * program go (ends a launched one, releases an attached one). */
void dap_lifecycle_fail_launch(dap_session_t *s, const char *text);
/* Sends `configure` built from the configuration args; code_args holds the
 * `code` of a `python -c` program. Returns 0 or a negative code. */
int dap_lifecycle_send_configure(dap_session_t *s, const cJSON *launch_args,
                                 const cJSON *code_args);
/* The program was started or is being reached: req (borrowed) is answered
 * once its runtime said hello and is configured, or with an error when it
 * does not say hello within s->hello_deadline_ms (0: the default). Returns
 * DAP_DEFERRED, or an error code after dap_session_error (the program is
 * then ended). */
int dap_lifecycle_await_hello(dap_session_t *s, const cJSON *req);

/* What every form of `attach` reads alike (attach.c): `evaluateTimeout`,
 * `pathMappings`, `redirectOutput` (default_redirect when absent),
 * `frameEval` (with warn_frame_eval, unknown keys get a console line) and
 * the step filters. Returns 0 or an error code after dap_session_error. */
int dap_attach_read_common(dap_session_t *s, const cJSON *args, bool default_redirect,
                           bool warn_frame_eval);
/* The console lines for an attach's keys nothing reads and for the keys only
 * launch reads. */
void dap_attach_warn_keys(dap_session_t *s, const cJSON *args);
/* attach with `processId` (attach_pid.c): returns DAP_DEFERRED or an error. */
int dap_attach_pid_start(dap_session_t *s, const cJSON *req, const cJSON *args);
/* Ends gdb if it still runs and lets go of the attached process. */
void dap_attach_pid_release(dap_session_t *s);

/* --listen: a new client connected; its per-client state starts afresh. */
void dap_lifecycle_client_attached(dap_session_t *s);
/* Closes the children's socket and refuses children still waiting. */
void dap_lifecycle_children_close(dap_session_t *s);
/* A response from the client to a reverse request (runInTerminal);
 * borrowed. */
void dap_lifecycle_client_response(dap_session_t *s, const cJSON *msg);

#endif
