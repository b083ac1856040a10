#include "launch.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dapper/errors.h"
#include "dapper/message.h"
#include "dapper/wire.h"
#include "envfile.h"

extern char **environ;

/* A growable NULL-terminated array of malloc'd strings. */
typedef struct {
  char **v;
  size_t n, cap;
} strvec_t;

static int strvec_push_owned(strvec_t *sv, char *s) {
  if (s == NULL)
    return DAPPER_ENOMEM;
  if (sv->n + 2 > sv->cap) {
    size_t cap = sv->cap ? sv->cap * 2 : 16;
    char **v = realloc(sv->v, cap * sizeof(*v));
    if (v == NULL) {
      free(s);
      return DAPPER_ENOMEM;
    }
    sv->v = v;
    sv->cap = cap;
  }
  sv->v[sv->n++] = s;
  sv->v[sv->n] = NULL;
  return 0;
}

static int strvec_push(strvec_t *sv, const char *s) { return strvec_push_owned(sv, strdup(s)); }

static void strv_free(char **v) {
  if (v == NULL)
    return;
  for (char **p = v; *p != NULL; p++)
    free(*p);
  free(v);
}

static char *str_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *str_printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = NULL;
  if (vasprintf(&s, fmt, ap) < 0)
    s = NULL;
  va_end(ap);
  return s;
}

/* Index of NAME in an env vector, or -1. */
static long env_find(const strvec_t *env, const char *name, size_t name_len) {
  for (size_t i = 0; i < env->n; i++) {
    if (strncmp(env->v[i], name, name_len) == 0 && env->v[i][name_len] == '=')
      return (long)i;
  }
  return -1;
}

static const char *env_get(const strvec_t *env, const char *name) {
  long i = env_find(env, name, strlen(name));
  return i < 0 ? NULL : env->v[i] + strlen(name) + 1;
}

static void env_unset(strvec_t *env, const char *name, size_t name_len) {
  long i = env_find(env, name, name_len);
  if (i < 0)
    return;
  free(env->v[i]);
  memmove(&env->v[i], &env->v[i + 1], (env->n - (size_t)i) * sizeof(char *));
  env->n--;
}

static int env_set(strvec_t *env, const char *name, const char *value) {
  env_unset(env, name, strlen(name));
  return strvec_push_owned(env, str_printf("%s=%s", name, value));
}

char *dap_find_executable(const char *name, const char *path_var) {
  struct stat st;
  if (name == NULL || *name == '\0')
    return NULL;
  if (strchr(name, '/') != NULL) {
    if (stat(name, &st) == 0 && S_ISREG(st.st_mode) && access(name, X_OK) == 0)
      return strdup(name);
    return NULL;
  }
  if (path_var == NULL)
    path_var = "/usr/local/bin:/usr/bin:/bin";
  const char *p = path_var;
  for (;;) {
    const char *end = strchr(p, ':');
    size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
    char *cand = len == 0 ? str_printf("./%s", name) : str_printf("%.*s/%s", (int)len, p, name);
    if (cand == NULL)
      return NULL;
    if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
      return cand;
    free(cand);
    if (end == NULL)
      return NULL;
    p = end + 1;
  }
}

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
  return DAPPER_EINVAL;
}

static const char *adapter_getenv(const char *name, void *ud) {
  (void)ud;
  return getenv(name);
}

/* `envFile`: its variables into env, and a copy in *vars (for a terminal).
 * A relative path is relative to the launch's working directory. */
static int apply_env_file(const cJSON *args, const char *cwd, strvec_t *env, cJSON **vars,
                          char *err, size_t errlen) {
  const char *file = NULL;
  if (dap_get_string(args, "envFile", &file) < 0)
    return fail(err, errlen, "\"envFile\" must be a string (the path of a dotenv file)");
  if (file == NULL || *file == '\0')
    return 0;
  char here[4096];
  char *path = NULL;
  if (file[0] == '/')
    path = strdup(file);
  else if (cwd != NULL || getcwd(here, sizeof(here)) != NULL)
    path = str_printf("%s/%s", cwd != NULL ? cwd : here, file);
  else
    return fail(err, errlen, "envFile \"%s\": cannot resolve it: %s", file, strerror(errno));
  *vars = cJSON_CreateObject();
  if (path == NULL || *vars == NULL) {
    free(path);
    return DAPPER_ENOMEM;
  }
  int rc = dap_envfile_load(path, *vars, adapter_getenv, NULL, err, errlen);
  free(path);
  if (rc != 0)
    return rc == DAPPER_ENOMEM ? rc : DAPPER_EINVAL;
  const cJSON *item;
  cJSON_ArrayForEach(item, *vars) {
    if (env_set(env, item->string, item->valuestring) != 0)
      return DAPPER_ENOMEM;
  }
  return 0;
}

