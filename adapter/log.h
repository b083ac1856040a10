/* Logging for the adapter. Never writes to stdout: in stdio mode stdout
 * carries the DAP stream. Messages go to stderr, or to --log-file. */
#ifndef DAPPER_ADAPTER_LOG_H
#define DAPPER_ADAPTER_LOG_H

typedef enum {
  DAP_LOG_ERROR = 0,
  DAP_LOG_WARN,
  DAP_LOG_INFO,
  DAP_LOG_DEBUG,
  DAP_LOG_TRACE, /* every DAP and wire message */
} dap_log_level_t;

/* Parses "error", "warn", "info", "debug" or "trace". Returns 0 and stores
 * the level, or -1 for an unknown name. */
int dap_log_parse_level(const char *name, dap_log_level_t *out);

/* Opens path for appending (NULL: stderr) and sets the level. Returns 0 or a
 * negative errno. */
int dap_log_init(const char *path, dap_log_level_t level);
void dap_log_close(void);

/* True when messages of this level are written (avoid building them if not). */
int dap_log_enabled(dap_log_level_t level);

void dap_log(dap_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define dap_log_error(...) dap_log(DAP_LOG_ERROR, __VA_ARGS__)
#define dap_log_warn(...) dap_log(DAP_LOG_WARN, __VA_ARGS__)
#define dap_log_info(...) dap_log(DAP_LOG_INFO, __VA_ARGS__)
#define dap_log_debug(...) dap_log(DAP_LOG_DEBUG, __VA_ARGS__)
#define dap_log_trace(...) dap_log(DAP_LOG_TRACE, __VA_ARGS__)

#endif
