#!/bin/sh
# make-sysroot.sh DEST: assemble a minimal build sysroot (a C toolchain, make
# and busybox) from the Debian packages installed on this machine. The hello
# example imports it as its base, the way BuildStream projects import a
# prebuilt base. Nothing is downloaded: the packages must be installed.
set -eu

dest=${1:?usage: make-sysroot.sh DEST}
packages="libc6 libc6-dev linux-libc-dev libcrypt1 libcrypt-dev libgcc-s1
gcc-12 cpp-12 libgcc-12-dev libcc1-0 libgomp1 libitm1 libatomic1 libquadmath0
libasan8 liblsan0 libtsan2 libubsan1 libstdc++6 libisl23 libmpc3 libmpfr6
libgmp10 zlib1g libzstd1 libjansson4 binutils binutils-x86-64-linux-gnu
libbinutils libctf0 libctf-nobfd0 libgprofng0 libsframe0 make coreutils libacl1
libattr1 libselinux1 libpcre2-8-0 busybox-static"

stamp="$dest/.libjob-sysroot"
[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$packages" ] && exit 0

rm -rf "$dest.tmp"
mkdir -p "$dest.tmp/usr/bin" "$dest.tmp/usr/lib" "$dest.tmp/usr/lib64" "$dest.tmp/usr/sbin"
# Debian 12 is merged-/usr: /bin, /lib, /lib64 and /sbin are links into /usr.
for d in bin lib lib64 sbin; do
  ln -s "usr/$d" "$dest.tmp/$d"
done
for p in $packages; do
  dpkg -s "$p" >/dev/null 2>&1 || continue
  dpkg -L "$p"
done | sed -e 's|^/bin/|/usr/bin/|' -e 's|^/sbin/|/usr/sbin/|' \
           -e 's|^/lib/|/usr/lib/|' -e 's|^/lib64/|/usr/lib64/|' \
     | grep -v -E '^/(bin|lib|lib64|sbin|usr|\.)?$|^/usr/share/(doc|man|info|locale|lintian)/' \
     | sort -u | while read -r f; do
  # Regular files and symlinks only: tar makes the directories.
  if [ -L "$f" ] || [ -f "$f" ]; then echo "${f#/}"; fi
done > "$dest.tmp/.files"
tar -C / --no-recursion -cf - -T "$dest.tmp/.files" | tar -C "$dest.tmp" -xf -
rm "$dest.tmp/.files"

# Every other tool a build expects, from busybox (coreutils come first).
for tool in $(busybox --list); do
  [ -e "$dest.tmp/usr/bin/$tool" ] || [ -e "$dest.tmp/usr/sbin/$tool" ] \
    || ln -s busybox "$dest.tmp/usr/bin/$tool"
done
ln -sf gcc-12 "$dest.tmp/usr/bin/gcc"
ln -sf gcc-12 "$dest.tmp/usr/bin/cc"
ln -sf cpp-12 "$dest.tmp/usr/bin/cpp"
mkdir -p "$dest.tmp/tmp" "$dest.tmp/etc" "$dest.tmp/proc" "$dest.tmp/dev"
echo "root:x:0:0:root:/root:/bin/sh" > "$dest.tmp/etc/passwd"

echo "$packages" > "$dest.tmp/.libjob-sysroot"
rm -rf "$dest"
mv "$dest.tmp" "$dest"
