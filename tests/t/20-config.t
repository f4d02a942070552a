#!/bin/bash
# dbctl config show end to end: sources, precedence, masking, errors at exit 3 naming file and line.
. "$(dirname "$0")/../lib/tap.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
json_field() { /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

expect_exit 0 "config show --help" -- "$DBCTL" config show --help
expect_exit 3 "config with no subcommand is exit 3" -- "$DBCTL" config
like "$ERR" "'config' needs a subcommand: show" "... and names the subcommands"
expect_exit 3 "unknown command is exit 3" -- "$DBCTL" frobnicate
expect_exit 3 "no command at all is exit 3" -- "$DBCTL"
like "$ERR" "usage: dbctl" "... with the usage on stderr"

expect_exit 0 "defaults with nothing configured" -- "$DBCTL" config show
like "$OUT" "config file: none" "no config file"
like "$OUT" "url += sqlite:///dbctl.db +\(default\)" "url comes from the built-in default"
like "$OUT" "pool_size += 5 +\(default\)" "pool_size default"

cat >dbctl.ini <<'INI'
; found in the working directory
[defaults]
profile = main
pool_size = 3

[main]
url = postgresql://app@db.example:5432/app
password = ${APP_DB_PASSWORD}
pool_timeout = 2.5

[other]
url = redis://cache:6379/1
INI
chmod 600 dbctl.ini
APP_DB_PASSWORD='s3cr3t!' expect_exit 0 "./dbctl.ini is found" -- "$DBCTL" config show
like "$OUT" "config file: dbctl.ini" "names the file"
like "$OUT" "url += postgresql://app@db.example:5432/app +\(ini:dbctl.ini:7\)" "url with file and line"
like "$OUT" "password += \*\*\* +\(ini:dbctl.ini:8\)" "password masked, with its line"
unlike "$OUT" "s3cr3t" "the password itself is not printed"
like "$OUT" "pool_size += 3 +\(ini:dbctl.ini:4\)" "[defaults] applies"
like "$OUT" "pool_timeout += 2.5 +\(ini:dbctl.ini:9\)" "profile value"
like "$OUT" "profile += main +\(ini:dbctl.ini:3\)" "profile from [defaults]"

APP_DB_PASSWORD=x DBCTL_POOL_SIZE=8 expect_exit 0 "environment outranks the file" -- "$DBCTL" config show
like "$OUT" "pool_size += 8 +\(env:DBCTL_POOL_SIZE\)" "env:DBCTL_POOL_SIZE"
APP_DB_PASSWORD=x DBCTL_POOL_SIZE=8 expect_exit 0 "a flag outranks the environment" -- "$DBCTL" -o pool_size=9 config show
like "$OUT" "pool_size += 9 +\(flag\)" "flag"
APP_DB_PASSWORD=x DATABASE_URL='postgresql://u:envpw@h/d' expect_exit 0 "DATABASE_URL outranks the profile url" -- \
	"$DBCTL" config show
like "$OUT" "url += postgresql://u:\*\*\*@h/d +\(env:DATABASE_URL\)" "env:DATABASE_URL, masked"
APP_DB_PASSWORD=x expect_exit 0 "-p other" -- "$DBCTL" -p other config show
like "$OUT" "url += redis://cache:6379/1 +\(ini:dbctl.ini:12\)" "the other profile's url"
like "$OUT" "profile += other +\(flag\)" "profile from the flag"
APP_DB_PASSWORD=x DBCTL_PROFILE=other expect_exit 0 "DBCTL_PROFILE" -- "$DBCTL" config show
like "$OUT" "profile += other +\(env:DBCTL_PROFILE\)" "profile from env:DBCTL_PROFILE"
APP_DB_PASSWORD=x expect_exit 0 "--url outranks all" -- "$DBCTL" --url sqlite::memory: config show
like "$OUT" "url += sqlite::memory: +\(flag\)" "--url is a flag"

APP_DB_PASSWORD=x expect_exit 0 "--json" -- "$DBCTL" config show --json
is "$(json_field 'd["settings"]["url"]["source"]' <<<"$OUT")" "ini:dbctl.ini:7" "JSON source"
is "$(json_field 'd["settings"]["password"]["value"]' <<<"$OUT")" "***" "JSON password masked"
is "$(json_field 'd["profile"], d["config_file"]' <<<"$OUT")" "('main', 'dbctl.ini')" "JSON profile and file"

POSTGRES_USER=app POSTGRES_PASSWORD='p@ss:w/rd' POSTGRES_HOST=db POSTGRES_DB=shop \
	expect_exit 0 "POSTGRES_* variables" -- "$DBCTL" --config /dev/null config show
like "$OUT" "url += postgresql://app:\*\*\*@db/shop +\(env:POSTGRES_\*\)" "URL built from POSTGRES_*, masked"

# --- errors: exit 3, file and line, nothing sent ---
expect_exit 3 "unset \${VAR} is exit 3" -- "$DBCTL" config show
like "$ERR" "dbctl.ini:8: environment variable 'APP_DB_PASSWORD' is not set" "names file, line and variable"
expect_exit 3 "unknown profile is exit 3" -- env APP_DB_PASSWORD=x "$DBCTL" -p nope config show
like "$ERR" "unknown profile 'nope'" "says unknown profile"
printf '[defaults]\npool_size = 5\npool_sise = 6\n' >bad.ini
expect_exit 3 "unknown key is exit 3" -- "$DBCTL" --config bad.ini config show
like "$ERR" "bad.ini:3: unknown setting 'pool_sise'" "names file and line"
printf '[defaults]\npool_size = 5\n[broken\n' >bad.ini
expect_exit 3 "malformed INI is exit 3" -- "$DBCTL" --config bad.ini config show
like "$ERR" "bad.ini:3: malformed line" "names file and line"
printf '[defaults]\nmax_overflow = lots\n' >bad.ini
expect_exit 3 "bad value is exit 3" -- "$DBCTL" --config bad.ini ping
like "$ERR" "bad.ini:2: invalid max_overflow 'lots'" "names file and line"
expect_exit 3 "--config missing file is exit 3" -- "$DBCTL" --config nowhere.ini config show
expect_exit 3 "bad URL scheme is exit 3" -- "$DBCTL" --config /dev/null --url 'ftp://x' ping
expect_exit 3 "mysql:// with an unknown parameter is exit 3" -- "$DBCTL" --config /dev/null --url 'mysql://x/db?nope=1' ping
like "$ERR" "unknown parameter 'nope'" "names the parameter"
expect_exit 3 "-o without = is exit 3" -- "$DBCTL" -o pool_size config show

# --- the .pgpass rule ---
printf '[defaults]\nprofile = p\n[p]\nurl = postgresql://app:literal@h/db\n' >open.ini
chmod 644 open.ini
expect_exit 0 "a world-readable file with a password still loads" -- "$DBCTL" --config open.ini config show
like "$ERR" "warning: open.ini holds a password and is readable by group/others" "with a warning"
like "$ERR" "chmod 600 open.ini" "and the fix"
unlike "$OUT$ERR" "literal" "the password is not printed"
chmod 600 open.ini
expect_exit 0 "the same file at 0600" -- "$DBCTL" --config open.ini config show
unlike "$ERR" "warning" "no warning"

# --- the command line ---
expect_exit 3 "a stray argument is exit 3" -- "$DBCTL" --config /dev/null ping extra
like "$ERR" "unexpected argument 'extra'" "... and names it"
expect_exit 3 "--json shapes an error found before the command" -- "$DBCTL" --json frobnicate
is "$(json_field 'd["exit"], d["error"]["message"]' <<<"$OUT")" "(3, \"unknown command 'frobnicate'\")" "JSON error document"
expect_exit 0 "global options between command words" -- "$DBCTL" config --config /dev/null --url sqlite::memory: show
like "$OUT" "url += sqlite::memory: +\(flag\)" "... are applied"
expect_exit 3 "pool_size -1 is refused (only max_overflow and pool_recycle take -1)" -- \
	"$DBCTL" --config /dev/null -o pool_size=-1 config show
expect_exit 0 "max_overflow -1 and pool_recycle -1 are accepted" -- \
	"$DBCTL" --config /dev/null -o max_overflow=-1 -o pool_recycle=-1 config show
printf '[defaults]\nurl = sqlite::memory:\n    pool_size = 2\n' >indented.ini
expect_exit 0 "an indented line is a key of its own, not a continuation" -- "$DBCTL" --config indented.ini config show
like "$OUT" "pool_size += 2 +\(ini:indented.ini:3\)" "... read with its line"
expect_exit 0 "--quiet silences the default-database note" -- "$DBCTL" --config /dev/null --url sqlite::memory: ping -q
is "$ERR" "" "nothing on stderr"

done_testing