/* The adapter's environment with the launch configuration's `envFile` and
 * then `env` merged in (a null value in `env` removes the variable). */
static int build_env(const cJSON *args, const char *cwd, strvec_t *env, cJSON **file_vars,
                     char *err, size_t errlen) {
  for (char **e = environ; *e != NULL; e++) {
    if (strvec_push(env, *e) != 0)
      return DAPPER_ENOMEM;
  }
  int rc = apply_env_file(args, cwd, env, file_vars, err, errlen);
  if (rc != 0)
    return rc;
  const cJSON *user = NULL;
  if (dap_get_object(args, "env", &user) < 0 || (user != NULL && !cJSON_IsObject(user)))
    return fail(err, errlen, "\"env\" must be an object of strings");
  const cJSON *item;
  cJSON_ArrayForEach(item, user) {
    const char *name = item->string;
    if (name == NULL || *name == '\0' || strchr(name, '=') != NULL)
      return fail(err, errlen, "\"env\" has an invalid variable name \"%s\"", name ? name : "");
    if (cJSON_IsNull(item)) {
      env_unset(env, name, strlen(name));
    } else if (cJSON_IsString(item)) {
      if (env_set(env, name, item->valuestring) != 0)
        return DAPPER_ENOMEM;
    } else {
      return fail(err, errlen, "\"env.%s\" must be a string or null", name);
    }
  }
  return 0;
}

/* Adds what the runtime's bootstrap needs (docs/wire-protocol.md). */
static int inject_runtime(strvec_t *env, const char *runtime_dir, int runtime_fd) {
  char *boot = str_printf("%s/boot", runtime_dir);
  if (boot == NULL)
    return DAPPER_ENOMEM;
  const char *pp = env_get(env, "PYTHONPATH");
  const char *unbuf = env_get(env, "PYTHONUNBUFFERED");
  char *new_pp = pp != NULL && *pp != '\0' ? str_printf("%s:%s", boot, pp) : strdup(boot);
  char fd[16];
  snprintf(fd, sizeof(fd), "%d", runtime_fd);
  int rc = new_pp == NULL ? DAPPER_ENOMEM : 0;
  /* Remember the user's values before overwriting them. */
  if (rc == 0 && pp != NULL)
    rc = env_set(env, "DAPPER_ORIG_PYTHONPATH", pp);
  else if (rc == 0)
    env_unset(env, "DAPPER_ORIG_PYTHONPATH", strlen("DAPPER_ORIG_PYTHONPATH"));
  if (rc == 0 && unbuf != NULL)
    rc = env_set(env, "DAPPER_ORIG_PYTHONUNBUFFERED", unbuf);
  else if (rc == 0)
    env_unset(env, "DAPPER_ORIG_PYTHONUNBUFFERED", strlen("DAPPER_ORIG_PYTHONUNBUFFERED"));
  if (rc == 0)
    rc = env_set(env, "PYTHONPATH", new_pp);
  if (rc == 0)
    rc = env_set(env, "PYTHONUNBUFFERED", "1");
  if (rc == 0)
    rc = env_set(env, WIRE_FD_ENV, fd);
  if (rc == 0)
    rc = env_set(env, "DAPPER_RUNTIME_DIR", runtime_dir);
  free(new_pp);
  free(boot);
  return rc;
}

