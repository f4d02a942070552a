#!/bin/bash
# Statement boundaries on real scripts written by others (../shared/corpus):
# dbctl's lexer (run --list --json, no connection) against what psql actually
# sent to the server (log_statement = all, read back from the server log) and
# against the statements sqlite3_prepare_v2 itself cuts from SQLite scripts.
# Files with psql meta-commands must be refused (exit 3) at the first one.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/servers.sh"
[ -n "${TEST_PG_SUPER_URL:-}" ] || skip_all "no test servers (run me through tests/run)"
corpus=${DBCTL_CORPUS:-${TEST_SRCDIR:-$(dirname "$0")/../..}/../shared/corpus}
[ -d "$corpus/pagila" ] || skip_all "no SQL corpus at $corpus (set DBCTL_CORPUS)"
corpus=$(cd "$corpus" && pwd)
pglog=$TEST_TMP/pg/postgres.log # where servers.sh has pg_ctl write the server's stderr
[ -r "$pglog" ] || skip_all "cannot read the server log $pglog"

tmp=$(mktemp -d "$TEST_TMP/parity.XXXXXX")
cd "$tmp" || exit 1
databases=()
cleanup() {
	local db
	for db in "${databases[@]}"; do
		"$TEST_PG_BINDIR/psql" -X -q -d "$TEST_PG_SUPER_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" \
			>/dev/null 2>&1
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
db_url() { printf '%s/%s\n' "${TEST_PG_SUPER_URL%/*}" "$1"; }

# The reference splitters and the comparison, in Python (stdlib only).
cat >parity.py <<'PY'
# pglog LOG NONCE: statements one psql session sent, grouped by marker
#   statements (SELECT 'dbctl-parity NONCE KEY'), from a stderr-format server
#   log written with log_statement = all. Parsed statements appear as
#   "LOG:  statement: TEXT"; one that does not parse is not logged that way,
#   only as "STATEMENT:  TEXT" after its ERROR.
# sqlite FILE...: each file's statements as sqlite3_prepare_v2 cuts them (its
#   tail pointer), keys 1..N, run one after the other in one :memory: database
#   so that every statement prepares.
# strip SRC DST: SRC without its psql meta-commands, for the regression
#   scripts that have some: line-initial ones (outside COPY data) become empty
#   lines, \g-style ones that end a query become ';', and \; becomes ';'.
# locations DBCTL_JSON...: every statement's first line is in its file at the
#   statement's LINE:COLUMN (columns count characters).
# compare REF_JSON WHAT: dbctl's texts against the reference lists, for the
#   files named on stdin (see compare_all()), in two ways: "boundaries" and
#   "text" (see compare()). Reference statements that are empty (comments and
#   ';' only) are left out: psql sends them, dbctl by design does not.
# psql drops whitespace and -- comments before a statement; the SQLite
# reference has them dropped too, to compare like with like.
import ctypes, json, re, sys

ENTRY = re.compile(r'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ \[(\d+)\] (\w+):  (.*)$')

def log_entries(path):
    entries = []
    with open(path, encoding='utf-8', errors='surrogateescape', newline='\n') as f:
        for line in f:
            line = line[:-1] if line.endswith('\n') else line
            m = ENTRY.match(line)
            if m:
                entries.append([m.group(1), m.group(2), m.group(3)])
            elif entries:
                # the server puts a tab after each newline of a message
                entries[-1][2] += '\n' + (line[1:] if line.startswith('\t') else line)
    return entries

def pglog(path, nonce):
    marker = re.compile(r"^SELECT 'dbctl-parity %s (\w+)'$" % re.escape(nonce))
    entries = log_entries(path)
    pid = next((p for p, level, msg in entries if level == 'LOG' and msg.startswith('statement: ')
                and marker.match(msg[11:])), None)
    if pid is None:
        sys.exit('pglog: no marker %s in %s' % (nonce, path))
    # after an ERROR, "STATEMENT:  TEXT" names the statement that failed: the
    # one logged just before it, unless it did not parse (then only this)
    out, key, last_text = {}, None, None
    for p, level, msg in entries:
        if p != pid:
            continue
        if level == 'LOG' and msg.startswith('statement: '):
            last_text = msg[11:]
            m = marker.match(last_text)
            if m:
                key = m.group(1)
                out[key] = []
            elif key is not None:
                out[key].append(last_text)
        elif level == 'STATEMENT' and key is not None:
            if msg != last_text:
                out[key].append(msg)
            last_text = None
    json.dump(out, sys.stdout)

def strip_leading(text):
    while True:
        t = text.lstrip(' \t\n\r\f\v')
        if not t.startswith('--'):
            return t
        nl = t.find('\n')
        text = '' if nl < 0 else t[nl + 1:]

def sqlite(paths):
    lib = ctypes.CDLL('libsqlite3.so.0')
    lib.sqlite3_open.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
    lib.sqlite3_prepare_v2.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int,
                                       ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_void_p)]
    lib.sqlite3_step.argtypes = lib.sqlite3_finalize.argtypes = [ctypes.c_void_p]
    lib.sqlite3_errmsg.argtypes = [ctypes.c_void_p]
    lib.sqlite3_errmsg.restype = ctypes.c_char_p
    db = ctypes.c_void_p()
    if lib.sqlite3_open(b':memory:', ctypes.byref(db)) != 0:
        sys.exit('sqlite: cannot open :memory:')
    out = {}
    for index, path in enumerate(paths, 1):
        data = open(path, 'rb').read()
        buf = ctypes.create_string_buffer(data)
        base, pos, stmts = ctypes.addressof(buf), 0, []
        while pos < len(data):
            stmt, tail = ctypes.c_void_p(), ctypes.c_void_p()
            rc = lib.sqlite3_prepare_v2(db, base + pos, len(data) - pos, ctypes.byref(stmt), ctypes.byref(tail))
            if rc != 0:   # then the tail does not say where the statement ends
                sys.exit('sqlite: %s: prepare failed at byte %d: %s'
                         % (path, pos, lib.sqlite3_errmsg(db).decode()))
            end = tail.value - base
            if stmt.value:   # NULL for comments and blanks only
                text = strip_leading(data[pos:end].decode('utf-8'))
                if end >= len(data):
                    text = text.rstrip(' \t\n\r\f\v')
                stmts.append(text)
                while lib.sqlite3_step(stmt) == 100:   # SQLITE_ROW
                    pass
                lib.sqlite3_finalize(stmt)
            if end <= pos:
                break
            pos = end
        out[str(index)] = stmts
    json.dump(out, sys.stdout)

