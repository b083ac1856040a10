/* A private listening socket: what the terminal rendezvous (rendezvous.c)
 * and the child-process socket (children.c) share. A Unix domain socket in
 * a fresh directory of mode 0700 (under XDG_RUNTIME_DIR, TMPDIR or /tmp),
 * a one-time secret of 64 hex digits that a peer sends first, followed by
 * '\n', and accepting only peers of the same user (SO_PEERCRED)
 * (docs/security.md). */
#ifndef DAPPER_ADAPTER_PRIVSOCK_H
#define DAPPER_ADAPTER_PRIVSOCK_H

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

/* The secret in hex; a peer sends it and '\n' first. */
#define DAP_PRIVSOCK_SECRET_HEX 64

typedef struct {
  int fd;       /* listening, non-blocking, close-on-exec; -1 when closed */
  char dir[88]; /* short enough for sun_path with the socket's name */
  char path[104];
  char secret[DAP_PRIVSOCK_SECRET_HEX + 1];
} dap_privsock_t;

/* Makes the secret and the directory, binds `name` in it, listens with
 * `backlog` and initialises `poll` (the caller's, not started) on the
 * socket. Returns 0, or a negative code with a sentence for the user in err
 * ("could not ... for <purpose>: <reason>") and nothing left behind. The
 * caller stops and closes the poll before dap_privsock_close. */
int dap_privsock_open(dap_privsock_t *s, uv_loop_t *loop, uv_poll_t *poll, const char *name,
                      int backlog, const char *purpose, char *err, size_t errlen);

/* Accepts the next peer of this user: returns its fd (non-blocking,
 * close-on-exec; the caller's) and *pid (as the kernel saw it connect), or
 * -1 when nobody is waiting. Peers of another user are closed and logged
 * with `tag` (the caller's log prefix). */
int dap_privsock_accept(dap_privsock_t *s, const char *tag, int *pid);

/* What a peer sent so far (got bytes of buf): 1 it starts with the secret
 * and '\n', 0 too short to say, -1 it does not. The comparison does not exit
 * early, so timing says nothing of the secret. */
int dap_privsock_check_secret(const dap_privsock_t *s, const char *buf, size_t got);

/* Closes the listening socket, removes it and its directory and wipes the
 * secret. Idempotent. */
void dap_privsock_close(dap_privsock_t *s);

#endif
