/* The `launch` request's arguments, turned into what is spawned: the
 * interpreter's argv, the environment, the working directory. No shell is
 * involved anywhere: each argument is passed as one argv entry. */
#ifndef DAPPER_ADAPTER_LAUNCH_H
#define DAPPER_ADAPTER_LAUNCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include <cjson/cJSON.h>

typedef struct {
  char *file;   /* the interpreter, resolved to a path */
  char **argv;  /* NULL-terminated: interpreter, its options, then the target */
  char **env;   /* NULL-terminated "NAME=value" */
  char *cwd;    /* NULL: the adapter's own */
  char *name;   /* what the `process` event calls it */
  cJSON *env_file; /* envFile's variables (an object of strings), or NULL */
  bool no_debug;
  bool stop_on_entry;
} dap_launch_t;

/* Where the program's stdin/stdout are (`console`). */
typedef enum {
  DAP_CONSOLE_INTERNAL,   /* the adapter's child; output as output events, stdin /dev/null */
  DAP_CONSOLE_INTEGRATED, /* runInTerminal kind "integrated" */
  DAP_CONSOLE_EXTERNAL,   /* runInTerminal kind "external" */
} dap_console_t;

/* `DAPPER_STARTUP_TIMEOUT` (seconds, in the adapter's environment): how long
 * the adapter waits for the runtime of a program it started (or that a
 * terminal or a child process runs) to say hello. Unset or empty: 15 s.
 * Returns 0 and *ms, or DAPPER_EINVAL with a sentence in err naming the
 * variable and the value. */
#define DAP_STARTUP_TIMEOUT_ENV "DAPPER_STARTUP_TIMEOUT"
#define DAP_STARTUP_TIMEOUT_DEFAULT_MS 15000
int dap_launch_startup_timeout(uint64_t *ms, char *err, size_t errlen);

/* Reads `console` from launch arguments: absent means integratedTerminal
 * when the client supports runInTerminal, else internalConsole. Returns 0,
 * or DAPPER_EINVAL with a sentence in err (unknown value, or a terminal the
 * client cannot provide). */
int dap_launch_console(const cJSON *args, bool client_has_terminal, dap_console_t *out, char *err,
                       size_t errlen);

/* The runInTerminal request's arguments for the parsed launch l: the
 * interpreter and target as argv, the working directory, and as env the
 * configuration's `env` plus what the runtime needs to connect to
 * socket_path with secret. Returns a new object or NULL (out of memory). */
cJSON *dap_launch_terminal_args(const cJSON *args, const dap_launch_t *l, dap_console_t console,
                                const char *socket_path, const char *secret);

/* Fills *out from launch arguments `args` (borrowed). runtime_dir is where
 * the runtime modules and boot/ live (the injection is skipped for noDebug).
 * Returns 0, or DAPPER_EINVAL with a sentence for the user in err. On
 * failure *out holds nothing to free; on success free with dap_launch_free. */
int dap_launch_parse(const cJSON *args, const char *runtime_dir, int runtime_fd,
                     dap_launch_t *out, char *err, size_t errlen);
void dap_launch_free(dap_launch_t *l);

/* Sets NAME=value in l->env (replacing NAME). Returns 0 or DAPPER_ENOMEM. */
int dap_launch_setenv(dap_launch_t *l, const char *name, const char *value);

/* Lists the keys of launch arguments `args` that nothing reads: neither the
 * adapter, nor the runtime's `configure`, nor one of the keys every client
 * adds (type, request, name, debugServer, `__`-prefixed internals, ...).
 * Writes them quoted and comma-separated into buf (truncated with "..." when
 * too long) and returns how many there are. */
int dap_launch_unknown_keys(const cJSON *args, char *buf, size_t buflen);

/* Checks `justMyCode` (a boolean) and `rules` (an array of {"path": glob}
 * or {"module": name} objects with a boolean "include"), which the runtime
 * takes through `configure`. Returns 0, or DAPPER_EINVAL with a message
 * naming the key in err. */
int dap_launch_check_step_filters(const cJSON *args, char *err, size_t errlen);

/* `frameEval` (frameeval.c): checks every key's type and range (a negative
 * code with a message naming the key in err), lists the keys it does not
 * know in `unknown` (for one console line) and returns how many there are.
 * With out != NULL, *out is a new object: the defaults, the `profile`'s
 * keys over them, then the keys the user gave (docs/configuration.md). */
int dap_frame_eval_resolve(const cJSON *fe, cJSON **out, char *unknown, size_t unknownlen,
                           char *err, size_t errlen);

/* Finds an executable: a name without '/' is searched in `path_var` (a PATH
 * value, may be NULL), a name with '/' must itself be executable. Returns a
 * malloc'd path or NULL. */
char *dap_find_executable(const char *name, const char *path_var);

#endif
