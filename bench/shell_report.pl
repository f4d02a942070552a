#!/usr/bin/perl
# shell_report.pl RAW.csv: the table and the target ratios of bench/shell.sh.
# RAW.csv comes from bench/c/bench_run (round,label,wall_us,cpu_us,maxrss_kib,exit).
# Wall-time ratios are of medians; "paired" is the median over rounds of the
# per-round ratio, and the bracket a 95% bootstrap interval of the ratio of
# medians, resampling whole rounds (as bench/report.pl). Memory compares the
# largest peak RSS of each command over its runs.
# BIG_N and SMALL_N in the environment only label the output.
use strict;
use warnings;
use POSIX qw(ceil);

my $raw = shift or die "usage: shell_report.pl RAW.csv\n";
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

my ($big_n, $small_n) = map { $ENV{$_} // '?' } qw(BIG_N SMALL_N);
my @sections = (
	[ "SELECT * FROM generate_series(1, $big_n), stdout /dev/null",
	  qw(dbctl-table dbctl-csv psql-aligned psql-fetch psql-csv) ],
	[ "the same, $small_n rows", qw(dbctl-table-small) ],
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

print "\nwall time (median/median)               ratio  paired  95% interval      target     verdict\n";
for my $r (
	[ 'dbctl-table', 'psql-aligned' ],
	[ 'dbctl-table', 'psql-fetch' ],
	[ 'dbctl-csv',   'psql-csv' ],
	[ 'dbctl-csv',   'dbctl-table' ],
	[ 'psql-fetch',  'psql-aligned' ],
	) {
	my ($x, $y) = @$r;
	next unless $wall{$x} && $wall{$y};
	my $ratio = $med{$x} / $med{$y};
	my ($lo, $hi) = bootstrap($x, $y);
	printf "  %-36s %6.3fx %6.3fx  [%6.3f, %6.3f]  %-10s %s\n", "$x/$y", $ratio, paired($x, $y), $lo, $hi,
		'-', 'info';
}

print "\npeak RSS (max over runs)                    KiB        KiB    ratio  target     verdict\n";
sub rss_line {
	my ($x, $y, $target, $note) = @_;
	return unless $rss{$x} && $rss{$y};
	my ($a, $b) = (max(@{ $rss{$x} }), max(@{ $rss{$y} }));
	printf "  %-36s %9d  %9d  %6.3fx  %-10s %s%s\n", "$x vs $y", $a, $b, $a / $b,
		defined $target ? sprintf('<= %.2fx', $target) : '-', verdict($a / $b, '<=', $target), $note // '';
}
rss_line('dbctl-table', 'dbctl-table-small', 1.10, "  (flat: $big_n vs $small_n rows)");
rss_line('dbctl-table', 'psql-aligned', 1.00, '  (never above psql)');
rss_line('dbctl-table', 'psql-fetch', undef);
rss_line('dbctl-csv', 'psql-csv', undef);
rss_line('dbctl-csv', 'dbctl-table-small', undef);
rss_line('psql-fetch', 'psql-aligned', undef, '  (psql itself)');

for my $l (@labels) {
	printf "WARNING: %s failed %d of %d runs (see the error log)\n", $l,
		$fail{$l}, scalar @{ $wall{$l} } if $fail{$l};
}
print "\n", $all_ok ? "all targets met\n" : "some targets missed (benchmarks inform; exit status stays 0)\n";
