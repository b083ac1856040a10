/* The debuggee process: spawning it (in its own process group, stdin from
 * /dev/null, stdout and stderr piped to us, the runtime's socketpair end as
 * fd 3), relaying its output, the runtime link, its exit, and ending it.
 *
 * Lifetime: the debuggee object lives until the process has exited, its
 * output is drained (EOF on both pipes, or a short deadline when a
 * grandchild keeps them open) and its handles are closed. Then on_gone is
 * called and the object frees itself. */
#ifndef DAPPER_ADAPTER_DEBUGGEE_H
#define DAPPER_ADAPTER_DEBUGGEE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>
#include <uv.h>

#include "dapper/message.h"
#include "launch.h"

/* The fd number the runtime's end has in the debuggee. */
#define DAP_DEBUGGEE_RUNTIME_FD 3

/* on_exit's term_signal for a terminal program whose end is all we know. */
#define DAP_DEBUGGEE_EXIT_UNKNOWN (-1)
/* on_exit's term_signal after dap_debuggee_release: the program runs on. */
#define DAP_DEBUGGEE_EXIT_RELEASED (-2)

typedef struct dap_debuggee dap_debuggee_t;

typedef struct {
  /* Program output. `text` is valid UTF-8 (invalid bytes replaced),
   * NUL-terminated, borrowed; category is "stdout" or "stderr". */
  void (*on_output)(void *ud, const char *category, const char *text, size_t len);
  /* A message from the runtime; the callee owns msg. */
  void (*on_runtime_message)(void *ud, cJSON *msg, dap_msg_kind_t kind);
  /* The runtime link closed (the process may still run). */
  void (*on_runtime_closed)(void *ud);
  /* The process exited and its output was delivered. term_signal is 0 for a
   * normal exit, DAP_DEBUGGEE_EXIT_UNKNOWN when a program run in a terminal
   * ended without reporting its status. */
  void (*on_exit)(void *ud, int exit_status, int term_signal);
  /* Everything is closed; the object is freed right after this returns. */
  void (*on_gone)(void *ud);
} dap_debuggee_callbacks_t;

/* Spawns the process described by l (borrowed). with_runtime: create the
 * runtime socketpair. Returns 0 and *out, or a negative code with a sentence
 * for the user in err. */
int dap_debuggee_spawn(uv_loop_t *loop, const dap_launch_t *l, bool with_runtime,
                       const dap_debuggee_callbacks_t *cbs, void *ud, dap_debuggee_t **out,
                       char *err, size_t errlen);

/* A program the client starts in a terminal (runInTerminal): waits for its
 * runtime to connect to a private socket with the secret (rendezvous.h).
 * Until then pid is 0 and terminate just ends the wait. The program's
 * output is the terminal's. Returns 0 and *out, or a negative code with a
 * sentence for the user in err. */
int dap_debuggee_await(uv_loop_t *loop, const dap_debuggee_callbacks_t *cbs, void *ud,
                       dap_debuggee_t **out, char *err, size_t errlen);
/* dapper.listen(): the program started the adapter and holds the other end
 * of the connected Unix socket fd (its pid is the socket's peer). Not our
 * child: its output is its own, its end is seen through a pidfd. Returns
 * 0 and *out, or a negative code with a sentence in err (fd then stays the
 * caller's only when the code is DAPPER_EINVAL). */
int dap_debuggee_adopt(uv_loop_t *loop, int fd, const dap_debuggee_callbacks_t *cbs, void *ud,
                       dap_debuggee_t **out, char *err, size_t errlen);

/* attach "listen": waits on host:port for one program's runtime to connect
 * over TCP (dapper-adapter --connect). No pid is known: the program's end
 * is its channel closing, and it cannot be signalled. *bound_port is the
 * port bound (port 0 picks one). Returns 0 and *out, or a negative code
 * with a sentence in err. */
int dap_debuggee_await_tcp(uv_loop_t *loop, const char *host, int port,
                           const dap_debuggee_callbacks_t *cbs, void *ud, dap_debuggee_t **out,
                           int *bound_port, char *err, size_t errlen);

/* Lets a program that is not our child (a terminal's, an adopted or a
 * remote one) go: closes the runtime link (the runtime lets it run on) and
 * ends the object soon, with on_exit's term_signal DAP_DEBUGGEE_EXIT_RELEASED
 * (a process attached to by processId: at once, without on_exit; on_gone
 * follows). For our own child it is dap_debuggee_detach. */
void dap_debuggee_release(dap_debuggee_t *d);

/* Where the runtime connects and what it sends first; NULL once it did. */
const char *dap_debuggee_socket_path(const dap_debuggee_t *d);
const char *dap_debuggee_secret(const dap_debuggee_t *d);

/* A child process of a debugged program (subProcess) whose runtime waits
 * on a Unix socket (docs/architecture.md): connects to socket_path, checks
 * the listener is process pid of our user (SO_PEERCRED), sends the secret.
 * Its output is its parent's; its end is seen through a pidfd and its exit
 * code is what its runtime reports, as for a terminal program. */
int dap_debuggee_connect(uv_loop_t *loop, const char *socket_path, const char *secret, int pid,
                         const dap_debuggee_callbacks_t *cbs, void *ud, dap_debuggee_t **out,
                         char *err, size_t errlen);

/* The process id (a terminal program's: 0 until its runtime connected). */
int dap_debuggee_pid(const dap_debuggee_t *d);
bool dap_debuggee_exited(const dap_debuggee_t *d);

/* Sends a message to the runtime; consumes msg. Stores the seq it was given
 * in *seq (may be NULL). Returns 0 or a negative code (no runtime link). */
int dap_debuggee_send(dap_debuggee_t *d, cJSON *msg, long long *seq);

/* Stops or resumes reading the program's output (backpressure). */
void dap_debuggee_pause_output(dap_debuggee_t *d, bool pause);

/* Ends the process group: SIGTERM now, SIGKILL after grace_ms if still
 * running. Idempotent; a shorter grace replaces a longer one. */
void dap_debuggee_terminate(dap_debuggee_t *d, unsigned grace_ms);

/* Closes the runtime link (detach): the runtime lets the program run on. */
void dap_debuggee_detach(dap_debuggee_t *d);

/* Marks an awaited debuggee (dap_debuggee_await) as a running process we
 * attach to by processId: only pid may connect, and terminate signals pid
 * alone, never its process group. */
void dap_debuggee_set_attached(dap_debuggee_t *d, int pid);


#endif
