#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 and runs libjob's main job: builds
# the hello example (every build step a pickled job in a worker process,
# in a bwrap sandbox), checks the result out and runs it.
set -euo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$top"

if [ "$(id -u)" = 0 ] && [ -z "${JOB_SKIP_APT:-}" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends $(grep -v '^#' .ci/packages)
fi
export PATH=/usr/bin:/bin:/usr/sbin:/sbin:$PATH

[ -d _build ] || meson setup _build
meson compile -C _build

example=data/examples/hello
sh "$example/make-sysroot.sh" "$example/sysroot"

export JOB_CACHE_DIR=${JOB_CACHE_DIR:-$top/_build/example-cache}
job=_build/libjob/tools/job
"$job" -C "$example" build greeting.bst
rm -rf _build/example-checkout
"$job" -C "$example" checkout greeting.bst _build/example-checkout
"$job" -C "$example" checkout --force hello.bst _build/example-checkout
echo
echo "Checked out to _build/example-checkout:"
(cd _build/example-checkout && find . -type f | sort)
echo
echo "greeting.txt says: $(cat _build/example-checkout/usr/share/greeting/greeting.txt)"
