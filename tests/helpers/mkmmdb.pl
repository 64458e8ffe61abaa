#!/usr/bin/perl
# mkmmdb.pl - write a small MaxMind DB for the tests, in the layout of a
# real provider, with Debian's libmaxmind-db-writer-perl.
#
#   mkmmdb.pl geolite FILE   GeoLite2-City layout (nested)
#   mkmmdb.pl dbip FILE      DB-IP Lite City layout (nested; regions by
#                            name, no ISO code)
#   mkmmdb.pl asn FILE       GeoLite2-ASN layout
#   mkmmdb.pl ipinfo FILE    IPinfo layout (flat, strings)
#
# 89.160.20.0/24, 203.0.113.0/24 (the benchmark's client) and
# 2001:db8:5::/48 are in Stockholm (AS 1257);
# nothing else is in it.
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my ($layout, $out) = @ARGV;
die "usage: mkmmdb.pl geolite|dbip|asn|ipinfo FILE\n" unless $out;

my (%types, $record, $type);
if ($layout eq 'geolite') {
	$type = 'GeoLite2-City';
	%types = (country => 'map', iso_code => 'utf8_string',
		subdivisions => ['array', 'map'], city => 'map', names => 'map',
		en => 'utf8_string', location => 'map', latitude => 'double',
		longitude => 'double');
	$record = { country => { iso_code => 'SE' },
		subdivisions => [ { iso_code => 'AB' } ],
		city => { names => { en => 'Stockholm' } },
		location => { latitude => 59.3294, longitude => 18.0687 } };
} elsif ($layout eq 'dbip') {
	$type = 'DBIP-City-Lite';
	%types = (country => 'map', iso_code => 'utf8_string',
		subdivisions => ['array', 'map'], city => 'map', names => 'map',
		en => 'utf8_string', location => 'map', latitude => 'double',
		longitude => 'double');
	$record = { country => { iso_code => 'SE', names => { en => 'Sweden' } },
		subdivisions => [ { names => { en => 'Stockholm' } } ],
		city => { names => { en => 'Stockholm' } },
		location => { latitude => 59.3294, longitude => 18.0687 } };
} elsif ($layout eq 'asn') {
	$type = 'GeoLite2-ASN';
	%types = (autonomous_system_number => 'uint32',
		autonomous_system_organization => 'utf8_string');
	$record = { autonomous_system_number => 1257,
		autonomous_system_organization => 'Tele2' };
} elsif ($layout eq 'ipinfo') {
	$type = 'ipinfo standard_location.mmdb';
	%types = map { $_ => 'utf8_string' }
		qw(country city region latitude longitude asn);
	$record = { country => 'SE', city => 'Stockholm',
		region => 'Stockholm', latitude => '59.3294',
		longitude => '18.0687', asn => 'AS1257' };
} else {
	die "mkmmdb.pl: unknown layout $layout\n";
}

my $tree = MaxMind::DB::Writer::Tree->new(
	ip_version => 6,
	# Documentation addresses (2001:db8::/32) stand in for real ones.
	remove_reserved_networks => 0,
	record_size => 24,
	database_type => $type,
	languages => ['en'],
	description => { en => "Sluice test database ($layout)" },
	map_key_type_callback => sub { $types{ $_[0] } },
);
$tree->insert_network('::89.160.20.0/120', $record);
$tree->insert_network('::203.0.113.0/120', $record);
$tree->insert_network('2001:db8:5::/48', $record);
open my $fh, '>:raw', $out or die "mkmmdb.pl: $out: $!\n";
$tree->write_tree($fh);
close $fh or die "mkmmdb.pl: $out: $!\n";