/* The interpreter: `python` is a string or an argv array; default python3. */
static int build_interpreter(const cJSON *args, const strvec_t *env, const char *cwd,
                             strvec_t *argv, char **file, char *err, size_t errlen) {
  const cJSON *py = cJSON_GetObjectItemCaseSensitive(args, "python");
  const char *exe = "python3";
  const cJSON *extra = NULL;
  if (cJSON_IsString(py)) {
    exe = py->valuestring;
  } else if (cJSON_IsArray(py)) {
    const cJSON *first = cJSON_GetArrayItem(py, 0);
    if (!cJSON_IsString(first))
      return fail(err, errlen, "\"python\" must be a path or a non-empty array of strings");
    exe = first->valuestring;
    extra = first->next;
    for (const cJSON *a = extra; a != NULL; a = a->next) {
      if (!cJSON_IsString(a))
        return fail(err, errlen, "\"python\" must be a path or a non-empty array of strings");
    }
  } else if (py != NULL && !cJSON_IsNull(py)) {
    return fail(err, errlen, "\"python\" must be a path or a non-empty array of strings");
  }
  /* A relative path names a file relative to the launch's working
   * directory, where the interpreter would look for it too. */
  char *abs = NULL;
  if (strchr(exe, '/') != NULL && exe[0] != '/') {
    char here[4096];
    if (cwd == NULL && getcwd(here, sizeof(here)) == NULL)
      return fail(err, errlen, "cannot resolve \"%s\": %s", exe, strerror(errno));
    abs = str_printf("%s/%s", cwd != NULL ? cwd : here, exe);
    if (abs == NULL)
      return DAPPER_ENOMEM;
  }
  *file = dap_find_executable(abs != NULL ? abs : exe, env_get(env, "PATH"));
  free(abs);
  if (*file == NULL) {
    if (strchr(exe, '/') != NULL)
      return fail(err, errlen, "the Python interpreter \"%s\" does not exist or is not executable", exe);
    return fail(err, errlen, "the Python interpreter \"%s\" was not found on PATH", exe);
  }
  /* argv[0] as the user wrote it when PATH finds it (the interpreter then
   * computes sys.executable as it would from a shell), else the path. */
  if (strvec_push(argv, strchr(exe, '/') != NULL ? *file : exe) != 0)
    return DAPPER_ENOMEM;
  for (const cJSON *a = extra; a != NULL; a = a->next) {
    if (strvec_push(argv, a->valuestring) != 0)
      return DAPPER_ENOMEM;
  }
  return 0;
}

/* program / module / code, then args. */
static int build_target(const cJSON *args, strvec_t *argv, char **name, char *err,
                        size_t errlen) {
  const char *program = NULL, *module = NULL, *code = NULL;
  if (dap_get_string(args, "program", &program) < 0)
    return fail(err, errlen, "\"program\" must be a string (a path)");
  if (dap_get_string(args, "module", &module) < 0)
    return fail(err, errlen, "\"module\" must be a string");
  if (dap_get_string(args, "code", &code) < 0)
    return fail(err, errlen, "\"code\" must be a string");
  int given = (program != NULL) + (module != NULL) + (code != NULL);
  if (given != 1)
    return fail(err, errlen,
                given == 0 ? "launch needs one of \"program\", \"module\" or \"code\""
                           : "launch takes only one of \"program\", \"module\" or \"code\"");
  int rc = 0;
  if (program != NULL) {
    if (*program == '\0')
      return fail(err, errlen, "\"program\" is empty");
    rc = strvec_push(argv, program);
    *name = strdup(program);
  } else if (module != NULL) {
    if (*module == '\0')
      return fail(err, errlen, "\"module\" is empty");
    rc = strvec_push(argv, "-m");
    if (rc == 0)
      rc = strvec_push(argv, module);
    *name = strdup(module);
  } else {
    rc = strvec_push(argv, "-c");
    if (rc == 0)
      rc = strvec_push(argv, code);
    *name = strdup("-c");
  }
  if (rc != 0 || *name == NULL)
    return DAPPER_ENOMEM;
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(args, "args");
  if (list != NULL && !cJSON_IsNull(list)) {
    if (!cJSON_IsArray(list))
      return fail(err, errlen, "\"args\" must be an array of strings");
    const cJSON *a;
    cJSON_ArrayForEach(a, list) {
      if (!cJSON_IsString(a))
        return fail(err, errlen, "\"args\" must be an array of strings");
      if (strvec_push(argv, a->valuestring) != 0)
        return DAPPER_ENOMEM;
    }
  }
  return 0;
}

