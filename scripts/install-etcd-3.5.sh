#!/usr/bin/env bash
# Unpacks etcd 3.5 (Debian trixie's etcd-server and etcd-client packages) into a directory of its
# own, beside whatever etcd the machine has installed, and prints the path of the etcd binary:
#
#   ./mvnw verify -Detcd.binary="$(scripts/install-etcd-3.5.sh)"
#
# Nothing is installed over the system's etcd: apt runs with its own source list, package lists
# and cache, and the packages are unpacked with dpkg -x. The source list is written from the
# machine's Debian mirror (the first deb.debian.org-style URI of /etc/apt/sources.list{,.d}).
# ETCD35_HOME chooses the directory (default ~/.cache/coordination/etcd-3.5); running again reuses
# it. Needs a Debian-based machine with apt-get and dpkg; on others, download etcd 3.5 from
# https://github.com/etcd-io/etcd/releases and pass its binary the same way.
set -euo pipefail

home=${ETCD35_HOME:-${HOME}/.cache/coordination/etcd-3.5}
binary=${home}/root/usr/bin/etcd

fail() {
	echo "install-etcd-3.5: $*" >&2
	exit 1
}

version_of() {
	# read whole (sed, not head or grep -q): a reader stopping early can end the writer with SIGPIPE, which pipefail turns into a failure
	"$1" --version 2>/dev/null | sed -n 1p || true
}

case $( [ -x "$binary" ] && version_of "$binary") in
"etcd Version: 3.5."*)
	echo "$binary"
	exit 0
	;;
esac
command -v apt-get >/dev/null 2>&1 && command -v dpkg >/dev/null 2>&1 ||
	fail "needs apt-get and dpkg (Debian or Ubuntu); elsewhere download etcd 3.5 from https://github.com/etcd-io/etcd/releases"

# The machine's Debian mirror, from a one-line sources.list or a deb822 .sources file.
mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v "^[[:space:]]*#" |
	grep -Eo 'https?://[^ ]+/debian/?( |$)' | grep -v security | sed -n 1p | tr -d ' ' || true)
mirror=${mirror:-http://deb.debian.org/debian}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$keyring" ] || fail "$keyring is missing: apt-get install debian-archive-keyring"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
echo "deb [signed-by=$keyring] $mirror trixie main" >"$work/trixie.list"
apt_options=(-q -o "Dir::Etc::SourceList=$work/trixie.list" -o Dir::Etc::SourceParts=/nonexistent
	-o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o APT::Sandbox::User=root)
apt-get "${apt_options[@]}" update >&2 || fail "could not read trixie's package list from $mirror"
(cd "$work" && apt-get "${apt_options[@]}" download etcd-server etcd-client >&2) ||
	fail "could not download etcd-server and etcd-client from $mirror trixie"

rm -rf "$home"
mkdir -p "$home"
for package in "$work"/etcd-server_*.deb "$work"/etcd-client_*.deb; do
	dpkg -x "$package" "$home/root"
done
version=$(version_of "$binary")
case $version in
"etcd Version: 3.5."*) echo "$binary" ;;
*) fail "the unpacked $binary is not etcd 3.5: $version" ;;
esac
