/* Descriptions of the project's error codes. See dapper/errors.h. */
#include "dapper/errors.h"

#include <stddef.h>

const char *dapper_strerror(int code) {
  switch (code) {
  case DAPPER_EFRAMING:
    return "broken Content-Length framing";
  case DAPPER_ETOOLARGE:
    return "message body over the size limit";
  case DAPPER_ENOMEM:
    return "out of memory";
  case DAPPER_EINVAL:
    return "invalid argument";
  case DAPPER_ESTATE:
    return "request not valid in this session state";
  case DAPPER_EUNKNOWN:
    return "unknown command";
  case DAPPER_ELAUNCH:
    return "the debuggee could not be launched";
  case DAPPER_ERUNTIME:
    return "the debugger runtime failed or went away";
  case DAPPER_ENOTSUP:
    return "not supported";
  case DAPPER_ETIMEOUT:
    return "timed out";
  default:
    return NULL;
  }
}
