#include "inject.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dapper/errors.h"
#include "launch.h"
#include "log.h"

/* gdb attaches, reads symbols and queues the call in a few seconds; past
 * this it is stuck (the program stopped in a malloc we called into?). */
#define GDB_DEADLINE_MS 30000
#define GDB_KILL_GRACE_MS 3000
#define CAP_SYS_PTRACE_BIT 19

struct dap_inject {
  uv_process_t proc;
  uv_timer_t timer;
  int handles_open;
  int out_fd; /* memfd: gdb's stdout and stderr */
  int pid;
  bool exited, cancelled, killed;
  int64_t status;
  dap_inject_cb cb;
  void *ud;
};

int dap_inject_parse_pid(const cJSON *item) {
  double v = -1;
  if (cJSON_IsNumber(item)) {
    v = item->valuedouble;
  } else if (cJSON_IsString(item)) {
    const char *p = item->valuestring;
    if (*p == '\0' || strlen(p) > 10)
      return -1;
    for (const char *c = p; *c != '\0'; c++) {
      if (!isdigit((unsigned char)*c))
        return -1;
    }
    v = strtod(p, NULL);
  }
  if (!(v >= 1) || v > 2147483647.0 || v != (double)(int)v)
    return -1;
  return (int)v;
}

/* Reads a small /proc file into buf (NUL-terminated). Returns its length or -errno. */
static ssize_t read_file(const char *path, char *buf, size_t len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  size_t got = 0;
  while (got + 1 < len) {
    ssize_t n = read(fd, buf + got, len - 1 - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    got += (size_t)n;
  }
  close(fd);
  buf[got] = '\0';
  return (ssize_t)got;
}

/* The value after "Name:" in a /proc status text, or NULL. */
static const char *status_field(const char *status, const char *name) {
  size_t len = strlen(name);
  for (const char *line = status; line != NULL && *line != '\0';) {
    if (strncmp(line, name, len) == 0 && line[len] == ':')
      return line + len + 1;
    line = strchr(line, '\n');
    if (line != NULL)
      line++;
  }
  return NULL;
}

static void user_name(unsigned uid, char *buf, size_t len) {
  struct passwd *pw = getpwuid(uid);
  snprintf(buf, len, "%s", pw != NULL ? pw->pw_name : "?");
}

/* The python minor a path names: ".../libpython3.12.so..." or ".../python3.12". */
static int minor_in(const char *text, const char *marker) {
  const char *p = strstr(text, marker);
  if (p == NULL)
    return -1;
  p += strlen(marker);
  if (!isdigit((unsigned char)*p))
    return -1;
  return atoi(p);
}

/* Whether the file holds the name of a function only CPython exports. */
static bool file_has_symbol(const char *path, const char *symbol) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  struct stat st;
  bool found = false;
  if (fstat(fd, &st) == 0 && st.st_size > 0) {
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map != MAP_FAILED) {
      found = memmem(map, (size_t)st.st_size, symbol, strlen(symbol) + 1) != NULL;
      munmap(map, (size_t)st.st_size);
    }
  }
  close(fd);
  return found;
}

static int ptrace_scope(void) {
  char buf[16];
  if (read_file("/proc/sys/kernel/yama/ptrace_scope", buf, sizeof(buf)) <= 0)
    return -1;
  return atoi(buf);
}

static bool have_cap_sys_ptrace(void) {
  char status[4096];
  if (read_file("/proc/self/status", status, sizeof(status)) <= 0)
    return false;
  const char *cap = status_field(status, "CapEff");
  return cap != NULL && (strtoull(cap, NULL, 16) >> CAP_SYS_PTRACE_BIT & 1) != 0;
}

