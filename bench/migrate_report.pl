#!/usr/bin/perl
# migrate_report.pl RAW.csv: the table and the target ratios of bench/migrate.sh.
# RAW.csv comes from bench/c/bench_run (round,label,wall_us,cpu_us,maxrss_kib,exit).
# Ratios are of medians and differences are of medians; "paired" is the median
# over rounds of the per-round ratio (difference), and the bracket a 95%
# bootstrap interval of the ratio (difference) of medians, resampling whole
# rounds (as bench/report.pl). N in the environment: the number of migrations.
use strict;
use warnings;
use POSIX qw(ceil);

my $raw = shift or die "usage: migrate_report.pl RAW.csv\n";
my $n = $ENV{N} // 200;
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

my @sections = (
	[ "from scratch, $n migrations, PostgreSQL", qw(dbctl sqitch alembic alembic-1tx psql-floor) ],
	[ "from scratch, $n migrations, SQLite",     qw(dbctl-sqlite sqlite3-floor) ],
	[ "no-op (all $n applied), PostgreSQL",      qw(noop-dbctl ping-dbctl noop-sqitch noop-alembic) ],
	[ "no-op (all $n applied), SQLite",          qw(noop-dbctl-sqlite ping-dbctl-sqlite) ],
);
my %known = map { $_ => 1 } map { @$_[ 1 .. $#$_ ] } @sections;
push @sections, [ 'other', grep { !$known{$_} } @labels ] if grep { !$known{$_} } @labels;

my %med;
printf "%-21s %4s %4s %10s %10s %10s %10s %9s\n", 'tool', 'runs', 'fail', 'median', 'p90', 'min', 'cpu med',
	'peak RSS';
printf "%-21s %4s %4s %10s %10s %10s %10s %9s\n", '', '', '', 'ms', 'ms', 'ms', 'ms', 'KiB';
for my $s (@sections) {
	my ($title, @rows) = @$s;
	@rows = grep { $wall{$_} } @rows;
	next unless @rows;
	print "$title\n";
	for my $l (@rows) {
		my @w = @{ $wall{$l} };
		$med{$l} = median(@w);
		printf "  %-19s %4d %4d %10.2f %10.2f %10.2f %10.2f %9d\n", $l, scalar @w, $fail{$l} // 0, $med{$l},
			pct(90, @w), pct(0.0001, @w), median(@{ $cpu{$l} }), max(@{ $rss{$l} });
	}
}

sub rounds_of {
	my ($x, $y) = @_;
	return sort { $a <=> $b } grep { exists $by_round{$y}{$_} } keys %{ $by_round{$x} };
}

# 95% bootstrap interval of f(median(a), median(b)), resampling rounds.
srand(12345);
sub bootstrap {
	my ($x, $y, $f) = @_;
	my @rounds = rounds_of($x, $y);
	my @r;
	return ('nan', 'nan') unless @rounds;
	for (1 .. 400) {
		my @pick = map { $rounds[ int rand @rounds ] } @rounds;
		push @r, $f->(median(map { $by_round{$x}{$_} } @pick), median(map { $by_round{$y}{$_} } @pick));
	}
	return (pct(2.5, @r), pct(97.5, @r));
}

sub paired {
	my ($x, $y, $f) = @_;
	return median(map { $f->($by_round{$x}{$_}, $by_round{$y}{$_}) } grep { $by_round{$y}{$_} > 0 } rounds_of($x, $y));
}

my $all_ok = 1;
sub verdict {
	my ($value, $target) = @_;
	return 'info' unless defined $target;
	$all_ok = 0 unless $value <= $target;
	return $value <= $target ? 'PASS' : 'MISS';
}

my $ratio = sub { $_[0] / $_[1] };
my $diff = sub { $_[0] - $_[1] };
print "\n                                           ratio  paired  95% interval       target      verdict\n";
for my $r (
	[ 'from scratch' ],
	[ 'dbctl',        'psql-floor', 1.50 ],
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
	my ($x, $y, $target, $unit, $note) = @$r;
	if (!defined $y) {
		print "$x\n";
		next;
	}
	next unless $wall{$x} && $wall{$y};
	$unit //= '';
	if ($unit eq 'ms') {   # a difference of medians
		my $d = $med{$x} - $med{$y};
		my ($lo, $hi) = bootstrap($x, $y, $diff);
		printf "  %-37s %+7.2fms %+6.2f [%+6.2f, %+6.2f] ms  %-11s %s\n", "$x - $y", $d, paired($x, $y, $diff), $lo,
			$hi, defined $target ? sprintf('<= %.2f ms', $target) : '-', verdict($d, $target);
	} else {
		my $q = $med{$x} / $med{$y};
		my ($lo, $hi) = bootstrap($x, $y, $ratio);
		printf "  %-37s %7.3fx %6.3fx [%6.3f, %6.3f]     %-11s %s\n", "$x/$y", $q, paired($x, $y, $ratio), $lo, $hi,
			defined $target ? sprintf('<= %.2fx', $target) : $note // '-', verdict($q, $target);
	}
}
if ($wall{dbctl} && $wall{'psql-floor'}) {
	printf "  %-37s %+7.3f ms per migration over the floor (sqitch %+.3f, alembic %+.3f)  info\n",
		'dbctl - psql-floor', ($med{dbctl} - $med{'psql-floor'}) / $n,
		map { $wall{$_} ? ($med{$_} - $med{'psql-floor'}) / $n : 'nan' } qw(sqitch alembic);
}

for my $l (@labels) {
	printf "WARNING: %s failed %d of %d runs (exit 1000+N: its check failed, 2000+N: its reset; see the error log)\n",
		$l, $fail{$l}, scalar @{ $wall{$l} } if $fail{$l};
}
print "\n", $all_ok ? "all targets met\n" : "some targets missed (benchmarks inform; exit status stays 0)\n";
