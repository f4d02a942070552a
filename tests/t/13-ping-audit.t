#!/bin/bash
# An audit of ping's promises after the ping-config fixes (issue 9): it never
# hangs past --timeout, its exit code says why, it leaves no process or file
# descriptor behind, and it still bounds name resolution where no child
# process can be started.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/servers.sh"
[ -n "${TEST_PG_URL:-}" ] || skip_all "no test servers (run me through tests/run)"

tmp=$(mktemp -d)
chmod 755 "$tmp"
cd "$tmp" || exit 1 # ./dbctl.ini must not be read from wherever we were
helper_pids=()
cleanup() {
	local pid
	for pid in "${helper_pids[@]}"; do kill "$pid" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
unset DATABASE_URL DBCTL_URL DBCTL_CONFIG DBCTL_PROFILE

json_field() { /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
proc_state() { [ -r "/proc/$1/stat" ] && sed 's/^.*) //' "/proc/$1/stat" | cut -d' ' -f1; } # empty once reaped
pg_local_url="postgresql://app:$(pct_encode "$TEST_PG_APP_PASSWORD")@localhost:$PGPORT_TEST/app"
redis_local_url="redis://:$(pct_encode "$TEST_REDIS_PASSWORD")@localhost:$REDIS_PORT_TEST/0"

# A DNS server that never answers and one that answers after a delay, each
# seen only through its own resolv.conf in a private mount namespace.
cat >dns.py <<'PY'
import socket, struct, sys, threading, time
ip, delay, ready = sys.argv[1], float(sys.argv[2]), sys.argv[3]
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind((ip, 53))
open(ready, "w").close()
def answer(q, addr):   # A: 127.0.0.1; anything else: no data
    time.sleep(delay)
    i = 12
    while q[i]: i += q[i] + 1
    qtype = struct.unpack(">H", q[i + 1:i + 3])[0]
    rr = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton("127.0.0.1") if qtype == 1 else b""
    u.sendto(q[:2] + struct.pack(">HHHHH", 0x8180, 1, 1 if rr else 0, 0, 0) + q[12:i + 5] + rr, addr)
while True:
    q, addr = u.recvfrom(4096)
    if delay >= 0:
        threading.Thread(target=answer, args=(q, addr), daemon=True).start()
PY
start_dns() { # start_dns NAME DELAY (-1: never answer); writes NAME.conf
	local ip=127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1)) i
	/usr/bin/python3 dns.py "$ip" "$2" "$1.ready" 2>"$1.err" &
	helper_pids+=($!)
	for i in $(seq 50); do [ -e "$1.ready" ] && break; sleep 0.1; done
	printf 'nameserver %s\noptions timeout:30 attempts:3\n' "$ip" >"$1.conf"
	[ -e "$1.ready" ]
}
with_dns() { # with_dns NAME CMD...: CMD sees NAME.conf as /etc/resolv.conf
	local conf=$tmp/$1.conf
	shift
	unshare -m sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$conf" "$@"
}

# A library that makes fork() fail, as a process limit or a sandbox would;
# preloaded by `env` as the last step so that nothing before dbctl needs fork.
printf '#include <errno.h>\n#include <unistd.h>\npid_t fork(void) { errno = EAGAIN; return -1; }\n' >nofork.c
asan_rt=$(ldd "$DBCTL" 2>/dev/null | awk '/libasan/ { print $3 }')
nofork=(env LD_PRELOAD="${asan_rt:+$asan_rt:}$tmp/nofork.so")

