/* libFuzzer target: the adapter's client side, end to end. Each input is the
 * byte stream a DAP client sends: it goes to a real session
 * (dap_session_open_fds) over a socketpair, in chunks of varying size with
 * the libuv loop pumped (UV_RUN_NOWAIT) in between, so the framer sees split
 * headers and bodies; then end-of-input, and the loop runs until the
 * session has ended and freed everything (LeakSanitizer checks each run).
 *
 * The debuggee is never started: dap_debuggee_spawn is replaced at link time
 * (-Wl,--wrap=dap_debuggee_spawn) by a version that fails, so `launch`
 * still parses and validates its arguments but answers with an error, and
 * every request that needs the runtime must be answered with an error.
 * Likewise dap_inject_check (-Wl,--wrap=dap_inject_check): `attach` with a
 * `processId` is validated but never runs gdb on a process of the machine. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uv.h>

#include "debuggee.h"
#include "inject.h"
#include "dapper/errors.h"
#include "log.h"
#include "session.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int __wrap_dap_debuggee_spawn(uv_loop_t *loop, const dap_launch_t *l, bool with_runtime,
                              const dap_debuggee_callbacks_t *cbs, void *ud,
                              dap_debuggee_t **out, char *err, size_t errlen);

int __wrap_dap_debuggee_spawn(uv_loop_t *loop, const dap_launch_t *l, bool with_runtime,
                              const dap_debuggee_callbacks_t *cbs, void *ud,
                              dap_debuggee_t **out, char *err, size_t errlen) {
  snprintf(err, errlen, "could not start %s: spawning is disabled in the fuzzer", l->file);
  return UV_ENOENT;
}

int __wrap_dap_inject_check(int pid, dap_inject_target_t *t, char *err, size_t errlen);
int __wrap_dap_inject_check(int pid, dap_inject_target_t *t, char *err, size_t errlen) {
  snprintf(err, errlen, "cannot attach to process %d: attaching is disabled in the fuzzer", pid);
  return DAPPER_ELAUNCH;
}

static uv_loop_t loop;
static int ended;

static void on_end(void *ud) { ended = 1; }

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  signal(SIGPIPE, SIG_IGN);
  uv_loop_init(&loop);
  /* Trace level exercises the message logging; it goes nowhere. */
  const char *log = getenv("DAPPER_FUZZ_LOG");
  dap_log_init(log != NULL ? log : "/dev/null", DAP_LOG_TRACE);
  return 0;
}

static void drain(int fd) {
  char buf[65536];
  while (read(fd, buf, sizeof(buf)) > 0) {
  }
}

static void pump(int fd) {
  uv_run(&loop, UV_RUN_NOWAIT);
  drain(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const size_t chunks[] = {4096, 1, 7, 64, 3, 512, 29, 65536};
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
    abort();
  dap_session_t *s = NULL;
  ended = 0;
  /* sv[1] belongs to the session (its handle closes it). */
  if (dap_session_open_fds(&loop, sv[1], sv[1], "/nonexistent/dapper-runtime", on_end, NULL,
                           &s) != 0)
    abort();

  size_t pos = 0, i = 0;
  while (pos < size && !ended) {
    size_t n = chunks[i++ % (sizeof(chunks) / sizeof(chunks[0]))];
    if (n > size - pos)
      n = size - pos;
    ssize_t w = write(sv[0], data + pos, n);
    if (w > 0)
      pos += (size_t)w;
    else if (w < 0 && errno != EAGAIN && errno != EINTR)
      break; /* the session closed its end (broken framing) */
    pump(sv[0]);
  }
  shutdown(sv[0], SHUT_WR);
  for (int k = 0; !ended && k < 100000; k++)
    pump(sv[0]);
  if (!ended) {
    fprintf(stderr, "fuzz_dap: the session did not end after end-of-input\n");
    abort();
  }
  close(sv[0]);
  /* The connection may still be closing its handles: let it finish. */
  uv_run(&loop, UV_RUN_DEFAULT);
  return 0;
}