int dap_launch_parse(const cJSON *args, const char *runtime_dir, int runtime_fd,
                     dap_launch_t *out, char *err, size_t errlen) {
  memset(out, 0, sizeof(*out));
  strvec_t argv = {0}, env = {0};
  char *file = NULL, *name = NULL, *cwd = NULL;
  cJSON *env_file = NULL;
  int rc;
  if (args == NULL || !cJSON_IsObject(args)) {
    rc = fail(err, errlen, "launch needs arguments");
    goto error;
  }
  if ((rc = dap_get_bool(args, "noDebug", &out->no_debug)) < 0) {
    rc = fail(err, errlen, "\"noDebug\" must be a boolean");
    goto error;
  }
  if ((rc = dap_get_bool(args, "stopOnEntry", &out->stop_on_entry)) < 0) {
    rc = fail(err, errlen, "\"stopOnEntry\" must be a boolean");
    goto error;
  }
  const char *cwd_arg = NULL;
  if (dap_get_string(args, "cwd", &cwd_arg) < 0) {
    rc = fail(err, errlen, "\"cwd\" must be a string (a directory)");
    goto error;
  }
  if (cwd_arg != NULL && *cwd_arg != '\0') {
    struct stat st;
    if (stat(cwd_arg, &st) != 0 || !S_ISDIR(st.st_mode)) {
      rc = fail(err, errlen, "the working directory \"%s\" does not exist", cwd_arg);
      goto error;
    }
    if ((cwd = strdup(cwd_arg)) == NULL) {
      rc = DAPPER_ENOMEM;
      goto error;
    }
  }
  if ((rc = build_env(args, cwd, &env, &env_file, err, errlen)) != 0)
    goto error;
  if ((rc = build_interpreter(args, &env, cwd, &argv, &file, err, errlen)) != 0)
    goto error;
  if ((rc = build_target(args, &argv, &name, err, errlen)) != 0)
    goto error;
  if (!out->no_debug && (rc = inject_runtime(&env, runtime_dir, runtime_fd)) != 0)
    goto error;
  out->file = file;
  out->argv = argv.v;
  out->env = env.v;
  out->cwd = cwd;
  out->name = name;
  out->env_file = env_file;
  return 0;
error:
  if (rc == DAPPER_ENOMEM)
    snprintf(err, errlen, "out of memory");
  strv_free(argv.v);
  strv_free(env.v);
  free(file);
  free(name);
  free(cwd);
  cJSON_Delete(env_file);
  return rc;
}

/* Launch keys that are read: here, in lifecycle.c, or by the runtime's
 * `configure` (docs/configuration.md). */
static const char *const honoured_keys[] = {
    "program",   "module",          "code",    "args",        "cwd",
    "env",       "python",          "noDebug", "stopOnEntry", "showReturnValue",
    "frameEval", "evaluateTimeout", "console", "justMyCode",  "rules",
    "connect",   "listen",          "processId",   "attachTimeout", "pathMappings",
    "envFile",   "redirectOutput",  "subProcess",  "subProcessId",  "subProcessSocket",
    "subProcessSecret", NULL};

/* Keys clients add to every configuration, for themselves. */
static const char *const client_keys[] = {"type",
                                          "request",
                                          "name",
                                          "debugServer",
                                          "preLaunchTask",
                                          "postDebugTask",
                                          "internalConsoleOptions",
                                          "presentation",
                                          "suppressMultipleSessionWarning",
                                          "windows",
                                          "linux",
                                          "osx",
                                          NULL};

static bool in_list(const char *const *list, const char *key) {
  for (; *list != NULL; list++) {
    if (strcmp(*list, key) == 0)
      return true;
  }
  return false;
}

int dap_launch_unknown_keys(const cJSON *args, char *buf, size_t buflen) {
  int n = 0;
  size_t used = 0;
  const cJSON *item;
  if (buflen > 0)
    buf[0] = '\0';
  cJSON_ArrayForEach(item, args) {
    const char *key = item->string;
    if (key == NULL || strncmp(key, "__", 2) == 0 || in_list(honoured_keys, key) ||
        in_list(client_keys, key))
      continue;
    n++;
    if (used < buflen) {
      int w = snprintf(buf + used, buflen - used, "%s\"%s\"", n > 1 ? ", " : "", key);
      used = w < 0 ? buflen : used + (size_t)w;
    }
  }
  if (used >= buflen && buflen > 4)
    memcpy(buf + buflen - 4, "...", 4);
  return n;
}

