#include "debuggee.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "conn.h"
#include "dapper/errors.h"
#include "dapper/wire.h"
#include "log.h"
#include "rendezvous.h"

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

  /* A program the client runs in a terminal (dap_debuggee_await): not our
   * child. Its runtime connects through the rendezvous; its end is seen
   * through a pidfd, its exit code is what the runtime reported. */
  bool terminal;
  dap_rendezvous_t *rendezvous; /* until the runtime connected */
  uv_poll_t pid_poll;           /* pidfd readable: the process ended */
  int pidfd;
  bool exit_reported; /* the runtime's `exit` event arrived */
  int reported_code;
  int last_signal; /* what we sent to end it */

  /* A program whose runtime connects over TCP (dap_debuggee_await_tcp):
   * maybe on another machine, so no pid of ours to watch or signal. */
  bool remote;
  uv_tcp_t listener; /* until the runtime connected */
  bool listening;
  /* A running process attached to by processId (dap_debuggee_set_attached). */
  int attach_pid;
  bool released; /* dap_debuggee_release: the end is not news */
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
  if (d->terminal) {
    /* The code the runtime reported at exit; else our signal if we sent
     * one, else unknown (killed, crashed, os._exit). */
    d->exit_status = d->exit_reported ? d->reported_code : 0;
    d->term_signal = d->exit_reported ? 0
                     : d->last_signal ? d->last_signal
                                      : DAP_DEBUGGEE_EXIT_UNKNOWN;
    if (d->rendezvous != NULL)
      dap_rendezvous_close(d->rendezvous);
    d->rendezvous = NULL;
    if (d->released) {
      d->exit_status = 0;
      d->term_signal = DAP_DEBUGGEE_EXIT_RELEASED;
    }
  }
  if (d->listening) {
    d->listening = false;
    close_handle(d, (uv_handle_t *)&d->listener);
  }
  if (!(d->released && d->attach_pid != 0)) /* a process attached to: on_gone only */
    d->cbs.on_exit(d->ud, d->exit_status, d->term_signal);
  close_handle(d, (uv_handle_t *)&d->drain_timer);
  close_handle(d, (uv_handle_t *)&d->kill_timer);
  if (d->terminal) {
    if (d->pidfd >= 0) {
      uv_poll_stop(&d->pid_poll);
      close_handle(d, (uv_handle_t *)&d->pid_poll);
      close(d->pidfd);
      d->pidfd = -1;
    }
    return;
  }
  close_handle(d, (uv_handle_t *)&d->out.pipe);
  close_handle(d, (uv_handle_t *)&d->err.pipe);
  close_handle(d, (uv_handle_t *)&d->proc);
}

static void maybe_finish(dap_debuggee_t *d) {
  /* A terminal program: its runtime's last words (the exit code) are read
   * before the end is reported. */
  if (d->terminal ? d->exited && d->runtime == NULL : d->exited && d->out.eof && d->err.eof)
    finish(d);
}

