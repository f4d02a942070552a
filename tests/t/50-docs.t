#!/bin/bash
# The docs keep up with the binary, in the spirit of pgbouncer's optscan: every
# command and option that `dbctl --help` lists is in man/dbctl.1, README.md and
# the three completion files; every setting of `dbctl config show --json` is in
# the man page (with its default), README.md (with its default), the
# completions and config.ini.example; every exit code is in EXIT STATUS; the
# man page lints clean. DOCS_DIR=/path/to/copy checks a modified copy of the tree.
# shellcheck disable=SC2016,SC2317 # literal $ and backticks in regexes; clean runs via run_cmd
# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"

root=${TEST_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
docs=${DOCS_DIR:-$root}
DBCTL=${DBCTL:-$root/build/bin/dbctl}
[ -x "$DBCTL" ] || skip_all "$DBCTL is not built"
command -v /usr/bin/python3 >/dev/null || skip_all "needs /usr/bin/python3 to read --json"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

man=$docs/man/dbctl.1
readme=$docs/README.md
example=$docs/config.ini.example
bash_c=$docs/completions/dbctl.bash
zsh_c=$docs/completions/_dbctl
fish_c=$docs/completions/dbctl.fish
for f in "$man" "$readme" "$example" "$bash_c" "$zsh_c" "$fish_c"; do
	[ -f "$f" ]
	ok $? "$(basename "$f") exists" || BAIL_OUT "$f is missing"
done

# dbctl with nothing configured: no config file, no DBCTL_*/PG*/... variables.
clean() { (cd "$tmp" && env -i PATH="$PATH" HOME="$tmp" LC_ALL=C "$DBCTL" "$@"); }

# ---- what the binary says ----

run_cmd clean --help
is "$RC" 0 "dbctl --help exits 0"
help_text=$OUT
# "  pool stats       open the engine's pool ..." between "commands:" and the blank line
mapfile -t commands < <(awk '/^commands:/ { on = 1; next } on && /^$/ { exit }
	on { name = substr($0, 3); sub(/  .*$/, "", name); print name }' <<<"$help_text")
cmp_ok "${#commands[@]}" -ge 4 "--help lists the commands (${commands[*]})"

# "  -p, --profile NAME   ..." and "      --url URL   ..." from every help screen
options_of() { grep -oE '^  (-[[:alnum:]], |    )--[[:alnum:]-]+' | tr -d ' ,' | sed 's/--/ --/' | tr ' ' '\n' | sed '/^$/d'; }
mapfile -t global_options < <(options_of <<<"$help_text" | sort -u)
cmp_ok "${#global_options[@]}" -ge 10 "--help lists the global options (${global_options[*]})"
declare -A command_options=()
for c in "${commands[@]}"; do
	# shellcheck disable=SC2086 # "pool stats" is two words
	run_cmd clean $c --help
	is "$RC" 0 "dbctl $c --help exits 0"
	# the command's own options: the "options:" block before "global options:"
	command_options[$c]=$(awk '/^options:/ { on = 1; next } /^global options:/ { exit } on' <<<"$OUT" |
		options_of | sort -u | tr '\n' ' ')
done
mapfile -t all_options < <(printf '%s\n' "${global_options[@]}" ${command_options[@]+${command_options[@]}} | sort -u)

run_cmd clean config show --json
is "$RC" 0 "config show --json exits 0"
mapfile -t settings < <(/usr/bin/python3 -c '
import json, sys
for key, v in json.load(sys.stdin)["settings"].items():
    assert v["source"] == "default", key
    print(key + "\t" + v["value"])' <<<"$OUT")
cmp_ok "${#settings[@]}" -ge 10 "config show --json lists the settings"
declare -A default_of=()
keys=()
for line in "${settings[@]}"; do
	keys+=("${line%%$'\t'*}")
	default_of[${line%%$'\t'*}]=${line#*$'\t'}
done

# ---- helpers ----

# ERE for a token standing alone: not part of a longer option or word.
word() { local t=${1//./\\.}; printf '(^|[^[:alnum:]_-])%s([^[:alnum:]_-]|$)' "$t"; }
has() { grep -qE -- "$2" "$1"; } # FILE ERE

# The ERE that finds an option in a file, by the file's own syntax.
option_re() { # FILE OPTION
	case $1:$2 in
	*.1:--*) printf '^\\.(.* )?Fl -%s([^[:alnum:]_-]|$)' "${2#--}" ;;  # mdoc: .Fl -timeout
	*.1:-*) printf '^\\.(.* )?Fl %s([^[:alnum:]_-]|$)' "${2#-}" ;;     # mdoc: .Fl t
	*.fish:--*) printf '(^|[[:space:]])-l %s([[:space:]]|$)' "${2#--}" ;; # complete -l timeout
	*.fish:-*) printf '(^|[[:space:]])-s %s([[:space:]]|$)' "${2#-}" ;;   # complete -s t
	*) word "$2" ;;
	esac
}

# ---- commands and options: man page, README, completions ----

for f in "$man" "$readme" "$bash_c" "$zsh_c" "$fish_c"; do
	name=$(basename "$f")
	for c in "${commands[@]}"; do
		if [ "$f" = "$man" ]; then
			has "$f" "^\\.(It )?Cm $c([^[:alnum:]_-]|$)"
		elif [ "$f" = "$readme" ]; then
			has "$f" "\`$c( [^\`]*)?\`"
		else # completions know the words one by one
			all=0
			for w in $c; do has "$f" "$(word "$w")" || all=1; done
			[ $all -eq 0 ]
		fi
		ok $? "$name: command '$c'"
	done
	for o in "${all_options[@]}"; do
		has "$f" "$(option_re "$f" "$o")"
		ok $? "$name: option $o"
	done
done

# each command's options are documented in that command's entry under COMMANDS:
# from its ".It Cm NAME" (or ".It Xo" + ".Cm NAME") to the next command's entry
names=$(IFS='|'; echo "${commands[*]}")
for c in "${commands[@]}"; do
	awk -v c="$c" -v names="$names" '/^\.Sh COMMANDS/ { on = 1; next } /^\.Sh / { on = 0 }
		!on { next }
		$0 ~ ("^\\.(It )?Cm (" names ")( |$)") { entry = ($0 ~ ("^\\.(It )?Cm " c "( |$)")) && !done; if (entry) done = 1 }
		/^\.It Xo$/ { entry = 0 }
		entry' "$man" >"$tmp/entry-${c// /-}"
	[ -s "$tmp/entry-${c// /-}" ]
	ok $? "dbctl.1: COMMANDS has an entry for $c"
	for o in ${command_options[$c]}; do
		has "$tmp/entry-${c// /-}" "$(option_re "$man" "$o")"
		ok $? "dbctl.1: $o under COMMANDS $c"
	done
done

# the bash completion's option lists are exactly dbctl's options
mapfile -t bash_listed < <(sed -n 's/^_dbctl_[a-z_]*options="\(.*\)"$/\1/p' "$bash_c" | tr ' ' '\n' | sed '/^$/d' | sort -u)
for o in "${all_options[@]}"; do
	printf '%s\n' "${bash_listed[@]}" | grep -qxF -- "$o"
	ok $? "dbctl.bash: $o in its option lists"
done
for o in "${bash_listed[@]}"; do
	printf '%s\n' "${all_options[@]}" | grep -qxF -- "$o"
	ok $? "dbctl.bash: $o is a real option"
done

# ---- settings ----

for k in "${keys[@]}"; do
	d=${default_of[$k]}
	# man page: ".It Cm pool_size No (default: 5)"; \- for a minus, Ql around URLs
	d_man=$(sed 's/-/\\\\?-/g; s/[.]/[.]/g' <<<"$d")
	[ -n "$d" ] || d_man=empty
	has "$man" "^\\.It Cm $k No \\(default(\\\\&)?: (Ql )?$d_man ?\\)"
	ok $? "dbctl.1: setting $k with default '$d'"
	# README table: "| `pool_size` | `5` | ..."
	d_md="\`${d//./[.]}\`"
	[ -n "$d" ] || d_md='\(empty\)'
	has "$readme" "^\\| \`$k\` \\| $d_md \\|"
	ok $? "README.md: setting $k with default '$d'"
	has "$example" "^[;#]?$k *="
	ok $? "config.ini.example: setting $k"
	for f in "$bash_c" "$zsh_c" "$fish_c"; do
		has "$f" "$(word "$k")"
		ok $? "$(basename "$f"): setting $k"
	done
done
has "$man" 'Ev DBCTL_ Ns Ar KEY'
ok $? "dbctl.1: DBCTL_<KEY> in ENVIRONMENT"

# the example's [defaults] shows built-in defaults only (it documents them)
while IFS='=' read -r k v; do
	k=${k%% *} v=${v# }
	[ "$k" = profile ] && continue
	is "$v" "${default_of[$k]-unknown key}" "config.ini.example: [defaults] $k = its default"
done < <(awk '/^\[/ { on = ($0 == "[defaults]"); next } on && /^[a-z_]+ *=/' "$example")

# the example loads, and its default profile answers (it is what make demo runs)
cp "$example" "$tmp/example.ini"
run_cmd clean --config example.ini config show
is "$RC" 0 "config.ini.example loads"
like "$OUT" 'url += sqlite:' "config.ini.example: the default profile is SQLite"
unlike "$ERR" 'warning' "config.ini.example: no warning"
# ping never creates a SQLite file (a missing one is exit 2): run creates it first
run_cmd clean --config example.ini run - <<<'select 1;'
is "$RC" 0 "config.ini.example: run creates its SQLite database"
run_cmd clean --config example.ini ping
is "$RC" 0 "config.ini.example: ping succeeds"
long=$(awk 'length > 197 { print FNR }' "$example")
is "$long" "" "config.ini.example: no line over inih's 197 characters"

# ---- exit codes ----

awk '/^\.Sh EXIT STATUS/ { on = 1; next } /^\.Sh / { on = 0 } on' "$man" >"$tmp/exit"
for code in 0 1 2 3 4 5 130; do
	has "$tmp/exit" "^\\.It $code\$"
	ok $? "dbctl.1: exit status $code in EXIT STATUS"
	has "$readme" "^\\| $code \\|"
	ok $? "README.md: exit code $code"
done

# ---- the man page renders ----

if command -v mandoc >/dev/null; then
	# cross-references to pages this machine lacks (psql(1)...) are not errors
	lint=$(mandoc -Tlint "$man" 2>&1 | grep -vE 'mandoc\.db|referenced manual not found')
	is "$lint" "" "mandoc -Tlint is clean"
else
	skip "mandoc is not installed"
fi
if command -v man >/dev/null && command -v groff >/dev/null; then
	warnings=$(MANWIDTH=80 man -l "$man" 2>&1 >/dev/null)
	is "$warnings" "" "man -l renders without warnings"
else
	skip "man/groff are not installed"
fi

done_testing
