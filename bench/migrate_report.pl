#!/usr/bin/perl
# migrate_report.pl RAW.csv: the table and the target ratios of bench/migrate.sh.
# RAW.csv comes from bench/c/bench_run (round,label,wall_us,cpu_us,maxrss_kib,exit).
# Ratios are of medians and differences are of medians; "paired" is the median
# over rounds of the per-round ratio (difference), and the bracket a 95%
# bootstrap interval of the ratio (difference) of medians, resampling whole
# rounds (as bench/report.pl). N in the environment: the number of migrations.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use BenchReport;

my $raw = shift or die "usage: migrate_report.pl RAW.csv\n";
my $n = $ENV{N} // 200;
read_raw($raw);

my @sections = (
	[ "from scratch, $n migrations, PostgreSQL",
		qw(dbctl dbctl-1tx dbctl-dry-run dbctl-no-lock-timeout sqitch alembic alembic-1tx psql-floor) ],
	[ "from scratch, $n migrations, SQLite",     qw(dbctl-sqlite sqlite3-floor) ],
	[ "no-op (all $n applied), PostgreSQL",      qw(noop-dbctl ping-dbctl noop-sqitch noop-alembic) ],
	[ "no-op (all $n applied), SQLite",          qw(noop-dbctl-sqlite ping-dbctl-sqlite) ],
);
@sections = with_other(@sections);

printf "%-23s %4s %4s %10s %10s %10s %10s %9s\n", 'tool', 'runs', 'fail', 'median', 'p90', 'min', 'cpu med',
	'peak RSS';
printf "%-23s %4s %4s %10s %10s %10s %10s %9s\n", '', '', '', 'ms', 'ms', 'ms', 'ms', 'KiB';
for my $s (@sections) {
	my ($title, @rows) = @$s;
	@rows = grep { $wall{$_} } @rows;
	next unless @rows;
	print "$title\n";
	for my $l (@rows) {
		my @w = @{ $wall{$l} };
		$med{$l} = median(@w);
		printf "  %-21s %4d %4d %10.2f %10.2f %10.2f %10.2f %9d\n", $l, scalar @w, $fail{$l} // 0, $med{$l},
			pct(90, @w), pct(0.0001, @w), median(@{ $cpu{$l} }), max(@{ $rss{$l} });
	}
}

my $ratio = sub { $_[0] / $_[1] };
my $diff = sub { $_[0] - $_[1] };
print "\n                                             ratio  paired  95% interval       target      verdict\n";
for my $r (
	[ 'from scratch' ],
	[ 'dbctl',        'psql-floor', 1.50 ],
	[ 'dbctl-1tx',    'psql-floor' ],
	[ 'dbctl-dry-run', 'dbctl-1tx', undef, '', undef, 'cost of lock evidence' ],
	[ 'dbctl',        'dbctl-no-lock-timeout', undef, '', undef, 'cost of migrate_lock_timeout' ],
	[ 'dbctl',        'dbctl-1tx' ],
	[ 'sqitch',       'psql-floor' ],
	[ 'alembic',      'psql-floor' ],
	[ 'alembic-1tx',  'psql-floor' ],
	[ 'sqitch',       'dbctl' ],
	[ 'alembic',      'dbctl' ],
	[ 'dbctl-sqlite', 'sqlite3-floor' ],
	[ 'no-op' ],
	[ 'noop-dbctl',   'ping-dbctl', 5.00, 'ms' ],
	[ 'noop-dbctl',   'ping-dbctl' ],
	[ 'noop-alembic', 'noop-dbctl', undef, '', '~20x' ],
	[ 'noop-sqitch',  'noop-dbctl' ],
	[ 'noop-dbctl-sqlite', 'ping-dbctl-sqlite', undef, 'ms' ],
	) {
	my ($x, $y, $target, $unit, $shown, $note) = @$r;   # $shown: the target column of an info row
	if (!defined $y) {
		print "$x\n";
		next;
	}
	next unless $wall{$x} && $wall{$y};
	$unit //= '';
	if ($unit eq 'ms') {   # a difference of medians
		my $d = $med{$x} - $med{$y};
		my ($lo, $hi) = bootstrap($x, $y, $diff);
		printf "  %-39s %+7.2fms %+6.2f [%+6.2f, %+6.2f] ms  %-11s %s\n", "$x - $y", $d, paired($x, $y, $diff), $lo,
			$hi, defined $target ? sprintf('<= %.2f ms', $target) : '-', verdict($d, '<=', $target);
	} else {
		my $q = $med{$x} / $med{$y};
		my ($lo, $hi) = bootstrap($x, $y, $ratio);
		my $what = defined $target ? sprintf('<= %.2fx', $target) : $shown // '-';
		printf "  %-39s %7.3fx %6.3fx [%6.3f, %6.3f]     %-11s %s%s\n", "$x/$y", $q, paired($x, $y, $ratio), $lo, $hi,
			$what, verdict($q, '<=', $target), defined $note ? "  ($note)" : '';
	}
}
if ($wall{dbctl} && $wall{'psql-floor'}) {
	printf "  %-39s %+7.3f ms per migration over the floor (sqitch %s, alembic %s)  info\n",
		'dbctl - psql-floor', ($med{dbctl} - $med{'psql-floor'}) / $n,
		map { $wall{$_} ? sprintf('%+.3f', ($med{$_} - $med{'psql-floor'}) / $n) : 'not run' } qw(sqitch alembic);
}
for my $p ([ 'dbctl-dry-run', 'dbctl-1tx' ], [ 'dbctl', 'dbctl-no-lock-timeout' ]) {
	my ($x, $y) = @$p;
	next unless $wall{$x} && $wall{$y};
	printf "  %-39s %+7.3f ms per migration (paired %+.3f)  info\n", "$x - $y", ($med{$x} - $med{$y}) / $n,
		paired($x, $y, $diff) / $n;
}

print_failures('exit 1000+N: its check failed, 2000+N: its reset; see the error log');
print_summary();
