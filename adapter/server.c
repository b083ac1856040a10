#include "server.h"

#include <limits.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uv.h>

#include "log.h"
#include "session.h"

#ifndef DAPPER_RUNTIME_INSTALL_DIR
#define DAPPER_RUNTIME_INSTALL_DIR "lib/dapper-adapter/runtime"
#endif

#define MAX_SESSIONS 64

typedef struct server server_t;

/* One session slot; the slot is the session's end-callback argument. */
typedef struct {
  server_t *srv;
  dap_session_t *session;
} slot_t;

struct server {
  uv_loop_t *loop;
  uv_signal_t sigint, sigterm, sighup;
  uv_tcp_t listener;
  bool listening;
  bool stdio;
  bool shutting_down;
  bool listen; /* --listen: one session, the program's, clients attach */
  const char *runtime_dir;
  slot_t slots[MAX_SESSIONS];
  int exit_status;
};

static int is_runtime_dir(const char *dir) {
  char probe[PATH_MAX + 64];
  struct stat st;
  snprintf(probe, sizeof(probe), "%s/boot/sitecustomize.py", dir);
  return stat(probe, &st) == 0 && S_ISREG(st.st_mode);
}

int dap_find_runtime_dir(const char *override, char *out, size_t outlen, char *err,
                         size_t errlen) {
  if (override != NULL) {
    if (!is_runtime_dir(override)) {
      snprintf(err, errlen, "%s is not a runtime directory (no boot/sitecustomize.py)", override);
      return -1;
    }
    snprintf(out, outlen, "%s", override);
    return 0;
  }
  char exe[PATH_MAX];
  size_t len = sizeof(exe);
  if (uv_exepath(exe, &len) != 0) {
    snprintf(err, errlen, "cannot find the adapter's own path");
    return -1;
  }
  char *slash = strrchr(exe, '/');
  if (slash != NULL)
    *slash = '\0';
  const char *relative[] = {"../" DAPPER_RUNTIME_INSTALL_DIR, "../runtime"};
  for (size_t i = 0; i < sizeof(relative) / sizeof(relative[0]); i++) {
    char cand[PATH_MAX * 2];
    snprintf(cand, sizeof(cand), "%s/%s", exe, relative[i]);
    char real[PATH_MAX];
    if (realpath(cand, real) != NULL && is_runtime_dir(real)) {
      snprintf(out, outlen, "%s", real);
      return 0;
    }
  }
  snprintf(err, errlen,
           "the debugger runtime was not found next to %s (looked in ../%s and ../runtime); "
           "build it with cmake or pass --runtime-dir",
           exe, DAPPER_RUNTIME_INSTALL_DIR);
  return -1;
}

static void close_signals(server_t *srv) {
  uv_signal_t *sigs[] = {&srv->sigint, &srv->sigterm, &srv->sighup};
  for (int i = 0; i < 3; i++) {
    if (!uv_is_closing((uv_handle_t *)sigs[i]))
      uv_close((uv_handle_t *)sigs[i], NULL);
  }
}

static int session_count(const server_t *srv) {
  int n = 0;
  for (int i = 0; i < MAX_SESSIONS; i++)
    n += srv->slots[i].session != NULL;
  return n;
}

static void maybe_stop(server_t *srv) {
  if ((srv->stdio || srv->shutting_down) && session_count(srv) == 0) {
    close_signals(srv);
    if (srv->listening && !uv_is_closing((uv_handle_t *)&srv->listener))
      uv_close((uv_handle_t *)&srv->listener, NULL);
  }
}

static void on_session_end(void *ud) {
  slot_t *slot = ud;
  slot->session = NULL;
  if (slot->srv->listen)
    slot->srv->shutting_down = true; /* the program is gone */
  maybe_stop(slot->srv);
}

static void on_signal(uv_signal_t *h, int signum) {
  server_t *srv = h->data;
  dap_log_info("received signal %d, shutting down", signum);
  srv->shutting_down = true;
  srv->exit_status = 128 + signum;
  for (int i = 0; i < MAX_SESSIONS; i++) {
    if (srv->slots[i].session != NULL)
      dap_session_shutdown(srv->slots[i].session);
  }
  maybe_stop(srv);
}

static slot_t *free_slot(server_t *srv) {
  for (int i = 0; i < MAX_SESSIONS; i++) {
    if (srv->slots[i].session == NULL)
      return &srv->slots[i];
  }
  return NULL;
}

static void on_connection(uv_stream_t *listener, int status) {
  server_t *srv = listener->data;
  if (status != 0) {
    dap_log_warn("accept failed: %s", uv_strerror(status));
    return;
  }
  if (srv->listen) {
    dap_session_t *ls = srv->slots[0].session;
    int rc = ls != NULL && !srv->shutting_down ? dap_session_attach_tcp(ls, listener) : -1;
    if (rc == 0) {
      dap_log_info("client connected");
      return;
    }
  }
  slot_t *slot = srv->listen ? NULL : free_slot(srv);
  if (slot == NULL || srv->shutting_down) {
    /* Accept and close, so the client hears no rather than hanging. */
    uv_tcp_t *t = malloc(sizeof(*t));
    if (t != NULL && uv_tcp_init(srv->loop, t) == 0) {
      if (uv_accept(listener, (uv_stream_t *)t) == 0)
        dap_log_warn(srv->listen ? "a client is attached already; refusing a connection"
                                 : "too many sessions; refusing a connection");
      uv_close((uv_handle_t *)t, (uv_close_cb)free);
    } else {
      free(t);
    }
    return;
  }
  int rc = dap_session_accept_tcp(srv->loop, listener, srv->runtime_dir, on_session_end, slot,
                                  &slot->session);
  if (rc != 0) {
    slot->session = NULL;
    dap_log_warn("could not accept a client: %s", uv_strerror(rc));
    return;
  }
  dap_log_info("client connected");
}