if cc -shared -fPIC -o nofork.so nofork.c && start_dns hole -1 && with_dns hole true 2>/dev/null; then
	# --- fork fails: the lookup moves to a thread, still bounded by the deadline ---
	for url in "postgresql://app:Xq9pw_Zt@db.example.com:5432/app" "redis://db.example.com:6379/0"; do
		expect_exit 2 "${url%%:*}, fork fails, a DNS server that never answers: exit 2" -- \
			with_dns hole "${nofork[@]}" "$DBCTL" --url "$url" --json ping --timeout 0.5 --count 3 --interval 0.1
		is "$(json_field '[r["status"] for r in d["results"]]' <<<"$OUT")" "['no_answer', 'no_answer', 'no_answer']" \
			"... all three attempts run, none cut short by the watchdog"
		like "$(json_field 'd["results"][2]["error"]' <<<"$OUT")" "timed out resolving host name" "... each says why"
		cmp_ok "$MS" -lt 4000 "... 3 x 0.5 s, not the resolver's minutes ($MS ms)"
	done
	expect_exit 2 "fork fails: one ping in the DNS hole ends at the deadline, not the watchdog's" -- \
		with_dns hole "${nofork[@]}" "$DBCTL" --url "postgresql://app:x@db.example.com/app" ping --timeout 0.5
	like "$ERR" "timed out resolving host name \"db.example.com\" after 0.5 s" "... says it timed out resolving"

	# --- an interrupt while the resolver child runs ---
	for sig in INT TERM; do
		# unshare and sh exec: $! is dbctl itself
		unshare -m sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$tmp/hole.conf" \
			"$DBCTL" --url "postgresql://app:x@db.example.com/app" ping --timeout 30 >/dev/null 2>sig.err &
		pid=$!
		child=
		for _ in $(seq 50); do # sh forks mount first: wait for dbctl's own child, itself a dbctl
			child=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null)
			child=${child%% *}
			[ -n "$child" ] && [ "$(readlink "/proc/$pid/exe")" = "$(readlink -f "$DBCTL")" ] &&
				[ "$(readlink "/proc/$child/exe")" = "$(readlink -f "$DBCTL")" ] && break
			child=
			sleep 0.1
		done
		ok "$([ -n "$child" ]; echo $?)" "SIG$sig: the lookup runs in a child process ($child)"
		kill -"$sig" "$pid"
		wait "$pid"
		is "$?" 130 "... dbctl exits 130"
		gone=1
		for _ in $(seq 60); do # init reaps the orphan every ~2 s: wait for that, or a zombie we would keep
			state=$(proc_state "$child")
			[ -z "$state" ] && { gone=0; break; }
			sleep 0.1
		done
		ok "$gone" "... and the child is gone, not left looking up (state: ${state:-reaped})"
		is "$(grep -c interrupted sig.err)" 1 "... 'interrupted' printed once"
	done
else
	skip "cannot build a fork() shim or run a private resolv.conf here" 16
fi

# --- a resolver that answers just inside, or just after, the deadline ---
if start_dns slow 0.6 && with_dns slow true 2>/dev/null; then
	for url in "postgresql://app:$(pct_encode "$TEST_PG_APP_PASSWORD")@slow.test:$PGPORT_TEST/app" \
		"redis://:$(pct_encode "$TEST_REDIS_PASSWORD")@slow.test:$REDIS_PORT_TEST/0"; do
		expect_exit 0 "${url%%:*}: the name is answered after 0.6 s of a 3 s deadline: up" -- \
			with_dns slow "$DBCTL" --url "$url" ping --timeout 3
		expect_exit 2 "... with a 0.3 s deadline: exit 2" -- with_dns slow "$DBCTL" --url "$url" ping --timeout 0.3
		like "$ERR" "timed out resolving host name \"slow.test\" after 0.3 s" "... timed out resolving"
		cmp_ok "$MS" -lt 1500 "... at the deadline ($MS ms)"
		unlike "$ERR" "p@ss" "... and no password in the message"
		expect_exit 0 "... fork fails: the thread's answer after 0.6 s is taken, up" -- \
			with_dns slow "${nofork[@]}" "$DBCTL" --url "$url" ping --timeout 3
	done
	# a name /etc/hosts answers (nsswitch: files first) is looked up in-process:
	# no child, no DNS (the resolver here never answers), fork not needed
	cp /etc/hosts hosts && printf '127.0.0.1 fasthost.test\n' >>hosts
	in_hosts() { unshare -m sh -c 'mount --bind "$0" /etc/resolv.conf && mount --bind "$1" /etc/hosts && shift && exec "$@"' \
		"$tmp/hole.conf" "$tmp/hosts" "$@"; }
	if grep -q '^hosts:[[:space:]]*files' /etc/nsswitch.conf && [ -e hole.conf ]; then
		expect_exit 0 "a name from /etc/hosts, fork failing, DNS in a hole: PostgreSQL up" -- in_hosts "${nofork[@]}" \
			"$DBCTL" --url "postgresql://app:$(pct_encode "$TEST_PG_APP_PASSWORD")@fasthost.test:$PGPORT_TEST/app" ping --timeout 2
		expect_exit 0 "... Redis up" -- in_hosts "${nofork[@]}" \
			"$DBCTL" --url "redis://:$(pct_encode "$TEST_REDIS_PASSWORD")@FastHost.test:$REDIS_PORT_TEST/0" ping --timeout 2
		cat >forklog.c <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
pid_t fork(void)
{
	pid_t (*real_fork)(void) = (pid_t (*)(void))dlsym(RTLD_NEXT, "fork");
	int fd = open(getenv("FORK_LOG"), O_WRONLY | O_CREAT | O_APPEND, 0600);

	if (fd >= 0 && write(fd, "fork\n", 5) > 0)
		close(fd);
	return real_fork();
}
C
		if cc -shared -fPIC -o forklog.so forklog.c -ldl; then
			forklog=(env FORK_LOG="$tmp/forks" LD_PRELOAD="${asan_rt:+$asan_rt:}$tmp/forklog.so")
			rm -f forks
			expect_exit 0 "... and it costs no fork (a fifth of a Redis ping)" -- in_hosts "${forklog[@]}" \
				"$DBCTL" --url "redis://:$(pct_encode "$TEST_REDIS_PASSWORD")@fasthost.test:$REDIS_PORT_TEST/0" ping -c 3 -i 0.01
			ok "$([ ! -e forks ]; echo $?)" "... no fork in 3 pings ($(cat forks 2>/dev/null | wc -l))"
			rm -f forks
			expect_exit 0 "a name DNS must answer still gets its child process" -- with_dns slow "${forklog[@]}" \
				"$DBCTL" --url "redis://:$(pct_encode "$TEST_REDIS_PASSWORD")@slow.test:$REDIS_PORT_TEST/0" ping --timeout 3
			is "$(cat forks 2>/dev/null | wc -l)" 1 "... one fork"
		else
			skip "cannot build the fork logger" 4
		fi
	else
		skip "nsswitch.conf does not ask files first" 6
	fi
