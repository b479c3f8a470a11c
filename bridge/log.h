#ifndef POLLHOOK_LOG_H
#define POLLHOOK_LOG_H

#include <stdbool.h>

/* One logging API for the whole daemon, to stderr and optionally syslog. */

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARNING, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* Sets the threshold level and whether messages also go to syslog. */
void log_init(enum log_level level, bool use_syslog);
/* Changes the threshold level (config reload, -v). */
void log_set_level(enum log_level level);
/* Returns the current threshold level. */
enum log_level log_get_level(void);
/* Parses "debug", "info", "warning" or "error"; returns -1 for anything else. */
int log_level_parse(const char *name);
/* Logs an error with strerror(errno) appended. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Logs an error without errno. */
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Logs at info level. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Logs at debug level. */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Logs with strerror(errno) and exits with status 1. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Logs and exits with status 1. */
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
