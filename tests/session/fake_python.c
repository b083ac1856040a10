/* A stand-in for the Python interpreter in session tests.
 *
 * It is started by the adapter exactly like Python: [python, target...],
 * where target is `-c CODE`, `-m MODULE` or a program path. The "code" is a
 * ';'-separated list of tiny commands (a program file holds the same text,
 * a module name is used as the code itself):
 *
 *   print:TEXT    write "TEXT\n" to stdout (one write)
 *   err:TEXT      write "TEXT\n" to stderr (one write)
 *   exit:N        exit with status N
 *   sleep         sleep until killed
 *   signal:N      die of signal N (default disposition, no core file)
 *   env:NAME      print "NAME=value" or "NAME unset"
 *   cwd           print "cwd=<working directory>"
 *   argv          print "argv=<arg>" for each argument after the target
 *
 * and, anywhere in the list, modifiers of the runtime handshake:
 *
 *   nohello       exit 5 at once, without a hello
 *   badwire       send a hello with wireVersion 999 (then wait for start)
 *   error-hello   send a hello with an "error" and run the commands without
 *                 waiting for start, like the real bootstrap does
 *   configure-fail  answer `configure` with an error response
 *   slow-hello    wait 300 ms before the hello (requests reach the adapter
 *                 while the runtime starts)
 *
 * With DAPPER_RUNTIME_FD set (a debug launch) it sends the framed hello
 * event on that descriptor, answers `configure` (success, body {"backend":
 * "fake"}) and `setBreakpoints` (each breakpoint verified at its line),
 * waits for the `start` request and answers it before running the
 * commands; if the channel closes first it runs them anyway. Other requests
 * get an error response naming the command. Without
 * DAPPER_RUNTIME_FD (noDebug) it runs the commands at once. When the list is
 * done it exits 0. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "dapper/framer.h"
#include "dapper/message.h"
#include "dapper/wire.h"

#define MAX_COMMANDS 64

static long long out_seq = 1;

static void write_all(int fd, const char *p, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return; /* the reader is gone: nothing to do about it */
    }
    p += n;
    len -= (size_t)n;
  }
}

static void write_line(int fd, const char *a, const char *b) {
  size_t la = strlen(a), lb = b != NULL ? strlen(b) : 0;
  char *line = malloc(la + lb + 2);
  if (line == NULL)
    _exit(70);
  memcpy(line, a, la);
  if (lb > 0)
    memcpy(line + la, b, lb);
  line[la + lb] = '\n';
  write_all(fd, line, la + lb + 1);
  free(line);
}

/* Frames and sends msg (consumed) on the runtime channel. */
static void send_msg(int fd, cJSON *msg) {
  char *out = NULL;
  size_t len = 0;
  if (msg == NULL || dap_msg_frame(msg, out_seq++, &out, &len) != 0)
    _exit(71);
  cJSON_Delete(msg);
  write_all(fd, out, len);
  free(out);
}

static void send_hello(int fd, const char *exe, bool badwire, bool error_hello) {
  cJSON *body = cJSON_CreateObject();
  if (body == NULL)
    _exit(70);
  if (error_hello) {
    cJSON_AddStringToObject(body, "error", "no runtime for Python 3.99");
  } else {
    cJSON_AddStringToObject(body, "runtimeVersion", "0.1.0");
  }
  cJSON_AddNumberToObject(body, "wireVersion", badwire ? 999 : WIRE_VERSION);
  cJSON_AddStringToObject(body, "pythonVersion", "3.99.0");
  cJSON_AddStringToObject(body, "pythonImplementation", "cpython");
  cJSON_AddStringToObject(body, "executable", exe);
  cJSON_AddNumberToObject(body, "pid", (double)getpid());
  cJSON_AddStringToObject(body, "abi", "fake");
  send_msg(fd, dap_msg_event("hello", body));
}

typedef struct {
  int fd;
  bool started;
  bool configure_fail;
} channel_t;

/* {"breakpoints": [{id, verified: true, line}...]} for a setBreakpoints. */
static cJSON *verified_breakpoints(const cJSON *req) {
  const cJSON *args = cJSON_GetObjectItemCaseSensitive(req, "arguments");
  const cJSON *bp;
  cJSON *body = cJSON_CreateObject();
  cJSON *list = cJSON_AddArrayToObject(body, "breakpoints");
  if (list == NULL)
    _exit(70);
  cJSON_ArrayForEach(bp, cJSON_GetObjectItemCaseSensitive(args, "breakpoints")) {
    cJSON *out = cJSON_CreateObject();
    if (out == NULL)
      _exit(70);
    cJSON_AddItemToObject(out, "id", cJSON_Duplicate(cJSON_GetObjectItem(bp, "id"), 1));
    cJSON_AddTrueToObject(out, "verified");
    cJSON_AddItemToObject(out, "line", cJSON_Duplicate(cJSON_GetObjectItem(bp, "line"), 1));
    cJSON_AddItemToArray(list, out);
  }
  return body;
}

static long long seq_of(const cJSON *msg) {
  return (long long)cJSON_GetObjectItemCaseSensitive(msg, "seq")->valuedouble;
}

