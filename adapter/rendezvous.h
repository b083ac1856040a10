/* Where a program the adapter did not spawn (run by the client in a
 * terminal) connects its runtime: a Unix domain socket in a private
 * directory (mode 0700, only the owner can reach it), accepting only peers
 * of the same user (SO_PEERCRED) that first send the one-time secret
 * (64 hex digits and a newline). The first peer that authenticates gets
 * the channel; the socket is then removed (docs/security.md). */
#ifndef DAPPER_ADAPTER_RENDEZVOUS_H
#define DAPPER_ADAPTER_RENDEZVOUS_H

#include <stddef.h>

#include <uv.h>

#include "privsock.h"

/* What the runtime sends first: the secret in hex and '\n'. */
#define DAP_RENDEZVOUS_SECRET_HEX DAP_PRIVSOCK_SECRET_HEX

typedef struct dap_rendezvous dap_rendezvous_t;

/* An authenticated connection: fd (non-blocking, close-on-exec) now belongs
 * to the callee; nothing was read past the secret. pid is the peer's
 * process as the kernel saw it connect (SO_PEERCRED). */
typedef void (*dap_rendezvous_cb)(void *ud, int fd, int pid);

/* Creates the directory, the listening socket and the secret. Returns 0
 * and *out, or a negative code with a sentence for the user in err. */
int dap_rendezvous_open(uv_loop_t *loop, dap_rendezvous_cb cb, void *ud, dap_rendezvous_t **out,
                        char *err, size_t errlen);

/* The socket's path and the secret (hex), valid until close. */
const char *dap_rendezvous_path(const dap_rendezvous_t *r);
const char *dap_rendezvous_secret(const dap_rendezvous_t *r);

/* Stops listening, removes the socket and its directory and closes peers
 * that did not authenticate; the callback is not called any more. The
 * object frees itself once its handles are closed. */
void dap_rendezvous_close(dap_rendezvous_t *r);

#endif