int dap_launch_check_step_filters(const cJSON *args, char *err, size_t errlen) {
  const cJSON *jmc = cJSON_GetObjectItemCaseSensitive(args, "justMyCode");
  const cJSON *rules = cJSON_GetObjectItemCaseSensitive(args, "rules");
  const cJSON *rule;
  int i = 0;
  if (jmc != NULL && !cJSON_IsNull(jmc) && !cJSON_IsBool(jmc)) {
    snprintf(err, errlen, "\"justMyCode\" must be true or false");
    return DAPPER_EINVAL;
  }
  if (rules == NULL || cJSON_IsNull(rules))
    return 0;
  if (!cJSON_IsArray(rules)) {
    snprintf(err, errlen,
             "\"rules\" must be an array of {\"path\": glob or \"module\": name, "
             "\"include\": true|false}");
    return DAPPER_EINVAL;
  }
  cJSON_ArrayForEach(rule, rules) {
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(rule, "path");
    const cJSON *module = cJSON_GetObjectItemCaseSensitive(rule, "module");
    const cJSON *include = cJSON_GetObjectItemCaseSensitive(rule, "include");
    const char *why = NULL;
    if (!cJSON_IsObject(rule))
      why = "must be an object";
    else if ((path != NULL) == (module != NULL))
      why = "needs exactly one of \"path\" and \"module\"";
    else if ((path != NULL && (!cJSON_IsString(path) || path->valuestring[0] == '\0')) ||
             (module != NULL && (!cJSON_IsString(module) || module->valuestring[0] == '\0')))
      why = path != NULL ? "\"path\" must be a non-empty string (a glob)"
                         : "\"module\" must be a non-empty string";
    else if (!cJSON_IsBool(include))
      why = "\"include\" must be true or false";
    if (why != NULL) {
      snprintf(err, errlen, "\"rules\"[%d] %s", i, why);
      return DAPPER_EINVAL;
    }
    i++;
  }
  return 0;
}

int dap_launch_console(const cJSON *args, bool client_has_terminal, dap_console_t *out, char *err,
                       size_t errlen) {
  const char *console = NULL;
  if (dap_get_string(args, "console", &console) < 0)
    return fail(err, errlen,
                "\"console\" must be \"internalConsole\", \"integratedTerminal\" or "
                "\"externalTerminal\"");
  if (console == NULL) {
    *out = client_has_terminal ? DAP_CONSOLE_INTEGRATED : DAP_CONSOLE_INTERNAL;
    return 0;
  }
  if (strcmp(console, "internalConsole") == 0)
    *out = DAP_CONSOLE_INTERNAL;
  else if (strcmp(console, "integratedTerminal") == 0)
    *out = DAP_CONSOLE_INTEGRATED;
  else if (strcmp(console, "externalTerminal") == 0)
    *out = DAP_CONSOLE_EXTERNAL;
  else
    return fail(err, errlen,
                "\"console\": \"%s\" is not one of \"internalConsole\", "
                "\"integratedTerminal\", \"externalTerminal\"",
                console);
  if (*out != DAP_CONSOLE_INTERNAL && !client_has_terminal)
    return fail(err, errlen,
                "\"console\": \"%s\" needs a client that runs programs in a terminal (it did "
                "not announce supportsRunInTerminalRequest): use \"internalConsole\"",
                console);
  return 0;
}

/* The value of NAME in a NULL-terminated "NAME=value" vector, or NULL. */
static const char *envv_get(char **env, const char *name) {
  size_t len = strlen(name);
  for (char **e = env; e != NULL && *e != NULL; e++) {
    if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
      return *e + len + 1;
  }
  return NULL;
}

