/* Diagnostics of the runtime, written to the debuggee's stderr only when
 * enabled (the program's output belongs to the user). The level is set by
 * _dapper_runtime._set_log_level(), which the boot script calls when the
 * adapter passed DAPPER_RUNTIME_LOG. Safe from any thread, GIL or not. */
#ifndef RT_LOG_H
#define RT_LOG_H

typedef enum {
  RT_LOG_OFF = 0,
  RT_LOG_ERROR = 1,
  RT_LOG_INFO = 2,
  RT_LOG_DEBUG = 3,
} rt_log_level_t;

void rt_log_set_level(int level);
int rt_log_enabled(rt_log_level_t level);
void rt_log(rt_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
