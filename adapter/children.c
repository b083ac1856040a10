#include "children.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "dapper/errors.h"
#include "log.h"

#define SECRET_HEX 64
/* Peers in the middle of announcing themselves (a Pool(N) announces N at
 * once; more wait in the listen backlog). */
#define MAX_PEERS 16
#define MAX_ANNOUNCE 4096

typedef struct {
  uv_poll_t poll;
  dap_children_t *owner;
  int fd;    /* -1: no connection */
  bool busy; /* the poll handle is open or closing: the slot is taken */
  size_t got;
  char buf[MAX_ANNOUNCE];
} peer_t;

struct dap_children {
  uv_loop_t *loop;
  uv_poll_t listen_poll;
  int listen_fd;
  dap_children_cb cb;
  void *ud;
  int handles_open;
  bool closed;
  bool listen_paused; /* every peer slot taken */
  char dir[88];
  char path[104];
  char secret[SECRET_HEX + 1];
  peer_t peers[MAX_PEERS];
};

static void on_closed(uv_handle_t *h) {
  dap_children_t *c = h->data;
  if (--c->handles_open == 0)
    free(c);
}

static void on_listen_readable(uv_poll_t *h, int status, int events);

static void on_peer_closed(uv_handle_t *h) {
  peer_t *p = (peer_t *)h; /* the poll is the peer's first member */
  dap_children_t *c = p->owner;
  p->busy = false;
  if (c->listen_paused && !c->closed) {
    c->listen_paused = false;
    uv_poll_start(&c->listen_poll, UV_READABLE, on_listen_readable);
  }
  on_closed(h);
}

static void peer_drop(peer_t *p, bool handed_over) {
  if (p->fd < 0)
    return;
  uv_poll_stop(&p->poll);
  uv_close((uv_handle_t *)&p->poll, on_peer_closed);
  if (!handed_over)
    close(p->fd);
  p->fd = -1;
}

static bool secret_matches(const char *a, const char *b, size_t n) {
  unsigned char diff = 0;
  for (size_t i = 0; i < n; i++)
    diff |= (unsigned char)(a[i] ^ b[i]);
  return diff == 0;
}

static void on_peer_readable(uv_poll_t *h, int status, int events) {
  peer_t *p = (peer_t *)h;
  dap_children_t *c = p->owner;
  if (status < 0) {
    peer_drop(p, false);
    return;
  }
  ssize_t n = recv(p->fd, p->buf + p->got, sizeof(p->buf) - 1 - p->got, 0);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  if (n <= 0) {
    dap_log_info("children: a peer left before announcing itself");
    peer_drop(p, false);
    return;
  }
  p->got += (size_t)n;
  p->buf[p->got] = '\0';
  if (p->got >= SECRET_HEX + 1 &&
      (p->buf[SECRET_HEX] != '\n' || !secret_matches(p->buf, c->secret, SECRET_HEX))) {
    dap_log_warn("children: a peer sent a wrong secret; closed");
    peer_drop(p, false);
    return;
  }
  char *end = p->got > SECRET_HEX + 1 ? strchr(p->buf + SECRET_HEX + 1, '\n') : NULL;
  if (end == NULL) {
    if (p->got >= sizeof(p->buf) - 1) {
      dap_log_warn("children: an announcement too long; closed");
      peer_drop(p, false);
    }
    return;
  }
  *end = '\0';
  cJSON *announce = cJSON_Parse(p->buf + SECRET_HEX + 1);
  if (!cJSON_IsObject(announce)) {
    dap_log_warn("children: an announcement that is not a JSON object; closed");
    cJSON_Delete(announce);
    peer_drop(p, false);
    return;
  }
  int fd = p->fd;
  peer_drop(p, true);
  c->cb(c->ud, fd, announce);
  cJSON_Delete(announce);
}