int dap_inject_check(int pid, dap_inject_target_t *t, char *err, size_t errlen) {
  char path[64], status[4096], comm[64];
  memset(t, 0, sizeof(*t));
  t->pid = pid;
  t->minor = -1;
  snprintf(path, sizeof(path), "/proc/%d/status", pid);
  if (read_file(path, status, sizeof(status)) <= 0) {
    snprintf(err, errlen, "there is no process with id %d", pid);
    return DAPPER_ELAUNCH;
  }
  snprintf(path, sizeof(path), "/proc/%d/comm", pid);
  if (read_file(path, comm, sizeof(comm)) > 0)
    comm[strcspn(comm, "\n")] = '\0';
  else
    snprintf(comm, sizeof(comm), "?");
  snprintf(t->name, sizeof(t->name), "%s", comm);
  if (pid == getpid()) {
    snprintf(err, errlen, "process %d is the debug adapter itself", pid);
    return DAPPER_ELAUNCH;
  }
  const char *state = status_field(status, "State");
  if (state != NULL && (strstr(state, "Z (") != NULL || strstr(state, "X (") != NULL)) {
    snprintf(err, errlen, "process %d (%s) has exited", pid, comm);
    return DAPPER_ELAUNCH;
  }
  const char *uids = status_field(status, "Uid");
  unsigned ruid = 0, euid = 0;
  if (uids == NULL || sscanf(uids, "%u %u", &ruid, &euid) != 2) {
    snprintf(err, errlen, "cannot read the owner of process %d", pid);
    return DAPPER_ELAUNCH;
  }
  if (euid != geteuid() || ruid != geteuid()) {
    char them[64], us[64];
    user_name(euid, them, sizeof(them));
    user_name(geteuid(), us, sizeof(us));
    snprintf(err, errlen,
             "process %d (%s) runs as user %s (uid %u) and the debug adapter as %s (uid %u): "
             "attaching by processId needs the same user (docs/security.md)",
             pid, comm, them, euid, us, geteuid());
    return DAPPER_ELAUNCH;
  }
  const char *tracer = status_field(status, "TracerPid");
  int tracer_pid = tracer != NULL ? atoi(tracer) : 0;
  if (tracer_pid > 0) {
    char tcomm[64] = "?";
    snprintf(path, sizeof(path), "/proc/%d/comm", tracer_pid);
    if (read_file(path, tcomm, sizeof(tcomm)) > 0)
      tcomm[strcspn(tcomm, "\n")] = '\0';
    snprintf(err, errlen,
             "process %d (%s) is being traced by process %d (%s): another debugger or tracer is "
             "attached to it; detach that one first (a process has at most one tracer)",
             pid, comm, tracer_pid, tcomm);
    return DAPPER_ELAUNCH;
  }
  snprintf(path, sizeof(path), "/proc/%d/exe", pid);
  ssize_t n = readlink(path, t->exe, sizeof(t->exe) - 1);
  if (n <= 0) {
    snprintf(err, errlen, "cannot read the executable of process %d (%s): %s", pid, comm,
             strerror(errno));
    return DAPPER_ELAUNCH;
  }
  t->exe[n] = '\0';
  /* The version: the libpython it mapped, else its executable's name. */
  bool libpython = false;
  snprintf(path, sizeof(path), "/proc/%d/maps", pid);
  FILE *maps = fopen(path, "re");
  if (maps != NULL) {
    char line[PATH_MAX + 128];
    while (fgets(line, sizeof(line), maps) != NULL) {
      int m = minor_in(line, "/libpython3.");
      if (m >= 0) {
        t->minor = m;
        libpython = true;
        break;
      }
    }
    fclose(maps);
  }
  const char *base = strrchr(t->exe, '/');
  base = base != NULL ? base + 1 : t->exe;
  if (t->minor < 0)
    t->minor = minor_in(base, "python3.");
  snprintf(path, sizeof(path), "/proc/%d/exe", pid);
  if (!libpython && !file_has_symbol(path, "Py_AddPendingCall")) {
    snprintf(err, errlen,
             "process %d (%s, %s) is not a CPython process: attaching by processId needs a "
             "running CPython 3.11-3.13 interpreter",
             pid, comm, t->exe);
    return DAPPER_ELAUNCH;
  }
  if (t->minor >= 0 && (t->minor < 11 || t->minor > 13)) {
    snprintf(err, errlen, "process %d (%s) runs Python 3.%d: attaching supports CPython 3.11-3.13",
             pid, comm, t->minor);
    return DAPPER_ENOTSUP;
  }
  int scope = ptrace_scope();
  if (scope == 3) {
    snprintf(err, errlen,
             "the kernel forbids attaching to any process (kernel.yama.ptrace_scope is 3, which "
             "only a reboot lowers): attach by processId cannot work on this machine; start "
             "the program with dapper-adapter --listen instead");
    return DAPPER_ELAUNCH;
  }
  if ((scope == 1 || scope == 2) && !have_cap_sys_ptrace()) {
    snprintf(err, errlen,
             "the kernel forbids attaching to process %d (kernel.yama.ptrace_scope is %d: %s): "
             "allow it with `sudo sysctl kernel.yama.ptrace_scope=0`, or start the program with "
             "dapper-adapter --listen instead",
             pid, scope,
             scope == 1 ? "only a process's ancestors may trace it"
                        : "only processes with CAP_SYS_PTRACE may trace");
    return DAPPER_ELAUNCH;
  }
  return 0;
}

