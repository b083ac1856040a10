#include "conn.h"

#include <stdlib.h>
#include <string.h>

#include "dapper/errors.h"
#include "dapper/framer.h"
#include "log.h"

#define CONN_READ_BUF (64 * 1024)
#define CONN_HIGH_WATER (8u * 1024u * 1024u)
#define CONN_LOW_WATER (1u * 1024u * 1024u)

typedef union {
  uv_handle_t handle;
  uv_stream_t stream;
  uv_pipe_t pipe;
  uv_tcp_t tcp;
  uv_tty_t tty;
} conn_handle_t;

struct dap_conn {
  uv_loop_t *loop;
  conn_handle_t in_h;
  conn_handle_t out_h;
  uv_stream_t *in;  /* &in_h.stream */
  uv_stream_t *out; /* &out_h.stream, or == in when one stream does both */
  int handles_open;
  dap_framer_t *framer;
  long long next_seq;
  dap_conn_callbacks_t cbs;
  void *ud;
  char name[16];
  int closing;       /* no more reads, no more sends */
  int close_pending; /* handles to be closed once writes drain */
  int congested;
  size_t queued;
  char readbuf[CONN_READ_BUF];
};

typedef struct {
  uv_write_t req;
  dap_conn_t *conn;
  size_t len;
  char *data;
} conn_write_t;

static void conn_close_handles(dap_conn_t *c);

static void conn_free(dap_conn_t *c) {
  dap_framer_free(c->framer);
  free(c);
}

static void on_handle_closed(uv_handle_t *h) {
  dap_conn_t *c = h->data;
  if (--c->handles_open == 0)
    conn_free(c);
}

static void conn_close_handles(dap_conn_t *c) {
  c->close_pending = 0;
  if (!uv_is_closing(&c->in_h.handle))
    uv_close(&c->in_h.handle, on_handle_closed);
  if (c->out != c->in && !uv_is_closing(&c->out_h.handle))
    uv_close(&c->out_h.handle, on_handle_closed);
}

/* Closing initiated by the connection itself (EOF, error, framing). */
static void conn_fail(dap_conn_t *c, int reason) {
  if (c->closing)
    return;
  dap_conn_close(c, 1);
  if (c->cbs.on_closed != NULL)
    c->cbs.on_closed(c->ud, reason);
}

static int on_body(void *ud, const char *body, size_t len) {
  dap_conn_t *c = ud;
  if (c->closing)
    return 1;
  if (dap_log_enabled(DAP_LOG_TRACE))
    dap_log_trace("%s --> %.*s", c->name, (int)(len > 4000 ? 4000 : len), body);
  cJSON *msg = NULL;
  dap_msg_kind_t kind;
  dap_parse_error_t err;
  if (dap_msg_parse(body, len, &msg, &kind, &err) != 0) {
    dap_log_warn("%s: bad message (%s)", c->name, err.reason);
    if (c->cbs.on_bad_message != NULL)
      c->cbs.on_bad_message(c->ud, &err);
  } else {
    c->cbs.on_message(c->ud, msg, kind);
  }
  return c->closing ? 1 : 0;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  dap_conn_t *c = h->data;
  *buf = uv_buf_init(c->readbuf, sizeof(c->readbuf));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  dap_conn_t *c = s->data;
  if (nread == 0 || c->closing)
    return;
  if (nread < 0) {
    if (nread != UV_EOF)
      dap_log_info("%s: read error: %s", c->name, uv_strerror((int)nread));
    else
      dap_log_debug("%s: end of input", c->name);
    conn_fail(c, nread == UV_EOF ? 0 : (int)nread);
    return;
  }
  int rc = dap_framer_feed(c->framer, buf->base, (size_t)nread, on_body, c);
  if (rc < 0) {
    dap_log_error("%s: broken framing, closing the connection: %s", c->name,
                  dap_framer_error(c->framer));
    conn_fail(c, rc);
  }
}

static int conn_init_stream(dap_conn_t *c, conn_handle_t *h, int fd, int readable) {
  int rc;
  switch (uv_guess_handle(fd)) {
  case UV_TTY:
    rc = uv_tty_init(c->loop, &h->tty, fd, readable);
    break;
  case UV_NAMED_PIPE:
    rc = uv_pipe_init(c->loop, &h->pipe, 0);
    if (rc == 0) {
      rc = uv_pipe_open(&h->pipe, fd);
      if (rc != 0) {
        h->handle.data = c;
        c->handles_open++;
        uv_close(&h->handle, on_handle_closed);
        return rc;
      }
    }
    break;
  case UV_TCP:
    rc = uv_tcp_init(c->loop, &h->tcp);
    if (rc == 0)
      rc = uv_tcp_open(&h->tcp, fd);
    break;
  default:
    dap_log_error("%s: descriptor %d is not a pipe, socket or terminal", c->name, fd);
    return UV_EINVAL;
  }
  if (rc != 0)
    return rc;
  h->handle.data = c;
  c->handles_open++;
  return 0;
}