cJSON *dap_launch_terminal_args(const cJSON *args, const dap_launch_t *l, dap_console_t console,
                                const char *socket_path, const char *secret) {
  cJSON *ra = cJSON_CreateObject();
  cJSON *argv = cJSON_AddArrayToObject(ra, "args");
  const cJSON *user_env = cJSON_GetObjectItemCaseSensitive(args, "env");
  /* envFile's variables, then `env`'s (which win). */
  cJSON *env = l->env_file != NULL ? cJSON_Duplicate(l->env_file, 1) : cJSON_CreateObject();
  const cJSON *item;
  const cJSON *user_items = cJSON_IsObject(user_env) ? user_env : NULL;
  cJSON_ArrayForEach(item, user_items) {
    if (env == NULL || item->string == NULL)
      break;
    cJSON_DeleteItemFromObjectCaseSensitive(env, item->string);
    cJSON_AddItemToObject(env, item->string, cJSON_Duplicate(item, 1));
  }
  char here[4096];
  const char *cwd = l->cwd != NULL ? l->cwd : getcwd(here, sizeof(here));
  if (ra == NULL || argv == NULL || env == NULL || cwd == NULL) {
    cJSON_Delete(env);
    cJSON_Delete(ra);
    return NULL;
  }
  cJSON_AddItemToObject(ra, "env", env);
  cJSON_AddStringToObject(ra, "kind", console == DAP_CONSOLE_EXTERNAL ? "external" : "integrated");
  char *title = str_printf("Python: %s", l->name);
  if (title != NULL)
    cJSON_AddStringToObject(ra, "title", title);
  free(title);
  cJSON_AddStringToObject(ra, "cwd", cwd);
  /* The resolved interpreter: the terminal's PATH may name another one. */
  cJSON_AddItemToArray(argv, cJSON_CreateString(l->file));
  for (char **a = l->argv + 1; *a != NULL; a++)
    cJSON_AddItemToArray(argv, cJSON_CreateString(*a));
  /* What the runtime's boot needs, on top of the terminal's environment
   * and the configuration's `env`. No PYTHONUNBUFFERED: a terminal is
   * line-buffered already. A variable the boot needs unset is left out,
   * not sent as null: VS Code turns a null into `env ... -u NAME` after
   * the assignments, which env(1) refuses, so the program never starts. */
  static const char *const runtime_vars[] = {"PYTHONPATH",          "DAPPER_ORIG_PYTHONPATH",
                                             "DAPPER_RUNTIME_DIR",  "DAPPER_CHILD_SOCKET",
                                             "DAPPER_CHILD_SECRET", NULL};
  for (const char *const *v = runtime_vars; *v != NULL; v++) {
    const char *value = envv_get(l->env, *v);
    cJSON_DeleteItemFromObjectCaseSensitive(env, *v);
    if (value != NULL)
      cJSON_AddItemToObject(env, *v, cJSON_CreateString(value));
  }
  cJSON_DeleteItemFromObjectCaseSensitive(env, WIRE_SOCKET_ENV);
  cJSON_DeleteItemFromObjectCaseSensitive(env, WIRE_SECRET_ENV);
  cJSON_AddStringToObject(env, WIRE_SOCKET_ENV, socket_path);
  cJSON_AddStringToObject(env, WIRE_SECRET_ENV, secret);
  return ra;
}

int dap_launch_setenv(dap_launch_t *l, const char *name, const char *value) {
  strvec_t env = {.v = l->env, .n = 0, .cap = 0};
  if (env.v != NULL) {
    while (env.v[env.n] != NULL)
      env.n++;
    env.cap = env.n + 1;
  }
  int rc = env_set(&env, name, value);
  l->env = env.v;
  return rc;
}

void dap_launch_free(dap_launch_t *l) {
  strv_free(l->argv);
  strv_free(l->env);
  free(l->file);
  free(l->cwd);
  free(l->name);
  cJSON_Delete(l->env_file);
  memset(l, 0, sizeof(*l));
}

int dap_launch_startup_timeout(uint64_t *ms, char *err, size_t errlen) {
  const char *text = getenv(DAP_STARTUP_TIMEOUT_ENV);
  *ms = DAP_STARTUP_TIMEOUT_DEFAULT_MS;
  if (text == NULL || *text == '\0')
    return 0;
  char *end = NULL;
  errno = 0;
  double secs = strtod(text, &end);
  while (end != NULL && (*end == ' ' || *end == '\t'))
    end++;
  if (errno != 0 || end == text || *end != '\0' || !isfinite(secs) || !(secs > 0) || secs > 3600) {
    snprintf(err, errlen,
             "%s must be a number of seconds (0 < t <= 3600): how long the adapter waits for "
             "the program's debugger runtime to start; not '%s'",
             DAP_STARTUP_TIMEOUT_ENV, text);
    return DAPPER_EINVAL;
  }
  *ms = (uint64_t)(secs * 1000.0 + 0.5);
  if (*ms == 0)
    *ms = 1;
  return 0;
}
