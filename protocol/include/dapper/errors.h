/* Error codes of the project. Functions return 0 on success and a negative
 * code on failure; libuv's codes (-1 .. -4095) pass through unchanged, the
 * project's own codes live at -10000 and below. */
#ifndef DAPPER_ERRORS_H
#define DAPPER_ERRORS_H

enum {
  DAPPER_EFRAMING = -10001,      /* broken Content-Length framing (fatal) */
  DAPPER_ETOOLARGE = -10002,     /* message body over the size limit (fatal) */
  DAPPER_ENOMEM = -10003,        /* allocation failed */
  DAPPER_EINVAL = -10004,        /* invalid argument in a request */
  DAPPER_ESTATE = -10005,        /* request not valid in this session state */
  DAPPER_EUNKNOWN = -10006,      /* unknown command */
  DAPPER_ELAUNCH = -10007,       /* the debuggee could not be launched */
  DAPPER_ERUNTIME = -10008,      /* the runtime failed or went away */
  DAPPER_ENOTSUP = -10009,       /* valid request, not supported */
  DAPPER_ETIMEOUT = -10010,      /* a deadline passed */
};

/* Returns a static description of a project error code (DAPPER_E*), or
 * NULL for any other value (libuv codes: ask uv_strerror). */
const char *dapper_strerror(int code);

#endif
