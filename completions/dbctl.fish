# fish completion for dbctl(1). Installed as share/fish/vendor_completions.d/dbctl.fish.

# The command words given so far (options and their values skipped), one a line.
function __dbctl_words
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l skip 0
    for t in $tokens
        if test $skip -eq 1
            set skip 0
            continue
        end
        switch $t
            case -p --profile --url --config -o --option -t --timeout -w --wait -c --count -i --interval -l --level --workers -v --set \
                -d --dir --lock-timeout --lock --lease --dump-schema --on-drift --out-of-order -f --format
                set skip 1
            case '-*'
            case '*'
                echo $t
        end
    end
end

# True when the command words so far are exactly one of the arguments ("" for none).
function __dbctl_at
    set -l words (string join ' ' -- (__dbctl_words))
    contains -- "$words" $argv
end

# True after the command word run: its arguments are script files.
function __dbctl_in_run
    set -l words (__dbctl_words)
    test "$words[1]" = run
end

# True after "migrate SUB" with SUB one of the arguments (the subcommand's own arguments may follow).
function __dbctl_in_migrate
    set -l words (__dbctl_words)
    test "$words[1]" = migrate; and contains -- "$words[2]" $argv
end

# The versions of the migration files in --dir (default ./migrations); "to" also takes 0.
function __dbctl_migration_versions
    set -l tokens (commandline -opc)
    set -l dir migrations
    for i in (seq (count $tokens))
        switch $tokens[$i]
            case -d --dir
                set dir $tokens[(math $i + 1)]
            case '--dir=*'
                set dir (string replace -- --dir= '' $tokens[$i])
        end
    end
    __dbctl_in_migrate to; and echo 0
    for f in $dir/*.sql
        string match -rq '^(?<v>[0-9]+)' -- (basename -- $f); and echo $v
    end | sort -u
end

# The [sections] of the config file dbctl would read, [defaults] excluded.
function __dbctl_profiles
    set -l tokens (commandline -opc)
    set -l cfg
    for i in (seq (count $tokens))
        switch $tokens[$i]
            case --config
                set cfg $tokens[(math $i + 1)]
            case '--config=*'
                set cfg (string replace -- --config= '' $tokens[$i])
        end
    end
    if test -z "$cfg"
        set -l xdg $XDG_CONFIG_HOME
        test -n "$xdg"; or set xdg $HOME/.config
        for f in "$DBCTL_CONFIG" ./dbctl.ini $xdg/dbctl/config.ini /etc/dbctl/config.ini
            if test -n "$f" -a -f "$f"
                set cfg $f
                break
            end
        end
    end
    set cfg (string replace -r '^~' $HOME -- "$cfg")
    test -n "$cfg" -a -r "$cfg"; or return
    string replace -rf '^\s*\[([^]]*)\].*' '$1' <$cfg | string match -v defaults
end

# -o KEY=VALUE: the keys of the settings table, then values where they are a fixed set.
function __dbctl_settings
    set -l token (commandline -ct)
    switch $token
        case 'pool_pre_ping=*'
            printf 'pool_pre_ping=%s\n' true false
        case 'journal_mode=*'
            printf 'journal_mode=%s\n' wal delete truncate persist memory off keep
        case 'profile=*'
            printf 'profile=%s\n' (__dbctl_profiles)
        case 'migrations_dir=*'
            printf 'migrations_dir=%s\n' (__fish_complete_directories (string replace -- migrations_dir= '' $token) '')
        case '*'
            printf '%s\n' \
                'profile=	profile (INI section) to use' \
                'url=	target URL' \
                'password=	password; overrides one in the URL' \
                'pool_size=	connections the pool keeps open (default 5)' \
                'max_overflow=	connections allowed beyond pool_size (default 10)' \
                'pool_timeout=	seconds a checkout waits for a free connection (default 30)' \
                'pool_recycle=	seconds after which a connection is replaced (default -1)' \
                'pool_pre_ping=	test a pooled connection before reusing it (default true)' \
                'connect_timeout=	seconds allowed to establish a connection (default 10)' \
                'statement_timeout=	PostgreSQL statement_timeout in ms (default 0)' \
                'lock_timeout=	PostgreSQL lock_timeout in ms (default 0)' \
                'application_name=	PostgreSQL application_name (default dbctl)' \
                'search_path=	PostgreSQL search_path (default: the server\'s)' \
                'busy_timeout=	SQLite ms to wait on a locked database (default 5000)' \
                'journal_mode=	SQLite journal mode set on connect (default wal)' \
                'migrations_dir=	directory of migration files (default migrations)' \
                'migrations_table=	table that records applied migrations (default schema_migrations)' \
                'migrations_lock_id=	migrate lock id, PostgreSQL advisory lock or MySQL GET_LOCK (default 0, derived)' \
                'schema_file=	after up/down/redo/to write the schema and tracking rows here (default empty: none)' \
                'environment=	this profile environment, for migrations marked env:LIST (default empty)' \
                'migrate_lock_timeout=	ms a migration waits for a table lock, PostgreSQL (default 5000; 0 keeps lock_timeout)'
    end
end

complete -c dbctl -f

# commands
complete -c dbctl -n '__dbctl_at ""' -a ping -d 'check that the database answers'
complete -c dbctl -n '__dbctl_at ""' -a pool -d 'pool stats: the pool beside the server\'s connection budget'
complete -c dbctl -n '__dbctl_at ""' -a run -d 'run SQL or Redis scripts in one transaction: all or nothing'
complete -c dbctl -n '__dbctl_at ""' -a migrate -d 'migrations: up, down, redo, to, status, new, accept, baseline, load, lint, validate'
complete -c dbctl -n '__dbctl_at ""' -a shell -d 'an interactive transactional session; piped input runs like run -'
complete -c dbctl -n '__dbctl_at ""' -a config -d 'config show: every effective setting and its source'
complete -c dbctl -n '__dbctl_at ""' -a help -d 'show help for dbctl or one command'
complete -c dbctl -n '__dbctl_at pool "help pool"' -a stats -d 'the pool beside the server\'s connection budget'
complete -c dbctl -n '__dbctl_at config "help config"' -a show -d 'every effective setting and where it came from'
complete -c dbctl -n '__dbctl_at migrate "help migrate"' -a up -d 'apply pending migrations, each with its tracking row in one transaction'
complete -c dbctl -n '__dbctl_at migrate "help migrate"' -a down -d 'revert the last N applied migrations (default 1)'
complete -c dbctl -n '__dbctl_at migrate "help migrate"' -a redo -d 'revert the last applied migration and apply it again'
complete -c dbctl -n '__dbctl_at migrate "help migrate"' -a to -d 'migrate up or down to VERSION (0 reverts everything)'
complete -c dbctl -n '__dbctl_at migrate "help migrate"' -a status -d 'applied, pending, modified, missing and failed; exit 4 when pending'
complete -c dbctl -n '__dbctl_at migrate "help migrate"' -a new -d 'create migrations/TIMESTAMP_NAME.sql with up and down sections'
complete -c dbctl -n '__dbctl_at migrate "help migrate"' -a accept -d 'record the current file of a migration as the right one'
complete -c dbctl -n '__dbctl_at migrate "help migrate"' -a baseline -d 'record every migration up to VERSION as applied without running it'
complete -c dbctl -n '__dbctl_at migrate "help migrate"' -a load -d 'load a schema file into an empty database, in one transaction'
complete -c dbctl -n '__dbctl_at migrate "help migrate"' -a lint -d 'what the migrations would lock or rewrite, from their text'
complete -c dbctl -n '__dbctl_at migrate "help migrate"' -a validate -d 'read, lex and lint every migration without connecting'
complete -c dbctl -n '__dbctl_at help' -a 'ping pool run migrate shell config'

# global options
complete -c dbctl -s p -l profile -x -a '(__dbctl_profiles)' -d 'use profile NAME of the config file'
complete -c dbctl -l url -x -a 'postgresql:// postgres:// mysql:// mariadb:// redis:// unix:/// sqlite:/// sqlite::memory:' -d 'target URL; outranks every other source'
complete -c dbctl -l config -r -F -d 'read settings from FILE'
complete -c dbctl -s o -l option -x -a '(__dbctl_settings)' -d 'set any setting (repeatable), e.g. -o pool_size=2'
complete -c dbctl -l json -d 'machine-readable output on stdout'
complete -c dbctl -s q -l quiet -d 'print nothing on stdout on success'
complete -c dbctl -s h -l help -d 'show help'
complete -c dbctl -l version -d 'print the version'

# ping
complete -c dbctl -n '__dbctl_at ping' -s t -l timeout -x -d 'give up on an attempt after SECONDS (default 3)'
complete -c dbctl -n '__dbctl_at ping' -s w -l wait -x -d 'retry with backoff until up, for at most SECONDS'
complete -c dbctl -n '__dbctl_at ping' -s c -l count -x -d 'ping N times (default 1)'
complete -c dbctl -n '__dbctl_at ping' -s i -l interval -x -d 'pause between pings with --count (default 1)'
complete -c dbctl -n '__dbctl_at ping' -s l -l level -x -a 'reach server auth query' -d 'how far counts as up (default query)'
complete -c dbctl -n '__dbctl_at ping' -l all -d 'ping every profile of the config file'

# pool stats
complete -c dbctl -n '__dbctl_at "pool stats"' -s w -l workers -x -d 'would N processes, each with this pool, fit?'

# run FILE... | -
complete -c dbctl -n __dbctl_in_run -F
complete -c dbctl -n __dbctl_in_run -l no-transaction -d 'run statement by statement, stopping at the first error'
complete -c dbctl -n __dbctl_in_run -s n -l dry-run -d 'run everything, report, then roll back'
complete -c dbctl -n __dbctl_in_run -s v -l set -x -d 'psql variable NAME=VALUE for :NAME, :\'NAME\' and :"NAME"'
complete -c dbctl -n __dbctl_in_run -s e -l echo -d 'print each statement as it is sent'
complete -c dbctl -n __dbctl_in_run -l list -d 'print the statements with their file, line and column; run nothing'

# shell
complete -c dbctl -n '__dbctl_at shell' -s f -l format -x -a 'table csv json tsv' -d 'result format (default table)'
complete -c dbctl -n '__dbctl_at shell' -s x -l expanded -d 'one field a line, as \\x'
complete -c dbctl -n '__dbctl_at shell' -l autocommit -d 'commit each statement at once (interactive; off by default)'
complete -c dbctl -n '__dbctl_at shell' -s v -l set -x -d 'psql variable NAME=VALUE for :NAME, :\'NAME\' and :"NAME" in piped input'
complete -c dbctl -n '__dbctl_at shell' -l no-history -d 'do not read or write the history file'

# migrate up|down|redo|to|status|new|accept|baseline|lint|validate
complete -c dbctl -n '__dbctl_in_migrate up down redo to status new accept baseline lint validate' -s d -l dir -x -a '(__fish_complete_directories)' -d 'migrations directory (default ./migrations)'
complete -c dbctl -n '__dbctl_in_migrate up down redo to status accept baseline' -s w -l wait -x -d 'wait up to SECONDS for the database to accept connections'
complete -c dbctl -n '__dbctl_in_migrate up down redo to' -s n -l dry-run -d 'show the plan, apply it inside a transaction and roll back'
complete -c dbctl -n '__dbctl_in_migrate up down redo to' -l lock-timeout -x -d 'give up when another runner holds the lock this long (default 60)'
complete -c dbctl -n '__dbctl_in_migrate up down redo to' -l dump-schema -r -d 'then write the schema and the tracking rows to FILE'
complete -c dbctl -n '__dbctl_in_migrate up down redo to' -l lease -x -d 'with --lock=table, the lease length, renewed meanwhile (default 600)'
complete -c dbctl -n '__dbctl_in_migrate up down redo to' -l lock -x -a 'auto advisory table' -d 'migration lock: auto, session lock (advisory lock, GET_LOCK), or a lease row (PgBouncer, ProxySQL)'
complete -c dbctl -n '__dbctl_in_migrate up down redo to' -s e -l echo -d 'print each statement as it is sent'
complete -c dbctl -n '__dbctl_in_migrate up' -l single-transaction -d 'apply every pending migration in one transaction: all or nothing'
complete -c dbctl -n '__dbctl_in_migrate up' -l on-drift -x -a 'fail warn' -d 'an applied migration whose file changed (default fail)'
complete -c dbctl -n '__dbctl_in_migrate up' -l out-of-order -x -a 'fail apply' -d 'a pending migration older than an applied one (default fail)'
complete -c dbctl -n '__dbctl_in_migrate down redo to' -l retry -d 'resume a transaction:false section that stopped part way'
complete -c dbctl -n '__dbctl_in_migrate down redo to' -l allow-missing-down -d 'revert a migration without a down section by deleting its tracking row'
complete -c dbctl -n '__dbctl_in_migrate up' -l retry -d 'retry a failed transaction:false migration though its file is unchanged'
complete -c dbctl -n '__dbctl_at "migrate to" "migrate accept" "migrate baseline"' -a '(__dbctl_migration_versions)' -d version
