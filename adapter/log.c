#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static FILE *log_file;
static dap_log_level_t log_level = DAP_LOG_WARN;

static const char *const level_names[] = {"error", "warn", "info", "debug", "trace"};

int dap_log_parse_level(const char *name, dap_log_level_t *out) {
  for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
    if (strcmp(name, level_names[i]) == 0) {
      *out = (dap_log_level_t)i;
      return 0;
    }
  }
  return -1;
}

int dap_log_init(const char *path, dap_log_level_t level) {
  log_level = level;
  if (path == NULL)
    return 0;
  FILE *f = fopen(path, "a");
  if (f == NULL)
    return -errno;
  setvbuf(f, NULL, _IOLBF, 0);
  log_file = f;
  return 0;
}

void dap_log_close(void) {
  if (log_file != NULL) {
    fclose(log_file);
    log_file = NULL;
  }
}

int dap_log_enabled(dap_log_level_t level) { return level <= log_level; }

void dap_log(dap_log_level_t level, const char *fmt, ...) {
  if (!dap_log_enabled(level))
    return;
  FILE *out = log_file != NULL ? log_file : stderr;
  struct timeval tv;
  struct tm tm;
  gettimeofday(&tv, NULL);
  localtime_r(&tv.tv_sec, &tm);
  char stamp[32];
  strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
  fprintf(out, "%s.%03ld dapper-adapter[%ld] %s: ", stamp, (long)(tv.tv_usec / 1000),
          (long)getpid(), level_names[level]);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(out, fmt, ap);
  va_end(ap);
  fputc('\n', out);
  fflush(out);
}
