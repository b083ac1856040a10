#include "rendezvous.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dapper/errors.h"
#include "log.h"
#include "privsock.h"

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
  dap_privsock_t sock;
  dap_rendezvous_cb cb;
  void *ud;
  int handles_open;
  bool closed;
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
  int verdict = dap_privsock_check_secret(&r->sock, p->buf, p->got);
  if (verdict == 0)
    return;
  if (verdict < 0) {
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
    int pid;
    int fd = dap_privsock_accept(&r->sock, "rendezvous", &pid);
    if (fd < 0)
      return; /* EAGAIN, or an error the next event retries */
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
    p->pid = pid;
    p->got = 0;
    p->poll.data = r;
    r->handles_open++;
    uv_poll_start(&p->poll, UV_READABLE, on_peer_readable);
  }
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
  for (int i = 0; i < MAX_PEERS; i++) {
    r->peers[i].fd = -1;
    r->peers[i].owner = r;
  }
  int rc = dap_privsock_open(&r->sock, loop, &r->listen_poll, "runtime.sock", MAX_PEERS,
                             "the terminal", err, errlen);
  if (rc != 0) {
    free(r);
    return rc;
  }
  r->listen_poll.data = r;
  r->handles_open = 1;
  uv_poll_start(&r->listen_poll, UV_READABLE, on_listen_readable);
  dap_log_info("rendezvous: listening on %s", r->sock.path);
  *out = r;
  return 0;
}

const char *dap_rendezvous_path(const dap_rendezvous_t *r) {
  return r->sock.path;
}

const char *dap_rendezvous_secret(const dap_rendezvous_t *r) {
  return r->sock.secret;
}

void dap_rendezvous_close(dap_rendezvous_t *r) {
  if (r->closed)
    return;
  r->closed = true;
  for (int i = 0; i < MAX_PEERS; i++)
    peer_drop(&r->peers[i], false);
  uv_poll_stop(&r->listen_poll);
  uv_close((uv_handle_t *)&r->listen_poll, on_closed);
  dap_privsock_close(&r->sock); /* uv_poll does not own the fd: closed after it stopped */
}
