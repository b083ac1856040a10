#include "privsock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "dapper/errors.h"
#include "log.h"

static int make_secret(dap_privsock_t *s) {
  unsigned char raw[DAP_PRIVSOCK_SECRET_HEX / 2];
  size_t have = 0;
  while (have < sizeof(raw)) {
    ssize_t n = getrandom(raw + have, sizeof(raw) - have, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -errno;
    have += (size_t)n;
  }
  for (size_t i = 0; i < sizeof(raw); i++)
    snprintf(s->secret + 2 * i, 3, "%02x", raw[i]);
  explicit_bzero(raw, sizeof(raw));
  return 0;
}

/* A short private base directory: XDG_RUNTIME_DIR, TMPDIR, /tmp. */
static int make_dir(dap_privsock_t *s) {
  const char *bases[] = {getenv("XDG_RUNTIME_DIR"), getenv("TMPDIR"), "/tmp"};
  int err = ENOENT;
  for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
    const char *base = bases[i];
    if (base == NULL || *base != '/')
      continue;
    int n = snprintf(s->dir, sizeof(s->dir), "%s/dapper-XXXXXX", base);
    if (n < 0 || (size_t)n >= sizeof(s->dir))
      continue;
    if (mkdtemp(s->dir) != NULL) /* mode 0700 */
      return 0;
    err = errno;
  }
  s->dir[0] = '\0';
  return -err;
}

int dap_privsock_open(dap_privsock_t *s, uv_loop_t *loop, uv_poll_t *poll, const char *name,
                      int backlog, const char *purpose, char *err, size_t errlen) {
  memset(s, 0, sizeof(*s));
  s->fd = -1;
  int rc = make_secret(s);
  if (rc != 0) {
    snprintf(err, errlen, "could not make a secret for %s: %s", purpose, strerror(-rc));
    return DAPPER_ELAUNCH;
  }
  rc = make_dir(s);
  if (rc != 0) {
    snprintf(err, errlen, "could not create a private directory for %s: %s", purpose,
             strerror(-rc));
    explicit_bzero(s->secret, sizeof(s->secret));
    return DAPPER_ELAUNCH;
  }
  snprintf(s->path, sizeof(s->path), "%s/%s", s->dir, name);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", s->path);
  s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
      listen(s->fd, backlog) != 0) {
    snprintf(err, errlen, "could not listen on %s for %s: %s", s->path, purpose, strerror(errno));
    dap_privsock_close(s);
    return DAPPER_ELAUNCH;
  }
  rc = uv_poll_init(loop, poll, s->fd);
  if (rc != 0) {
    snprintf(err, errlen, "could not listen on %s for %s: %s", s->path, purpose, uv_strerror(rc));
    dap_privsock_close(s);
    return DAPPER_ELAUNCH;
  }
  return 0;
}

int dap_privsock_accept(dap_privsock_t *s, const char *tag, int *pid) {
  for (;;) {
    int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
      return -1; /* EAGAIN, or an error the next readable event retries */
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.uid != geteuid()) {
      dap_log_warn("%s: refused a peer of another user", tag);
      close(fd);
      continue;
    }
    *pid = (int)cred.pid;
    return fd;
  }
}

int dap_privsock_check_secret(const dap_privsock_t *s, const char *buf, size_t got) {
  if (got < DAP_PRIVSOCK_SECRET_HEX + 1)
    return 0;
  unsigned char diff = 0;
  for (size_t i = 0; i < DAP_PRIVSOCK_SECRET_HEX; i++)
    diff |= (unsigned char)(buf[i] ^ s->secret[i]);
  return diff == 0 && buf[DAP_PRIVSOCK_SECRET_HEX] == '\n' ? 1 : -1;
}

void dap_privsock_close(dap_privsock_t *s) {
  if (s->fd >= 0)
    close(s->fd);
  s->fd = -1;
  if (s->path[0] != '\0')
    unlink(s->path);
  if (s->dir[0] != '\0')
    rmdir(s->dir);
  s->path[0] = s->dir[0] = '\0';
  explicit_bzero(s->secret, sizeof(s->secret));
}
