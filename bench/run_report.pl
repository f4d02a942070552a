#!/usr/bin/perl
# run_report.pl RAW.csv: the table and the target ratios of bench/run.sh.
# RAW.csv comes from bench/c/bench_run (round,label,wall_us,cpu_us,maxrss_kib,exit).
# Wall-time ratios are of medians; "paired" is the median over rounds of the
# per-round ratio, and the bracket a 95% bootstrap interval of the ratio of
# medians, resampling whole rounds (as bench/report.pl). Memory compares the
# largest peak RSS of each command over its runs.
# PG_N, RTT_N, MEM_N, REDIS_N in the environment only label the output.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use BenchReport;

my $raw = shift or die "usage: run_report.pl RAW.csv\n";
read_raw($raw);

my ($pg_n, $rtt_n, $mem_n, $redis_n) = map { $ENV{$_} // '?' } qw(PG_N RTT_N MEM_N REDIS_N);
my @sections = (
	[ "PostgreSQL, $pg_n INSERTs, TCP loopback",   qw(dbctl-pg-tcp psql-pg-tcp floor-pg-tcp) ],
	[ "PostgreSQL, $pg_n INSERTs, unix socket",    qw(dbctl-pg-unix psql-pg-unix floor-pg-unix) ],
	[ "PostgreSQL, $rtt_n INSERTs, +1 ms RTT (delay_proxy)", qw(dbctl-pg-rtt psql-pg-rtt floor-pg-rtt) ],
	[ "PostgreSQL, $mem_n INSERTs, TCP loopback (memory)", qw(dbctl-pg-big psql-pg-big) ],
	[ "SQLite, $pg_n INSERTs, one transaction",    qw(dbctl-sqlite dbctl-sqlite-del sqlite3-cli) ],
	[ "Redis, $redis_n SETs",                      qw(dbctl-redis redis-cli-pipe redis-cli-lines redis-cli-multi) ],
	[ "dbctl's lexer alone (run --list -q): one pass", qw(dbctl-lex-sql dbctl-lex-redis) ],
);
print_sections(@sections);

print "\nwall time (median/median)               ratio  paired  95% interval    target     verdict\n";
for my $r (
	[ 'dbctl-pg-tcp',  'floor-pg-tcp',  '<=', 1.30 ],
	[ 'psql-pg-tcp',   'dbctl-pg-tcp',  '>=', 3.00 ],
	[ 'dbctl-pg-unix', 'floor-pg-unix', '<=', 1.30 ],
	[ 'psql-pg-unix',  'dbctl-pg-unix', '>=', 3.00 ],
	[ 'dbctl-pg-rtt',  'floor-pg-rtt',  '<=', 1.30 ],
	[ 'psql-pg-rtt',   'dbctl-pg-rtt',  '>=', 10.0 ],
	[ 'dbctl-sqlite',  'sqlite3-cli',   '<=', 1.20 ],
	[ 'dbctl-sqlite-del', 'sqlite3-cli', '<=', undef ],
	[ 'dbctl-redis',   'redis-cli-pipe', '<=', 1.50 ],
	[ 'redis-cli-lines', 'dbctl-redis', '>=', undef ],
	[ 'redis-cli-multi', 'redis-cli-pipe', '<=', undef ],
	[ 'dbctl-redis', 'redis-cli-multi', '<=', undef ],
	) {
	my ($x, $y, $op, $target) = @$r;
	next unless $wall{$x} && $wall{$y};
	my $ratio = $med{$x} / $med{$y};
	my ($lo, $hi) = bootstrap($x, $y);
	printf "  %-36s %6.3fx %6.3fx  [%6.3f, %6.3f]  %-10s %s\n", "$x/$y", $ratio, paired($x, $y), $lo, $hi,
		defined $target ? sprintf('%s %.2fx', $op, $target) : '-', verdict($ratio, $op, $target);
}
if ($wall{'psql-pg-rtt'} && $wall{'dbctl-pg-rtt'} && $rtt_n =~ /^\d+$/) {
	printf "  %-36s %.3f ms per statement (dbctl-pg-rtt %.4f)  info\n", 'psql-pg-rtt',
		$med{'psql-pg-rtt'} / $rtt_n, $med{'dbctl-pg-rtt'} / $rtt_n;
}
for my $r ([ 'dbctl-sqlite', 'dbctl-lex-sql', 'sqlite3-cli' ], [ 'dbctl-pg-tcp', 'dbctl-lex-sql', 'floor-pg-tcp' ],
	   [ 'dbctl-redis', 'dbctl-lex-redis', 'redis-cli-multi' ]) {
	my ($x, $lex, $y) = @$r;
	next unless $wall{$x} && $wall{$lex} && $wall{$y};
	printf "  %-36s %+.1f ms over %s; 2 x %s: %.1f ms  info\n", $x, $med{$x} - $med{$y}, $y, $lex,
		2 * $med{$lex};
}

print "\npeak RSS (max over runs)                    KiB        KiB    ratio  target     verdict\n";
rss_line('dbctl-pg-big', 'dbctl-pg-tcp', 1.10, "  (flat: $mem_n vs $pg_n statements)");
rss_line('dbctl-pg-tcp', 'psql-pg-tcp', 1.00);
rss_line('dbctl-pg-big', 'psql-pg-tcp', 1.00);
rss_line('dbctl-pg-big', 'psql-pg-big', 1.00);
rss_line('psql-pg-big', 'psql-pg-tcp', undef, '  (psql itself)');
rss_line('dbctl-sqlite', 'sqlite3-cli', undef);
rss_line('dbctl-redis', 'redis-cli-pipe', undef);

print_failures('exit 1000+N: its check failed; see the error log');
print_summary();
