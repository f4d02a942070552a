#!/bin/bash
# Audit of the secrets fixes (issue 9): attacks that got through them.
# A password that the masked URL shows anyway (it is also the user name, the
# host or the database) is spared by the scrubber, so that "failed for user
# app" stays readable; but a message that quotes the whole raw URL (a URL given
# to -p, --config, --level or DBCTL_PROFILE) then showed it in its place.
. "$(dirname "$0")/../lib/tap.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1

# no_raw NAME RAW MASKED: the last run_cmd printed MASKED and nowhere RAW.
no_raw() {
	local name=$1 raw=$2 masked=$3
	case "$OUT$ERR" in
	*"$raw"*) fail "$name: the raw URL is not printed (exit $RC)"; diag "stdout: $OUT" "stderr: $ERR" ;;
	*) pass "$name: the raw URL is not printed (exit $RC)" ;;
	esac
	case "$OUT$ERR" in
	*"$masked"*) pass "$name: it is shown masked" ;;
	*) fail "$name: it is shown masked"; diag "stdout: $OUT" "stderr: $ERR" ;;
	esac
}

# password = user name, = host, = database: each a word of the URL the mask shows
for case in "postgresql://app:app@h.invalid/db|postgresql://app:***@h.invalid/db" \
	"postgresql://bob:h@h/db|postgresql://bob:***@h/db" \
	"redis://u:appdb@h.invalid/0?x=appdb|redis://u:***@h.invalid/0?x=appdb" \
	"postgresql://carol:carol@h.invalid/carol?sslpassword=Other9Pw|postgresql://carol:***@h.invalid/carol?sslpassword=***"; do
	IFS='|' read -r raw masked <<<"$case"
	run_cmd "$DBCTL" -p "$raw" ping
	is "$RC" 3 "-p $masked: unknown profile, exit 3"
	no_raw "-p $masked" "$raw" "$masked"
	run_cmd "$DBCTL" --json -p "$raw" ping
	no_raw "--json -p $masked" "$raw" "$masked"
	run_cmd env DBCTL_PROFILE="$raw" "$DBCTL" ping
	no_raw "DBCTL_PROFILE=$masked" "$raw" "$masked"
	run_cmd "$DBCTL" --config "$raw" ping
	no_raw "--config $masked" "$raw" "$masked"
	run_cmd "$DBCTL" ping --config="$raw"
	no_raw "--config=$masked" "$raw" "$masked"
	run_cmd "$DBCTL" --url sqlite::memory: ping --level "$raw"
	no_raw "--level $masked" "$raw" "$masked"
done

# a message cut in the middle of such a URL loses the URL's start, not its mask
long=$(printf 'Q%.0s' $(seq 1500))
run_cmd "$DBCTL" -p "postgresql://app:app@h/$long" ping
unlike "$ERR" "app:app" "a raw URL cut by the message's length: none of its userinfo is left"
run_cmd "$DBCTL" -p "postgresql://app:app@h/${long:0:900}" ping
like "$ERR" "unknown profile 'postgresql://app:\*\*\*@h/QQQ" "a long one that fits is shown masked"

# a mistyped password key (libpq refuses it, then dbctl echoes the string) and
# a key glued to "password" longer than 63 characters: masked all the same
glued=$(printf 'a%.0s' $(seq 70))password
for url in "host=127.0.0.1 port=1 pw=TypoPw5x" "host=127.0.0.1 port=1 pasword=TypoPw5x" \
	"postgresql://127.0.0.1:1/db?paswd=TypoPw5x" "host=127.0.0.1 port=1 pswd=TypoPw5x" \
	"host=127.0.0.1 port=1 $glued=TypoPw5x"; do
	for command in "ping --timeout 1" "ping --timeout 1 --json" "config show" "config show --json"; do
		# shellcheck disable=SC2086 # word splitting is the point
		run_cmd "$DBCTL" --url "$url" $command
		case "$OUT$ERR" in
		*TypoPw5x*) fail "${url%%=TypoPw5x}=...: $command: the password is not printed"; diag "$OUT" "$ERR" ;;
		*) pass "${url%%=TypoPw5x}=...: $command: the password is not printed" ;;
		esac
	done
done

done_testing
