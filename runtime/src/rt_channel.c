/* See rt_channel.h. */
#include "rt_compat.h" /* first: Python.h must precede system headers */

#include "rt_channel.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <dapper/errors.h>
#include <dapper/framer.h>
#include <dapper/message.h>
#include <dapper/wire.h>

#include "rt_stats.h"
#include "rt_commands.h"
#include "rt_log.h"
#include "rt_stop.h"
#include "rt_threads.h"
#include "rt_wire.h"

#define RT_READ_CHUNK 65536
/* How often the channel thread checks that its descriptor is still its
 * own while nothing arrives (a close() by the program does not wake a
 * blocked poll or read). */
#define RT_IDENTITY_CHECK_MS 250

struct rt_channel {
  /* state_mu guards the flags below and pairs with state_cv. */
  pthread_mutex_t state_mu;
  pthread_cond_t state_cv; /* CLOCK_MONOTONIC */
  bool connected;          /* open, or being opened */
  bool started;            /* `start` arrived */
  bool hold;               /* held before the program's first line until `start` */
  bool client;             /* a client is attached (the `client` command) */
  bool thread_running;     /* the channel thread has not finished yet */

  /* write_mu guards fd and seq: every send and the final close. */
  pthread_mutex_t write_mu;
  int fd;
  long long seq;
  dev_t dev; /* identity of the descriptor's file at open: the program */
  ino_t ino; /* may close it (os.close(3)) and reuse the number */

  atomic_bool exiting; /* the interpreter ran its atexit hooks */
};

static rt_channel_t rt_the_channel;
static pthread_once_t rt_channel_once = PTHREAD_ONCE_INIT;

static void rt_channel_init_locks(rt_channel_t *ch) {
  pthread_condattr_t attr;

  pthread_mutex_init(&ch->state_mu, NULL);
  pthread_mutex_init(&ch->write_mu, NULL);
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&ch->state_cv, &attr);
  pthread_condattr_destroy(&attr);
}

/* In a forked child only the forking thread exists: the channel thread is
 * gone and a lock may have been held by it at fork time. Re-initialise the
 * locks (as CPython does for its own, _PyThread_at_fork_reinit), forget the
 * channel and close the child's copy of the descriptor so the adapter sees
 * end-of-file when the parent closes too. */
static void rt_channel_after_fork_child(void) {
  rt_channel_t *ch = &rt_the_channel;

  rt_channel_init_locks(ch);
  if (ch->fd >= 0) close(ch->fd);
  ch->fd = -1;
  ch->connected = false;
  ch->thread_running = false;
  rt_stop_after_fork_child();
  rt_threads_after_fork_child();
  rt_stats_after_fork_child();
}

static void rt_channel_init_once(void) {
  rt_channel_t *ch = &rt_the_channel;

  rt_channel_init_locks(ch);
  ch->fd = -1;
  atomic_init(&ch->exiting, false);
  pthread_atfork(NULL, NULL, rt_channel_after_fork_child);
}

rt_channel_t *rt_channel_get(void) {
  pthread_once(&rt_channel_once, rt_channel_init_once);
  return &rt_the_channel;
}

/* Whether fd still refers to the file the channel was opened on: false
 * once the program closed it (EBADF) or the number now names another
 * file, which must then be neither written nor closed by us. Under
 * write_mu. */
static bool rt_channel_fd_is_ours(const rt_channel_t *ch, int fd) {
  struct stat st;

  if (fd < 0 || fstat(fd, &st) != 0) return false;
  return st.st_dev == ch->dev && st.st_ino == ch->ino;
}

/* Writes all len bytes. send(MSG_NOSIGNAL) so a closed peer is EPIPE, not
 * SIGPIPE; write() when the descriptor is not a socket (a pipe in tests).
 * Returns 0 or a negative errno. */
