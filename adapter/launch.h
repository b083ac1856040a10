/* The `launch` request's arguments, turned into what is spawned: the
 * interpreter's argv, the environment, the working directory. No shell is
 * involved anywhere: each argument is passed as one argv entry. */
#ifndef DAPPER_ADAPTER_LAUNCH_H
#define DAPPER_ADAPTER_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

typedef struct {
  char *file;   /* the interpreter, resolved to a path */
  char **argv;  /* NULL-terminated: interpreter, its options, then the target */
  char **env;   /* NULL-terminated "NAME=value" */
  char *cwd;    /* NULL: the adapter's own */
  char *name;   /* what the `process` event calls it */
  bool no_debug;
  bool stop_on_entry;
} dap_launch_t;

/* Fills *out from launch arguments `args` (borrowed). runtime_dir is where
 * the runtime modules and boot/ live (the injection is skipped for noDebug).
 * Returns 0, or DAPPER_EINVAL with a sentence for the user in err. On
 * failure *out holds nothing to free; on success free with dap_launch_free. */
int dap_launch_parse(const cJSON *args, const char *runtime_dir, int runtime_fd,
                     dap_launch_t *out, char *err, size_t errlen);
void dap_launch_free(dap_launch_t *l);

/* Lists the keys of launch arguments `args` that nothing reads: neither the
 * adapter, nor the runtime's `configure`, nor one of the keys every client
 * adds (type, request, name, debugServer, `__`-prefixed internals, ...).
 * Writes them quoted and comma-separated into buf (truncated with "..." when
 * too long) and returns how many there are. */
int dap_launch_unknown_keys(const cJSON *args, char *buf, size_t buflen);

/* Finds an executable: a name without '/' is searched in `path_var` (a PATH
 * value, may be NULL), a name with '/' must itself be executable. Returns a
 * malloc'd path or NULL. */
char *dap_find_executable(const char *name, const char *path_var);

#endif
