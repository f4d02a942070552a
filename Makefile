# dbctl: build, test, install. Plain make + pkg-config; Debian 12 packages.
# Targets: all demo check asan install uninstall clean

VERSION   = 0.1.0
PREFIX   ?= /usr/local
DESTDIR  ?=
BUILD    ?= build
CC       ?= cc

WARNINGS  = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
            -Wwrite-strings -Wvla -Wpointer-arith -Wundef -fno-common \
            -Wno-format-truncation  # error messages live in fixed buffers; cutting one short is fine
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L $(WARNINGS) $(CFLAGS) $(SANITIZE) \
             -fPIC -fvisibility=hidden -DDBCTL_VERSION='"$(VERSION)"' -MMD -MP
LDFLAGS  += $(SANITIZE)

# -L/-I come from pkg-config; each backend's library is linked only into its module.
PKG_PG     = $(shell pkg-config --cflags --libs libpq)
PKG_REDIS  = $(shell pkg-config --cflags --libs hiredis)
PKG_SQLITE = $(shell pkg-config --cflags --libs sqlite3)
PKG_INIH   = $(shell pkg-config --cflags --libs inih)
# libmariadb is linked statically into its module (libmariadb-dev ships a PIC
# libmariadb.a; its symbols stay private to the module): loading the shared
# library cost a ping ~4% in symbol lookups (bench/mysql.sh).
PKG_MYSQL  = $(shell pkg-config --libs --static libmariadb | sed 's/-lmariadb/-Wl,-Bstatic -lmariadb -Wl,-Bdynamic/') \
             -Wl,--exclude-libs,libmariadb.a
CFLAGS_PG    = $(shell pkg-config --cflags libpq)
CFLAGS_REDIS = $(shell pkg-config --cflags hiredis)
CFLAGS_SQL   = $(shell pkg-config --cflags sqlite3)
CFLAGS_INIH  = $(shell pkg-config --cflags inih)
CFLAGS_MYSQL = $(shell pkg-config --cflags libmariadb)
PKG_EDIT     = $(shell pkg-config --libs libedit)
CFLAGS_EDIT  = $(shell pkg-config --cflags libedit)

OBJ = $(BUILD)/obj
BIN = $(BUILD)/bin/dbctl
MODDIR = $(BUILD)/lib/dbctl

# Shared by the binary and the modules (each module carries its own copy).
COMMON = err strbuf url clock driver sqltext
CORE   = main cmd_ping cmd_pool cmd_config cmd_run cmd_migrate config engine pool module json script sqlscan sqlscan_input sqlscan_mysql sqlscan_mysql_set digest redisargs \
         migrate migrate_files sha256 interrupt cmd_shell shell session printer output complete $(COMMON)
CORE  += migrate_index migrate_locks migrate_heartbeat migrate_schema lint cmd_migrate_check

MODULES = $(MODDIR)/dbctl-pg.so $(MODDIR)/dbctl-redis.so $(MODDIR)/dbctl-sqlite.so $(MODDIR)/dbctl-edit.so
MODULES += $(MODDIR)/dbctl-mysql.so
MYSQL_OBJS = drv_mysql drv_mysql_exec drv_mysql_syntax drv_mysql_stats drv_mysql_module drv_mysql_dump

UNIT_TESTS = $(BUILD)/tests/test_url $(BUILD)/tests/test_config $(BUILD)/tests/test_pool \
             $(BUILD)/tests/test_redisargs $(BUILD)/tests/test_json $(BUILD)/tests/test_pool_live \
             $(BUILD)/tests/test_sqlscan $(BUILD)/tests/test_sha256 $(BUILD)/tests/test_migrate_files \
             $(BUILD)/tests/test_output
UNIT_TESTS += $(BUILD)/tests/test_migrate_index $(BUILD)/tests/test_mysql_syntax

.PHONY: all deps demo check unit asan fuzz fuzz-url install uninstall clean
.DEFAULT_GOAL := all

all: $(BIN) $(MODULES) dbctl

deps:
	@.ci/install-deps build

dbctl: $(BIN)
	@[ "$(BUILD)" != build ] || ln -sf build/bin/dbctl dbctl

$(OBJ)/%.o: src/%.c | $(OBJ)
	$(CC) $(ALL_CFLAGS) $(CFLAGS_PG) $(CFLAGS_REDIS) $(CFLAGS_SQL) $(CFLAGS_INIH) $(CFLAGS_EDIT) -c -o $@ $<

$(OBJ)/%.o: tests/unit/%.c | $(OBJ)
	$(CC) $(ALL_CFLAGS) -Isrc $(CFLAGS_INIH) -c -o $@ $<

$(OBJ) $(BUILD)/bin $(MODDIR) $(BUILD)/tests:
	mkdir -p $@

