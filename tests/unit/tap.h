/* Minimal TAP output for the C unit tests, read by prove. */
#ifndef DBCTL_TAP_H
#define DBCTL_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_count, tap_failed;

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

static void tap_ok(int pass, const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#include <stdarg.h>
static void tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	printf("%s %d - ", pass ? "ok" : "not ok", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!pass) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
}

#define is_int(got, want, name)                                                                          \
	do {                                                                                             \
		long tap_got_ = (long)(got), tap_want_ = (long)(want);                                   \
		ok(tap_got_ == tap_want_, "%s", name);                                                   \
		if (tap_got_ != tap_want_)                                                               \
			printf("#   got: %ld\n#   expected: %ld\n", tap_got_, tap_want_);               \
	} while (0)

#define is_str(got, want, name)                                                                          \
	do {                                                                                             \
		const char *tap_got_ = (got), *tap_want_ = (want);                                      \
		int tap_same_ = (!tap_got_ && !tap_want_) ||                                             \
				(tap_got_ && tap_want_ && strcmp(tap_got_, tap_want_) == 0);              \
		ok(tap_same_, "%s", name);                                                              \
		if (!tap_same_)                                                                          \
			printf("#   got: '%s'\n#   expected: '%s'\n", tap_got_ ? tap_got_ : "(null)",      \
			       tap_want_ ? tap_want_ : "(null)");                                        \
	} while (0)

static int done_testing(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif
