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
use POSIX qw(ceil);

my $raw = shift or die "usage: run_report.pl RAW.csv\n";
open my $fh, '<', $raw or die "$raw: $!\n";
my (%wall, %cpu, %rss, %fail, %by_round, @labels);
<$fh>;   # header
while (<$fh>) {
	chomp;
	my ($round, $label, $wall, $cpu, $rss, $exit) = split /,/;
	push @labels, $label unless exists $wall{$label};
	push @{ $wall{$label} }, $wall / 1000;
	push @{ $cpu{$label} }, $cpu / 1000;
	push @{ $rss{$label} }, $rss;
	$fail{$label}++ if $exit != 0;
	$by_round{$label}{$round} = $wall / 1000;
}

sub median {
	my @s = sort { $a <=> $b } @_;
	return 'nan' unless @s;
	my $n = @s;
	return $n % 2 ? $s[ $n / 2 ] : ($s[ $n / 2 - 1 ] + $s[ $n / 2 ]) / 2;
}

sub pct {   # nearest rank
	my ($p, @v) = @_;
	my @s = sort { $a <=> $b } @v;
	return $s[ ceil($p / 100 * @s) - 1 ];
}

sub max { my $m = shift; $_ > $m and $m = $_ for @_; $m }

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
my %known = map { $_ => 1 } map { @$_[ 1 .. $#$_ ] } @sections;
push @sections, [ 'other', grep { !$known{$_} } @labels ] if grep { !$known{$_} } @labels;

my %med;
printf "%-19s %4s %4s %9s %9s %9s %9s %9s %9s\n",
	'tool', 'runs', 'fail', 'median', 'p90', 'min', 'cpu med', 'RSS med', 'RSS max';
printf "%-19s %4s %4s %9s %9s %9s %9s %9s %9s\n", '', '', '', 'ms', 'ms', 'ms', 'ms', 'KiB', 'KiB';
for my $s (@sections) {
	my ($title, @rows) = @$s;
	@rows = grep { $wall{$_} } @rows;
	next unless @rows;
	print "$title\n";
	for my $l (@rows) {
		my @w = @{ $wall{$l} };
		$med{$l} = median(@w);
		printf "  %-17s %4d %4d %9.1f %9.1f %9.1f %9.1f %9d %9d\n", $l, scalar @w, $fail{$l} // 0,
			$med{$l}, pct(90, @w), pct(0.0001, @w), median(@{ $cpu{$l} }), median(@{ $rss{$l} }),
			max(@{ $rss{$l} });
	}
}

# 95% bootstrap interval of median(a)/median(b), resampling rounds.
srand(12345);
sub bootstrap {
	my ($x, $y) = @_;
	my @rounds = sort { $a <=> $b } grep { exists $by_round{$y}{$_} } keys %{ $by_round{$x} };
	my @r;
	return ('nan', 'nan') unless @rounds;
	for (1 .. 400) {
		my @pick = map { $rounds[ int rand @rounds ] } @rounds;
		push @r, median(map { $by_round{$x}{$_} } @pick) / median(map { $by_round{$y}{$_} } @pick);
	}
	return (pct(2.5, @r), pct(97.5, @r));
}

sub paired {
	my ($x, $y) = @_;
	return median(map { $by_round{$x}{$_} / $by_round{$y}{$_} }
		grep { exists $by_round{$y}{$_} && $by_round{$y}{$_} > 0 } keys %{ $by_round{$x} });
}

my $all_ok = 1;
sub verdict {
	my ($ratio, $op, $target) = @_;
	return 'info' unless defined $target;
	my $ok = $op eq '<=' ? $ratio <= $target : $ratio >= $target;
	$all_ok = 0 unless $ok;
	return $ok ? 'PASS' : 'MISS';
}

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
sub rss_line {
	my ($x, $y, $target, $note) = @_;
	return unless $rss{$x} && $rss{$y};
	my ($a, $b) = (max(@{ $rss{$x} }), max(@{ $rss{$y} }));
	printf "  %-36s %9d  %9d  %6.3fx  %-10s %s%s\n", "$x vs $y", $a, $b, $a / $b,
		defined $target ? sprintf('<= %.2fx', $target) : '-', verdict($a / $b, '<=', $target), $note // '';
}
rss_line('dbctl-pg-big', 'dbctl-pg-tcp', 1.10, "  (flat: $mem_n vs $pg_n statements)");
rss_line('dbctl-pg-tcp', 'psql-pg-tcp', 1.00);
rss_line('dbctl-pg-big', 'psql-pg-tcp', 1.00);
rss_line('dbctl-pg-big', 'psql-pg-big', 1.00);
rss_line('psql-pg-big', 'psql-pg-tcp', undef, '  (psql itself)');
rss_line('dbctl-sqlite', 'sqlite3-cli', undef);
rss_line('dbctl-redis', 'redis-cli-pipe', undef);

for my $l (@labels) {
	printf "WARNING: %s failed %d of %d runs (exit 1000+N: its check failed; see the error log)\n", $l,
		$fail{$l}, scalar @{ $wall{$l} } if $fail{$l};
}
print "\n", $all_ok ? "all targets met\n" : "some targets missed (benchmarks inform; exit status stays 0)\n";
