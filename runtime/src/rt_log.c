/* See rt_log.h. */
#include "rt_compat.h" /* first: Python.h must precede system headers */

#include "rt_log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

#include "rt_stats.h"

static atomic_int rt_log_level = RT_LOG_OFF;

void rt_log_set_level(int level) {
  if (level < RT_LOG_OFF) level = RT_LOG_OFF;
  if (level > RT_LOG_DEBUG) level = RT_LOG_DEBUG;
  atomic_store(&rt_log_level, level);
}

int rt_log_enabled(rt_log_level_t level) {
  return level != RT_LOG_OFF && (int)level <= atomic_load(&rt_log_level);
}

void rt_log(rt_log_level_t level, const char *fmt, ...) {
  char line[512];
  int n = 0;
  int m = 0;
  va_list ap;

  if (level == RT_LOG_ERROR) rt_stat_inc(RT_STAT_ERRORS);
  if (!rt_log_enabled(level)) return;
  n = snprintf(line, sizeof line, "dapper-runtime[%ld]: ", (long)getpid());
  if (n < 0) return;
  va_start(ap, fmt);
  m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
  va_end(ap);
  if (m < 0) return;
  n += m;
  if ((size_t)n > sizeof line - 2) n = (int)sizeof line - 2;
  line[n++] = '\n';
  /* One write(2) so lines from several threads do not interleave; stdio's
   * stderr is not used because Python may own its buffer. */
  (void)!write(STDERR_FILENO, line, (size_t)n);
}
