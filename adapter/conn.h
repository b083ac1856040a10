/* A framed message connection over libuv streams: the DAP client link
 * (stdio: two pipes; TCP: one socket) and the runtime link (socketpair).
 *
 * Incoming bytes go through the protocol framer and dap_msg_parse; each
 * valid message is handed to on_message, each unparsable body to
 * on_bad_message. Broken framing, end-of-file or a read error close the
 * connection. The connection owns its handles and frees itself once they
 * are closed, after calling on_closed; the owner must not use it after. */
#ifndef DAPPER_ADAPTER_CONN_H
#define DAPPER_ADAPTER_CONN_H

#include <stddef.h>

#include <cjson/cJSON.h>
#include <uv.h>

#include "dapper/message.h"

typedef struct dap_conn dap_conn_t;

typedef struct {
  /* A valid message. The callee owns msg (cJSON_Delete it). */
  void (*on_message)(void *ud, cJSON *msg, dap_msg_kind_t kind);
  /* A body that is not a valid message. err is borrowed. */
  void (*on_bad_message)(void *ud, const dap_parse_error_t *err);
  /* The write queue fell below the low-water mark after exceeding the
   * high-water mark (output relays pause and resume on this). May be NULL. */
  void (*on_drain)(void *ud);
  /* The connection closed itself: EOF, read error or broken framing
   * (reason: 0 for EOF, else a negative code). Not called when the owner
   * closed it with dap_conn_close. Handles are being closed; sends fail. */
  void (*on_closed)(void *ud, int reason);
} dap_conn_callbacks_t;

/* Opens a connection on file descriptors (stdio: in_fd 0, out_fd 1; a
 * socketpair end: the same fd twice). Returns 0 and *out, or a negative
 * code. `name` is used in logs ("client", "runtime"). */
int dap_conn_open_fds(uv_loop_t *loop, int in_fd, int out_fd, const char *name,
                      size_t max_message, const dap_conn_callbacks_t *cbs, void *ud,
                      dap_conn_t **out);

/* Accepts a pending TCP connection from server (TCP_NODELAY set). */
int dap_conn_accept_tcp(uv_loop_t *loop, uv_stream_t *server, const char *name,
                        size_t max_message, const dap_conn_callbacks_t *cbs, void *ud,
                        dap_conn_t **out);

/* Sends msg, stamping the connection's next seq. Consumes msg on success
 * and on error. Returns 0 or a negative code (closed, out of memory). */
int dap_conn_send(dap_conn_t *c, cJSON *msg);

/* The seq the next dap_conn_send will stamp. */
long long dap_conn_next_seq(const dap_conn_t *c);

/* Bytes queued for writing and not yet written. */
size_t dap_conn_write_queue(const dap_conn_t *c);
/* True once the queue passed the high-water mark and has not drained yet. */
int dap_conn_congested(const dap_conn_t *c);

/* Starts closing (idempotent); on_closed is not called. Reading stops at
 * once; pending writes are flushed first when `flush` is true. The
 * connection frees itself when its handles are closed. */
void dap_conn_close(dap_conn_t *c, int flush);

#endif