static int is_loopback(const struct sockaddr *sa) {
  if (sa->sa_family == AF_INET)
    return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
  if (sa->sa_family == AF_INET6) {
    static const unsigned char lo[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    return memcmp(&((const struct sockaddr_in6 *)sa)->sin6_addr, lo, 16) == 0;
  }
  return 0;
}

/* dapper.listen: the program bound and listens on fd already. */
static int start_tcp_fd(server_t *srv, int fd) {
  uv_tcp_init(srv->loop, &srv->listener);
  srv->listener.data = srv;
  srv->listening = true;
  int rc = uv_tcp_open(&srv->listener, fd);
  if (rc == 0)
    rc = uv_listen((uv_stream_t *)&srv->listener, 16, on_connection);
  if (rc != 0) {
    fprintf(stderr, "dapper-adapter: cannot listen on descriptor %d: %s\n", fd, uv_strerror(rc));
    return 1;
  }
  return 0;
}

static int start_tcp(server_t *srv, const dap_server_options_t *opts) {
  if (opts->listen_fd >= 0)
    return start_tcp_fd(srv, opts->listen_fd);
  const char *host = opts->host != NULL ? opts->host : "127.0.0.1";
  struct sockaddr_storage addr;
  int rc = uv_ip4_addr(host, opts->port, (struct sockaddr_in *)&addr);
  if (rc != 0)
    rc = uv_ip6_addr(host, opts->port, (struct sockaddr_in6 *)&addr);
  if (rc != 0) {
    fprintf(stderr, "dapper-adapter: --host %s is not an IPv4 or IPv6 address\n", host);
    return 2;
  }
  if (!is_loopback((struct sockaddr *)&addr))
    fprintf(stderr,
            "dapper-adapter: WARNING: listening on %s: anyone who can connect to this address "
            "can run code on this machine as this user\n",
            host);
  uv_tcp_init(srv->loop, &srv->listener);
  srv->listener.data = srv;
  srv->listening = true;
  rc = uv_tcp_bind(&srv->listener, (struct sockaddr *)&addr, 0);
  if (rc == 0)
    rc = uv_listen((uv_stream_t *)&srv->listener, 16, on_connection);
  if (rc != 0) {
    fprintf(stderr, "dapper-adapter: cannot listen on %s:%d: %s\n", host, opts->port,
            uv_strerror(rc));
    return 1;
  }
  struct sockaddr_storage bound;
  int len = sizeof(bound);
  uv_tcp_getsockname(&srv->listener, (struct sockaddr *)&bound, &len);
  char name[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (bound.ss_family == AF_INET6) {
    uv_ip6_name((struct sockaddr_in6 *)&bound, name, sizeof(name));
    port = ntohs(((struct sockaddr_in6 *)&bound)->sin6_port);
  } else {
    uv_ip4_name((struct sockaddr_in *)&bound, name, sizeof(name));
    port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
  }
  fprintf(stderr, "dapper-adapter: listening on %s:%d\n", name, port);
  fflush(stderr);
  return 0;
}

int dap_server_run(const dap_server_options_t *opts) {
  server_t srv;
  memset(&srv, 0, sizeof(srv));
  srv.loop = uv_default_loop();
  srv.runtime_dir = opts->runtime_dir;
  srv.stdio = opts->port < 0;
  for (int i = 0; i < MAX_SESSIONS; i++)
    srv.slots[i].srv = &srv;
  signal(SIGPIPE, SIG_IGN);

  uv_signal_t *sigs[] = {&srv.sigint, &srv.sigterm, &srv.sighup};
  int signums[] = {SIGINT, SIGTERM, SIGHUP};
  for (int i = 0; i < 3; i++) {
    uv_signal_init(srv.loop, sigs[i]);
    sigs[i]->data = &srv;
    uv_signal_start(sigs[i], on_signal, signums[i]);
  }

  int status = 0;
  if (srv.stdio) {
    int rc = dap_session_open_fds(srv.loop, 0, 1, srv.runtime_dir, on_session_end, &srv.slots[0],
                                  &srv.slots[0].session);
    if (rc != 0) {
      fprintf(stderr, "dapper-adapter: cannot use stdin/stdout for DAP: %s\n", uv_strerror(rc));
      srv.slots[0].session = NULL;
      status = 1;
      close_signals(&srv);
    }
  } else {
    status = start_tcp(&srv, opts);
    if (status == 0 && (opts->listen_args != NULL || opts->runtime_fd >= 0)) {
      srv.listen = true;
      int rc = dap_session_open_listen(srv.loop, srv.runtime_dir, opts->listen_args,
                                       opts->runtime_fd, opts->wait_for_client, &srv.exit_status,
                                       on_session_end, &srv.slots[0], &srv.slots[0].session);
      if (rc != 0) {
        srv.slots[0].session = NULL;
        status = 1;
      }
    }
    if (status != 0) {
      srv.shutting_down = true;
      maybe_stop(&srv);
    }
  }
  uv_run(srv.loop, UV_RUN_DEFAULT);
  if (status == 0)
    status = srv.exit_status;
  if (uv_loop_close(srv.loop) != 0)
    dap_log_warn("the event loop closed with handles still open");
  return status;
}
