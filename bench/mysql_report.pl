#!/usr/bin/perl
# mysql_report.pl RAW.csv: the table and the target ratios of bench/mysql.sh.
# RAW.csv is bench/c/bench_run's output (round,label,wall_us,cpu_us,maxrss_kib,exit)
# of the four interleaved groups (ping, run, migrate, no-op), concatenated;
# ratios are only taken within a group, so "paired" (the median over rounds
# of the per-round ratio) pairs runs of the same round. The bracket is a 95%
# bootstrap interval of the ratio of medians (as bench/report.pl).
# A row that is absent (its command failed its check) is skipped here;
# mysql.sh prints why. RUN_N and MIG_N in the environment only label the output.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use BenchReport;

my $raw = shift or die "usage: mysql_report.pl RAW.csv\n";
read_raw($raw);
my ($run_n, $mig_n) = map { $ENV{$_} // '?' } qw(RUN_N MIG_N);

my @sections = BenchReport::with_other(
	[ 'ping, TCP loopback',                  qw(dbctl-mysql mysqladmin c-mysql dbctl-sqlite-mem dbctl-version) ],
	[ "run, $run_n INSERTs, one transaction", qw(dbctl-run mariadb-cli floor-run) ],
	[ "migrate up, $mig_n migrations from scratch", qw(dbctl-up floor-up floor-up-each) ],
	[ "no-op migrate up ($mig_n applied)",   qw(noop-dbctl ping-dbctl ping-c) ],
);
printf "%-19s %4s %4s %10s %10s %10s %10s %9s\n", 'tool', 'runs', 'fail', 'median', 'p90', 'min', 'cpu med', 'RSS max';
printf "%-19s %4s %4s %10s %10s %10s %10s %9s\n", '', '', '', 'ms', 'ms', 'ms', 'ms', 'KiB';
for my $s (@sections) {
	my ($title, @rows) = @$s;
	@rows = grep { $wall{$_} } @rows;
	next unless @rows;
	print "$title\n";
	for my $l (@rows) {
		my @w = @{ $wall{$l} };
		$med{$l} = median(@w);
		printf "  %-17s %4d %4d %10.3f %10.3f %10.3f %10.3f %9d\n", $l, scalar @w, $fail{$l} // 0, $med{$l},
			pct(90, @w), pct(0.0001, @w), median(@{ $cpu{$l} }), max(@{ $rss{$l} });
	}
}

print "\nratios (median/median)          ratio  paired  95% interval      target     verdict\n";
for my $r (
	[ 'dbctl-mysql', 'c-mysql',     '<=', 1.15 ],
	[ 'dbctl-mysql', 'mysqladmin',  '<=', 1.00 ],
	[ 'mysqladmin',  'c-mysql',     '<=', undef ],
	[ 'dbctl-run',   'floor-run',   '<=', 1.30 ],
	[ 'mariadb-cli', 'dbctl-run',   '>=', undef ],
	[ 'mariadb-cli', 'floor-run',   '>=', undef ],
	[ 'dbctl-up',    'floor-up',    '<=', 1.50 ],
	[ 'dbctl-up',    'floor-up-each', '<=', undef ],
	[ 'floor-up-each', 'floor-up',  '<=', undef ],
	[ 'noop-dbctl',  'ping-dbctl',  '<=', undef ],
	[ 'ping-dbctl',  'ping-c',      '<=', undef ],
	) {
	my ($x, $y, $op, $target) = @$r;
	next unless $wall{$x} && $wall{$y};
	my $ratio = $med{$x} / $med{$y};
	my ($lo, $hi) = bootstrap($x, $y);
	printf "  %-28s %6.3fx %6.3fx  [%6.3f, %6.3f]  %-10s %s\n", "$x/$y", $ratio, paired($x, $y), $lo, $hi,
		defined $target ? sprintf('%s %.2fx', $op, $target) : '-', verdict($ratio, $op, $target);
}
if ($wall{'noop-dbctl'} && $wall{'ping-dbctl'}) {
	my @r = grep { exists $by_round{'ping-dbctl'}{$_} } sort { $a <=> $b } keys %{ $by_round{'noop-dbctl'} };
	my $pd = median(map { $by_round{'noop-dbctl'}{$_} - $by_round{'ping-dbctl'}{$_} } @r);
	my $d = $med{'noop-dbctl'} - $med{'ping-dbctl'};
	printf "  %-28s %+7.3f ms (paired %+.3f)             %-10s %s\n", 'noop-dbctl - ping-dbctl', $d, $pd,
		'<= 5.00 ms', verdict($d, '<=', 5.0);
}
if ($wall{'dbctl-sqlite-mem'} && $wall{'dbctl-version'}) {
	printf "  %-28s %+7.3f ms (libmariadb must not be loaded for it)  info\n", 'dbctl-sqlite-mem - dbctl-version',
		$med{'dbctl-sqlite-mem'} - $med{'dbctl-version'};
}
print_failures('exit 1000+N: its check failed; see the error log');
print_summary();
