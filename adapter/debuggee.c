#include "debuggee.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "dapper/errors.h"
#include "dapper/wire.h"
#include "log.h"

/* How long to wait for EOF on the output pipes once the process exited
 * (a grandchild may hold them open). */
#define DRAIN_DEADLINE_MS 1500

typedef struct {
  uv_pipe_t pipe;
  dap_debuggee_t *owner;
  const char *category;
  char tail[4]; /* an incomplete UTF-8 sequence carried to the next read */
  size_t tail_len;
  bool eof;
  bool reading;
  char buf[64 * 1024];
} relay_t;

struct dap_debuggee {
  uv_loop_t *loop;
  uv_process_t proc;
  relay_t out, err;
  uv_timer_t drain_timer;
  uv_timer_t kill_timer;
  dap_conn_t *runtime;
  dap_debuggee_callbacks_t cbs;
  void *ud;
  int pid;
  int handles_open;
  bool exited;
  bool finished;  /* on_process_exit delivered, closing */
  bool terminating;
  bool paused;
  unsigned kill_deadline_ms;
  int exit_status;
  int term_signal;
};

static void on_handle_closed(uv_handle_t *h) {
  dap_debuggee_t *d = h->data;
  if (--d->handles_open == 0) {
    if (d->cbs.on_gone != NULL)
      d->cbs.on_gone(d->ud);
    free(d);
  }
}

static void close_handle(dap_debuggee_t *d, uv_handle_t *h) {
  if (!uv_is_closing(h))
    uv_close(h, on_handle_closed);
}

static void relay_emit(relay_t *r, const char *data, size_t len, bool final) {
  /* Join the carried tail with the new bytes so a character split across
   * reads arrives whole. */
  char *joined = NULL;
  const char *src = data;
  size_t src_len = len;
  if (r->tail_len > 0) {
    joined = malloc(r->tail_len + len);
    if (joined == NULL)
      return;
    memcpy(joined, r->tail, r->tail_len);
    memcpy(joined + r->tail_len, data, len);
    src = joined;
    src_len = r->tail_len + len;
    r->tail_len = 0;
  }
  size_t out_len = 0, tail = 0;
  char *text = dap_utf8_sanitize(src, src_len, !final, &out_len, &tail);
  if (text != NULL) {
    if (tail > 0 && tail <= sizeof(r->tail)) {
      memcpy(r->tail, src + src_len - tail, tail);
      r->tail_len = tail;
    }
    if (out_len > 0)
      r->owner->cbs.on_output(r->owner->ud, r->category, text, out_len);
    free(text);
  }
  free(joined);
}

static void maybe_finish(dap_debuggee_t *d);

static void relay_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  relay_t *r = (relay_t *)h; /* the pipe is the relay's first member */
  *buf = uv_buf_init(r->buf, sizeof(r->buf));
}

static void relay_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  relay_t *r = (relay_t *)s;
  if (nread > 0) {
    relay_emit(r, buf->base, (size_t)nread, false);
    return;
  }
  if (nread == 0)
    return;
  if (nread != UV_EOF)
    dap_log_info("debuggee %s: read error: %s", r->category, uv_strerror((int)nread));
  if (r->tail_len > 0)
    relay_emit(r, "", 0, true);
  r->eof = true;
  r->reading = false;
  uv_read_stop(s);
  maybe_finish(r->owner);
}

static void finish(dap_debuggee_t *d) {
  if (d->finished)
    return;
  d->finished = true;
  uv_timer_stop(&d->drain_timer);
  uv_timer_stop(&d->kill_timer);
  if (d->runtime != NULL) {
    dap_conn_close(d->runtime, 0);
    d->runtime = NULL;
  }
  if (d->out.tail_len > 0)
    relay_emit(&d->out, "", 0, true);
  if (d->err.tail_len > 0)
    relay_emit(&d->err, "", 0, true);
  d->cbs.on_exit(d->ud, d->exit_status, d->term_signal);
  close_handle(d, (uv_handle_t *)&d->out.pipe);
  close_handle(d, (uv_handle_t *)&d->err.pipe);
  close_handle(d, (uv_handle_t *)&d->drain_timer);
  close_handle(d, (uv_handle_t *)&d->kill_timer);
  close_handle(d, (uv_handle_t *)&d->proc);
}

static void maybe_finish(dap_debuggee_t *d) {
  if (d->exited && d->out.eof && d->err.eof)
    finish(d);
}

static void on_drain_deadline(uv_timer_t *t) {
  dap_debuggee_t *d = t->data;
  dap_log_info("debuggee exited but its output pipes are still open (a child process?); "
               "not waiting longer");
  finish(d);
}

