#!/bin/sh
# Turns the tree `make install` staged under STAGE/debian/profd into a .deb with dpkg-deb.
#   build-deb.sh STAGE VERSION ARCH OUT.deb
# Debian's rules for a binary package: stripped binary, man pages gzipped (-9n), a copyright
# file, md5sums, Depends computed from the libraries the binary links.
set -eu
cd "$(dirname "$0")/.."
stage=$1 version=$2 arch=$3 out=$4
root=$stage/debian/profd
bin=$root/usr/bin/profd

# What dpkg-shlibdeps answers on Debian 12; used only where it is not installed (dpkg-dev).
STATED_DEPENDS="libbpf1, libc6, libdw1, libelf1, libunwind8, libzstd1, zlib1g"
# Opened at run time, so dpkg-shlibdeps cannot see them: libmicrohttpd12 serves --http (a
# dependency: the page is part of profd), libcurl3-gnutls sends the agent's --push (a dependency:
# so is the push); libdebuginfod1 fetches debug files when servers are set.
DLOPEN_DEPENDS="libmicrohttpd12, libcurl3-gnutls"
DLOPEN_RECOMMENDS="libdebuginfod1"

strip --strip-unneeded --remove-section=.comment --remove-section=.note "$bin"
gzip -9n "$root"/usr/share/man/man1/*.1
install -d "$root/usr/share/doc/profd"
install -m 0644 packaging/deb/copyright "$root/usr/share/doc/profd/copyright"

install -d -m 0755 "$root/DEBIAN"
for script in postinst prerm postrm; do
	install -m 0755 "packaging/deb/$script" "$root/DEBIAN/$script"
done

# dpkg-shlibdeps reads the package name from a debian/control beside the tree, and finds the
# tree by its DEBIAN folder.
depends() {
	if ! command -v dpkg-shlibdeps >/dev/null; then
		echo "profd: dpkg-shlibdeps not found (dpkg-dev): Depends is the stated list" >&2
		echo "$STATED_DEPENDS"
		return
	fi
	mkdir -p "$stage/debian"
	printf 'Source: profd\n\nPackage: profd\nArchitecture: any\n' >"$stage/debian/control"
	(cd "$stage" && dpkg-shlibdeps -O debian/profd/usr/bin/profd) | sed -n 's/^shlibs:Depends=//p'
}
libs=$(depends)
[ -n "$libs" ] || { echo "profd: no Depends for $bin" >&2; exit 1; }
libs="$libs, $DLOPEN_DEPENDS"

cat >"$root/DEBIAN/control" <<EOF
Package: profd
Version: $version
Architecture: $arch
Maintainer: profd maintainers <profd@localhost>
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $libs
Recommends: $DLOPEN_RECOMMENDS
Section: devel
Priority: optional
Description: continuous CPU profiler for Linux (eBPF)
 profd samples kernel and user stacks on every CPU with eBPF and counts them in
 the kernel. It names frames from ELF symbols, DWARF (lines, inline frames),
 debug files, debuginfod, kallsyms and JIT perf maps, and writes folded stacks,
 interactive SVG flame graphs or pprof, or serves a live flame graph page.
 .
 profd agent samples a whole machine for months at 19 Hz, keeps a bounded
 zstd-compressed history on disk and can push it to Grafana Pyroscope. The
 profd-agent systemd unit runs it as the user profd with six capabilities; it is
 installed but not enabled.
EOF
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z |
	xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"

dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
echo "$out: Depends: $libs"
