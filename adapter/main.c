/* dapper-adapter: the command line. Everything else lives in server.c and
 * the session. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include <cjson/cJSON.h>

#include "dapper/wire.h"
#include "launch.h"
#include "log.h"
#include "server.h"

#ifndef DAPPER_VERSION
#define DAPPER_VERSION "0.0.0"
#endif

static const char usage[] =
    "Usage: dapper-adapter [OPTIONS]\n"
    "       dapper-adapter --listen [HOST:]PORT [--wait-for-client] [--python PYTHON]\n"
    "                      -- program.py ARGS | -m MODULE ARGS | -c CODE ARGS\n"
    "       dapper-adapter --connect [HOST:]PORT [--python PYTHON] -- program.py ARGS ...\n"
    "       dapper-adapter --print-runtime-dir\n"
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
    "  --listen [HOST:]PORT start the program now with the debugger runtime and\n"
    "                      wait on HOST:PORT (default host 127.0.0.1) for a client\n"
    "                      to `attach`; clients may detach and attach again; the\n"
    "                      program's output goes to this terminal and the adapter\n"
    "                      exits with the program's exit code\n"
    "  --wait-for-client   with --listen: the program waits for a client's\n"
    "                      configurationDone before its first line\n"
    "  --python PYTHON     with --listen or --connect: the interpreter (default python3)\n"
    "  --connect [HOST:]PORT run the program (this process becomes it) with the\n"
    "                      debugger runtime, which connects to an adapter waiting\n"
    "                      on HOST:PORT (default host 127.0.0.1) with an `attach`\n"
    "                      request's \"listen\"; the program starts once that\n"
    "                      client is configured\n"
    "  --listen-fd N       with --runtime-fd (what dapper.listen() passes): serve\n"
    "  --runtime-fd M      clients on the listening TCP socket N for the running\n"
    "                      program whose runtime is on the Unix socket M\n"
    "  --print-runtime-dir print the runtime directory (the dapper package is\n"
    "                      there: PYTHONPATH=DIR makes `import dapper` work)\n"
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

/* The value of --listen or --connect: PORT, HOST:PORT or [IPV6]:PORT. host is "" when none
 * is given. Returns 0 or a usage exit status. */
static int parse_listen(const char *flag, const char *value, char *host, size_t hostlen,
                        int *port) {
  const char *colon = strrchr(value, ':');
  const char *num = colon != NULL ? colon + 1 : value;
  host[0] = '\0';
  if (colon != NULL) {
    const char *h = value;
    size_t len = (size_t)(colon - value);
    if (len >= 2 && h[0] == '[' && h[len - 1] == ']') {
      h++;
      len -= 2;
    }
    if (len == 0 || len >= hostlen)
      return bad_usage("%s needs [HOST:]PORT, not '%s'", flag, value);
    memcpy(host, h, len);
    host[len] = '\0';
  }
  char *end;
  errno = 0;
  long p = strtol(num, &end, 10);
  if (errno != 0 || *num == '\0' || *end != '\0' || p < 0 || p > 65535)
    return bad_usage("%s needs a port number from 0 to 65535, not '%s'", flag, num);
  *port = (int)p;
  return 0;
}

/* The launch arguments for the program after `--`: program.py ARGS,
 * -m MODULE ARGS or -c CODE ARGS. NULL when there is none. */
static cJSON *listen_target(int argc, char **argv, const char *python) {
  if (argc < 1)
    return NULL;
  const char *key = "program";
  int first = 0;
  if (strcmp(argv[0], "-m") == 0 || strcmp(argv[0], "-c") == 0) {
    if (argc < 2)
      return NULL;
    key = argv[0][1] == 'm' ? "module" : "code";
    first = 1;
  }
  cJSON *args = cJSON_CreateObject();
  cJSON *list = cJSON_AddArrayToObject(args, "args");
  if (args == NULL || list == NULL) {
    cJSON_Delete(args);
    return NULL;
  }
  cJSON_AddStringToObject(args, key, argv[first]);
  for (int i = first + 1; i < argc; i++)
    cJSON_AddItemToArray(list, cJSON_CreateString(argv[i]));
  if (python != NULL)
    cJSON_AddStringToObject(args, "python", python);
  cJSON_AddStringToObject(args, "console", "internalConsole");
  return args;
}

/* A non-negative descriptor number, or -1. */
static int parse_fd(const char *value) {
  char *end;
  errno = 0;
  long fd = strtol(value, &end, 10);
  if (errno != 0 || *value == '\0' || *end != '\0' || fd < 0 || fd > INT_MAX)
    return -1;
  return (int)fd;
}

/* Removes NAME from a NULL-terminated "NAME=value" vector of malloc'd
 * strings. */