static int rt_write_all(int fd, const char *buf, size_t len) {
  bool use_send = true;

  while (len > 0) {
    ssize_t n = use_send ? send(fd, buf, len, MSG_NOSIGNAL) : write(fd, buf, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOTSOCK && use_send) {
        use_send = false;
        continue;
      }
      return -errno;
    }
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

int rt_channel_send(rt_channel_t *ch, cJSON *msg) {
  char *frame = NULL;
  size_t frame_len = 0;
  int rc = 0;

  if (msg == NULL) return DAPPER_ENOMEM;
  pthread_mutex_lock(&ch->write_mu);
  if (ch->fd < 0) {
    rc = DAPPER_ERUNTIME;
    goto done;
  }
  if (!rt_channel_fd_is_ours(ch, ch->fd)) {
    /* Closed by the program: the channel thread notices it too and ends
     * the session as on end-of-file; never write into someone's file. */
    rt_log(RT_LOG_INFO, "the channel's descriptor %d was closed by the program",
           ch->fd);
    ch->fd = -1;
    rc = DAPPER_ERUNTIME;
    goto done;
  }
  rc = dap_msg_frame(msg, ch->seq + 1, &frame, &frame_len);
  if (rc != 0) goto done;
  ch->seq++;
  rc = rt_write_all(ch->fd, frame, frame_len);
  if (rc == 0) {
    rt_log(RT_LOG_DEBUG, "sent %.*s", (int)(frame_len > 300 ? 300 : frame_len),
           frame);
  }
done:
  pthread_mutex_unlock(&ch->write_mu);
  free(frame);
  cJSON_Delete(msg);
  return rc;
}

/* Framer callback: one complete body. Runs on the channel thread, no GIL. */
static int rt_channel_on_body(void *ud, const char *body, size_t len) {
  rt_channel_t *ch = ud;
  cJSON *request = NULL;
  cJSON *reply = NULL;
  dap_msg_kind_t kind = DAP_MSG_EVENT;
  dap_parse_error_t err;

  rt_log(RT_LOG_DEBUG, "received %.*s", (int)(len > 300 ? 300 : len), body);
  request = rt_wire_decode(body, len, &kind, &reply, &err);
  if (request == NULL) {
    if (err.reason[0] != '\0') {
      rt_log(RT_LOG_INFO, "invalid message: %s", err.reason);
      /* a bad message is answered; only broken framing is fatal */
      if (reply != NULL) (void)rt_channel_send(ch, reply);
    } else {
      /* The adapter sends no events or responses today. */
      rt_log(RT_LOG_INFO, "ignored a message that is not a request");
    }
    return 0;
  }
  rt_commands_dispatch(ch, request);
  cJSON_Delete(request);
  return 0;
}

/* Detached. Owns the framer; closes the descriptor on the way out. */
static void *rt_channel_main(void *arg) {
  rt_channel_t *ch = &rt_the_channel;
  dap_framer_t *fr = arg;
  char *buf = NULL;
  int fd = -1;
  int rc = 0;

  /* Whatever this thread does in Python is the debugger's own work. */
  rt_tls_in_debugger = 1;
  pthread_mutex_lock(&ch->write_mu);
  fd = ch->fd;
  pthread_mutex_unlock(&ch->write_mu);

  buf = malloc(RT_READ_CHUNK);
  if (buf == NULL) {
    rt_log(RT_LOG_ERROR, "out of memory in the channel thread");
    goto out;
  }
  for (;;) {
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int ready = poll(&pfd, 1, rt_stats_wait_ms(RT_IDENTITY_CHECK_MS));
    bool ours = false;
    if (ready < 0 && errno != EINTR) {
      rt_log(RT_LOG_INFO, "channel poll failed: %s", strerror(errno));
      break;
    }
    pthread_mutex_lock(&ch->write_mu);
    ours = ch->fd == fd && !(pfd.revents & POLLNVAL) && rt_channel_fd_is_ours(ch, fd);
    if (!ours) ch->fd = -1; /* not ours any more: not to be closed either */
    pthread_mutex_unlock(&ch->write_mu);
    if (!ours) {
      rt_log(RT_LOG_INFO, "the channel's descriptor was closed by the program");
      break;
    }
    rt_stats_tick(ch); /* the periodic statistics event, the overhead check */
    if (ready <= 0) continue;
    ssize_t n = read(fd, buf, RT_READ_CHUNK);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      rt_log(RT_LOG_INFO, "channel read failed: %s", strerror(errno));
      break;
    }
    if (n == 0) {
      rt_log(RT_LOG_INFO, "channel closed by the adapter");
      break;
    }
    rc = dap_framer_feed(fr, buf, (size_t)n, rt_channel_on_body, ch);
    if (rc < 0) {
      const char *why = dap_framer_error(fr);
      rt_log(RT_LOG_ERROR, "broken framing, closing the channel: %s",
             why != NULL ? why : "?");
      break;
    }
  }

out:
  free(buf);
  dap_framer_free(fr);

  pthread_mutex_lock(&ch->state_mu);
  ch->connected = false;
  pthread_cond_broadcast(&ch->state_cv);
  pthread_mutex_unlock(&ch->state_mu);

  /* Release stopped threads, remove the hooks: the program runs on. */
  rt_commands_on_close(ch);

  /* Under write_mu so no sender writes to a recycled descriptor number. */
  pthread_mutex_lock(&ch->write_mu);
  if (ch->fd >= 0) close(ch->fd);
  ch->fd = -1;
  pthread_mutex_unlock(&ch->write_mu);

  pthread_mutex_lock(&ch->state_mu);
  ch->thread_running = false;
  pthread_mutex_unlock(&ch->state_mu);
  return NULL;
}

