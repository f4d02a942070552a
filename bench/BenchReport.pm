# BenchReport.pm: what every bench/*_report.pl shares. Reads RAW.csv from
# bench/c/bench_run (round,label,wall_us,cpu_us,maxrss_kib,exit) into the
# exported tables below; medians, nearest-rank percentiles, the 95% bootstrap
# interval over whole rounds, paired per-round figures, verdicts, and the
# closing lines. Each report keeps only its own table layout and targets.
package BenchReport;

use strict;
use warnings;
use POSIX qw(ceil);
use Exporter 'import';

our @EXPORT = qw(%wall %cpu %rss %fail %by_round @labels %med read_raw median pct max mean bootstrap paired
	verdict with_other print_sections rss_line print_failures print_summary);

# wall and cpu in ms per run, rss in KiB per run, by label; by_round{label}{round} = wall ms
our (%wall, %cpu, %rss, %fail, %by_round, @labels, %med);
my $all_ok = 1;

sub read_raw {
	my ($raw) = @_;
	open my $fh, '<', $raw or die "$raw: $!\n";
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
	close $fh;
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

my $ratio = sub { $_[0] / $_[1] };

sub rounds_of {
	my ($x, $y) = @_;
	return sort { $a <=> $b } grep { exists $by_round{$y}{$_} } keys %{ $by_round{$x} };
}

# 95% bootstrap interval of f(median(x), median(y)) (default: their ratio),
# resampling whole rounds; a fixed seed, so a report is the same every time.
srand(12345);
sub bootstrap {
	my ($x, $y, $f) = @_;
	my @rounds = rounds_of($x, $y);
	my @r;
	$f //= $ratio;
	return ('nan', 'nan') unless @rounds;
	for (1 .. 400) {
		my @pick = map { $rounds[ int rand @rounds ] } @rounds;
		push @r, $f->(median(map { $by_round{$x}{$_} } @pick), median(map { $by_round{$y}{$_} } @pick));
	}
	return (pct(2.5, @r), pct(97.5, @r));
}

# The median over rounds of f(x's run, y's run) (default: their ratio).
sub paired {
	my ($x, $y, $f) = @_;
	$f //= $ratio;
	return median(map { $f->($by_round{$x}{$_}, $by_round{$y}{$_}) } grep { $by_round{$y}{$_} > 0 } rounds_of($x, $y));
}

# PASS or MISS against target ('<=' or '>='), 'info' without one; a MISS is remembered for print_summary.
sub verdict {
	my ($value, $op, $target) = @_;
	return 'info' unless defined $target;
	my $ok = $op eq '<=' ? $value <= $target : $value >= $target;
	$all_ok = 0 unless $ok;
	return $ok ? 'PASS' : 'MISS';
}

# Sections ([title, label...]) plus one of every label none of them names.
sub with_other {
	my @sections = @_;
	my %known = map { $_ => 1 } map { @$_[ 1 .. $#$_ ] } @sections;
	my @other = grep { !$known{$_} } @labels;
	push @sections, [ 'other', @other ] if @other;
	return @sections;
}

# The table of run.sh and shell.sh: a title line per section, a row per command; fills %med.
sub print_sections {
	my @sections = with_other(@_);
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
}

# One line of the peak-RSS comparison: the largest peak of each command over its runs.
sub rss_line {
	my ($x, $y, $target, $note) = @_;
	return unless $rss{$x} && $rss{$y};
	my ($a, $b) = (max(@{ $rss{$x} }), max(@{ $rss{$y} }));
	printf "  %-36s %9d  %9d  %6.3fx  %-10s %s%s\n", "$x vs $y", $a, $b, $a / $b,
		defined $target ? sprintf('<= %.2fx', $target) : '-', verdict($a / $b, '<=', $target), $note // '';
}

sub print_failures {
	my ($hint) = @_;
	for my $l (@labels) {
		printf "WARNING: %s failed %d of %d runs (%s)\n", $l, $fail{$l}, scalar @{ $wall{$l} }, $hint
			if $fail{$l};
	}
}

sub print_summary {
	print "\n", $all_ok ? "all targets met\n" : "some targets missed (benchmarks inform; exit status stays 0)\n";
}

1;
