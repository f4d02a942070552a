# bash completion for dbctl(1)                              -*- shell-script -*-
# Installed as share/bash-completion/completions/dbctl, or: source completions/dbctl.bash
# Works with or without the bash-completion package.

_dbctl_commands="ping pool run migrate shell config help"
_dbctl_migrate_commands="up down redo to status new accept baseline load lint validate"
_dbctl_global_options="-p --profile --url --config -o --option --json -q --quiet -h --help --version"
_dbctl_ping_options="-t --timeout -w --wait -c --count -i --interval -l --level --all"
_dbctl_pool_stats_options="-w --workers"
_dbctl_run_options="--no-transaction -n --dry-run -v --set -e --echo --list"
_dbctl_migrate_up_options="-d --dir -w --wait -n --dry-run --lock-timeout --lock --lease --dump-schema -e --echo --single-transaction --on-drift --out-of-order --retry"
_dbctl_migrate_apply_options="-d --dir -w --wait -n --dry-run --lock-timeout --lock --lease --dump-schema -e --echo"
_dbctl_migrate_down_options="--retry --allow-missing-down"
_dbctl_migrate_status_options="-d --dir -w --wait"
_dbctl_migrate_new_options="-d --dir"
_dbctl_shell_options="-f --format -x --expanded --autocommit -v --set --no-history"
_dbctl_levels="reach server auth query"
_dbctl_formats="table csv json tsv"
_dbctl_settings="profile url password pool_size max_overflow pool_timeout pool_recycle pool_pre_ping
connect_timeout statement_timeout lock_timeout application_name search_path busy_timeout journal_mode
migrations_dir migrations_table migrations_lock_id migrate_lock_timeout environment schema_file"
_dbctl_journal_modes="wal delete truncate persist memory off keep"
_dbctl_url_schemes="postgresql:// postgres:// mysql:// mariadb:// redis:// unix:/// sqlite:/// sqlite::memory:"

# _dbctl_takes_value OPTION CMD: does OPTION (for command CMD, "" before one) take a value?
_dbctl_takes_value() {
	case $1 in
	-p | --profile | --url | --config | -o | --option) return 0 ;;
	esac
	case $2:$1 in
	ping:-t | ping:--timeout | ping:-w | ping:--wait | ping:-c | ping:--count | \
		ping:-i | ping:--interval | ping:-l | ping:--level) return 0 ;;
	"pool stats":-w | "pool stats":--workers) return 0 ;;
	run:-v | run:--set) return 0 ;;
	shell:-f | shell:--format | shell:-v | shell:--set) return 0 ;;
	"migrate "*:-d | "migrate "*:--dir) return 0 ;;
	"migrate new":*) return 1 ;;
	"migrate "*:-w | "migrate "*:--wait) return 0 ;;
	"migrate "*:--lock-timeout | "migrate "*:--lock | "migrate "*:--lease | "migrate "*:--dump-schema | "migrate "*:--on-drift | "migrate "*:--out-of-order) return 0 ;;
	esac
	return 1
}

# _dbctl_migration_versions DIR: the versions of the migration files in DIR.
_dbctl_migration_versions() {
	local f b v
	for f in "${1:-migrations}"/*.sql; do
		[[ -f $f ]] || continue
		b=${f##*/} v=${b%%[!0-9]*}
		[[ -n $v ]] && printf '%s\n' "$v"
	done | sort -u
}

