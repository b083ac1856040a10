#include "rendezvous.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "dapper/errors.h"
#include "log.h"

/* Peers that connected and did not send the secret yet. */
#define MAX_PEERS 4

typedef struct {
  uv_poll_t poll;
  dap_rendezvous_t *owner;
  int fd; /* -1: slot free */
  int pid;
  size_t got;
  char buf[DAP_RENDEZVOUS_SECRET_HEX + 1];
} peer_t;

struct dap_rendezvous {
  uv_loop_t *loop;
  uv_poll_t listen_poll;
  int listen_fd;
  dap_rendezvous_cb cb;
  void *ud;
  int handles_open;
  bool closed;
  char dir[88]; /* short enough for sun_path with the name below */
  char path[104];
  char secret[DAP_RENDEZVOUS_SECRET_HEX + 1];
  peer_t peers[MAX_PEERS];
};

static void on_closed(uv_handle_t *h) {
  dap_rendezvous_t *r = h->data;
  if (--r->handles_open == 0)
    free(r);
}

static void peer_drop(peer_t *p, bool handed_over) {
  if (p->fd < 0)
    return;
  uv_poll_stop(&p->poll);
  uv_close((uv_handle_t *)&p->poll, on_closed);
  if (!handed_over)
    close(p->fd);
  p->fd = -1;
}

/* Compares without an early exit, so timing says nothing of the secret. */
static bool secret_matches(const char *a, const char *b, size_t n) {
  unsigned char diff = 0;
  for (size_t i = 0; i < n; i++)
    diff |= (unsigned char)(a[i] ^ b[i]);
  return diff == 0;
}

static void on_peer_readable(uv_poll_t *h, int status, int events) {
  peer_t *p = (peer_t *)h;
  dap_rendezvous_t *r = p->owner;
  if (status < 0) {
    peer_drop(p, false);
    return;
  }
  /* Exactly the secret: the runtime's hello follows and is the channel's. */
  ssize_t n = recv(p->fd, p->buf + p->got, sizeof(p->buf) - p->got, 0);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  if (n <= 0) {
    dap_log_info("rendezvous: a peer left before sending the secret");
    peer_drop(p, false);
    return;
  }
  p->got += (size_t)n;
  if (p->got < sizeof(p->buf))
    return;
  if (p->buf[DAP_RENDEZVOUS_SECRET_HEX] != '\n' ||
      !secret_matches(p->buf, r->secret, DAP_RENDEZVOUS_SECRET_HEX)) {
    dap_log_warn("rendezvous: a peer sent a wrong secret; closed");
    peer_drop(p, false);
    return;
  }
  int fd = p->fd, pid = p->pid;
  peer_drop(p, true);
  dap_log_info("rendezvous: the runtime connected and authenticated");
  dap_rendezvous_cb cb = r->cb;
  void *ud = r->ud;
  dap_rendezvous_close(r); /* one-time: nobody else gets in */
  cb(ud, fd, pid);
}

static void on_listen_readable(uv_poll_t *h, int status, int events) {
  dap_rendezvous_t *r = h->data;
  if (status < 0)
    return;
  for (;;) {
    int fd = accept4(r->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
      return; /* EAGAIN, or an error the next event retries */
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.uid != geteuid()) {
      dap_log_warn("rendezvous: refused a peer of another user");
      close(fd);
      continue;
    }
    peer_t *p = NULL;
    for (int i = 0; i < MAX_PEERS && p == NULL; i++) {
      if (r->peers[i].fd < 0)
        p = &r->peers[i];
    }
    if (p == NULL || uv_poll_init(r->loop, &p->poll, fd) != 0) {
      dap_log_warn("rendezvous: too many peers waiting; one refused");
      close(fd);
      continue;
    }
    p->fd = fd;
    p->pid = (int)cred.pid;
    p->got = 0;
    p->poll.data = r;
    r->handles_open++;
    uv_poll_start(&p->poll, UV_READABLE, on_peer_readable);
  }
}

