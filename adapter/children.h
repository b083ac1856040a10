/* Child processes of a debugged program (`subProcess`): where their runtime
 * announces itself to the adapter of the session that launched the program.
 *
 * A Unix domain socket in a private directory (mode 0700), accepting only
 * peers of the same user (SO_PEERCRED) that send the session's secret (64
 * hex digits and '\n') followed by one JSON object and '\n':
 *   {"pid": 1234, "socket": "/run/user/1000/dapper-child-XXXX/child.sock",
 *    "secret": "<64 hex digits>", "name": "worker.py", "python": "3.12.1"}
 * `socket`/`secret` are where the child's runtime waits for the adapter
 * session that debugs it (docs/architecture.md, "Child processes"). Unlike
 * the terminal rendezvous this socket takes any number of peers for the
 * life of the session (every descendant announces itself here). */
#ifndef DAPPER_ADAPTER_CHILDREN_H
#define DAPPER_ADAPTER_CHILDREN_H

#include <stddef.h>

#include <cjson/cJSON.h>
#include <uv.h>

/* Environment variables of a Python child's runtime (docs/wire-protocol.md). */
#define DAP_CHILD_SOCKET_ENV "DAPPER_CHILD_SOCKET"
#define DAP_CHILD_SECRET_ENV "DAPPER_CHILD_SECRET"

typedef struct dap_children dap_children_t;

/* A child announced itself: announce (borrowed) is its JSON object; fd is
 * the announcing connection (non-blocking, close-on-exec), now the
 * callee's: it may write one line ("no\n": nobody debugs you, run on)
 * before closing it. */
typedef void (*dap_children_cb)(void *ud, int fd, const cJSON *announce);

int dap_children_open(uv_loop_t *loop, dap_children_cb cb, void *ud, dap_children_t **out,
                      char *err, size_t errlen);
const char *dap_children_path(const dap_children_t *c);
const char *dap_children_secret(const dap_children_t *c);
/* Stops listening, removes the socket and its directory, closes peers that
 * did not finish announcing. Frees itself once its handles are closed. */
void dap_children_close(dap_children_t *c);

#endif