static void envv_unset(char **env, const char *name) {
  size_t len = strlen(name);
  char **w = env;
  for (char **e = env; *e != NULL; e++) {
    if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
      free(*e);
    else
      *w++ = *e;
  }
  *w = NULL;
}

static const char *envv_get(char **env, const char *name) {
  size_t len = strlen(name);
  for (char **e = env; *e != NULL; e++) {
    if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
      return *e + len + 1;
  }
  return NULL;
}

static bool is_loopback(const char *host) {
  return strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0 ||
         strcmp(host, "localhost") == 0;
}

/* --connect: becomes the program (exec), its runtime connecting to
 * host:port over TCP. Returns only on failure (an exit status). */
static int run_connect(const char *host, int port, const cJSON *args, const char *runtime_dir) {
  dap_launch_t l;
  char err[1024];
  if (dap_launch_parse(args, runtime_dir, 3, &l, err, sizeof(err)) != 0) {
    fprintf(stderr, "dapper-adapter: %s\n", err);
    return 2;
  }
  /* What dap_launch_parse set for a spawned child, turned into what a
   * program connecting over TCP needs (as one run in a terminal: its
   * output is its own, so PYTHONUNBUFFERED stays the user's). */
  const char *orig = envv_get(l.env, "DAPPER_ORIG_PYTHONUNBUFFERED");
  char *unbuf = orig != NULL ? strdup(orig) : NULL;
  envv_unset(l.env, WIRE_FD_ENV);
  envv_unset(l.env, "PYTHONUNBUFFERED");
  envv_unset(l.env, "DAPPER_ORIG_PYTHONUNBUFFERED");
  size_t n = 0;
  while (l.env[n] != NULL)
    n++;
  char **env = realloc(l.env, (n + 3) * sizeof(char *));
  if (env == NULL) {
    free(unbuf);
    dap_launch_free(&l);
    fprintf(stderr, "dapper-adapter: out of memory\n");
    return 1;
  }
  l.env = env;
  char *target = NULL, *unbuf_var = NULL;
  if (asprintf(&target, strchr(host, ':') ? "%s=[%s]:%d" : "%s=%s:%d", WIRE_CONNECT_ENV, host,
               port) < 0)
    target = NULL;
  if (unbuf != NULL && asprintf(&unbuf_var, "PYTHONUNBUFFERED=%s", unbuf) < 0)
    unbuf_var = NULL;
  free(unbuf);
  if (target == NULL) {
    dap_launch_free(&l);
    fprintf(stderr, "dapper-adapter: out of memory\n");
    return 1;
  }
  env[n++] = target;
  if (unbuf_var != NULL)
    env[n++] = unbuf_var;
  env[n] = NULL;
  if (!is_loopback(host))
    fprintf(stderr,
            "dapper-adapter: WARNING: connecting to %s: the debugger there (and anyone who can "
            "pose as it on the network) can run code in this program as this user\n",
            host);
  fflush(stderr);
  execve(l.file, l.argv, l.env);
  fprintf(stderr, "dapper-adapter: could not run %s: %s\n", l.file, strerror(errno));
  dap_launch_free(&l);
  return 1;
}