/* A short private base directory: XDG_RUNTIME_DIR, TMPDIR, /tmp. */
static int make_dir(dap_rendezvous_t *r) {
  const char *bases[] = {getenv("XDG_RUNTIME_DIR"), getenv("TMPDIR"), "/tmp"};
  int err = ENOENT;
  for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
    const char *base = bases[i];
    if (base == NULL || *base != '/')
      continue;
    int n = snprintf(r->dir, sizeof(r->dir), "%s/dapper-XXXXXX", base);
    if (n < 0 || (size_t)n >= sizeof(r->dir))
      continue;
    if (mkdtemp(r->dir) != NULL) /* mode 0700 */
      return 0;
    err = errno;
  }
  r->dir[0] = '\0';
  return -err;
}

int dap_rendezvous_open(uv_loop_t *loop, dap_rendezvous_cb cb, void *ud, dap_rendezvous_t **out,
                        char *err, size_t errlen) {
  dap_rendezvous_t *r = calloc(1, sizeof(*r));
  if (r == NULL) {
    snprintf(err, errlen, "out of memory");
    return DAPPER_ENOMEM;
  }
  r->loop = loop;
  r->cb = cb;
  r->ud = ud;
  r->listen_fd = -1;
  for (int i = 0; i < MAX_PEERS; i++) {
    r->peers[i].fd = -1;
    r->peers[i].owner = r;
  }
  unsigned char raw[DAP_RENDEZVOUS_SECRET_HEX / 2];
  size_t have = 0;
  while (have < sizeof(raw)) {
    ssize_t n = getrandom(raw + have, sizeof(raw) - have, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      snprintf(err, errlen, "could not make a secret for the terminal: %s", strerror(errno));
      free(r);
      return DAPPER_ELAUNCH;
    }
    have += (size_t)n;
  }
  for (size_t i = 0; i < sizeof(raw); i++)
    snprintf(r->secret + 2 * i, 3, "%02x", raw[i]);

  int rc = make_dir(r);
  if (rc != 0) {
    snprintf(err, errlen, "could not create a private directory for the terminal's socket: %s",
             strerror(-rc));
    free(r);
    return DAPPER_ELAUNCH;
  }
  snprintf(r->path, sizeof(r->path), "%s/runtime.sock", r->dir);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", r->path);
  r->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (r->listen_fd < 0 || bind(r->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
      listen(r->listen_fd, MAX_PEERS) != 0 ||
      uv_poll_init(loop, &r->listen_poll, r->listen_fd) != 0) {
    snprintf(err, errlen, "could not listen on %s for the terminal: %s", r->path, strerror(errno));
    if (r->listen_fd >= 0)
      close(r->listen_fd);
    unlink(r->path);
    rmdir(r->dir);
    free(r);
    return DAPPER_ELAUNCH;
  }
  r->listen_poll.data = r;
  r->handles_open = 1;
  uv_poll_start(&r->listen_poll, UV_READABLE, on_listen_readable);
  dap_log_info("rendezvous: listening on %s", r->path);
  *out = r;
  return 0;
}

const char *dap_rendezvous_path(const dap_rendezvous_t *r) {
  return r->path;
}

const char *dap_rendezvous_secret(const dap_rendezvous_t *r) {
  return r->secret;
}

void dap_rendezvous_close(dap_rendezvous_t *r) {
  if (r->closed)
    return;
  r->closed = true;
  for (int i = 0; i < MAX_PEERS; i++)
    peer_drop(&r->peers[i], false);
  uv_poll_stop(&r->listen_poll);
  uv_close((uv_handle_t *)&r->listen_poll, on_closed);
  close(r->listen_fd); /* uv_poll does not own it; closed after the poll stopped */
  r->listen_fd = -1;
  unlink(r->path);
  rmdir(r->dir);
  explicit_bzero(r->secret, sizeof(r->secret));
}
