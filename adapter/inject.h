/* Attach by processId: putting the runtime into a CPython process that is
 * already running (docs/architecture.md, "Attach to a running process").
 *
 * dap_inject_check looks at the target through /proc only (no ptrace):
 * exists, same user, no tracer attached, a CPython 3.11-3.13, ptrace
 * allowed by Yama. dap_inject_start then runs gdb in batch mode: it
 * attaches, checks Py_Version and Py_IsInitialized, queues the bootstrap
 * (runtime/boot/attach.py) with Py_AddPendingCall(PyRun_SimpleString, ...)
 * and detaches; the program's main thread runs the bootstrap between two
 * bytecodes, which connects back to the rendezvous socket with the secret.
 * The gdb commands (which hold the secret) reach gdb through a memfd, never
 * its command line. */
#ifndef DAPPER_ADAPTER_INJECT_H
#define DAPPER_ADAPTER_INJECT_H

#include <limits.h>
#include <stddef.h>

#include <cjson/cJSON.h>
#include <uv.h>

/* Test-only: a command (split on spaces) that gdb runs under, e.g. strace
 * injecting EPERM into ptrace (docs/testing.md). */
#define DAP_INJECT_WRAPPER_ENV "DAPPER_TEST_GDB_WRAPPER"

typedef struct {
  int pid;
  char name[64];      /* /proc/PID/comm */
  char exe[PATH_MAX]; /* /proc/PID/exe */
  int minor;          /* 3.minor from the libpython or the executable's name; -1 unknown */
} dap_inject_target_t;

/* Parses `processId` (a positive integer, or a string of digits as VS
 * Code's pickProcess gives). Returns the pid, or -1. */
int dap_inject_parse_pid(const cJSON *item);

/* Checks that pid can be attached to. Returns 0 and fills *t, or
 * DAPPER_ELAUNCH (or DAPPER_ENOTSUP) with a sentence naming the cause. */
int dap_inject_check(int pid, dap_inject_target_t *t, char *err, size_t errlen);

typedef struct dap_inject dap_inject_t;

/* gdb's outcome: rc 0 when the bootstrap was queued in the program, else a
 * negative code and a sentence for the user (borrowed for the call). Called
 * once, also after dap_inject_cancel (rc DAPPER_ELAUNCH, "cancelled"), when
 * gdb is gone; the object is freed right after. */
typedef void (*dap_inject_cb)(void *ud, int rc, const char *message);

/* Runs gdb on t->pid to queue the bootstrap, which connects to socket_path
 * and sends secret. Returns 0 and *out, or a negative code with a sentence
 * in err (gdb missing, out of memory); the callback is then not called. */
int dap_inject_start(uv_loop_t *loop, const dap_inject_target_t *t, const char *runtime_dir,
                     const char *socket_path, const char *secret, dap_inject_cb cb, void *ud,
                     dap_inject_t **out, char *err, size_t errlen);

/* Ends gdb (SIGTERM: it detaches from the program, then SIGKILL if it
 * hangs). The callback follows once gdb is gone. */
void dap_inject_cancel(dap_inject_t *in);

#endif