/* --- gdb ----------------------------------------------------------------- */

static void hex_append(char *out, const char *s, size_t len) {
  static const char digits[] = "0123456789abcdef";
  out += strlen(out);
  for (size_t i = 0; i < len; i++) {
    *out++ = digits[(unsigned char)s[i] >> 4];
    *out++ = digits[(unsigned char)s[i] & 15];
  }
  *out = '\0';
}

/* The gdb command file. The Python code is one statement that cannot fail
 * (a failing pending call would raise SystemError in the program) and
 * binds no name in __main__; paths and the secret travel as hex, so no
 * quoting is involved in either language. */
static char *gdb_commands(const char *runtime_dir, const char *socket_path, const char *secret) {
  const char *level = getenv("DAPPER_RUNTIME_LOG");
  char script[PATH_MAX + 32];
  snprintf(script, sizeof(script), "%s/boot/attach.py", runtime_dir);
  char args[3 * PATH_MAX + 128];
  int alen = snprintf(args, sizeof(args), "%s%c%s%c%s%c%s", socket_path, 0, secret, 0, runtime_dir,
                      0, level != NULL ? level : "");
  if (alen < 0 || (size_t)alen >= sizeof(args))
    return NULL;
  char *hscript = calloc(1, 2 * strlen(script) + 1);
  char *hargs = calloc(1, 2 * (size_t)alen + 1);
  char *out = NULL;
  if (hscript != NULL && hargs != NULL) {
    hex_append(hscript, script, strlen(script));
    hex_append(hargs, args, (size_t)alen);
    if (asprintf(
            &out,
            "set pagination off\n"
            "set confirm off\n"
            "set width 0\n"
            "set unwindonsignal on\n"
            "printf \"dapper-version %%lx\\n\", *(unsigned long *)&Py_Version\n"
            "if (*(unsigned long *)&Py_Version >> 16) < 0x30b || "
            "(*(unsigned long *)&Py_Version >> 16) > 0x30d\n"
            "  printf \"dapper-unsupported\\n\"\n"
            "else\n"
            "  if ((int (*)(void))Py_IsInitialized)() == 0\n"
            "    printf \"dapper-not-initialized\\n\"\n"
            "  else\n"
            "    printf \"dapper-queued %%d\\n\", ((int (*)(void *, void *))Py_AddPendingCall)"
            "((void *)PyRun_SimpleString, (void *)\"try:\\n"
            " __import__('builtins').exec(compile(open(bytes.fromhex('%s').decode(),'rb').read(),"
            "bytes.fromhex('%s').decode(),'exec'),{'__name__':'_dapper_attach',"
            "'ARGS':bytes.fromhex('%s').decode()})\\n"
            "except BaseException:\\n pass\\n\")\n"
            "  end\n"
            "end\n"
            "detach\n"
            "quit\n",
            hscript, hscript, hargs) < 0)
      out = NULL;
  }
  free(hscript);
  free(hargs);
  return out;
}

static void on_closed(uv_handle_t *h) {
  dap_inject_t *in = h->data;
  if (--in->handles_open > 0)
    return;
  close(in->out_fd);
  free(in);
}

/* What gdb printed: the last lines, for an error message. */
static void read_output(dap_inject_t *in, char *buf, size_t len) {
  buf[0] = '\0';
  off_t size = lseek(in->out_fd, 0, SEEK_END);
  if (size <= 0)
    return;
  off_t from = size > (off_t)len - 1 ? size - ((off_t)len - 1) : 0;
  ssize_t n = pread(in->out_fd, buf, len - 1, from);
  buf[n > 0 ? n : 0] = '\0';
}

