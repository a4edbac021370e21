/*
 * log.h — process-wide logging to stderr.
 *
 * Lines look like "2026-11-27T22:58:20.123Z INFO  broker: message" so they
 * can be grepped and read by people. Thread-safe (one fprintf per line).
 */
#ifndef BS_LOG_H
#define BS_LOG_H

typedef enum { BS_LOG_DEBUG = 0, BS_LOG_INFO, BS_LOG_WARN, BS_LOG_ERROR } bs_log_level_t;

void bs_log_set_level(bs_log_level_t lvl);
bs_log_level_t bs_log_get_level(void);
/* Parses "debug", "info", "warn", "error"; returns -1 on anything else. */
int bs_log_level_parse(const char *s);

void bs_log(bs_log_level_t lvl, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define bs_log_debug(comp, ...)                                                                    \
    do {                                                                                           \
        if (bs_log_get_level() <= BS_LOG_DEBUG)                                                    \
            bs_log(BS_LOG_DEBUG, comp, __VA_ARGS__);                                               \
    } while (0)
#define bs_log_info(comp, ...)  bs_log(BS_LOG_INFO, comp, __VA_ARGS__)
#define bs_log_warn(comp, ...)  bs_log(BS_LOG_WARN, comp, __VA_ARGS__)
#define bs_log_error(comp, ...) bs_log(BS_LOG_ERROR, comp, __VA_ARGS__)

#endif
