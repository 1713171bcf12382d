#!/usr/bin/env bash
# benchmarks/peers/install.sh — installs what benchmarks/run measures against.
#
#   benchmarks/peers/install.sh        (into $SLUICE_CACHE, default ~/.cache/sluice)
#
# Baselines and tools come from Debian with apt-get: ripgrep, zstd, jq, yajl-tools (json_reformat), gzip,
# GNU time, gnuplot-nox, librdkafka-dev (for benchmarks/kcount.c).
#
# rsyslog (+ rsyslog-kafka) and syslog-ng (+ syslog-ng-mod-rdkafka) conflict
# with each other as Debian packages (both provide system-log-daemon), and
# installing either would make it the machine's log daemon. So their .debs are
# fetched with `apt-get download` and unpacked with `dpkg-deb -x` into
# $SLUICE_CACHE/bench-peers/{rsyslog,syslog-ng}; only their library dependencies are
# installed system-wide. benchmarks/run starts them from there, in the
# foreground, with its own configs (benchmarks/peers/*.conf.in).
#
# ClickHouse comes as the `chdb` package from PyPI, in a venv at
# $SLUICE_CACHE/bench-venv.
#
# Each peer that cannot be installed leaves bench-peers/<peer>.missing saying
# why; benchmarks/run prints that in the peer's rows and goes on.
set -uo pipefail
CACHE=${SLUICE_CACHE:-$HOME/.cache/sluice}
PREFIX=$CACHE/bench-peers
VENV=$CACHE/bench-venv
mkdir -p "$PREFIX"
log() { echo "install: $*" >&2; }

apt_updated=0
apt_install() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	if ((!apt_updated)); then
		apt-get update -qq >/dev/null 2>&1 || true
		apt_updated=1
	fi
	log "apt-get install ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1
}

apt_install ripgrep zstd jq yajl-tools gzip time gnuplot-nox librdkafka-dev ||
	log "warning: some baseline tools could not be installed"

# deps_of PKG...: the library packages the given packages depend on, minus the
# given packages and the log daemons themselves (first alternative of each).
deps_of() {
	apt-cache show --no-all-versions "$@" 2>/dev/null | sed -n 's/^Depends: //p' | tr ',' '\n' |
		sed -e 's/|.*//' -e 's/(.*)//' -e 's/:any//' -e 's/ //g' | grep -v '^$' |
		grep -vE '^(rsyslog|syslog-ng|lsb-base|sysvinit-utils)' | sort -u
}

# unpack NAME PKG...: apt-get download + dpkg-deb -x into PREFIX/NAME
unpack() {
	local name=$1 dir=$PREFIX/$1 dl
	shift
	if [[ -f $dir/.complete ]]; then return 0; fi
	rm -rf "$dir" "$PREFIX/$name.missing"
	local p
	for p in "$@"; do
		if ! apt-cache show "$p" >/dev/null 2>&1; then
			((apt_updated)) || { apt-get update -qq >/dev/null 2>&1; apt_updated=1; }
			if ! apt-cache show "$p" >/dev/null 2>&1; then
				echo "Debian package $p not available" >"$PREFIX/$name.missing"
				return 1
			fi
		fi
	done
	# shellcheck disable=SC2046
	if ! apt_install $(deps_of "$@"); then
		echo "could not install the libraries $name needs" >"$PREFIX/$name.missing"
		return 1
	fi
	dl=$(mktemp -d)
	chmod 755 "$dl"
	log "apt-get download $*"
	if ! (cd "$dl" && apt-get download "$@" >/dev/null 2>&1); then
		echo "apt-get download $* failed" >"$PREFIX/$name.missing"
		rm -rf "$dl"
		return 1
	fi
	mkdir -p "$dir"
	for p in "$dl"/*.deb; do dpkg-deb -x "$p" "$dir"; done
	rm -rf "$dl"
	touch "$dir/.complete"
}

unpack rsyslog rsyslog rsyslog-kafka || log "rsyslog: $(cat "$PREFIX/rsyslog.missing")"
unpack syslog-ng syslog-ng-core syslog-ng-mod-rdkafka || log "syslog-ng: $(cat "$PREFIX/syslog-ng.missing")"

# ClickHouse (chdb) in a venv
if [[ ! -f $VENV/.complete ]]; then
	rm -f "$PREFIX/clickhouse.missing"
	log "pip install chdb into $VENV"
	if python3 -m venv "$VENV" >/dev/null 2>&1 &&
		"$VENV/bin/pip" install -q --disable-pip-version-check chdb >"$PREFIX/pip.log" 2>&1 &&
		"$VENV/bin/python" -c 'import chdb' >>"$PREFIX/pip.log" 2>&1; then
		touch "$VENV/.complete"
	else
		echo "pip install chdb failed (see $PREFIX/pip.log)" >"$PREFIX/clickhouse.missing"
		log "clickhouse: $(cat "$PREFIX/clickhouse.missing")"
	fi
fi
exit 0