/* A sentence for the user from gdb's output and exit. */
static int diagnose(dap_inject_t *in, char *msg, size_t len) {
  char out[8192];
  read_output(in, out, sizeof(out));
  const char *q = strstr(out, "dapper-queued ");
  if (q != NULL && atoi(q + strlen("dapper-queued ")) == 0)
    return 0;
  if (q != NULL) {
    snprintf(msg, len,
             "the program refused the debugger's bootstrap (Py_AddPendingCall failed: its queue "
             "is full); try again");
    return DAPPER_ELAUNCH;
  }
  const char *v = strstr(out, "dapper-version ");
  unsigned long hex = v != NULL ? strtoul(v + strlen("dapper-version "), NULL, 16) : 0;
  if (strstr(out, "dapper-unsupported") != NULL) {
    snprintf(msg, len, "process %d runs Python %lu.%lu: attaching supports CPython 3.11-3.13",
             in->pid, hex >> 24, (hex >> 16) & 0xff);
    return DAPPER_ENOTSUP;
  }
  if (strstr(out, "dapper-not-initialized") != NULL) {
    snprintf(msg, len,
             "the Python interpreter in process %d is not running (starting or shutting "
             "down); try again",
             in->pid);
    return DAPPER_ELAUNCH;
  }
  if (strstr(out, "ptrace: Operation not permitted") != NULL) {
    int scope = ptrace_scope();
    if (scope > 0)
      snprintf(msg, len,
               "the kernel refused to let gdb attach to process %d (ptrace: Operation not "
               "permitted; kernel.yama.ptrace_scope is %d): allow it with `sudo sysctl "
               "kernel.yama.ptrace_scope=0`, or start the program with dapper-adapter --listen",
               in->pid, scope);
    else
      snprintf(msg, len,
               "the system refused to let gdb attach to process %d (ptrace: Operation not "
               "permitted): a container without CAP_SYS_PTRACE (docker run --cap-add=SYS_PTRACE), "
               "a seccomp profile or a security module forbids ptrace; or start the program "
               "with dapper-adapter --listen",
               in->pid);
    return DAPPER_ELAUNCH;
  }
  if (strstr(out, "No such process") != NULL) {
    snprintf(msg, len, "process %d ended before gdb could attach to it", in->pid);
    return DAPPER_ELAUNCH;
  }
  if (v == NULL && strstr(out, "Py_Version") != NULL) {
    snprintf(msg, len,
             "process %d is not a CPython 3.11-3.13 interpreter (gdb found no Py_Version "
             "symbol in it)",
             in->pid);
    return DAPPER_ENOTSUP;
  }
  /* Something else: gdb's own last words. */
  char *last = out + strlen(out);
  while (last > out && (last[-1] == '\n' || last[-1] == ' '))
    *--last = '\0';
  for (int lines = 0; last > out && lines < 3; last--) {
    if (last[-1] == '\n')
      lines++;
  }
  for (char *c = last; *c != '\0'; c++) {
    if (*c == '\n')
      *c = ' ';
  }
  if (in->killed)
    snprintf(msg, len,
             "gdb did not finish injecting the debugger into process %d within %d s and was "
             "stopped: %s",
             in->pid, GDB_DEADLINE_MS / 1000, last);
  else
    snprintf(msg, len, "gdb could not inject the debugger into process %d (exit status %d): %s",
             in->pid, (int)in->status, *last != '\0' ? last : "no output");
  return DAPPER_ELAUNCH;
}

static void on_gdb_exit(uv_process_t *p, int64_t status, int term_signal) {
  dap_inject_t *in = p->data;
  in->exited = true;
  in->status = term_signal != 0 ? 128 + term_signal : status;
  uv_timer_stop(&in->timer);
  char msg[1024];
  int rc;
  if (in->cancelled) {
    rc = DAPPER_ELAUNCH;
    snprintf(msg, sizeof(msg), "cancelled");
  } else {
    rc = diagnose(in, msg, sizeof(msg));
  }
  dap_log_info("gdb on process %d exited with %d: %s", in->pid, (int)in->status,
               rc == 0 ? "bootstrap queued" : msg);
  uv_close((uv_handle_t *)&in->proc, on_closed);
  uv_close((uv_handle_t *)&in->timer, on_closed);
  in->cb(in->ud, rc, msg);
}

static void on_gdb_deadline(uv_timer_t *t) {
  dap_inject_t *in = t->data;
  if (in->exited)
    return;
  if (!in->killed) {
    /* SIGTERM: gdb detaches from the program before it quits. */
    in->killed = true;
    uv_process_kill(&in->proc, SIGTERM);
    uv_timer_start(&in->timer, on_gdb_deadline, GDB_KILL_GRACE_MS, 0);
  } else {
    uv_process_kill(&in->proc, SIGKILL);
  }
}