static void on_process_exit(uv_process_t *p, int64_t exit_status, int term_signal) {
  dap_debuggee_t *d = p->data;
  d->exited = true;
  d->exit_status = (int)exit_status;
  d->term_signal = term_signal;
  dap_log_info("debuggee %d exited: status %d, signal %d", d->pid, (int)exit_status, term_signal);
  if (d->terminating)
    kill(-d->pid, SIGKILL); /* sweep what is left of its process group */
  if (d->paused)
    dap_debuggee_pause_output(d, false);
  uv_timer_start(&d->drain_timer, on_drain_deadline, DRAIN_DEADLINE_MS, 0);
  maybe_finish(d);
}

static void on_kill_deadline(uv_timer_t *t) {
  dap_debuggee_t *d = t->data;
  if (d->exited)
    return;
  dap_log_info("debuggee %d still running after SIGTERM; sending SIGKILL", d->pid);
  if (kill(-d->pid, SIGKILL) != 0)
    kill(d->pid, SIGKILL);
}

static void on_runtime_message(void *ud, cJSON *msg, dap_msg_kind_t kind) {
  dap_debuggee_t *d = ud;
  d->cbs.on_runtime_message(d->ud, msg, kind);
}

static void on_runtime_bad(void *ud, const dap_parse_error_t *err) {
  dap_log_warn("runtime sent an invalid message: %s", err->reason);
}

static void on_runtime_closed(void *ud, int reason) {
  dap_debuggee_t *d = ud;
  d->runtime = NULL;
  d->cbs.on_runtime_closed(d->ud);
}

static void orphan_output(void *ud, const char *category, const char *text, size_t len) {}
static void orphan_exit(void *ud, int exit_status, int term_signal) {}

static const dap_debuggee_callbacks_t orphan_cbs = {
    .on_output = orphan_output,
    .on_exit = orphan_exit,
};

static const dap_conn_callbacks_t runtime_cbs = {
    .on_message = on_runtime_message,
    .on_bad_message = on_runtime_bad,
    .on_closed = on_runtime_closed,
};

static int relay_init(dap_debuggee_t *d, relay_t *r, const char *category) {
  r->owner = d;
  r->category = category;
  int rc = uv_pipe_init(d->loop, &r->pipe, 0);
  if (rc != 0)
    return rc;
  r->pipe.data = d; /* non-NULL marks an initialised relay */
  d->handles_open++;
  return 0;
}

