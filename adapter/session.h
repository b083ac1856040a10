/* One DAP session: a client connection, its state, the debuggee. */
#ifndef DAPPER_ADAPTER_SESSION_H
#define DAPPER_ADAPTER_SESSION_H

#include <stdbool.h>

#include <cjson/cJSON.h>
#include <uv.h>

typedef struct dap_session dap_session_t;

/* Called once when the session has ended (client gone, debuggee gone, all
 * handles closed), right before the session frees itself. */
typedef void (*dap_session_end_cb)(void *ud);

/* Creates a session serving a client on file descriptors (stdio). runtime_dir
 * is copied. Returns 0 and *out, or a negative code. */
int dap_session_open_fds(uv_loop_t *loop, int in_fd, int out_fd, const char *runtime_dir,
                         dap_session_end_cb on_end, void *ud, dap_session_t **out);

/* Creates a session for a pending TCP connection on server. */
int dap_session_accept_tcp(uv_loop_t *loop, uv_stream_t *server, const char *runtime_dir,
                           dap_session_end_cb on_end, void *ud, dap_session_t **out);

/* --listen: creates a session without a client that starts the program
 * described by launch_args (borrowed) with the runtime at once. Unless
 * wait_for_client, the program runs without breakpoints until a client
 * attaches. The program's exit status goes to *exit_status.
 * launch_args NULL (dapper.listen): the program is running already and
 * its runtime is on runtime_fd (a connected Unix socket). */
int dap_session_open_listen(uv_loop_t *loop, const char *runtime_dir, const cJSON *launch_args,
                            int runtime_fd, bool wait_for_client, int *exit_status,
                            dap_session_end_cb on_end, void *ud, dap_session_t **out);

/* --listen: serves a pending TCP connection on server as the client of the
 * program's session s. Fails (negative) when a client is attached already
 * or the program is gone. */
int dap_session_attach_tcp(dap_session_t *s, uv_stream_t *server);

/* Ends the session from outside (the adapter is shutting down): closes the
 * client and ends the debuggee. on_end follows once everything is closed. */
void dap_session_shutdown(dap_session_t *s);

#endif
