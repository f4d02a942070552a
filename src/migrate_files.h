/* Migration files: discovery and parsing of dbmate, golang-migrate and goose
 * formats, with a checksum per section. Reads files; touches no database. */
#ifndef DBCTL_MIGRATE_FILES_H
#define DBCTL_MIGRATE_FILES_H

#include "err.h"

#include <stdbool.h>
#include <stddef.h>

enum migration_format {
	MIGRATION_DBMATE,          /* -- migrate:up / -- migrate:down in one file */
	MIGRATION_GOLANG_MIGRATE,  /* VERSION_name.up.sql and VERSION_name.down.sql */
	MIGRATION_GOOSE,           /* -- +goose Up / -- +goose Down */
};

struct migration_section {
	bool present;
	char *text;          /* owned; as in the file (but see unwrapped) */
	const char *path;    /* borrowed from the migration */
	int first_line;      /* line of the file where text starts */
	bool transaction;    /* false: transaction:false or NO TRANSACTION */
	bool unwrapped;      /* golang-migrate: the BEGIN; ... COMMIT; around the whole text was blanked out */
	char checksum[65];   /* up sections: SHA-256 of text with CRLF as LF and no BOM */
	/* owned; goose ENVSUB named an unset variable (text stays as written):
	 * an error only where the section is about to run, not for a down or an
	 * applied migration that is never run here; NULL otherwise */
	char *envsub_error;
};

struct migration {
	/* owned; digits without leading zeros, compared numerically; a
	 * repeatable migration's is "R__" and its name, as its tracking row's */
	char *version;
	char *name;          /* owned; the part after VERSION_ */
	char *path;          /* owned; the file with the up section */
	char *down_path;     /* owned; golang-migrate's .down.sql, or NULL */
	enum migration_format format;
	bool repeatable;     /* Flyway's R__name.sql or -- migrate:repeatable: runs again whenever it changes */
	struct migration_section up;
	struct migration_section down;
	/* owned; "dev,test" from "-- migrate:up env:dev,test": the environments
	 * it runs in; NULL for every one */
	char *environments;
	bool other_environment;    /* migrate_files_select: not for the profile's environment */
	/* owned; goose's ENVSUB ON ... OFF line ranges, substituted after the checksum */
	struct migration_lines *envsub;
	size_t envsub_count;
};

struct migration_lines {
	int first, last;           /* lines of the file, inclusive */
};

struct migration_set {
	struct migration *items;   /* owned; sorted by version */
	size_t count;
	struct migration *repeatables;   /* owned; sorted by name; up sections only */
	size_t repeatable_count;
};

/* Reads every *.sql file of dir: VERSION_name files, and repeatable ones
 * (R__name.sql, or a name without a version whose first marker is
 * "-- migrate:repeatable"). Names that do not parse, two files with one
 * version, a file without an up section, statements before the first marker:
 * -1 with exit 3 and the file (and line); so is a missing directory. */
int migrate_files_load(const char *dir, struct migration_set *out, struct err *err) MUST_CHECK;
void migrate_files_release(struct migration_set *set);

/* Marks the migrations whose env: list does not name environment (an empty
 * environment matches only the migrations without a list). */
void migrate_files_select(struct migration_set *set, const char *environment);

/* Finds a repeatable migration by its version ("R__name"); NULL when absent. */
const struct migration *migrate_files_find_repeatable(const struct migration_set *set, const char *version);

/* Finds a version; NULL when absent. */
const struct migration *migrate_files_find(const struct migration_set *set, const char *version);

/* <0, 0, >0 comparing two versions numerically (any number of digits). */
int migrate_version_compare(const char *a, const char *b);

/* Canonical form of a version: digits with leading zeros removed ("0" for zero);
 * NULL when text is not all digits. Caller frees. */
char *migrate_version_normalize(const char *text);

#endif