int dap_inject_start(uv_loop_t *loop, const dap_inject_target_t *t, const char *runtime_dir,
                     const char *socket_path, const char *secret, dap_inject_cb cb, void *ud,
                     dap_inject_t **out, char *err, size_t errlen) {
  char *gdb = dap_find_executable("gdb", getenv("PATH"));
  if (gdb == NULL) {
    snprintf(err, errlen,
             "attaching by processId needs gdb, which is not installed or not on PATH: install "
             "it (Debian/Ubuntu: sudo apt install gdb), or start the program with "
             "dapper-adapter --listen");
    return DAPPER_ELAUNCH;
  }
  char script[PATH_MAX + 32];
  snprintf(script, sizeof(script), "%s/boot/attach.py", runtime_dir);
  if (access(script, R_OK) != 0) {
    free(gdb);
    snprintf(err, errlen, "the attach bootstrap %s is missing: reinstall dapper-adapter", script);
    return DAPPER_ELAUNCH;
  }
  char *cmds = gdb_commands(runtime_dir, socket_path, secret);
  dap_inject_t *in = calloc(1, sizeof(*in));
  int cmd_fd = memfd_create("dapper-attach-gdb", MFD_CLOEXEC);
  int out_fd = memfd_create("dapper-attach-out", MFD_CLOEXEC);
  char *wrapper =
      getenv(DAP_INJECT_WRAPPER_ENV) != NULL ? strdup(getenv(DAP_INJECT_WRAPPER_ENV)) : NULL;
  char *argv[40];
  int argc = 0, rc = 0;
  if (cmds == NULL || in == NULL || cmd_fd < 0 || out_fd < 0) {
    snprintf(err, errlen, "cannot prepare gdb: %s",
             cmds == NULL || in == NULL ? "out of memory" : strerror(errno));
    rc = DAPPER_ELAUNCH;
    goto done;
  }
  size_t len = strlen(cmds);
  if (write(cmd_fd, cmds, len) != (ssize_t)len) {
    snprintf(err, errlen, "cannot prepare gdb: %s", strerror(errno));
    rc = DAPPER_ELAUNCH;
    goto done;
  }
  for (char *save = NULL, *w = wrapper != NULL ? strtok_r(wrapper, " ", &save) : NULL;
       w != NULL && argc < 20; w = strtok_r(NULL, " ", &save))
    argv[argc++] = w;
  char pid_text[16];
  snprintf(pid_text, sizeof(pid_text), "%d", t->pid);
  const char *fixed[] = {gdb,
                         "-p",
                         pid_text,
                         "--batch",
                         "-nx",
                         "-iex",
                         "set debuginfod enabled off",
                         "-iex",
                         "set auto-load off",
                         "-x",
                         "/dev/fd/3",
                         NULL};
  for (const char **f = fixed; *f != NULL; f++)
    argv[argc++] = (char *)*f;
  argv[argc] = NULL;

  uv_stdio_container_t stdio[4] = {
      {.flags = UV_IGNORE},
      {.flags = UV_INHERIT_FD, .data.fd = out_fd},
      {.flags = UV_INHERIT_FD, .data.fd = out_fd},
      {.flags = UV_INHERIT_FD, .data.fd = cmd_fd},
  };
  uv_process_options_t opts = {
      .file = argv[0], .args = argv, .exit_cb = on_gdb_exit, .stdio_count = 4, .stdio = stdio};
  in->proc.data = in;
  int urc = uv_spawn(loop, &in->proc, &opts);
  if (urc != 0) {
    snprintf(err, errlen, "cannot run %s: %s", argv[0], uv_strerror(urc));
    in->out_fd = out_fd; /* closed with the handle */
    out_fd = -1;
    in->handles_open = 1;
    uv_close((uv_handle_t *)&in->proc, on_closed);
    in = NULL;
    rc = DAPPER_ELAUNCH;
    goto done;
  }
  dap_log_info("attach: gdb (pid %d) injects into process %d", in->proc.pid, t->pid);
  in->out_fd = out_fd;
  out_fd = -1;
  in->pid = t->pid;
  in->cb = cb;
  in->ud = ud;
  uv_timer_init(loop, &in->timer);
  in->timer.data = in;
  in->handles_open = 2;
  uv_timer_start(&in->timer, on_gdb_deadline, GDB_DEADLINE_MS, 0);
  *out = in;
  in = NULL;
done:
  free(in);
  if (cmd_fd >= 0)
    close(cmd_fd);
  if (out_fd >= 0)
    close(out_fd);
  free(wrapper);
  free(cmds);
  free(gdb);
  return rc;
}

void dap_inject_cancel(dap_inject_t *in) {
  if (in->exited || in->cancelled)
    return;
  in->cancelled = true;
  in->killed = true;
  uv_process_kill(&in->proc, SIGTERM);
  uv_timer_start(&in->timer, on_gdb_deadline, GDB_KILL_GRACE_MS, 0);
}
