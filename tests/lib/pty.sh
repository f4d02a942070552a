# tests/lib/pty.sh - drive an interactive program through a real pseudo-terminal (tmux).
#
#   pty_start NAME COMMAND...   start COMMAND in a detached tmux session on a private server
#   pty_type NAME TEXT          type TEXT literally (a trailing ';' too) and press Enter
#   pty_keys NAME KEY...        send tmux key names: C-c C-d Tab Enter ...
#   pty_wait NAME REGEX [SEC]   wait until the screen matches REGEX (bash ERE); 1 after SEC (30)
#                               seconds: generous, since a loaded CI machine is slow, and a pass is quick
#   pty_screen NAME             print the screen, scrollback included
#   pty_stop NAME               kill the session (the program gets SIGHUP)
# Each test script gets its own tmux server socket, killed on exit by pty_cleanup.

# shellcheck shell=bash
PTY_SOCKET="dbctl-test-$$"

_pty() { tmux -L "$PTY_SOCKET" "$@"; }

pty_start() {
	local name=$1
	shift
	# the remain-on-exit window keeps the last screen and exit status readable
	_pty new-session -d -s "$name" -x 160 -y 50 "$(printf '%q ' "$@"); echo \"[exit \$?]\"; sleep 600"
}

pty_type() {
	local name=$1 text=$2
	# tmux takes a trailing ';' as its own command separator: send it as a key code
	if [ "${text%;}" != "$text" ]; then
		_pty send-keys -t "$name" -l "${text%;}"
		_pty send-keys -t "$name" -H 3b
	else
		_pty send-keys -t "$name" -l "$text"
	fi
	_pty send-keys -t "$name" Enter
}

pty_keys() {
	local name=$1
	shift
	_pty send-keys -t "$name" "$@"
}

pty_screen() { _pty capture-pane -p -J -S -200 -t "$1" 2>/dev/null; }

pty_wait() {
	local name=$1 regex=$2 seconds=${3:-30} i
	for ((i = 0; i < seconds * 20; i++)); do
		[[ $(pty_screen "$name") =~ $regex ]] && return 0
		sleep 0.05
	done
	diag "pty_wait: no /$regex/ after ${seconds}s; the screen:" "$(pty_screen "$name")"
	return 1
}

pty_stop() { _pty kill-session -t "$1" 2>/dev/null; }

pty_cleanup() { _pty kill-server 2>/dev/null; }
