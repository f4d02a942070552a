# bench/lib.sh - set-up shared by bench/*.sh; source it after defining die().
#
#   bench_setup NAME   make $tmp (dbctl-bench-NAME.XXXXXX) holding a snapshot of
#                      this build ($dbctl, $build_id), a $bin dir for the C
#                      helpers, and the EXIT/INT/TERM traps
# DBCTL_BUILD=DIR times DIR/bin/dbctl and DIR/lib/dbctl/*.so instead of
# $repo/build (e.g. another branch built with `make BUILD=DIR`); $build_id is
# then that build's checkout, when DBCTL_BUILD_SRC names it.
# A script may set $sqlite_tmp (removed too), $bench_pid (killed on a signal),
# and define bench_cleanup_more (run first at exit, e.g. to stop a proxy).

# shellcheck shell=bash disable=SC2034 # the globals are for the caller

# shellcheck disable=SC2317 # called by the EXIT trap
bench_cleanup() {
	local rc=$?
	! declare -F bench_cleanup_more >/dev/null || bench_cleanup_more
	servers_stop 2>/dev/null
	rm -rf "$tmp" ${sqlite_tmp:+"$sqlite_tmp"}
	exit "$rc"
}

# shellcheck disable=SC2317 # called by the INT/TERM trap
bench_on_signal() {
	[ -z "$bench_pid" ] || kill "$bench_pid" 2>/dev/null
	exit 130
}

bench_setup() {
	sqlite_tmp=
	bench_pid=
	local b=${DBCTL_BUILD:-$repo/build}
	[ -x "$b/bin/dbctl" ] || die "$b/bin/dbctl was not built"
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/dbctl-bench-$1.XXXXXX") || die "mktemp failed"
	# Time a snapshot of this build (same layout: the modules are found at
	# <exe dir>/../lib/dbctl), so that a rebuild during the run cannot mix builds.
	if ! { mkdir -p "$tmp/dbctl/bin" "$tmp/dbctl/lib/dbctl" &&
		cp "$b/bin/dbctl" "$tmp/dbctl/bin/" &&
		cp "$b"/lib/dbctl/*.so "$tmp/dbctl/lib/dbctl/"; }; then
		die "cannot copy the build"
	fi
	dbctl=$tmp/dbctl/bin/dbctl
	build_id=$(git -C "${DBCTL_BUILD_SRC:-$repo}" describe --always --dirty 2>/dev/null || echo unknown)
	trap bench_cleanup EXIT
	trap bench_on_signal INT TERM
	bin=$tmp/bin
	mkdir -p "$bin"
}

# bench_install PKG...: installs the Debian packages given (none: nothing to do);
# root only, else it names them and dies.
bench_install() {
	(($#)) || return 0
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
		say "installing $*"
		apt-get install -y -q "$@" >/dev/null ||
			{ apt-get update -q >/dev/null && apt-get install -y -q "$@" >/dev/null; } ||
			die "could not install $*"
	else
		die "missing: $* (apt-get install $*)"
	fi
}

# bench_require TOOL...: dies naming the first one that is not there.
bench_require() {
	local t
	for t; do
		command -v "$t" >/dev/null || die "$t not found (hint: .ci/install-deps check)"
	done
}
