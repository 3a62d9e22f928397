/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * log.h - the agent's own log: one line per event on stderr, which
 * systemd hands to journald. Never log a secret or a record's content.
 */
#ifndef HOSTRAIL_LOG_H
#define HOSTRAIL_LOG_H

#include <stdarg.h>

enum hr_log_level { HR_LOG_ERROR = 3, HR_LOG_WARN = 4, HR_LOG_INFO = 6, HR_LOG_DEBUG = 7 };

void hr_log_set_level(enum hr_log_level max);
void hr_log(enum hr_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void hr_vlog(enum hr_log_level level, const char *fmt, va_list ap);

#define hr_err(...)   hr_log(HR_LOG_ERROR, __VA_ARGS__)
#define hr_warn(...)  hr_log(HR_LOG_WARN, __VA_ARGS__)
#define hr_info(...)  hr_log(HR_LOG_INFO, __VA_ARGS__)
#define hr_debug(...) hr_log(HR_LOG_DEBUG, __VA_ARGS__)

#endif