$(BIN): $(CORE:%=$(OBJ)/%.o) | $(BUILD)/bin
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_INIH) -ldl -pthread -lm

$(MODDIR)/dbctl-pg.so: $(OBJ)/drv_pg.o $(OBJ)/drv_pg_dump.o $(OBJ)/subprocess.o $(OBJ)/dialect_pg.o $(OBJ)/lint_pg.o $(OBJ)/resolve.o $(COMMON:%=$(OBJ)/%.o) | $(MODDIR)
	$(CC) -shared $(LDFLAGS) -o $@ $^ $(PKG_PG)

$(MODDIR)/dbctl-redis.so: $(OBJ)/drv_redis.o $(OBJ)/dialect_redis.o $(OBJ)/redisargs.o $(OBJ)/resolve.o $(COMMON:%=$(OBJ)/%.o) | $(MODDIR)
	$(CC) -shared $(LDFLAGS) -o $@ $^ $(PKG_REDIS)

$(MODDIR)/dbctl-sqlite.so: $(OBJ)/drv_sqlite.o $(OBJ)/dialect_sqlite.o $(COMMON:%=$(OBJ)/%.o) | $(MODDIR)
	$(CC) -shared $(LDFLAGS) -o $@ $^ $(PKG_SQLITE)

# libmariadb (libssl, libcrypto, libz with it) only for mysql:// and mariadb://.
$(MYSQL_OBJS:%=$(OBJ)/%.o): $(OBJ)/%.o: src/%.c | $(OBJ)
	$(CC) $(ALL_CFLAGS) $(CFLAGS_MYSQL) -c -o $@ $<
$(MODDIR)/dbctl-mysql.so: $(MYSQL_OBJS:%=$(OBJ)/%.o) $(OBJ)/dialect_mysql.o $(OBJ)/subprocess.o $(COMMON:%=$(OBJ)/%.o) | $(MODDIR)
	$(CC) -shared $(LDFLAGS) -o $@ $^ $(PKG_MYSQL)

# libedit (and ncurses with it) only for the interactive shell.
$(MODDIR)/dbctl-edit.so: $(OBJ)/lineedit.o | $(MODDIR)
	$(CC) -shared $(LDFLAGS) -o $@ $^ $(PKG_EDIT)

# Unit tests link only the module under test and what it needs.
$(BUILD)/tests/test_url: $(OBJ)/test_url.o $(OBJ)/url.o $(OBJ)/strbuf.o $(OBJ)/err.o | $(BUILD)/tests
	$(CC) $(LDFLAGS) -o $@ $^
$(BUILD)/tests/test_config: $(OBJ)/test_config.o $(OBJ)/config.o $(OBJ)/url.o $(OBJ)/strbuf.o $(OBJ)/err.o | $(BUILD)/tests
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_INIH) -lm
$(BUILD)/tests/test_pool: $(OBJ)/test_pool.o $(OBJ)/pool.o $(OBJ)/clock.o $(OBJ)/err.o | $(BUILD)/tests
	$(CC) $(LDFLAGS) -o $@ $^ -pthread
$(BUILD)/tests/test_redisargs: $(OBJ)/test_redisargs.o $(OBJ)/redisargs.o $(OBJ)/strbuf.o $(OBJ)/err.o | $(BUILD)/tests
	$(CC) $(LDFLAGS) -o $@ $^
$(BUILD)/tests/test_sqlscan: $(OBJ)/test_sqlscan.o $(OBJ)/sqlscan.o $(OBJ)/sqlscan_input.o $(OBJ)/sqlscan_mysql.o $(OBJ)/sqlscan_mysql_set.o $(OBJ)/digest.o $(OBJ)/redisargs.o $(OBJ)/sqltext.o $(OBJ)/strbuf.o $(OBJ)/err.o | $(BUILD)/tests
	$(CC) $(LDFLAGS) -o $@ $^
$(BUILD)/tests/test_sha256: $(OBJ)/test_sha256.o $(OBJ)/sha256.o | $(BUILD)/tests
	$(CC) $(LDFLAGS) -o $@ $^
$(BUILD)/tests/test_migrate_files: $(OBJ)/test_migrate_files.o $(OBJ)/migrate_files.o $(OBJ)/sqltext.o $(OBJ)/sha256.o \
		$(OBJ)/strbuf.o $(OBJ)/err.o | $(BUILD)/tests
	$(CC) $(LDFLAGS) -o $@ $^
$(BUILD)/tests/test_migrate_index: $(OBJ)/test_migrate_index.o $(OBJ)/migrate_index.o $(OBJ)/sqltext.o | $(BUILD)/tests
	$(CC) $(LDFLAGS) -o $@ $^
