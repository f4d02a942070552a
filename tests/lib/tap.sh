# tests/lib/tap.sh - minimal TAP producer for bash test scripts (for prove).
#
#   . "$(dirname "$0")/../lib/tap.sh"
#   plan 3                               # or call done_testing at the end
#   run_cmd "$DBCTL" --version           # sets OUT ERR RC MS
#   is "$RC" 0 "version exits 0"
#   like "$OUT" '^dbctl [0-9]' "version printed"
#   expect_exit 3 "bad option" -- "$DBCTL" --nope
#   [ -z "$OUT" ]; ok $? "nothing on stdout"
#   cmp_ok "$MS" -lt 2000 "fast enough"
#   done_testing
#
# Test lines go to stdout, diagnostics to stderr. Regexes are bash ERE
# ([[ =~ ]]): '.' also matches newline, ^ and $ anchor the whole string.
# A script's exit status is the number of failed tests (at most 254).

# shellcheck shell=bash disable=SC2034,SC2119,SC2120 # OUT ERR RC MS are for the caller

TAP_COUNT=0
TAP_FAILED=0
TAP_PLANNED=

# TAP reads '#' in a test name as the start of a directive: escape it.
_tap_name() { local n=${1:-}; printf '%s' "${n//#/\\#}"; }

# _tap_result PASS(0/1) NAME: print one test line; return 0 if it passed.
_tap_result() {
	TAP_COUNT=$((TAP_COUNT + 1))
	if [ "$1" -eq 0 ]; then
		printf 'ok %d - %s\n' "$TAP_COUNT" "$(_tap_name "$2")"
		return 0
	fi
	TAP_FAILED=$((TAP_FAILED + 1))
	printf 'not ok %d - %s\n' "$TAP_COUNT" "$(_tap_name "$2")"
	diag "  Failed test '$2'"
	diag "  at ${BASH_SOURCE[2]:-?} line ${BASH_LINENO[1]:-?}."
	return 1
}

plan() { TAP_PLANNED=$1; echo "1..$1"; }

# skip_all REASON: the whole script is skipped (must come before any test).
skip_all() { echo "1..0 # SKIP $*"; exit 0; }

# BAIL_OUT REASON: stop the whole prove run.
BAIL_OUT() { echo "Bail out! $*"; exit 255; }

# done_testing [N]: print the plan if plan was not called, then exit.
done_testing() {
	[ -n "$TAP_PLANNED" ] || echo "1..${1:-$TAP_COUNT}"
	exit $((TAP_FAILED > 254 ? 254 : TAP_FAILED))
}

# diag LINE...: to stderr, each argument on its own line(s), prefixed '# '.
diag() { printf '%s\n' "$@" | sed 's/^/# /' >&2; }

# note LINE...: like diag but on stdout (prove shows it only with -v).
note() { printf '%s\n' "$@" | sed 's/^/# /'; }

# ok STATUS NAME: passes when STATUS is 0, e.g. `[ -s f ]; ok $? "f written"`.
ok() { _tap_result "$([ "$1" -eq 0 ] 2>/dev/null && echo 0 || echo 1)" "$2"; }

# is GOT WANT NAME / isnt GOT UNWANTED NAME: string (in)equality.
is() {
	[ "$1" = "$2" ] && { _tap_result 0 "$3"; return; }
	_tap_result 1 "$3"
	diag "         got: '$1'" "    expected: '$2'"
	return 1
}
isnt() {
	[ "$1" != "$2" ] && { _tap_result 0 "$3"; return; }
	_tap_result 1 "$3"
	diag "         got: '$1'" "    expected: anything else"
	return 1
}

# like GOT REGEX NAME / unlike GOT REGEX NAME: ERE match / no match.
like() {
	[[ $1 =~ $2 ]] && { _tap_result 0 "$3"; return; }
	_tap_result 1 "$3"
	diag "                  '$1'" "    doesn't match '$2'"
	return 1
}
unlike() {
	[[ $1 =~ $2 ]] || { _tap_result 0 "$3"; return; }
	_tap_result 1 "$3"
	diag "                  '$1'" "          matches '$2'"
	return 1
}

# cmp_ok GOT OP WANT NAME: integer comparison with a test(1) operator
# (-eq -ne -lt -le -gt -ge), e.g. cmp_ok "$MS" -lt 1500 "returns quickly".
cmp_ok() {
	test "$1" "$2" "$3" 2>/dev/null && { _tap_result 0 "$4"; return; }
	_tap_result 1 "$4"
	diag "    '$1'" "        $2" "    '$3'"
	return 1
}

# pass NAME / fail NAME
pass() { _tap_result 0 "$1"; }
fail() { _tap_result 1 "$1"; }

# skip REASON [COUNT]: count tests as skipped (for tests you cannot run).
skip() {
	local i
	for ((i = 0; i < ${2:-1}; i++)); do
		TAP_COUNT=$((TAP_COUNT + 1))
		printf 'ok %d # skip %s\n' "$TAP_COUNT" "$(_tap_name "$1")"
	done
}

# run_cmd CMD [ARGS...]: run a command, capture its output and status into
#   OUT  stdout (trailing newlines stripped, as by $(...))
#   ERR  stderr (same)
#   RC   exit status (124 if it ran longer than $RUN_TIMEOUT seconds)
#   MS   wall time in milliseconds
# stdin is inherited (the runner gives /dev/null): `run_cmd cmd <file` works.
# External commands are killed after RUN_TIMEOUT (default 60) seconds so that
# a hanging dbctl fails one test instead of hanging the whole run.
RUN_TIMEOUT=${RUN_TIMEOUT:-60}
run_cmd() {
	local dir t0 t1
	dir=$(mktemp -d "${TEST_TMP:-${TMPDIR:-/tmp}}/run.XXXXXX") || return 1
	t0=${EPOCHREALTIME/[.,]/}
	if [ "$(type -t "$1")" = file ]; then
		# --foreground: stay in our process group so Ctrl-C still reaches it.
		timeout --foreground -k 5 "$RUN_TIMEOUT" "$@" >"$dir/out" 2>"$dir/err"
	else
		"$@" >"$dir/out" 2>"$dir/err" # a function or builtin: no timeout
	fi
	RC=$?
	t1=${EPOCHREALTIME/[.,]/}
	MS=$(((t1 - t0) / 1000))
	OUT=$(cat "$dir/out")
	ERR=$(cat "$dir/err")
	rm -rf "$dir"
	[ "$RC" -ne 124 ] || [ "$(type -t "$1")" != file ] ||
		diag "run_cmd: timed out after ${RUN_TIMEOUT}s: $*"
	return 0
}

# expect_exit CODE NAME -- CMD [ARGS...]: run_cmd CMD, pass if it exits CODE.
# OUT ERR RC MS are left set for further checks; on failure both are shown.
expect_exit() {
	local want=$1 name=$2
	shift 2
	[ "${1:-}" = -- ] && shift
	run_cmd "$@"
	[ "$RC" = "$want" ] && { _tap_result 0 "$name"; return; }
	_tap_result 1 "$name"
	diag "    exit status: $RC, expected $want" "    command: $*"
	diag "    stdout: $OUT" "    stderr: $ERR"
	return 1
}