static dap_conn_t *conn_new(uv_loop_t *loop, const char *name, size_t max_message,
                            const dap_conn_callbacks_t *cbs, void *ud) {
  dap_conn_t *c = calloc(1, sizeof(*c));
  if (c == NULL)
    return NULL;
  c->framer = dap_framer_new(max_message);
  if (c->framer == NULL) {
    free(c);
    return NULL;
  }
  c->loop = loop;
  c->cbs = *cbs;
  c->ud = ud;
  c->next_seq = 1;
  snprintf(c->name, sizeof(c->name), "%s", name);
  return c;
}

static int conn_start(dap_conn_t *c) {
  int rc = uv_read_start(c->in, on_alloc, on_read);
  if (rc != 0) {
    c->closing = 1;
    conn_close_handles(c);
  }
  return rc;
}

int dap_conn_open_fds(uv_loop_t *loop, int in_fd, int out_fd, const char *name,
                      size_t max_message, const dap_conn_callbacks_t *cbs, void *ud,
                      dap_conn_t **out) {
  dap_conn_t *c = conn_new(loop, name, max_message, cbs, ud);
  if (c == NULL)
    return DAPPER_ENOMEM;
  int rc = conn_init_stream(c, &c->in_h, in_fd, 1);
  if (rc != 0) {
    if (c->handles_open == 0)
      conn_free(c);
    return rc;
  }
  c->in = &c->in_h.stream;
  if (out_fd == in_fd) {
    c->out = c->in;
  } else {
    rc = conn_init_stream(c, &c->out_h, out_fd, 0);
    if (rc != 0) {
      c->out = c->in; /* out_h is not (or no longer) an open handle */
      c->closing = 1;
      conn_close_handles(c);
      return rc;
    }
    c->out = &c->out_h.stream;
  }
  rc = conn_start(c);
  if (rc != 0)
    return rc;
  *out = c;
  return 0;
}

int dap_conn_accept_tcp(uv_loop_t *loop, uv_stream_t *server, const char *name,
                        size_t max_message, const dap_conn_callbacks_t *cbs, void *ud,
                        dap_conn_t **out) {
  dap_conn_t *c = conn_new(loop, name, max_message, cbs, ud);
  if (c == NULL)
    return DAPPER_ENOMEM;
  int rc = uv_tcp_init(loop, &c->in_h.tcp);
  if (rc != 0) {
    conn_free(c);
    return rc;
  }
  c->in_h.handle.data = c;
  c->handles_open = 1;
  c->in = c->out = &c->in_h.stream;
  rc = uv_accept(server, c->in);
  if (rc == 0)
    rc = uv_tcp_nodelay(&c->in_h.tcp, 1);
  if (rc != 0) {
    c->closing = 1;
    conn_close_handles(c);
    return rc;
  }
  rc = conn_start(c);
  if (rc != 0)
    return rc;
  *out = c;
  return 0;
}

static void on_write(uv_write_t *req, int status) {
  conn_write_t *w = (conn_write_t *)req;
  dap_conn_t *c = w->conn;
  c->queued -= w->len;
  free(w->data);
  free(w);
  if (status != 0 && status != UV_ECANCELED) {
    dap_log_info("%s: write failed: %s", c->name, uv_strerror(status));
    if (!c->closing)
      conn_fail(c, status);
  }
  if (c->close_pending && c->queued == 0) {
    conn_close_handles(c);
    return;
  }
  if (c->congested && c->queued <= CONN_LOW_WATER) {
    c->congested = 0;
    if (!c->closing && c->cbs.on_drain != NULL)
      c->cbs.on_drain(c->ud);
  }
}

int dap_conn_send(dap_conn_t *c, cJSON *msg) {
  if (c == NULL || c->closing) {
    cJSON_Delete(msg);
    return UV_EPIPE;
  }
  conn_write_t *w = calloc(1, sizeof(*w));
  if (w == NULL) {
    cJSON_Delete(msg);
    return DAPPER_ENOMEM;
  }
  int rc = dap_msg_frame(msg, c->next_seq, &w->data, &w->len);
  cJSON_Delete(msg);
  if (rc != 0) {
    free(w);
    return rc;
  }
  c->next_seq++;
  if (dap_log_enabled(DAP_LOG_TRACE)) {
    const char *json = strstr(w->data, "\r\n\r\n");
    dap_log_trace("%s <-- %.4000s", c->name, json != NULL ? json + 4 : w->data);
  }
  w->conn = c;
  uv_buf_t buf = uv_buf_init(w->data, (unsigned int)w->len);
  rc = uv_write(&w->req, c->out, &buf, 1, on_write);
  if (rc != 0) {
    free(w->data);
    free(w);
    return rc;
  }
  c->queued += w->len;
  if (c->queued > CONN_HIGH_WATER)
    c->congested = 1;
  return 0;
}

long long dap_conn_next_seq(const dap_conn_t *c) { return c->next_seq; }

size_t dap_conn_write_queue(const dap_conn_t *c) { return c->queued; }

int dap_conn_congested(const dap_conn_t *c) { return c->congested; }

void dap_conn_close(dap_conn_t *c, int flush) {
  if (c == NULL || c->closing)
    return;
  c->closing = 1;
  uv_read_stop(c->in);
  if (flush && c->queued > 0)
    c->close_pending = 1;
  else
    conn_close_handles(c);
}