else
	skip "cannot run a private resolv.conf here" 18
fi

# --- no process and no descriptor left behind across --count ---
for url in "$pg_local_url" "$redis_local_url" "postgresql://app:x@localhost:1/app"; do
	"$DBCTL" --url "$url" ping --count 40 --interval 0.05 >count.out 2>&1 &
	pid=$!
	fds=() zombies=0
	for _ in 1 2 3 4 5 6; do
		sleep 0.3
		fds+=("$(find "/proc/$pid/fd" -mindepth 1 2>/dev/null | wc -l)")
		for c in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
			[ "$(proc_state "$c")" = Z ] && zombies=$((zombies + 1))
		done
	done
	wait "$pid"
	spread=$(printf '%s\n' "${fds[@]}" | sort -n | sed -n '1p;$p' | paste -sd' ' | awk '{ print $2 - $1 }')
	cmp_ok "$spread" -le 2 "${url%%@*}@...: --count 40 keeps its descriptors (${fds[*]})"
	is "$zombies" 0 "... and leaves no zombie child"
	like "$(tail -n 1 count.out)" "^40 pings" "... all 40 pings run"
done

# --- several PostgreSQL hosts, the first accepts and never answers ---
cat >silent.py <<'PY'
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 0)); s.listen(50)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1])); __import__("os").rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
while True:
    held.append(s.accept()[0])
PY
/usr/bin/python3 silent.py silent.port &
helper_pids+=($!)
for _ in $(seq 50); do [ -s silent.port ] && break; sleep 0.1; done
silent=$(cat silent.port)
pw=$(pct_encode "$TEST_PG_APP_PASSWORD")
expect_exit 0 "first host silent, connect_timeout=2 in the URL: the second host is tried and up, as pg_isready -t 2 does" -- \
	"$DBCTL" --url "postgresql://app:$pw@127.0.0.1:$silent,localhost:$PGPORT_TEST/app?connect_timeout=2" ping --timeout 8
cmp_ok "$MS" -lt 6000 "... after about connect_timeout ($MS ms)"
PGCONNECT_TIMEOUT=2 expect_exit 0 "... PGCONNECT_TIMEOUT=2 too" -- \
	"$DBCTL" --url "postgresql://app:$pw@127.0.0.1:$silent,127.0.0.1:$PGPORT_TEST/app" --json ping --timeout 8
is "$(json_field 'd["results"][0]["status"]' <<<"$OUT")" "up" "... its JSON says up"
expect_exit 2 "two silent hosts, connect_timeout=2, --timeout 8: both tried, exit 2" -- \
	"$DBCTL" --url "postgresql://app:$pw@127.0.0.1:$silent,127.0.0.1:$silent/app?connect_timeout=2" ping --timeout 8
like "$ERR" "timeout expired \(connect_timeout=2\)" "... says the host's connect_timeout expired"
cmp_ok "$MS" -ge 3500 "... after both hosts' 2 s ($MS ms)"
cmp_ok "$MS" -lt 7000 "... and before the deadline"
unlike "$ERR" "p@ss" "... no password in the message"
expect_exit 2 "two silent hosts, --timeout 3 (shorter than 2 x connect_timeout): ends at the deadline" -- \
	"$DBCTL" --url "postgresql://app:$pw@127.0.0.1:$silent,127.0.0.1:$silent/app?connect_timeout=2" ping --timeout 3
like "$ERR" "timed out .* after 3 s" "... and says so"
cmp_ok "$MS" -lt 4500 "... ($MS ms)"
expect_exit 0 "--level reach: a silent first host was connected to, though the second refuses: up" -- \
	"$DBCTL" --url "postgresql://app:$pw@127.0.0.1:$silent,127.0.0.1:1/app?connect_timeout=2" ping --level reach --timeout 8
expect_exit 1 "a wrong password on the first host ends the search (libpq's rule), exit 1" -- \
	"$DBCTL" --url "postgresql://app:wrong@127.0.0.1:$PGPORT_TEST,127.0.0.1:$silent/app?connect_timeout=2" ping --timeout 8
cmp_ok "$MS" -lt 1500 "... at once, the silent host is not tried ($MS ms)"

done_testing
