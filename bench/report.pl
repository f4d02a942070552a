#!/usr/bin/perl
# report.pl RAW.csv: the table and the target ratios of bench/ping.sh.
# RAW.csv comes from bench/c/bench_run (round,label,wall_us,cpu_us,maxrss_kib,exit).
# Ratios are of medians; "paired" is the median over rounds of the per-round
# ratio (the commands of one round ran back to back), and the bracket is a
# 95% bootstrap interval of the ratio of medians, resampling whole rounds.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use BenchReport;

my $raw = shift or die "usage: report.pl RAW.csv\n";
read_raw($raw);

my %order = (
	'dbctl-pg' => 1, 'c-libpq' => 2, 'psql' => 3, 'pg_isready' => 4,
	'dbctl-redis' => 5, 'c-hiredis' => 6, 'redis-cli' => 7,
	'dbctl-sqlite' => 8, 'dbctl-sqlite-del' => 9, 'dbctl-sqlite-mem' => 10, 'dbctl-sqlite-disk' => 10.5,
	'c-sqlite' => 11, 'sqlite3-cli' => 12, 'dbctl-version' => 13, 'true' => 14,
);
@labels = sort { ($order{$a} // 99) <=> ($order{$b} // 99) || $a cmp $b } @labels;

printf "%-17s %5s %5s %9s %9s %9s %9s %9s %10s\n",
	'tool', 'runs', 'fail', 'median', 'p90', 'mean', 'min', 'cpu med', 'peak RSS';
printf "%-17s %5s %5s %9s %9s %9s %9s %9s %10s\n", '', '', '', 'ms', 'ms', 'ms', 'ms', 'ms', 'KiB';
for my $l (@labels) {
	my @w = @{ $wall{$l} };
	$med{$l} = median(@w);
	printf "%-17s %5d %5d %9.3f %9.3f %9.3f %9.3f %9.3f %10d\n", $l, scalar @w, $fail{$l} // 0,
		$med{$l}, pct(90, @w), mean(@w), pct(0.0001, @w), median(@{ $cpu{$l} }), max(@{ $rss{$l} });
}

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
	my $verdict = verdict($ratio, '<=', $target);
	printf "  %-30s %6.3fx %6.3fx  [%5.3f, %5.3f]  %-12s %s\n", "$x/$y", $ratio, paired($x, $y), $lo, $hi,
		defined $target ? sprintf('<= %.2fx', $target) : '-', $verdict;
}
if ($wall{'dbctl-sqlite'}) {
	my $ms = $med{'dbctl-sqlite'};
	my $verdict = verdict($ms, '<=', 2.0);
	printf "  %-30s %7.3f ms (p90 %.3f)               %-12s %s\n", 'dbctl-sqlite absolute', $ms,
		pct(90, @{ $wall{'dbctl-sqlite'} }), '<= 2.00 ms', $verdict;
	for my $y ('sqlite3-cli', 'c-sqlite', 'true') {
		printf "  %-30s %+7.3f ms                          %-12s %s\n", "dbctl-sqlite - $y",
			$ms - $med{$y}, '-', 'info' if $wall{$y};
	}
}
print_failures('see the error log');
print_summary();