int dap_debuggee_spawn(uv_loop_t *loop, const dap_launch_t *l, bool with_runtime,
                       const dap_debuggee_callbacks_t *cbs, void *ud, dap_debuggee_t **out,
                       char *err, size_t errlen) {
  dap_debuggee_t *d = calloc(1, sizeof(*d));
  if (d == NULL) {
    snprintf(err, errlen, "out of memory");
    return DAPPER_ENOMEM;
  }
  d->loop = loop;
  d->cbs = *cbs;
  d->ud = ud;
  int fds[2] = {-1, -1};
  int rc;
  if ((rc = relay_init(d, &d->out, "stdout")) != 0 || (rc = relay_init(d, &d->err, "stderr")) != 0)
    goto fail_handles;
  uv_timer_init(loop, &d->drain_timer);
  d->drain_timer.data = d;
  d->handles_open++;
  uv_timer_init(loop, &d->kill_timer);
  d->kill_timer.data = d;
  d->handles_open++;
  if (with_runtime) {
    /* Our end is non-blocking; both are close-on-exec, the child gets its
     * end through dup2 to DAP_DEBUGGEE_RUNTIME_FD. */
    rc = uv_socketpair(SOCK_STREAM, 0, fds, UV_NONBLOCK_PIPE, 0);
    if (rc != 0)
      goto fail_handles;
  }

  uv_stdio_container_t stdio[4];
  stdio[0].flags = UV_IGNORE;
  stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
  stdio[1].data.stream = (uv_stream_t *)&d->out.pipe;
  stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
  stdio[2].data.stream = (uv_stream_t *)&d->err.pipe;
  stdio[3].flags = UV_INHERIT_FD;
  stdio[3].data.fd = fds[1];

  uv_process_options_t opts;
  memset(&opts, 0, sizeof(opts));
  opts.exit_cb = on_process_exit;
  opts.file = l->file;
  opts.args = l->argv;
  opts.env = l->env;
  opts.cwd = l->cwd;
  opts.flags = UV_PROCESS_DETACHED; /* own process group: we can end it whole */
  opts.stdio_count = with_runtime ? 4 : 3;
  opts.stdio = stdio;
  d->proc.data = d;
  rc = uv_spawn(loop, &d->proc, &opts);
  if (fds[1] >= 0)
    close(fds[1]);
  fds[1] = -1;
  if (rc != 0) {
    snprintf(err, errlen, "could not start %s: %s", l->file, uv_strerror(rc));
    if (fds[0] >= 0)
      close(fds[0]);
    /* A failed uv_spawn still registered the process handle: close it. */
    d->proc.data = d;
    d->handles_open++;
    uv_close((uv_handle_t *)&d->proc, on_handle_closed);
    goto fail_handles_noerr;
  }
  d->handles_open++;
  d->pid = d->proc.pid;
  if (with_runtime) {
    rc = dap_conn_open_fds(loop, fds[0], fds[0], "runtime", WIRE_MAX_MESSAGE, &runtime_cbs, d,
                           &d->runtime);
    if (rc != 0) {
      close(fds[0]);
      snprintf(err, errlen, "could not open the runtime channel: %s", uv_strerror(rc));
      /* Nobody owns it now: kill it and let the exit path free it. */
      d->cbs = orphan_cbs;
      uv_read_start((uv_stream_t *)&d->out.pipe, relay_alloc, relay_read);
      uv_read_start((uv_stream_t *)&d->err.pipe, relay_alloc, relay_read);
      dap_debuggee_terminate(d, 0);
      return rc;
    }
  }
  uv_read_start((uv_stream_t *)&d->out.pipe, relay_alloc, relay_read);
  uv_read_start((uv_stream_t *)&d->err.pipe, relay_alloc, relay_read);
  d->out.reading = d->err.reading = true;
  dap_log_info("debuggee started: pid %d, %s", d->pid, l->file);
  *out = d;
  return 0;

fail_handles:
  snprintf(err, errlen, "could not start %s: %s", l->file, uv_strerror(rc));
fail_handles_noerr:
  if (fds[0] >= 0)
    close(fds[0]);
  if (fds[1] >= 0)
    close(fds[1]);
  /* Close what was opened; on_gone must not reach the owner, who was never
   * given the object. */
  d->cbs.on_gone = NULL;
  if (d->handles_open == 0) {
    free(d);
  } else {
    d->finished = true;
    if (d->out.pipe.data != NULL)
      uv_close((uv_handle_t *)&d->out.pipe, on_handle_closed);
    if (d->err.pipe.data != NULL)
      uv_close((uv_handle_t *)&d->err.pipe, on_handle_closed);
    if (d->drain_timer.data != NULL)
      uv_close((uv_handle_t *)&d->drain_timer, on_handle_closed);
    if (d->kill_timer.data != NULL)
      uv_close((uv_handle_t *)&d->kill_timer, on_handle_closed);
  }
  return rc;
}

int dap_debuggee_pid(const dap_debuggee_t *d) { return d->pid; }

bool dap_debuggee_exited(const dap_debuggee_t *d) { return d->exited; }

int dap_debuggee_send(dap_debuggee_t *d, cJSON *msg, long long *seq) {
  if (d->runtime == NULL) {
    cJSON_Delete(msg);
    return UV_EPIPE;
  }
  if (seq != NULL)
    *seq = dap_conn_next_seq(d->runtime);
  return dap_conn_send(d->runtime, msg);
}

void dap_debuggee_pause_output(dap_debuggee_t *d, bool pause) {
  if (d->finished)
    return;
  d->paused = pause && !d->exited;
  relay_t *relays[2] = {&d->out, &d->err};
  for (int i = 0; i < 2; i++) {
    relay_t *r = relays[i];
    if (r->eof)
      continue;
    if (d->paused && r->reading) {
      uv_read_stop((uv_stream_t *)&r->pipe);
      r->reading = false;
    } else if (!d->paused && !r->reading) {
      uv_read_start((uv_stream_t *)&r->pipe, relay_alloc, relay_read);
      r->reading = true;
    }
  }
}

void dap_debuggee_terminate(dap_debuggee_t *d, unsigned grace_ms) {
  if (d->exited || d->finished)
    return;
  if (!d->terminating) {
    d->terminating = true;
    dap_log_info("terminating debuggee %d (process group)", d->pid);
    if (kill(-d->pid, SIGTERM) != 0)
      kill(d->pid, SIGTERM);
  } else if (grace_ms >= d->kill_deadline_ms) {
    return;
  }
  d->kill_deadline_ms = grace_ms;
  uv_timer_start(&d->kill_timer, on_kill_deadline, grace_ms, 0);
}

void dap_debuggee_detach(dap_debuggee_t *d) {
  if (d->runtime != NULL) {
    dap_conn_close(d->runtime, 1);
    d->runtime = NULL;
  }
}
