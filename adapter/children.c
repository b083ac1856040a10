#include "children.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dapper/errors.h"
#include "log.h"
#include "privsock.h"

#define SECRET_HEX DAP_PRIVSOCK_SECRET_HEX
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
  dap_privsock_t sock;
  dap_children_cb cb;
  void *ud;
  int handles_open;
  bool closed;
  bool listen_paused; /* every peer slot taken */
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
  if (dap_privsock_check_secret(&c->sock, p->buf, p->got) < 0) {
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
    int pid;
    int fd = dap_privsock_accept(&c->sock, "children", &pid);
    if (fd < 0)
      return;
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
  for (int i = 0; i < MAX_PEERS; i++) {
    c->peers[i].fd = -1;
    c->peers[i].owner = c;
  }
  int rc = dap_privsock_open(&c->sock, loop, &c->listen_poll, "children.sock", 64,
                             "child processes", err, errlen);
  if (rc != 0) {
    free(c);
    return rc;
  }
  c->listen_poll.data = c;
  c->handles_open = 1;
  uv_poll_start(&c->listen_poll, UV_READABLE, on_listen_readable);
  dap_log_info("children: listening on %s", c->sock.path);
  *out = c;
  return 0;
}

const char *dap_children_path(const dap_children_t *c) {
  return c->sock.path;
}

const char *dap_children_secret(const dap_children_t *c) {
  return c->sock.secret;
}

void dap_children_close(dap_children_t *c) {
  if (c->closed)
    return;
  c->closed = true;
  for (int i = 0; i < MAX_PEERS; i++)
    peer_drop(&c->peers[i], false);
  uv_poll_stop(&c->listen_poll);
  uv_close((uv_handle_t *)&c->listen_poll, on_closed);
  dap_privsock_close(&c->sock);
}
