#!/bin/sh
# test-build-slurm.sh JOB: builds a small project with `job build --backend
# slurm` (fetches local, build jobs on the cluster) and with the local
# worker pool, each into its own artifact cache, and checks both artifacts
# out: they must be identical. Skips (exit 77) without a Slurm controller.
set -eu

job=$1
if ! command -v scontrol >/dev/null 2>&1 || ! scontrol ping >/dev/null 2>&1; then
    echo "SKIP: no Slurm controller answers; run tests/slurm/slurm-localhost.sh start (as root) and export SLURM_CONF"
    exit 77
fi
if [ ! -x /bin/busybox ]; then
    echo "SKIP: needs /bin/busybox (Debian's busybox-static)"
    exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-build-slurm-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
p=$tmp/project
mkdir -p "$p/elements" "$p/base/bin" "$p/base/tmp" "$p/base/dev" "$p/base/proc" \
    "$p/files-a" "$p/files-b"
cp /bin/busybox "$p/base/bin/busybox"
for a in sh cat cp mkdir echo ls rm true test touch sort wc; do
    ln -s busybox "$p/base/bin/$a"
done
printf 'name: slurm-test\nelement-path: elements\n' > "$p/project.conf"
printf 'A\n' > "$p/files-a/a.txt"
printf 'B\n' > "$p/files-b/b.txt"
printf 'kind: import\nsources:\n- kind: local\n  path: base\n' > "$p/elements/base.bst"
printf 'kind: import\nsources:\n- kind: local\n  path: files-a\n' > "$p/elements/a.bst"
printf 'kind: import\nsources:\n- kind: local\n  path: files-b\n' > "$p/elements/b.bst"
for x in a b; do
    cat > "$p/elements/m$x.bst" <<EOB
kind: manual
build-depends:
- base.bst
depends:
- $x.bst
config:
  install-commands:
  - cat /$x.txt > %{install-root}/m$x.txt
  - echo m$x >> %{install-root}/m$x.txt
EOB
done
cat > "$p/elements/top.bst" <<'EOB'
kind: manual
build-depends:
- base.bst
depends:
- ma.bst
- mb.bst
config:
  build-commands:
  - echo 'building top'
  install-commands:
  - mkdir -p %{install-root}/out
  - cat /ma.txt /mb.txt > %{install-root}/out/top.txt
  - ls / | sort > %{install-root}/out/root-listing.txt
EOB

# The spool and the cache must be shared with the nodes: here, one machine.
"$job" -C "$p" build --quiet --cache-dir "$tmp/cache-local" top.bst
"$job" -C "$p" build --quiet --backend slurm --spool-dir "$tmp/spool" \
    --cache-dir "$tmp/cache-slurm" top.bst
# The same through the user configuration instead of options.
partition=$(sinfo --noheader --format=%R | head -n 1)
cat > "$tmp/job.conf" <<EOC
[build]
backend=slurm
[slurm]
partition=$partition
spool-dir=$tmp/spool
time-limit=600
srun-args=--ntasks=1
EOC
JOB_CONFIG=$tmp/job.conf "$job" -C "$p" build --quiet \
    --cache-dir "$tmp/cache-config" top.bst
"$job" -C "$p" checkout --cache-dir "$tmp/cache-local" top.bst "$tmp/out-local"
"$job" -C "$p" checkout --cache-dir "$tmp/cache-slurm" top.bst "$tmp/out-slurm"
"$job" -C "$p" checkout --cache-dir "$tmp/cache-config" top.bst "$tmp/out-config"
diff -r "$tmp/out-local" "$tmp/out-slurm"
diff -r "$tmp/out-local" "$tmp/out-config"
# A bad configuration is a clear error, not a silent fallback.
printf '[slurm]\ntime-limit=soon\n' > "$tmp/bad.conf"
if JOB_CONFIG=$tmp/bad.conf "$job" -C "$p" build --backend slurm \
       --cache-dir "$tmp/cache-bad" top.bst 2>"$tmp/bad.err"; then
    echo "FAIL: a bad time-limit was accepted"; exit 1
fi
grep -q "time-limit" "$tmp/bad.err"
test "$(cat "$tmp/out-slurm/out/top.txt")" = "$(printf 'A\nma\nB\nmb')"
# Every spool directory was removed once its result was read.
test -z "$(ls -A "$tmp/spool")"
echo "ok: --backend slurm checks out identical to the local build"