/* Starts the detached channel thread with every signal blocked, so signals
 * keep going to the interpreter's threads. Returns 0 or a negative errno. */
static int rt_channel_start_thread(dap_framer_t *fr) {
  pthread_attr_t attr;
  pthread_t tid;
  sigset_t all;
  sigset_t old;
  int rc = 0;

  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  rc = pthread_create(&tid, &attr, rt_channel_main, fr);
  pthread_attr_destroy(&attr);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return -rc;
}

/* Registered with on_exit() at the first connection: as the process exits
 * (normal end, sys.exit, an unhandled exception: every path through
 * exit()), tell the adapter the status. A program run in a terminal is not
 * the adapter's child, so this is how it learns the exit code. No Python
 * here (the interpreter is finalized); a writer stuck on write_mu is not
 * waited for long. os._exit and signals skip it: the adapter then sees the
 * channel close. */
static void rt_channel_on_process_exit(int status, void *arg) {
  rt_channel_t *ch = arg;
  char *frame = NULL;
  size_t frame_len = 0;
  struct timespec deadline;
  cJSON *body = cJSON_CreateObject();
  cJSON *msg = NULL;

  if (body == NULL ||
      cJSON_AddNumberToObject(body, "exitCode", (double)(status & 0xff)) == NULL) {
    cJSON_Delete(body);
    return;
  }
  msg = dap_msg_event("exit", body); /* consumes body */
  if (msg == NULL) return;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 1;
  if (pthread_mutex_timedlock(&ch->write_mu, &deadline) != 0) {
    cJSON_Delete(msg);
    return;
  }
  if (ch->fd >= 0 && rt_channel_fd_is_ours(ch, ch->fd) &&
      dap_msg_frame(msg, ch->seq + 1, &frame, &frame_len) == 0) {
    ch->seq++;
    (void)rt_write_all(ch->fd, frame, frame_len);
  }
  pthread_mutex_unlock(&ch->write_mu);
  cJSON_Delete(msg);
  free(frame);
}

int rt_channel_open(rt_channel_t *ch, int fd, cJSON *hello_body) {
  dap_framer_t *fr = NULL;
  cJSON *hello = NULL;
  int flags = 0;
  int rc = 0;

  pthread_mutex_lock(&ch->state_mu);
  if (ch->connected || ch->thread_running) {
    pthread_mutex_unlock(&ch->state_mu);
    cJSON_Delete(hello_body);
    return -EALREADY;
  }
  ch->connected = true; /* claimed: a concurrent open gets -EALREADY */
  ch->started = false;
  ch->client = false;
  pthread_mutex_unlock(&ch->state_mu);

  flags = fcntl(fd, F_GETFD);
  if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0) {
    rc = -errno;
    cJSON_Delete(hello_body);
    goto error;
  }
  fr = dap_framer_new(WIRE_MAX_MESSAGE);
  hello = dap_msg_event("hello", hello_body); /* consumes hello_body */
  if (fr == NULL || hello == NULL) {
    cJSON_Delete(hello);
    rc = DAPPER_ENOMEM;
    goto error;
  }

  {
    struct stat st;
    if (fstat(fd, &st) != 0) {
      rc = -errno;
      cJSON_Delete(hello);
      goto error;
    }
    pthread_mutex_lock(&ch->write_mu);
    ch->fd = fd;
    ch->seq = 0;
    ch->dev = st.st_dev;
    ch->ino = st.st_ino;
    pthread_mutex_unlock(&ch->write_mu);
  }

  rc = rt_channel_send(ch, hello); /* consumes hello; seq 1 */
  if (rc != 0) goto error_unset_fd;
  {
    static atomic_bool exit_hook;
    if (!atomic_exchange(&exit_hook, true)) on_exit(rt_channel_on_process_exit, ch);
  }

  pthread_mutex_lock(&ch->state_mu);
  ch->thread_running = true;
  pthread_mutex_unlock(&ch->state_mu);
  rc = rt_channel_start_thread(fr); /* the thread owns fr from here */
  if (rc != 0) {
    pthread_mutex_lock(&ch->state_mu);
    ch->thread_running = false;
    pthread_mutex_unlock(&ch->state_mu);
    goto error_unset_fd;
  }
  return 0;