$(BUILD)/tests/test_mysql_syntax: $(OBJ)/test_mysql_syntax.o $(OBJ)/drv_mysql_syntax.o $(OBJ)/sqltext.o $(OBJ)/err.o | $(BUILD)/tests
	$(CC) $(LDFLAGS) -o $@ $^
$(BUILD)/tests/test_output: $(OBJ)/test_output.o $(OBJ)/output.o $(OBJ)/strbuf.o | $(BUILD)/tests
	$(CC) $(LDFLAGS) -o $@ $^
$(BUILD)/tests/test_json: $(OBJ)/test_json.o $(OBJ)/json.o $(OBJ)/strbuf.o | $(BUILD)/tests
	$(CC) $(LDFLAGS) -o $@ $^ -lm

# Needs the servers of tests/run; loads the real driver modules from $(MODDIR).
$(BUILD)/tests/test_pool_live: $(OBJ)/test_pool_live.o $(OBJ)/engine.o $(OBJ)/pool.o $(OBJ)/module.o $(OBJ)/interrupt.o \
		$(OBJ)/config.o $(COMMON:%=$(OBJ)/%.o) $(MODULES) | $(BUILD)/tests
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(PKG_INIH) -ldl -pthread -lm

unit: $(UNIT_TESTS)

# The main job: build, then talk to the embedded SQLite default of config.ini.example.
demo:
	@.ci/install-deps build
	@$(MAKE) --no-print-directory all
	./dbctl --config config.ini.example run examples/demo.sql
	./dbctl --config config.ini.example ping
	./dbctl --config config.ini.example migrate up --dir examples/migrations
	./dbctl --config config.ini.example migrate status --dir examples/migrations
	./dbctl --config config.ini.example pool stats
	./dbctl --config config.ini.example config show

# Every test: unit tests and integration tests against real PostgreSQL and Redis
# servers that tests/run starts on loopback and stops on exit.
check:
	@.ci/install-deps check
	@$(MAKE) --no-print-directory all unit
	BUILD=$(BUILD) tests/run

# The same suite under AddressSanitizer and UBSan, in a separate build tree.
asan:
	@.ci/install-deps check
	@$(MAKE) --no-print-directory BUILD=build-asan CFLAGS="-O1 -g -fno-omit-frame-pointer" \
		SANITIZE="-fsanitize=address,undefined -fno-sanitize-recover=all" all unit
	BUILD=build-asan ASAN_OPTIONS=detect_leaks=1 tests/run

# Fuzzes the lexer and the URL masker with libFuzzer (clang), seeded with the corpus; not part of check.
FUZZ_SECONDS ?= 60
fuzz:
	mkdir -p build-fuzz/corpus
	clang -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -g -O1 -fsanitize=fuzzer,address,undefined \
		-o build-fuzz/sqlscan_fuzz tests/fuzz/sqlscan_fuzz.c src/sqlscan.c src/sqlscan_input.c src/sqlscan_mysql.c src/sqlscan_mysql_set.c src/digest.c src/redisargs.c src/sqltext.c src/strbuf.c src/err.c
	for f in ../shared/corpus/postgres-regress/sql/*.sql ../shared/corpus/pagila/pagila-schema.sql; do \
		[ -f "$$f" ] && { printf '\0'; head -c 60000 "$$f"; } >build-fuzz/corpus/$$(basename $$f); done; true
	build-fuzz/sqlscan_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=65536 build-fuzz/corpus
	$(MAKE) --no-print-directory fuzz-url

# URL masking and err_scrub, checked against libpq's own parse of each input.
fuzz-url:
	mkdir -p build-fuzz/url_corpus
	clang -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -g -O1 -fsanitize=fuzzer,address,undefined \
		$(CFLAGS_PG) -o build-fuzz/url_fuzz tests/fuzz/url_fuzz.c src/url.c src/strbuf.c src/err.c $(PKG_PG)
	cp tests/fuzz/url_seeds/* build-fuzz/url_corpus/
	build-fuzz/url_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=4096 build-fuzz/url_corpus

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/dbctl $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/dbctl
	install -m 644 $(MODULES) $(DESTDIR)$(PREFIX)/lib/dbctl/
	install -m 644 man/dbctl.1 $(DESTDIR)$(PREFIX)/share/man/man1/dbctl.1
	install -m 644 completions/dbctl.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/dbctl
	install -m 644 completions/_dbctl $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_dbctl
	install -m 644 completions/dbctl.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/dbctl.fish

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/dbctl $(DESTDIR)$(PREFIX)/share/man/man1/dbctl.1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/dbctl \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_dbctl \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/dbctl.fish
	rm -rf $(DESTDIR)$(PREFIX)/lib/dbctl

clean:
	rm -rf build build-asan build-fuzz dbctl

-include $(wildcard $(OBJ)/*.d)