static void on_drain_deadline(uv_timer_t *t) {
  dap_debuggee_t *d = t->data;
  if (d->terminal) {
    dap_log_info("the program ended but its runtime channel is still open; not waiting longer");
    finish(d);
    return;
  }
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

static void signal_terminal(dap_debuggee_t *d, int sig);

static void on_kill_deadline(uv_timer_t *t) {
  dap_debuggee_t *d = t->data;
  if (d->exited)
    return;
  dap_log_info("debuggee %d still running after SIGTERM; sending SIGKILL", d->pid);
  if (d->terminal)
    signal_terminal(d, SIGKILL);
  else if (kill(-d->pid, SIGKILL) != 0)
    kill(d->pid, SIGKILL);
}

static void on_runtime_message(void *ud, cJSON *msg, dap_msg_kind_t kind) {
  dap_debuggee_t *d = ud;
  const char *event = NULL;
  if (kind == DAP_MSG_EVENT && dap_get_string(msg, "event", &event) == 0 &&
      strcmp(event, "exit") == 0) {
    /* The process's exit status, sent by the runtime as the process exits
     * (docs/wire-protocol.md); our child's status comes from waitpid. */
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(msg, "body");
    long long code = 0;
    if (d->terminal && dap_get_int(body, "exitCode", &code) == 0) {
      d->exit_reported = true;
      d->reported_code = (int)code;
    }
    cJSON_Delete(msg);
    return;
  }
  d->cbs.on_runtime_message(d->ud, msg, kind);
}

static void on_runtime_bad(void *ud, const dap_parse_error_t *err) {
  dap_log_warn("runtime sent an invalid message: %s", err->reason);
}

static void on_runtime_closed(void *ud, int reason) {
  dap_debuggee_t *d = ud;
  d->runtime = NULL;
  d->cbs.on_runtime_closed(d->ud);
  if (d->terminal && d->pidfd < 0 && !d->finished) {
    /* No pidfd to watch the process: the channel is all we know of it. */
    d->exited = true;
  }
  if (d->terminal)
    maybe_finish(d);
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

/* A debuggee with no process yet: calloc'd, its callbacks set; NULL when
 * out of memory. */
static dap_debuggee_t *debuggee_new(uv_loop_t *loop, const dap_debuggee_callbacks_t *cbs,
                                    void *ud) {
  dap_debuggee_t *d = calloc(1, sizeof(*d));
  if (d == NULL)
    return NULL;
  d->loop = loop;
  d->cbs = *cbs;
  d->ud = ud;
  d->pidfd = -1;
  return d;
}

int dap_debuggee_spawn(uv_loop_t *loop, const dap_launch_t *l, bool with_runtime,
                       const dap_debuggee_callbacks_t *cbs, void *ud, dap_debuggee_t **out,
                       char *err, size_t errlen) {
  dap_debuggee_t *d = debuggee_new(loop, cbs, ud);
  if (d == NULL) {
    snprintf(err, errlen, "out of memory");
    return DAPPER_ENOMEM;
  }
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

/* Sends sig to a terminal program: through its pidfd (no pid reuse
 * race), and to its process group when it leads one (its children). */
static void signal_terminal(dap_debuggee_t *d, int sig) {
  d->last_signal = sig;
  if (d->attach_pid == 0 && d->pid > 0 && getpgid(d->pid) == d->pid)
    kill(-d->pid, sig);
  if (d->pidfd >= 0)
    syscall(SYS_pidfd_send_signal, d->pidfd, sig, NULL, 0);
  else if (d->pid > 0)
    kill(d->pid, sig);
}

void dap_debuggee_terminate(dap_debuggee_t *d, unsigned grace_ms) {
  if (d->exited || d->finished)
    return;
  if (d->terminal && d->pid <= 0) {
    /* Nothing connected: no process of ours to end. */
    d->exited = true;
    if (d->runtime != NULL) {
      dap_conn_close(d->runtime, 0);
      d->runtime = NULL;
    }
    finish(d);
    return;
  }
  if (!d->terminating) {
    d->terminating = true;
    dap_log_info("terminating debuggee %d (process group)", d->pid);
    if (d->terminal)
      signal_terminal(d, SIGTERM);
    else if (kill(-d->pid, SIGTERM) != 0)
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

/* --- a program run by the client in a terminal ------------------------- */

static void on_pid_exit(uv_poll_t *h, int status, int events) {
  dap_debuggee_t *d = h->data;
  uv_poll_stop(h);
  if (d->exited)
    return;
  d->exited = true;
  dap_log_info("debuggee %d (in a terminal) ended", d->pid);
  if (d->runtime != NULL) /* its last message may still be on the way */
    uv_timer_start(&d->drain_timer, on_drain_deadline, DRAIN_DEADLINE_MS, 0);
  maybe_finish(d);
}

/* Watches pid through a pidfd: its end is seen even if the channel stays
 * open (a grandchild holding it). */
static void watch_pid(dap_debuggee_t *d, int pid) {
  d->pid = pid;
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) {
    dap_log_warn("pidfd_open(%d): %s; the program's end is seen as its channel closing", pid,
                 strerror(errno));
    return;
  }
  if (uv_poll_init(d->loop, &d->pid_poll, pidfd) != 0) {
    close(pidfd);
    return;
  }
  d->pidfd = pidfd;
  d->pid_poll.data = d;
  d->handles_open++;
  uv_poll_start(&d->pid_poll, UV_READABLE, on_pid_exit);
}

static void on_rendezvous(void *ud, int fd, int pid) {
  dap_debuggee_t *d = ud;
  d->rendezvous = NULL; /* closed itself */
  if (d->attach_pid != 0 && pid != d->attach_pid) {
    dap_log_warn("rendezvous: process %d connected, not %d; refused", pid, d->attach_pid);
    close(fd);
    return; /* the attach fails at its deadline */
  }
  int rc =
      dap_conn_open_fds(d->loop, fd, fd, "runtime", WIRE_MAX_MESSAGE, &runtime_cbs, d, &d->runtime);
  if (rc != 0) {
    dap_log_warn("could not open the runtime channel: %s", uv_strerror(rc));
    close(fd);
    return; /* the launch fails at its deadline */
  }
  watch_pid(d, pid);
  dap_log_info("debuggee %d connected from a terminal", pid);
}

/* A debuggee that is not our child: its output is its own. */
static dap_debuggee_t *debuggee_new_foreign(uv_loop_t *loop, const dap_debuggee_callbacks_t *cbs,
                                            void *ud) {
  dap_debuggee_t *d = debuggee_new(loop, cbs, ud);
  if (d == NULL)
    return NULL;
  d->terminal = true;
  d->out.eof = d->err.eof = true;
  uv_timer_init(loop, &d->drain_timer);
  d->drain_timer.data = d;
  uv_timer_init(loop, &d->kill_timer);
  d->kill_timer.data = d;
  d->handles_open = 2;
  return d;
}

int dap_debuggee_adopt(uv_loop_t *loop, int fd, const dap_debuggee_callbacks_t *cbs, void *ud,
                       dap_debuggee_t **out, char *err, size_t errlen) {
  struct ucred cred;
  socklen_t len = sizeof(cred);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.pid <= 0) {
    snprintf(err, errlen, "descriptor %d is not a socket connected to the program: %s", fd,
             strerror(errno));
    return DAPPER_EINVAL;
  }
  dap_debuggee_t *d = debuggee_new_foreign(loop, cbs, ud);
  if (d == NULL) {
    snprintf(err, errlen, "out of memory");
    return DAPPER_ENOMEM;
  }
  int rc =
      dap_conn_open_fds(loop, fd, fd, "runtime", WIRE_MAX_MESSAGE, &runtime_cbs, d, &d->runtime);
  if (rc != 0) {
    snprintf(err, errlen, "could not open the runtime channel on descriptor %d: %s", fd,
             uv_strerror(rc));
    d->runtime = NULL;
    d->cbs = orphan_cbs; /* never given to the owner */
    d->exited = true;
    finish(d);
    return rc;
  }
  watch_pid(d, (int)cred.pid);
  dap_log_info("debuggee %d: runtime on descriptor %d", d->pid, fd);
  *out = d;
  return 0;
}

static void on_runtime_connection(uv_stream_t *listener, int status) {
  dap_debuggee_t *d = listener->data;
  if (status != 0 || d->runtime != NULL || d->finished)
    return;
  int rc = dap_conn_accept_tcp(d->loop, listener, "runtime", WIRE_MAX_MESSAGE, &runtime_cbs, d,
                               &d->runtime);
  if (rc != 0) {
    d->runtime = NULL;
    dap_log_warn("could not accept the program's connection: %s", uv_strerror(rc));
    return;
  }
  dap_log_info("a program connected its runtime over TCP");
  /* One program per attach: nobody else gets in. */
  d->listening = false;
  close_handle(d, (uv_handle_t *)&d->listener);
}

int dap_debuggee_await_tcp(uv_loop_t *loop, const char *host, int port,
                           const dap_debuggee_callbacks_t *cbs, void *ud, dap_debuggee_t **out,
                           int *bound_port, char *err, size_t errlen) {
  struct sockaddr_storage addr;
  if (uv_ip4_addr(host, port, (struct sockaddr_in *)&addr) != 0 &&
      uv_ip6_addr(host, port, (struct sockaddr_in6 *)&addr) != 0) {
    snprintf(err, errlen, "\"listen\": \"host\" %s is not an IPv4 or IPv6 address", host);
    return DAPPER_EINVAL;
  }
  dap_debuggee_t *d = debuggee_new_foreign(loop, cbs, ud);
  if (d == NULL) {
    snprintf(err, errlen, "out of memory");
    return DAPPER_ENOMEM;
  }
  d->remote = true;
  uv_tcp_init(loop, &d->listener);
  d->listener.data = d;
  d->handles_open++;
  d->listening = true;
  int rc = uv_tcp_bind(&d->listener, (struct sockaddr *)&addr, 0);
  if (rc == 0)
    rc = uv_listen((uv_stream_t *)&d->listener, 4, on_runtime_connection);
  if (rc != 0) {
    snprintf(err, errlen, "cannot listen on %s:%d for the program: %s", host, port,
             uv_strerror(rc));
    d->cbs = orphan_cbs; /* never given to the owner */
    d->exited = true;
    finish(d);
    return DAPPER_ELAUNCH;
  }
  struct sockaddr_storage bound;
  int len = sizeof(bound);
  *bound_port = port;
  if (uv_tcp_getsockname(&d->listener, (struct sockaddr *)&bound, &len) == 0)
    *bound_port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                    : ((struct sockaddr_in *)&bound)->sin_port);
  *out = d;
  return 0;
}

void dap_debuggee_release(dap_debuggee_t *d) {
  if (d->finished)
    return;
  d->released = true;
  if (d->runtime != NULL) {
    dap_conn_close(d->runtime, 1);
    d->runtime = NULL;
  }
  if (!d->terminal) {
    d->released = false; /* our child: its end is still seen and told */
    return;
  }
  d->exited = true;
  if (d->pidfd >= 0)
    uv_poll_stop(&d->pid_poll);
  if (d->attach_pid != 0) {
    /* A process attached to by processId: let go now, no on_exit. */
    dap_log_info("letting go of process %d; it runs on", d->attach_pid);
    finish(d);
    return;
  }
  uv_timer_start(&d->drain_timer, on_drain_deadline, 0, 0);
}

int dap_debuggee_await(uv_loop_t *loop, const dap_debuggee_callbacks_t *cbs, void *ud,
                       dap_debuggee_t **out, char *err, size_t errlen) {
  dap_debuggee_t *d = debuggee_new_foreign(loop, cbs, ud);
  if (d == NULL) {
    snprintf(err, errlen, "out of memory");
    return DAPPER_ENOMEM;
  }
  int rc = dap_rendezvous_open(loop, on_rendezvous, d, &d->rendezvous, err, errlen);
  if (rc != 0) {
    d->cbs = orphan_cbs; /* never given to the owner */
    d->exited = true;
    finish(d);
    return rc;
  }
  *out = d;
  return 0;
}

const char *dap_debuggee_socket_path(const dap_debuggee_t *d) {
  return d->rendezvous != NULL ? dap_rendezvous_path(d->rendezvous) : NULL;
}

const char *dap_debuggee_secret(const dap_debuggee_t *d) {
  return d->rendezvous != NULL ? dap_rendezvous_secret(d->rendezvous) : NULL;
}

void dap_debuggee_set_attached(dap_debuggee_t *d, int pid) {
  d->attach_pid = pid;
}

/* --- a child process of a debugged program (subProcess) --------------- */

int dap_debuggee_connect(uv_loop_t *loop, const char *socket_path, const char *secret, int pid,
                         const dap_debuggee_callbacks_t *cbs, void *ud, dap_debuggee_t **out,
                         char *err, size_t errlen) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(socket_path) >= sizeof(addr.sun_path)) {
    snprintf(err, errlen, "the child process's socket path is too long");
    return DAPPER_EINVAL;
  }
  snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", socket_path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
    int e = errno;
    if (fd >= 0)
      close(fd);
    snprintf(err, errlen,
             "could not reach child process %d at %s: %s (it ran on without the debugger after "
             "waiting for one, or it ended)",
             pid, socket_path, strerror(e));
    return DAPPER_ELAUNCH;
  }
  /* The listener must be the child itself, of our user. */
  struct ucred cred;
  socklen_t len = sizeof(cred);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.uid != geteuid() ||
      (int)cred.pid != pid) {
    close(fd);
    snprintf(err, errlen, "the socket %s does not belong to child process %d of this user",
             socket_path, pid);
    return DAPPER_ELAUNCH;
  }
  char line[DAP_RENDEZVOUS_SECRET_HEX + 2];
  int n = snprintf(line, sizeof(line), "%s\n", secret);
  if (n != DAP_RENDEZVOUS_SECRET_HEX + 1 || send(fd, line, (size_t)n, MSG_NOSIGNAL) != n) {
    close(fd);
    snprintf(err, errlen, "could not authenticate to child process %d", pid);
    return DAPPER_ELAUNCH;
  }
  explicit_bzero(line, sizeof(line));
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    close(fd);
    snprintf(err, errlen, "fcntl: %s", strerror(errno));
    return DAPPER_ELAUNCH;
  }
  /* Not our child: its end through a pidfd and its runtime; its output
   * goes where its parent's goes. */
  dap_debuggee_t *d = debuggee_new_foreign(loop, cbs, ud);
  if (d == NULL) {
    close(fd);
    snprintf(err, errlen, "out of memory");
    return DAPPER_ENOMEM;
  }
  on_rendezvous(d, fd, pid);
  if (d->runtime == NULL) {
    snprintf(err, errlen, "could not open the channel to child process %d", pid);
    d->exited = true;
    d->cbs = orphan_cbs; /* the owner never had it */
    finish(d);           /* frees d once its handles are closed */
    return DAPPER_ELAUNCH;
  }
  *out = d;
  return 0;
}