error_unset_fd:
  pthread_mutex_lock(&ch->write_mu);
  ch->fd = -1; /* not closed: the caller keeps the descriptor */
  pthread_mutex_unlock(&ch->write_mu);
error:
  dap_framer_free(fr);
  pthread_mutex_lock(&ch->state_mu);
  ch->connected = false;
  pthread_cond_broadcast(&ch->state_cv);
  pthread_mutex_unlock(&ch->state_mu);
  return rc;
}

/* The absolute CLOCK_MONOTONIC time timeout_s (>= 0) from now. */
static void rt_deadline_in(double timeout_s, struct timespec *deadline) {
  time_t whole = 0;
  if (timeout_s > 1e9) timeout_s = 1e9; /* ~31 years: keeps time_t sane */
  whole = (time_t)timeout_s;
  clock_gettime(CLOCK_MONOTONIC, deadline);
  deadline->tv_sec += whole;
  deadline->tv_nsec += (long)((timeout_s - (double)whole) * 1e9);
  if (deadline->tv_nsec >= 1000000000L) {
    deadline->tv_sec++;
    deadline->tv_nsec -= 1000000000L;
  }
}

/* Waits (state_mu held) until *flag is set or the channel closes or the
 * deadline passes; returns *flag. */
static bool rt_channel_wait_flag(rt_channel_t *ch, const bool *flag, double timeout_s) {
  struct timespec deadline;
  if (timeout_s >= 0) rt_deadline_in(timeout_s, &deadline);
  while (!*flag && ch->connected) {
    if (timeout_s < 0) {
      pthread_cond_wait(&ch->state_cv, &ch->state_mu);
    } else if (pthread_cond_timedwait(&ch->state_cv, &ch->state_mu,
                                      &deadline) == ETIMEDOUT) {
      break;
    }
  }
  return *flag;
}

bool rt_channel_wait_start(rt_channel_t *ch, double timeout_s) {
  bool started = false;

  pthread_mutex_lock(&ch->state_mu);
  started = rt_channel_wait_flag(ch, &ch->started, timeout_s);
  pthread_mutex_unlock(&ch->state_mu);
  return started;
}

bool rt_channel_wait_client(rt_channel_t *ch, double timeout_s) {
  bool attached = false;

  pthread_mutex_lock(&ch->state_mu);
  attached = rt_channel_wait_flag(ch, &ch->client, timeout_s) && ch->connected;
  pthread_mutex_unlock(&ch->state_mu);
  return attached;
}

void rt_channel_set_client(rt_channel_t *ch, bool attached) {
  pthread_mutex_lock(&ch->state_mu);
  ch->client = attached;
  pthread_cond_broadcast(&ch->state_cv);
  pthread_mutex_unlock(&ch->state_mu);
}

bool rt_channel_has_client(rt_channel_t *ch) {
  bool attached = false;

  pthread_mutex_lock(&ch->state_mu);
  attached = ch->client && ch->connected;
  pthread_mutex_unlock(&ch->state_mu);
  return attached;
}

bool rt_channel_mark_started(rt_channel_t *ch) {
  bool first = false;

  pthread_mutex_lock(&ch->state_mu);
  first = !ch->started;
  ch->started = true;
  ch->hold = false; /* the program runs: a later session attaches */
  pthread_cond_broadcast(&ch->state_cv);
  pthread_mutex_unlock(&ch->state_mu);
  return first;
}

void rt_channel_hold_for_start(rt_channel_t *ch) {
  pthread_mutex_lock(&ch->state_mu);
  ch->hold = true;
  pthread_mutex_unlock(&ch->state_mu);
}

bool rt_channel_is_holding(rt_channel_t *ch) {
  bool holding = false;

  pthread_mutex_lock(&ch->state_mu);
  holding = ch->hold && !ch->started;
  pthread_mutex_unlock(&ch->state_mu);
  return holding;
}

bool rt_channel_is_connected(rt_channel_t *ch) {
  bool connected = false;

  pthread_mutex_lock(&ch->state_mu);
  connected = ch->connected;
  pthread_mutex_unlock(&ch->state_mu);
  return connected;
}

void rt_channel_at_exit(rt_channel_t *ch) { atomic_store(&ch->exiting, true); }

bool rt_channel_python_allowed(rt_channel_t *ch) {
  return !atomic_load(&ch->exiting) && !rt_compat_is_finalizing();
}
