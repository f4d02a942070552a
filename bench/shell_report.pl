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
use FindBin;
use lib $FindBin::Bin;
use BenchReport;

my $raw = shift or die "usage: shell_report.pl RAW.csv\n";
read_raw($raw);

my ($big_n, $small_n) = map { $ENV{$_} // '?' } qw(BIG_N SMALL_N);
my @sections = (
	[ "SELECT * FROM generate_series(1, $big_n), stdout /dev/null",
	  qw(dbctl-table dbctl-csv psql-aligned psql-fetch psql-csv) ],
	[ "the same, $small_n rows", qw(dbctl-table-small) ],
);
print_sections(@sections);

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
rss_line('dbctl-table', 'dbctl-table-small', 1.10, "  (flat: $big_n vs $small_n rows)");
rss_line('dbctl-table', 'psql-aligned', 1.00, '  (never above psql)');
rss_line('dbctl-table', 'psql-fetch', undef);
rss_line('dbctl-csv', 'psql-csv', undef);
rss_line('dbctl-csv', 'dbctl-table-small', undef);
rss_line('psql-fetch', 'psql-aligned', undef, '  (psql itself)');

print_failures('see the error log');
print_summary();
