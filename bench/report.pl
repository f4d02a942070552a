#!/usr/bin/perl
# report.pl RAW.csv: the table and the target ratios of bench/ping.sh.
# RAW.csv comes from bench/c/bench_run (round,label,wall_us,cpu_us,maxrss_kib,exit).
# Ratios are of medians; "paired" is the median over rounds of the per-round
# ratio (the commands of one round ran back to back), and the bracket is a
# 95% bootstrap interval of the ratio of medians, resampling whole rounds.
use strict;
use warnings;
use POSIX qw(ceil);

my $raw = shift or die "usage: report.pl RAW.csv\n";
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
sub mean { my $t = 0; $t += $_ for @_; $t / @_ }

my %order = (
	'dbctl-pg' => 1, 'c-libpq' => 2, 'psql' => 3, 'pg_isready' => 4,
	'dbctl-redis' => 5, 'c-hiredis' => 6, 'redis-cli' => 7,
	'dbctl-sqlite' => 8, 'dbctl-sqlite-del' => 9, 'dbctl-sqlite-mem' => 10, 'dbctl-sqlite-disk' => 10.5,
	'c-sqlite' => 11, 'sqlite3-cli' => 12, 'dbctl-version' => 13, 'true' => 14,
);
@labels = sort { ($order{$a} // 99) <=> ($order{$b} // 99) || $a cmp $b } @labels;

my %med;
printf "%-17s %5s %5s %9s %9s %9s %9s %9s %10s\n",
	'tool', 'runs', 'fail', 'median', 'p90', 'mean', 'min', 'cpu med', 'peak RSS';
printf "%-17s %5s %5s %9s %9s %9s %9s %9s %10s\n", '', '', '', 'ms', 'ms', 'ms', 'ms', 'ms', 'KiB';
for my $l (@labels) {
	my @w = @{ $wall{$l} };
	$med{$l} = median(@w);
	printf "%-17s %5d %5d %9.3f %9.3f %9.3f %9.3f %9.3f %10d\n", $l, scalar @w, $fail{$l} // 0,
		$med{$l}, pct(90, @w), mean(@w), pct(0.0001, @w), median(@{ $cpu{$l} }), max(@{ $rss{$l} });
}

# 95% bootstrap interval of median(a)/median(b), resampling rounds.
srand(12345);
sub bootstrap {
	my ($x, $y) = @_;
	my @rounds = sort { $a <=> $b } grep { exists $by_round{$y}{$_} } keys %{ $by_round{$x} };
	my @r;
	for (1 .. 400) {
		my @pick = map { $rounds[ int rand @rounds ] } @rounds;
		push @r, median(map { $by_round{$x}{$_} } @pick) / median(map { $by_round{$y}{$_} } @pick);
	}
	return (pct(2.5, @r), pct(97.5, @r));
}

sub paired {
	my ($x, $y) = @_;
	return median(map { $by_round{$x}{$_} / $by_round{$y}{$_} }
		grep { exists $by_round{$y}{$_} } keys %{ $by_round{$x} });
}

my $all_ok = 1;
print "\nratios (median/median)            ratio  paired  95% interval    target       verdict\n";
for my $r (
	[ 'dbctl-pg',    'c-libpq',    1.15, 'PostgreSQL: within 1.15x of C libpq' ],
	[ 'dbctl-pg',    'psql',       1.00, 'PostgreSQL: no slower than psql' ],
	[ 'dbctl-pg',    'pg_isready', undef, 'PostgreSQL: vs pg_isready (no auth, no query)' ],
	[ 'dbctl-redis', 'redis-cli',  1.00, 'Redis: no slower than redis-cli' ],
	[ 'dbctl-redis', 'c-hiredis',  undef, 'Redis: vs C hiredis' ],
	) {
	my ($x, $y, $target, $what) = @$r;
	next unless $wall{$x} && $wall{$y};
	my $ratio = $med{$x} / $med{$y};
	my ($lo, $hi) = bootstrap($x, $y);
	my $verdict = !defined $target ? 'info' : $ratio <= $target ? 'PASS' : 'MISS';
	$all_ok = 0 if $verdict eq 'MISS';
	printf "  %-30s %6.3fx %6.3fx  [%5.3f, %5.3f]  %-12s %s\n", "$x/$y", $ratio, paired($x, $y), $lo, $hi,
		defined $target ? sprintf('<= %.2fx', $target) : '-', $verdict;
}
if ($wall{'dbctl-sqlite'}) {
	my $ms = $med{'dbctl-sqlite'};
	my $verdict = $ms <= 2.0 ? 'PASS' : 'MISS';
	$all_ok = 0 if $verdict eq 'MISS';
	printf "  %-30s %7.3f ms (p90 %.3f)               %-12s %s\n", 'dbctl-sqlite absolute', $ms,
		pct(90, @{ $wall{'dbctl-sqlite'} }), '<= 2.00 ms', $verdict;
	for my $y ('sqlite3-cli', 'c-sqlite', 'true') {
		printf "  %-30s %+7.3f ms                          %-12s %s\n", "dbctl-sqlite - $y",
			$ms - $med{$y}, '-', 'info' if $wall{$y};
	}
}
for my $l (@labels) {
	printf "WARNING: %s failed %d of %d runs (see the error log)\n", $l, $fail{$l}, scalar @{ $wall{$l} }
		if $fail{$l};
}
print "\n", $all_ok ? "all targets met\n" : "some targets missed (benchmarks inform; exit status stays 0)\n";