def is_empty(text):
    """Only comments, whitespace and ';': psql sends it, the server does
    nothing, and dbctl does not send it at all (by design)."""
    i, n = 0, len(text)
    while i < n:
        if text[i] in ' \t\n\r\f\v;':
            i += 1
        elif text.startswith('--', i):
            j = text.find('\n', i)
            i = n if j < 0 else j + 1
        elif text.startswith('/*', i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith('/*', i):
                    depth, i = depth + 1, i + 2
                elif text.startswith('*/', i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        else:
            return False
    return True

def strip(src, dst):
    out, data = [], False
    trailing = re.compile(r'[ \t]*\\(g|gx|gset|gexec|gdesc|bind|bind_named|parse|sendpipeline|crosstabview'
                          r'|watch)\b.*$')
    for line in open(src, encoding='utf-8', newline='').read().split('\n'):
        if data:
            data = line.rstrip('\r') != '\\.'
        elif re.match(r'[ \t]*\\[A-Za-z!?]', line):
            line = ''
        else:
            line = trailing.sub(';', line.replace('\\;', ';'))
            data = bool(re.search(r'from\s+stdin\b.*;\s*$', line, re.I)) and not re.match(r'\s*--', line)
        out.append(line)
    open(dst, 'w', encoding='utf-8', newline='').write('\n'.join(out))

def locations(paths):
    files, bad, n = {}, [], 0
    for path in paths:
        for st in json.load(open(path))['statements']:
            n += 1
            if st['file'] not in files:
                files[st['file']] = open(st['file'], encoding='utf-8', newline='').read().split('\n')
            lines = files[st['file']]
            first = st['text'].split('\n')[0]
            at = lines[st['line'] - 1][st['column'] - 1:] if 0 < st['line'] <= len(lines) else None
            if at is None or not at.startswith(first):
                bad.append('%s:%d:%d: %s, the file has %s' % (st['file'], st['line'], st['column'],
                           json.dumps(short(first, 80)), json.dumps(short(at or '', 80))))
    if bad:
        print('%d of %d statements are not where --list says:' % (len(bad), n))
        print('\n'.join(bad[:5]))
        sys.exit(1)
    print(n)

def short(s, n=200):
    return s if len(s) <= n else s[:n] + '...(%d chars)' % len(s)

def compare(got, want, mode):
    """mode text: identical texts. mode boundaries: the same statements once
    empty lines are removed from both (psql drops the empty lines that are
    outside quotes and comments). Returns (count, []) or (None, diagnostics)."""
    want = [t for t in want if not is_empty(t)]
    texts = [s['text'] for s in got]
    if mode == 'boundaries':
        norm = lambda t: re.sub(r'\n\n+', '\n', t)
        texts, want = [norm(t) for t in texts], [norm(t) for t in want]
    if texts == want:
        return len(texts), []
    i = next((i for i, (a, b) in enumerate(zip(texts, want)) if a != b), min(len(texts), len(want)))
    out = ['dbctl: %d statements, reference: %d; first difference at statement %d'
           % (len(texts), len(want), i + 1)]
    if i < len(texts) and i < len(want):
        a, b = texts[i], want[i]
        k = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        out.append('statement %d, %s:%d:%d, differs at its character %d (file line %d):'
                   % (i + 1, got[i]['file'], got[i]['line'], got[i]['column'], k + 1,
                      got[i]['line'] + a[:k].count('\n')))
        out.append('  dbctl     ...%s...' % json.dumps(a[max(0, k - 50):k + 50]))
        out.append('  reference ...%s...' % json.dumps(b[max(0, k - 50):k + 50]))
    for j in (i, i + 1):
        if j < len(got):
            out.append('dbctl #%d     %s:%d:%d %s' % (j + 1, got[j]['file'], got[j]['line'], got[j]['column'],
                                                   json.dumps(short(texts[j]))))
    for j in (i, i + 1):
        if j < len(want):
            out.append('reference #%d %s' % (j + 1, json.dumps(short(want[j]))))
    return None, out

def compare_all(ref_json, what):
    """stdin: lines DBCTL_JSON<TAB>KEY<TAB>LABEL. stdout: one line per test,
    PASS|FAIL<TAB>NAME<TAB>DIAGNOSTICS (lines joined by \x1f)."""
    ref = json.load(open(ref_json))
    for line in sys.stdin:
        dbctl_json, key, label = line.rstrip('\n').split('\t')
        try:
            got = json.load(open(dbctl_json))['statements']
        except (OSError, ValueError, KeyError):
            got = None
        for mode in ('boundaries', 'text'):
            if got is None:
                n, diag = None, ['no statement list from dbctl']
            elif key not in ref:
                n, diag = None, ['no reference for %s' % key]
            else:
                n, diag = compare(got, ref[key], mode)
            name = '%s: same %sstatements as %s (%s)' % (label, '' if n is None else '%d ' % n, what, mode)
            print('%s\t%s\t%s' % ('PASS' if n is not None else 'FAIL', name, '\x1f'.join(diag)))

cmd, args = sys.argv[1], sys.argv[2:]
{'pglog': lambda: pglog(*args), 'sqlite': lambda: sqlite(args), 'compare': lambda: compare_all(*args),
 'locations': lambda: locations(args), 'strip': lambda: strip(*args)}[cmd]()
PY
py() { /usr/bin/python3 "$tmp/parity.py" "$@"; }

# psql_reference NAME FILE...: run FILEs through one psql session against a
# fresh database NAME (as superuser: log_statement is superuser-only), with a
# marker statement before each file; NAME.ref.json maps 1..N to the statements
# the server received from each file. psql's stdout goes to NAME.psql.out.
psql_reference() {
	local name=$1 nonce="$$x$RANDOM" i=0 f args=()
	shift
	"$TEST_PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d "$TEST_PG_SUPER_URL" \
		-c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name" >/dev/null || return 1
	databases+=("$name")
	for f; do
		i=$((i + 1))
		args+=(-c "SELECT 'dbctl-parity $nonce $i'" -f "$f")
	done
	args+=(-c "SELECT 'dbctl-parity $nonce end'")
	# errors are expected (the scripts test them, or depend on earlier ones):
	# psql goes on, and what matters is what it sent
	# (exit 0 all the same; 1 or 2 for a file not found or a lost connection)
	PGOPTIONS='-c log_statement=all -c client_min_messages=error' \
		"$TEST_PG_BINDIR/psql" -X -d "$(db_url "$name")" "${args[@]}" >"$name.psql.out" 2>"$name.psql.err" ||
		{ diag "psql: $(tail -n 3 "$name.psql.err")"; return 1; }
	py pglog "$pglog" "$nonce" >"$name.ref.json"
}

# dbctl_list NAME FILE...: dbctl's split of each FILE into NAME.I.json
dbctl_list() {
	local name=$1 i=0 f rc=0
	shift
	for f; do
		i=$((i + 1))
		"$DBCTL" --url "$TEST_PG_URL" run --list --json "$f" >"$name.$i.json" 2>"$name.$i.err" || rc=1
	done
	return $rc
}

# check_group NAME WHAT FILE...: two tests per file, the same boundaries and
# the same texts as reference NAME.ref.json (keys 1..N)
check_group() {
	local name=$1 what=$2 i=0 f verdict test_name diags
	shift 2
	for f; do
		i=$((i + 1))
		f=${f#"$corpus"/}
		printf '%s\t%s\t%s\n' "$name.$i.json" "$i" "${f#"$tmp"/}"
	done | py compare "$name.ref.json" "$what" >"$name.verdicts"
	[ -s "$name.verdicts" ] || { fail "$name: comparison ran"; return; }
	while IFS=$'\t' read -r verdict test_name diags; do
		if [ "$verdict" = PASS ]; then
			pass "$test_name"
		else
			fail "$test_name"
			diag "${diags//$'\x1f'/$'\n'}"
		fi
	done <"$name.verdicts"
}

# check_locations NAME N: FILE:LINE:COLUMN of each statement of NAME.1..N.json
check_locations() {
	local out files=() i
	for ((i = 1; i <= $2; i++)); do files+=("$1.$i.json"); done
	if out=$(py locations "${files[@]}" 2>&1); then
		pass "$1: each of the $out statements starts at its LINE:COLUMN"
	else
		fail "$1: each statement starts at its LINE:COLUMN"
		diag "$out"
	fi
}

# parity NAME FILE...: psql's reference and dbctl's split, then compare
parity() {
	local name=$1 t0=$SECONDS
	shift
	psql_reference "$name" "$@"
	ok $? "$name: psql ran $# files, the server log has what it sent"
	dbctl_list "$name" "$@"
	ok $? "$name: dbctl --list --json splits all $# files (exit 0)"
	check_locations "$name" "$#"
	check_group "$name" "psql sent" "$@"
	note "$name: $# files in $((SECONDS - t0)) s"
}

# copy_data_lines JSON...: the data_lines of dbctl's copy-in statements, in
# order, to set beside the row counts psql reported (COPY n) for the same data
copy_data_lines() {
	/usr/bin/python3 -c 'import json, sys
for f in sys.argv[1:]:
    for s in json.load(open(f))["statements"]:
        if s["kind"] == "copy-in": print(s["data_lines"])' "$@"
}

regress=$corpus/postgres-regress/sql

# --- files with psql meta-commands: refused at the first one, exit 3 ---
# Expected places checked by hand: the first backslash command outside quotes,
# comments and COPY data (copy2.sql's data has \N lines before line 246,
# strings.sql has E'\\' strings before 333, psql_crosstab.sql indents one).
while read -r file where command; do
	expect_exit 3 "$file: psql meta-command refused (exit 3)" -- \
		"$DBCTL" --url "$TEST_PG_URL" run --list --json "$corpus/$file"
	like "$ERR" "^dbctl: $corpus/$file:$where: psql meta-command '${command//\\/\\\\}' is not supported" \
		"$file: the message names FILE:$where and $command"
	unlike "$OUT" '"statements"' "$file: no statement list on stdout"
done <<'EOF'
postgres-regress/sql/copy.sql 6:1 \getenv
postgres-regress/sql/copy2.sql 246:1 \copy
postgres-regress/sql/copydml.sql 21:1 \copy
postgres-regress/sql/copyselect.sql 69:1 \copy
postgres-regress/sql/create_procedure.sql 14:1 \df
postgres-regress/sql/errors.sql 286:1 \g
postgres-regress/sql/psql.sql 9:1 \set
postgres-regress/sql/psql_crosstab.sql 24:2 \crosstabview
postgres-regress/sql/psql_pipeline.sql 8:1 \startpipeline
postgres-regress/sql/strings.sql 333:1 \pset
postgres-regress/sql/test_setup.sql 6:1 \getenv
postgres-regress/sql/triggers.sql 6:1 \getenv
chinook/Chinook_PostgreSql.sql 28:1 \c
EOF
# \; (psql's "send later, together") is a meta-command too
expect_exit 3 "transactions.sql: \\; refused (exit 3)" -- \
	"$DBCTL" --url "$TEST_PG_URL" run --list --json "$regress/transactions.sql"
like "$ERR" "^dbctl: $regress/transactions\.sql:539:9: psql meta-command" "transactions.sql: the message names FILE:539:9"

# --- PostgreSQL: same statements, same order, same text as psql sent ---
# the meta-command-free regression scripts (errors expected: they depend on
# test_setup.sql and on each other; psql still sends every statement)
parity regress "$regress/comments.sql" "$regress/create_function_sql.sql" "$regress/numerology.sql" \
	"$regress/plpgsql.sql"

# the regression scripts with meta-commands, without them (see strip in
# parity.py): strings.sql's E'', U&'' and string continuations,
# create_procedure.sql's BEGIN ATOMIC, transactions.sql's BEGIN/COMMIT/
# SAVEPOINT forms, errors.sql's broken statements. Not the ones whose COPY FROM
# stdin fail without the meta-commands (copy*.sql, triggers.sql): this psql
# (15) then sends the COPY data as SQL, newer ones skip it as dbctl does.
mkdir stripped
stripped=()
for f in strings create_procedure transactions errors copydml test_setup; do
	py strip "$regress/$f.sql" "stripped/$f.sql"
	stripped+=("$tmp/stripped/$f.sql")
done
parity regress_stripped "${stripped[@]}"

parity pagila "$corpus/pagila/pagila-schema.sql" "$corpus/pagila/pagila-data.sql"
is "$(copy_data_lines pagila.2.json | paste -sd ' ')" \
	"$(sed -nE 's/^COPY ([0-9]+)$/\1/p' pagila.psql.out | paste -sd ' ')" \
	"pagila-data.sql: data_lines of each COPY equal the rows psql loaded"
is "$(copy_data_lines pagila.2.json | wc -l)" 21 "pagila-data.sql: 21 COPY blocks"

sakila=$corpus/sakila/postgres-sakila-db
parity sakila "$sakila/postgres-sakila-schema.sql" "$sakila/postgres-sakila-insert-data-using-copy.sql" \
	"$sakila/postgres-sakila-delete-data.sql" "$sakila/postgres-sakila-drop-objects.sql"
is "$(copy_data_lines sakila.2.json | paste -sd ' ')" \
	"$(sed -nE 's/^COPY ([0-9]+)$/\1/p' sakila.psql.out | paste -sd ' ')" \
	"sakila insert-data: data_lines of each COPY equal the rows psql loaded"
is "$(copy_data_lines sakila.2.json | wc -l)" 15 "sakila insert-data: 15 COPY blocks"

parity harbor "$corpus"/migrations-harbor-golang-migrate/migrations/*.up.sql

parity hatchet "$corpus"/migrations-hatchet-goose/migrations/*.sql

# --- SQLite: the statements sqlite3_prepare_v2 cuts ---
sqlite_parity() {
	local name=$1 i=0 f out
	shift
	py sqlite "$@" >"$name.ref.json"
	ok $? "$name: sqlite3_prepare_v2 split and ran all $# files"
	for f; do
		i=$((i + 1))
		"$DBCTL" --url sqlite::memory: run --list --json "$f" >"$name.$i.json" 2>"$name.$i.err"
		is "$?" 0 "${f#"$corpus"/}: dbctl --list --json exits 0"
	done
	check_locations "$name" "$#"
	check_group "$name" "sqlite3_prepare_v2" "$@"
}
sqlite_parity chinook-sqlite "$corpus/chinook/Chinook_Sqlite.sql"
s=$corpus/sakila/sqlite-sakila-db
sqlite_parity sakila-sqlite "$s/sqlite-sakila-schema.sql" "$s/sqlite-sakila-delete-data.sql" \
	"$s/sqlite-sakila-drop-objects.sql"
is "$(/usr/bin/python3 -c 'import json, re, sys
print(sum(1 for s in json.load(open(sys.argv[1]))["statements"]
          if re.match(r"CREATE TRIGGER .*\bBEGIN\b.*;.*\bEND\s*;$", s["text"], re.S)))' sakila-sqlite.1.json)" 30 \
	"sqlite-sakila-schema.sql: 30 CREATE TRIGGER ... BEGIN ...; END; statements, each one whole"

done_testing
