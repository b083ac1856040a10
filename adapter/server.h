/* Transports: DAP over stdio (one session, the adapter exits after it) or a
 * TCP server (one session per connection, serving until a signal). */
#ifndef DAPPER_ADAPTER_SERVER_H
#define DAPPER_ADAPTER_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

typedef struct {
  const char *host; /* NULL: 127.0.0.1 */
  int port;         /* < 0: stdio */
  const char *runtime_dir;
  /* --listen: the program's launch arguments (borrowed), else NULL. */
  const cJSON *listen_args;
  bool wait_for_client;
  /* dapper.listen: the listening TCP socket (instead of host/port) and the
   * running program's runtime link; -1 when not given. */
  int listen_fd;
  int runtime_fd;
} dap_server_options_t;

/* Runs the adapter until it is done. Returns the process exit status. */
int dap_server_run(const dap_server_options_t *opts);

/* Finds the runtime directory: `override` if given, else relative to the
 * adapter binary (installed: ../lib/dapper-adapter/runtime; build tree:
 * ../runtime). Returns 0 and fills out, or -1 (err filled). */
int dap_find_runtime_dir(const char *override, char *out, size_t outlen, char *err,
                         size_t errlen);

#endif