int main(int argc, char **argv) {
  enum {
    OPT_PORT = 1,
    OPT_HOST,
    OPT_LISTEN,
    OPT_WAIT,
    OPT_PYTHON,
    OPT_LOG_FILE,
    OPT_LOG_LEVEL,
    OPT_RUNTIME_DIR,
    OPT_CONNECT,
    OPT_LISTEN_FD,
    OPT_RUNTIME_FD,
    OPT_PRINT_RUNTIME_DIR,
    OPT_VERSION,
    OPT_HELP
  };
  static const struct option options[] = {
      {"port", required_argument, NULL, OPT_PORT},
      {"host", required_argument, NULL, OPT_HOST},
      {"listen", required_argument, NULL, OPT_LISTEN},
      {"wait-for-client", no_argument, NULL, OPT_WAIT},
      {"python", required_argument, NULL, OPT_PYTHON},
      {"log-file", required_argument, NULL, OPT_LOG_FILE},
      {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
      {"runtime-dir", required_argument, NULL, OPT_RUNTIME_DIR},
      {"connect", required_argument, NULL, OPT_CONNECT},
      {"listen-fd", required_argument, NULL, OPT_LISTEN_FD},
      {"runtime-fd", required_argument, NULL, OPT_RUNTIME_FD},
      {"print-runtime-dir", no_argument, NULL, OPT_PRINT_RUNTIME_DIR},
      {"version", no_argument, NULL, OPT_VERSION},
      {"help", no_argument, NULL, OPT_HELP},
      {NULL, 0, NULL, 0},
  };
  dap_server_options_t opts = {
      .host = NULL, .port = -1, .runtime_dir = NULL, .listen_fd = -1, .runtime_fd = -1};
  const char *log_file = NULL, *runtime_dir = NULL, *listen = NULL, *python = NULL;
  const char *connect = NULL;
  bool wait_for_client = false, print_runtime_dir = false;
  cJSON *listen_args = NULL;
  dap_log_level_t level = DAP_LOG_WARN;
  opterr = 0;
  int opt;
  while ((opt = getopt_long(argc, argv, "+:", options, NULL)) != -1) {
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
    case OPT_LISTEN:
      listen = optarg;
      break;
    case OPT_WAIT:
      wait_for_client = true;
      break;
    case OPT_PYTHON:
      python = optarg;
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
    case OPT_CONNECT:
      connect = optarg;
      break;
    case OPT_LISTEN_FD:
    case OPT_RUNTIME_FD: {
      int fd = parse_fd(optarg);
      if (fd < 0)
        return bad_usage("--%s needs a descriptor number, not '%s'",
                         opt == OPT_LISTEN_FD ? "listen-fd" : "runtime-fd", optarg);
      *(opt == OPT_LISTEN_FD ? &opts.listen_fd : &opts.runtime_fd) = fd;
      break;
    }
    case OPT_PRINT_RUNTIME_DIR:
      print_runtime_dir = true;
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
  char host[256];
  if ((opts.listen_fd >= 0) != (opts.runtime_fd >= 0))
    return bad_usage("--listen-fd and --runtime-fd go together (dapper.listen() passes both)");
  if (connect != NULL && (listen != NULL || opts.listen_fd >= 0 || opts.port >= 0 ||
                          opts.host != NULL || wait_for_client))
    return bad_usage("--connect takes the address itself and the program: --connect "
                     "[HOST:]PORT -- program.py, without --listen, --port, --host or "
                     "--wait-for-client");
  if (opts.listen_fd >= 0) {
    if (listen != NULL || opts.port >= 0 || opts.host != NULL || wait_for_client ||
        python != NULL || optind < argc)
      return bad_usage("--listen-fd/--runtime-fd serve a running program: no --listen, --port, "
                       "--host, --wait-for-client, --python or program");
    opts.port = 0; /* TCP, not stdio */
  } else if (connect != NULL) {
    int port = 0;
    int rc = parse_listen("--connect", connect, host, sizeof(host), &port);
    if (rc != 0)
      return rc;
    if (port == 0)
      return bad_usage("--connect needs the port the adapter waits on, not 0");
    listen_args = listen_target(argc - optind, argv + optind, python);
    if (listen_args == NULL)
      return bad_usage("--connect needs the program to run: -- program.py ARGS, -m MODULE "
                       "ARGS or -c CODE ARGS");
  } else if (listen != NULL) {
    if (opts.port >= 0 || opts.host != NULL)
      return bad_usage("--listen takes the address itself: --listen [HOST:]PORT, without "
                       "--port or --host");
    int rc = parse_listen("--listen", listen, host, sizeof(host), &opts.port);
    if (rc != 0)
      return rc;
    opts.host = host[0] != '\0' ? host : NULL;
    listen_args = listen_target(argc - optind, argv + optind, python);
    opts.listen_args = listen_args;
    if (listen_args == NULL)
      return bad_usage("--listen needs the program to start: -- program.py ARGS, -m MODULE "
                       "ARGS or -c CODE ARGS");
    opts.wait_for_client = wait_for_client;
  } else {
    if (wait_for_client || python != NULL)
      return bad_usage("%s needs --listen", wait_for_client ? "--wait-for-client" : "--python");
    if (print_runtime_dir && (opts.port >= 0 || optind < argc))
      return bad_usage("--print-runtime-dir takes no other option");
    if (optind < argc)
      return bad_usage("unexpected argument '%s'", argv[optind]);
    if (opts.host != NULL && opts.port < 0)
      return bad_usage("%s needs --port", "--host");
  }

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
  if (print_runtime_dir) {
    printf("%s\n", dir);
    dap_log_close();
    return 0;
  }
  if (connect != NULL) {
    int port = 0;
    parse_listen("--connect", connect, host, sizeof(host), &port);
    int status = run_connect(host[0] != '\0' ? host : "127.0.0.1", port, listen_args, dir);
    cJSON_Delete(listen_args);
    dap_log_close();
    return status;
  }
  uint64_t startup_ms = 0;
  if (dap_launch_startup_timeout(&startup_ms, err, sizeof(err)) != 0) {
    fprintf(stderr, "dapper-adapter: %s\n", err);
    dap_log_close();
    return 2;
  }
  dap_log_info("dapper-adapter %s, runtime in %s", DAPPER_VERSION, dir);
  int status = dap_server_run(&opts);
  cJSON_Delete(listen_args);
  dap_log_close();
  return status;
}
