/* dapper-adapter: the command line. Everything else lives in server.c and
 * the session. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "server.h"

#ifndef DAPPER_VERSION
#define DAPPER_VERSION "0.0.0"
#endif

static const char usage[] =
    "Usage: dapper-adapter [OPTIONS]\n"
    "\n"
    "A Debug Adapter Protocol server for Python programs. With no options it\n"
    "speaks DAP on stdin/stdout (how VS Code and nvim-dap start an adapter).\n"
    "\n"
    "Options:\n"
    "  --port N            serve DAP over TCP on port N (0: pick a free port);\n"
    "                      the address is printed on stderr; clients are served\n"
    "                      one after another until the adapter is stopped\n"
    "  --host ADDR         address to listen on (default 127.0.0.1); any other\n"
    "                      address lets whoever can connect run code here\n"
    "  --log-file PATH     write logs to PATH instead of stderr\n"
    "  --log-level LEVEL   error, warn (default), info, debug or trace\n"
    "                      (trace logs every message)\n"
    "  --runtime-dir DIR   where the debugger runtime is (default: found next\n"
    "                      to this program)\n"
    "  --version           print the version and exit\n"
    "  --help              print this help and exit\n";

static int bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad_usage(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "dapper-adapter: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\nTry 'dapper-adapter --help' for more information.\n");
  va_end(ap);
  return 2;
}

int main(int argc, char **argv) {
  enum { OPT_PORT = 1, OPT_HOST, OPT_LOG_FILE, OPT_LOG_LEVEL, OPT_RUNTIME_DIR, OPT_VERSION, OPT_HELP };
  static const struct option options[] = {
      {"port", required_argument, NULL, OPT_PORT},
      {"host", required_argument, NULL, OPT_HOST},
      {"log-file", required_argument, NULL, OPT_LOG_FILE},
      {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
      {"runtime-dir", required_argument, NULL, OPT_RUNTIME_DIR},
      {"version", no_argument, NULL, OPT_VERSION},
      {"help", no_argument, NULL, OPT_HELP},
      {NULL, 0, NULL, 0},
  };
  dap_server_options_t opts = {.host = NULL, .port = -1, .runtime_dir = NULL};
  const char *log_file = NULL, *runtime_dir = NULL;
  dap_log_level_t level = DAP_LOG_WARN;
  opterr = 0;
  int opt;
  while ((opt = getopt_long(argc, argv, ":", options, NULL)) != -1) {
    switch (opt) {
    case OPT_PORT: {
      char *end;
      errno = 0;
      long port = strtol(optarg, &end, 10);
      if (errno != 0 || *optarg == '\0' || *end != '\0' || port < 0 || port > 65535)
        return bad_usage("--port needs a number from 0 to 65535, not '%s'", optarg);
      opts.port = (int)port;
      break;
    }
    case OPT_HOST:
      opts.host = optarg;
      break;
    case OPT_LOG_FILE:
      log_file = optarg;
      break;
    case OPT_LOG_LEVEL:
      if (dap_log_parse_level(optarg, &level) != 0)
        return bad_usage("--log-level must be error, warn, info, debug or trace, not '%s'",
                         optarg);
      break;
    case OPT_RUNTIME_DIR:
      runtime_dir = optarg;
      break;
    case OPT_VERSION:
      printf("dapper-adapter %s\n", DAPPER_VERSION);
      return 0;
    case OPT_HELP:
      fputs(usage, stdout);
      return 0;
    case ':':
      return bad_usage("option '%s' needs a value", argv[optind - 1]);
    default:
      return bad_usage("unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc)
    return bad_usage("unexpected argument '%s'", argv[optind]);
  if (opts.host != NULL && opts.port < 0)
    return bad_usage("%s needs --port", "--host");

  int rc = dap_log_init(log_file, level);
  if (rc != 0) {
    fprintf(stderr, "dapper-adapter: cannot open log file %s: %s\n", log_file, strerror(-rc));
    return 1;
  }
  char dir[PATH_MAX], err[PATH_MAX + 256];
  if (dap_find_runtime_dir(runtime_dir, dir, sizeof(dir), err, sizeof(err)) != 0) {
    fprintf(stderr, "dapper-adapter: %s\n", err);
    dap_log_close();
    return 1;
  }
  opts.runtime_dir = dir;
  dap_log_info("dapper-adapter %s, runtime in %s", DAPPER_VERSION, dir);
  int status = dap_server_run(&opts);
  dap_log_close();
  return status;
}