static void on_listen_readable(uv_poll_t *h, int status, int events) {
  dap_children_t *c = h->data;
  if (status < 0)
    return;
  for (;;) {
    peer_t *p = NULL;
    for (int i = 0; i < MAX_PEERS && p == NULL; i++) {
      if (!c->peers[i].busy)
        p = &c->peers[i];
    }
    if (p == NULL) {
      /* The backlog keeps the rest until a slot frees up. */
      uv_poll_stop(&c->listen_poll);
      c->listen_paused = true;
      return;
    }
    int fd = accept4(c->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
      return;
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.uid != geteuid()) {
      dap_log_warn("children: refused a peer of another user");
      close(fd);
      continue;
    }
    memset(&p->poll, 0, sizeof(p->poll));
    if (uv_poll_init(c->loop, &p->poll, fd) != 0) {
      close(fd);
      continue;
    }
    p->fd = fd;
    p->busy = true;
    p->got = 0;
    p->poll.data = c;
    c->handles_open++;
    uv_poll_start(&p->poll, UV_READABLE, on_peer_readable);
  }
}

static int make_dir(dap_children_t *c) {
  const char *bases[] = {getenv("XDG_RUNTIME_DIR"), getenv("TMPDIR"), "/tmp"};
  int err = ENOENT;
  for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
    const char *base = bases[i];
    if (base == NULL || *base != '/')
      continue;
    int n = snprintf(c->dir, sizeof(c->dir), "%s/dapper-XXXXXX", base);
    if (n < 0 || (size_t)n >= sizeof(c->dir))
      continue;
    if (mkdtemp(c->dir) != NULL) /* mode 0700 */
      return 0;
    err = errno;
  }
  c->dir[0] = '\0';
  return -err;
}

int dap_children_open(uv_loop_t *loop, dap_children_cb cb, void *ud, dap_children_t **out,
                      char *err, size_t errlen) {
  dap_children_t *c = calloc(1, sizeof(*c));
  if (c == NULL) {
    snprintf(err, errlen, "out of memory");
    return DAPPER_ENOMEM;
  }
  c->loop = loop;
  c->cb = cb;
  c->ud = ud;
  c->listen_fd = -1;
  for (int i = 0; i < MAX_PEERS; i++) {
    c->peers[i].fd = -1;
    c->peers[i].owner = c;
  }
  unsigned char raw[SECRET_HEX / 2];
  size_t have = 0;
  while (have < sizeof(raw)) {
    ssize_t n = getrandom(raw + have, sizeof(raw) - have, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      snprintf(err, errlen, "could not make a secret for child processes: %s", strerror(errno));
      free(c);
      return DAPPER_ELAUNCH;
    }
    have += (size_t)n;
  }
  for (size_t i = 0; i < sizeof(raw); i++)
    snprintf(c->secret + 2 * i, 3, "%02x", raw[i]);
  explicit_bzero(raw, sizeof(raw));
  int rc = make_dir(c);
  if (rc != 0) {
    snprintf(err, errlen, "could not create a private directory for child processes: %s",
             strerror(-rc));
    free(c);
    return DAPPER_ELAUNCH;
  }
  snprintf(c->path, sizeof(c->path), "%s/children.sock", c->dir);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", c->path);
  c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->listen_fd < 0 || bind(c->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
      listen(c->listen_fd, 64) != 0 || uv_poll_init(loop, &c->listen_poll, c->listen_fd) != 0) {
    snprintf(err, errlen, "could not listen on %s for child processes: %s", c->path,
             strerror(errno));
    if (c->listen_fd >= 0)
      close(c->listen_fd);
    unlink(c->path);
    rmdir(c->dir);
    free(c);
    return DAPPER_ELAUNCH;
  }
  c->listen_poll.data = c;
  c->handles_open = 1;
  uv_poll_start(&c->listen_poll, UV_READABLE, on_listen_readable);
  dap_log_info("children: listening on %s", c->path);
  *out = c;
  return 0;
}

const char *dap_children_path(const dap_children_t *c) {
  return c->path;
}

const char *dap_children_secret(const dap_children_t *c) {
  return c->secret;
}

void dap_children_close(dap_children_t *c) {
  if (c->closed)
    return;
  c->closed = true;
  for (int i = 0; i < MAX_PEERS; i++)
    peer_drop(&c->peers[i], false);
  uv_poll_stop(&c->listen_poll);
  uv_close((uv_handle_t *)&c->listen_poll, on_closed);
  close(c->listen_fd);
  c->listen_fd = -1;
  unlink(c->path);
  rmdir(c->dir);
  explicit_bzero(c->secret, sizeof(c->secret));
}
