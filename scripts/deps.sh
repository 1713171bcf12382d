#!/usr/bin/env bash
# scripts/deps.sh — installs the Debian packages sluice builds, tests and runs
# with. Idempotent: quiet and quick when everything is already there.
set -euo pipefail

PKGS=(
	build-essential cmake ninja-build pkg-config clang clang-format libclang-rt-14-dev
	librdkafka-dev libyajl-dev libxxhash-dev zlib1g-dev libdeflate-dev libssl-dev
	libcriterion-dev libyaml-dev libpcre2-dev libevent-dev
	openssl curl python3 jq yajl-tools
	default-jre-headless maven
	postgresql-15 nginx # real log writers for the parser tests
)

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
# a JDK or JRE of 17 or newer may already be there under another package name
if [[ " ${missing[*]} " == *" default-jre-headless "* ]] && command -v java >/dev/null; then
	missing=("${missing[@]/default-jre-headless/}")
fi
if [[ " ${missing[*]} " == *" maven "* ]] && command -v mvn >/dev/null; then
	missing=("${missing[@]/maven/}")
fi
read -ra missing <<<"${missing[*]}"
if ((${#missing[@]} == 0)); then
	exit 0
fi
SUDO=
if [[ $(id -u) != 0 ]]; then SUDO=sudo; fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# nginx and PostgreSQL would start system services on install; the tests
# start their own on loopback, so services are kept from starting meanwhile
policy=
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
	$SUDO chmod +x /usr/sbin/policy-rc.d
	policy=1
fi
rc=0
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || rc=$?
if [[ -n $policy ]]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
exit $rc