# _dbctl_profiles CONFIG: the [sections] of the config file dbctl would read, [defaults] excluded.
_dbctl_profiles() {
	local cfg=$1 f
	if [[ -z $cfg ]]; then
		for f in "${DBCTL_CONFIG:-}" ./dbctl.ini "${XDG_CONFIG_HOME:-$HOME/.config}/dbctl/config.ini" \
			/etc/dbctl/config.ini; do
			[[ -n $f && -f $f ]] && { cfg=$f; break; }
		done
	fi
	cfg=${cfg/#\~/$HOME}
	[[ -n $cfg && -r $cfg ]] || return 0
	sed -n 's/^[[:space:]]*\[\([^]]*\)\].*/\1/p' -- "$cfg" 2>/dev/null | grep -vx defaults
}

_dbctl() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev="" opt="" cmd="" config="" dir="" word
	local -a words=()
	local i n=0

	# The default COMP_WORDBREAKS splits "--level=x" into "--level" "=" "x".
	if [[ $cur == "=" ]]; then
		opt=${COMP_WORDS[COMP_CWORD - 1]} cur=""
	elif ((COMP_CWORD >= 2)) && [[ ${COMP_WORDS[COMP_CWORD - 1]} == "=" ]]; then
		opt=${COMP_WORDS[COMP_CWORD - 2]}
	elif [[ $cur == --*=* ]]; then
		opt=${cur%%=*} cur=${cur#*=}
	else
		prev=${COMP_WORDS[COMP_CWORD - 1]}
	fi

	# The command words so far, skipping options and their values.
	for ((i = 1; i < COMP_CWORD; i++)); do
		word=${COMP_WORDS[i]}
		if [[ $word == "=" ]]; then
			((i++))
			continue
		fi
		if [[ $word == --config ]]; then
			config=${COMP_WORDS[i + 1]}
			[[ $config == "=" ]] && config=${COMP_WORDS[i + 2]}
		elif [[ $word == --config=* ]]; then
			config=${word#--config=}
		elif [[ $word == -d || $word == --dir ]]; then
			dir=${COMP_WORDS[i + 1]}
			[[ $dir == "=" ]] && dir=${COMP_WORDS[i + 2]}
		elif [[ $word == --dir=* ]]; then
			dir=${word#--dir=}
		fi
		if [[ $word == -?* ]]; then
			if [[ ${COMP_WORDS[i + 1]} != "=" ]] && _dbctl_takes_value "$word" "$cmd" && ((i + 1 < COMP_CWORD)); then
				((i++))
			fi
			continue
		fi
		words+=("$word")
		n=${#words[@]}
		case $n:${words[0]} in
		1:ping | 1:run | 1:shell | 1:help) cmd=${words[0]} ;;
		2:pool | 2:config | 2:migrate) cmd="${words[0]} ${words[1]}" ;;
		esac
	done

	# The value of an option.
	if [[ -z $opt && $cur != -* ]] && _dbctl_takes_value "$prev" "$cmd"; then
		opt=$prev
	fi
	if [[ -n $opt && $opt == -* ]]; then
		case $opt in
		-p | --profile)
			mapfile -t COMPREPLY < <(compgen -W "$(_dbctl_profiles "$config")" -- "$cur") ;;
		--config)
			compopt -o filenames 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
		--url)
			compopt -o nospace 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -W "$_dbctl_url_schemes" -- "$cur") ;;
		-o | --option)
			compopt -o nospace 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -W "$_dbctl_settings" -S = -- "$cur") ;;
		-l | --level)
			mapfile -t COMPREPLY < <(compgen -W "$_dbctl_levels" -- "$cur") ;;
		-f | --format)
			mapfile -t COMPREPLY < <(compgen -W "$_dbctl_formats" -- "$cur") ;;
		-d | --dir)
			compopt -o filenames 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
		--on-drift)
			mapfile -t COMPREPLY < <(compgen -W "fail warn" -- "$cur") ;;
		--out-of-order)
			mapfile -t COMPREPLY < <(compgen -W "fail apply" -- "$cur") ;;
		--lock)
			mapfile -t COMPREPLY < <(compgen -W "auto advisory table" -- "$cur") ;;
		*) COMPREPLY=() ;;
		esac
		return 0
	fi
	# -o KEY=VALUE: values of the settings that have a fixed set.
	if [[ -n $opt ]]; then
		case $opt in
		pool_pre_ping) mapfile -t COMPREPLY < <(compgen -W "true false" -- "$cur") ;;
		journal_mode) mapfile -t COMPREPLY < <(compgen -W "$_dbctl_journal_modes" -- "$cur") ;;
		profile) mapfile -t COMPREPLY < <(compgen -W "$(_dbctl_profiles "$config")" -- "$cur") ;;
		migrations_dir)
			compopt -o filenames 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
		*) COMPREPLY=() ;;
		esac
		return 0
	fi

	local options=$_dbctl_global_options
	case $cmd in
	ping) options="$_dbctl_ping_options $options" ;;
	"pool stats") options="$_dbctl_pool_stats_options $options" ;;
	run) options="$_dbctl_run_options $options" ;;
	"migrate up") options="$_dbctl_migrate_up_options $options" ;;
	"migrate down" | "migrate redo" | "migrate to") options="$_dbctl_migrate_apply_options $_dbctl_migrate_down_options $options" ;;
	"migrate status" | "migrate accept") options="$_dbctl_migrate_status_options $options" ;;
	"migrate baseline") options="$_dbctl_migrate_status_options --lock-timeout --lock $options" ;;
	"migrate new" | "migrate lint" | "migrate validate") options="$_dbctl_migrate_new_options $options" ;;
	"migrate load") options="$_dbctl_migrate_new_options -n --dry-run -e --echo $options" ;;
	shell) options="$_dbctl_shell_options $options" ;;
	esac
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$options" -- "$cur")
		return 0
	fi
	# run FILE... | -: script files, any number of them
	if [[ $cmd == run ]]; then
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return 0
	fi
	case $n:${words[*]} in
	0:) mapfile -t COMPREPLY < <(compgen -W "$_dbctl_commands" -- "$cur") ;;
	1:pool | "2:help pool") mapfile -t COMPREPLY < <(compgen -W "stats" -- "$cur") ;;
	1:config | "2:help config") mapfile -t COMPREPLY < <(compgen -W "show" -- "$cur") ;;
	1:migrate | "2:help migrate") mapfile -t COMPREPLY < <(compgen -W "$_dbctl_migrate_commands" -- "$cur") ;;
	1:help) mapfile -t COMPREPLY < <(compgen -W "ping pool run migrate shell config" -- "$cur") ;;
	# migrate to|accept|baseline VERSION: the versions of the files
	"2:migrate to" | "2:migrate accept" | "2:migrate baseline")
		local versions
		versions=$(_dbctl_migration_versions "$dir")
		[[ ${words[1]} == to ]] && versions="0 $versions" # to 0 reverts everything
		mapfile -t COMPREPLY < <(compgen -W "$versions" -- "$cur") ;;
	1:ping | 1:shell | "2:pool stats" | "2:config show" | "2:migrate "*)
		mapfile -t COMPREPLY < <(compgen -W "$options" -- "$cur") ;;
	*) COMPREPLY=() ;;
	esac
	return 0
}

complete -F _dbctl dbctl