static int on_body(void *ud, const char *body, size_t len) {
  channel_t *ch = ud;
  cJSON *msg = NULL;
  dap_msg_kind_t kind;
  if (dap_msg_parse(body, len, &msg, &kind, NULL) != 0)
    return 0;
  if (kind == DAP_MSG_REQUEST) {
    const char *command = cJSON_GetObjectItemCaseSensitive(msg, "command")->valuestring;
    if (strcmp(command, "start") == 0) {
      send_msg(ch->fd, dap_msg_response(msg, NULL));
      ch->started = true;
    } else if (strcmp(command, "configure") == 0 && ch->configure_fail) {
      send_msg(ch->fd, dap_msg_error_response(seq_of(msg), command, 2,
                                              "frame evaluation is not available (fake)"));
    } else if (strcmp(command, "configure") == 0) {
      cJSON *result = cJSON_CreateObject();
      if (result == NULL)
        _exit(70);
      cJSON_AddStringToObject(result, "backend", "fake");
      cJSON_AddStringToObject(result, "reason", "session test");
      send_msg(ch->fd, dap_msg_response(msg, result));
    } else if (strcmp(command, "setBreakpoints") == 0) {
      send_msg(ch->fd, dap_msg_response(msg, verified_breakpoints(msg)));
    } else {
      send_msg(ch->fd, dap_msg_error_response(seq_of(msg), command, 1,
                                              "unknown request '%s'", command));
    }
  }
  cJSON_Delete(msg);
  return ch->started ? 1 : 0;
}

/* Blocks until `start` was answered or the channel closed. */
static void wait_for_start(int fd, bool configure_fail) {
  dap_framer_t *fr = dap_framer_new(WIRE_MAX_MESSAGE);
  if (fr == NULL)
    _exit(70);
  channel_t ch = {.fd = fd, .configure_fail = configure_fail};
  char buf[4096];
  while (!ch.started) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break; /* channel closed: run on, like the real runtime */
    if (dap_framer_feed(fr, buf, (size_t)n, on_body, &ch) < 0)
      break;
  }
  dap_framer_free(fr);
}

static void die_of_signal(int sig) {
  struct rlimit no_core = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  signal(sig, SIG_DFL); /* a sanitizer may have installed a handler */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  raise(sig);
  _exit(72);
}

static void run(char **cmds, int ncmds, char **extra) {
  for (int i = 0; i < ncmds; i++) {
    const char *c = cmds[i];
    if (strncmp(c, "print:", 6) == 0) {
      write_line(1, c + 6, NULL);
    } else if (strncmp(c, "err:", 4) == 0) {
      write_line(2, c + 4, NULL);
    } else if (strncmp(c, "exit:", 5) == 0) {
      _exit(atoi(c + 5));
    } else if (strcmp(c, "sleep") == 0) {
      for (;;)
        pause();
    } else if (strncmp(c, "signal:", 7) == 0) {
      die_of_signal(atoi(c + 7));
    } else if (strncmp(c, "env:", 4) == 0) {
      const char *v = getenv(c + 4);
      char *line = NULL;
      if (asprintf(&line, "%s%s%s", c + 4, v != NULL ? "=" : " unset", v != NULL ? v : "") < 0)
        _exit(70);
      write_line(1, line, NULL);
      free(line);
    } else if (strcmp(c, "cwd") == 0) {
      char here[4096];
      write_line(1, "cwd=", getcwd(here, sizeof(here)) != NULL ? here : "?");
    } else if (strcmp(c, "argv") == 0) {
      for (char **a = extra; *a != NULL; a++)
        write_line(1, "argv=", *a);
    } else if (strcmp(c, "nohello") == 0 || strcmp(c, "badwire") == 0 ||
               strcmp(c, "error-hello") == 0 || strcmp(c, "configure-fail") == 0 ||
               strcmp(c, "slow-hello") == 0 || *c == '\0') {
      /* handshake modifiers: handled before */
    } else {
      write_line(2, "fake_python: unknown command: ", c);
      _exit(64);
    }
  }
}

static char *read_file(const char *path) {
  FILE *f = fopen(path, "r");
  if (f == NULL)
    return NULL;
  char *text = calloc(1, 65536);
  if (text != NULL) {
    size_t n = fread(text, 1, 65535, f);
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
      text[--n] = '\0';
  }
  fclose(f);
  return text;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: fake_python (-c CODE | -m MODULE | PROGRAM) [ARGS...]\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN); /* as CPython does at startup */
  char *code = NULL;
  char **extra;
  if ((strcmp(argv[1], "-c") == 0 || strcmp(argv[1], "-m") == 0) && argc >= 3) {
    code = strdup(argv[2]);
    extra = argv + 3;
  } else {
    code = read_file(argv[1]);
    if (code == NULL) {
      fprintf(stderr, "fake_python: can't open file '%s': %s\n", argv[1], strerror(errno));
      return 2;
    }
    extra = argv + 2;
  }
  if (code == NULL)
    return 70;

  char *cmds[MAX_COMMANDS];
  int ncmds = 0;
  bool nohello = false, badwire = false, error_hello = false, configure_fail = false;
  bool slow_hello = false;
  for (char *save = NULL, *tok = strtok_r(code, ";", &save); tok != NULL && ncmds < MAX_COMMANDS;
       tok = strtok_r(NULL, ";", &save)) {
    cmds[ncmds++] = tok;
    nohello |= strcmp(tok, "nohello") == 0;
    badwire |= strcmp(tok, "badwire") == 0;
    error_hello |= strcmp(tok, "error-hello") == 0;
    configure_fail |= strcmp(tok, "configure-fail") == 0;
    slow_hello |= strcmp(tok, "slow-hello") == 0;
  }
  if (nohello)
    _exit(5);

  const char *fd_env = getenv(WIRE_FD_ENV);
  if (fd_env != NULL) {
    int fd = atoi(fd_env);
    if (slow_hello)
      usleep(300 * 1000);
    send_hello(fd, argv[0], badwire, error_hello);
    if (!error_hello)
      wait_for_start(fd, configure_fail);
  }
  run(cmds, ncmds, extra);
  free(code);
  return 0;
}
