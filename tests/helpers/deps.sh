# deps.sh - the Debian 12 packages Sluice needs; sourced, not run.
#
#   sl_install_deps build   compilers, autotools, libraries
#   sl_install_deps run     build + lighttpd and curl
#   sl_install_deps test    run + bats, jq, kcat, spawn-fcgi, strace, protoc,
#                           clang with libFuzzer, valgrind,
#                           Apache with mod_fcgid, Chromium, wrk, hyperfine and
#                           gnuplot (the benchmark's smoke test)
#   sl_install_deps bench   the same as test
#
# Installs only what is missing, so a second run costs nothing. Needs root
# (or sudo) when something is missing.

SL_DEPS_BUILD="build-essential autoconf automake libtool pkg-config
	libfcgi-dev libcjson-dev librdkafka-dev zlib1g-dev libpcre2-dev
	libmaxminddb-dev"
SL_DEPS_RUN="lighttpd curl uap-core"
SL_DEPS_TEST="bats jq kcat spawn-fcgi strace protobuf-compiler libprotobuf-dev apache2 apache2-utils
	libapache2-mod-fcgid chromium clang libclang-rt-14-dev valgrind wrk hyperfine gnuplot-nox
	debhelper lintian systemd libmaxmind-db-writer-perl"

# The npm packages of tests/js (the real tracker SDKs), exactly as its
# package-lock.json pins them. Node.js comes with the machine or from
# Debian (nodejs, npm).
sl_install_npm_deps()
{
	local top="$1" sudo=""

	if ! command -v npm >/dev/null; then
		[ "$(id -u)" -eq 0 ] || sudo=sudo
		$sudo apt-get update -qq &&
			DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
				--no-install-recommends nodejs npm >/dev/null || return 1
	fi
	(cd "$top/tests/js" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
}

sl_install_deps()
{
	local want missing="" pkg sudo=""

	case "$1" in
	build) want="$SL_DEPS_BUILD" ;;
	run) want="$SL_DEPS_BUILD $SL_DEPS_RUN" ;;
	test|bench) want="$SL_DEPS_BUILD $SL_DEPS_RUN $SL_DEPS_TEST" ;;
	*) echo "sl_install_deps: build, run, test or bench" >&2; return 2 ;;
	esac
	for pkg in $want; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null |
			grep -q 'install ok installed' || missing="$missing $pkg"
	done
	[ -z "$missing" ] && return 0
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	echo "installing Debian packages:$missing" >&2
	$sudo apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
			--no-install-recommends $missing >/dev/null
}
