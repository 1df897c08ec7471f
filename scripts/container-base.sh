#!/usr/bin/env bash
# Makes a base image for the Containerfile without a container registry: Debian bookworm
# (debootstrap, minimal variant) with Node.js 24 and npm taken the way the project takes them —
# Node.js from the npm `node` package (the project's devDependency, so run `npm ci` first) and
# npm from the npm registry. For machines that reach Debian's mirror and the npm registry but no
# registry of images. Needs root, debootstrap and podman.
#
#   scripts/container-base.sh [tag]      # default tag: localhost/instant-sync-base:bookworm-node<version>
#   podman build --build-arg BASE=<tag> -f Containerfile -t instant-sync .
#
# Prints the tag on its last line. An image already tagged so is kept (delete it to make it anew).
set -euo pipefail
cd "$(dirname "$0")/.."

node_binary=node_modules/node/bin/node
if [ ! -x "$node_binary" ]; then
  echo "no $node_binary: run npm ci first (the project's Node.js 24 comes from the npm package node)" >&2
  exit 2
fi
node_version=$("$node_binary" --version)
tag=${1:-localhost/instant-sync-base:bookworm-node${node_version#v}}
if podman image exists "$tag"; then
  echo "$tag"
  exit 0
fi
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
npm_version=${NPM_VERSION:-$(npm --version)}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "debootstrap bookworm (minbase) from $mirror" >&2
debootstrap --variant=minbase bookworm "$work/root" "$mirror" > "$work/debootstrap.log" 2>&1 ||
  { tail -n 20 "$work/debootstrap.log" >&2; exit 1; }
# What a build does not need: downloaded packages, package lists, documentation.
rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"* \
  "$work/root/usr/share/doc/"* "$work/root/usr/share/man/"* "$work/root/usr/share/locale/"*

echo "Node.js $node_version and npm $npm_version" >&2
install -m 0755 "$node_binary" "$work/root/usr/local/bin/node"
(cd "$work" && npm pack "npm@$npm_version" --silent > /dev/null)
mkdir -p "$work/root/usr/local/lib/node_modules"
tar -xzf "$work"/npm-*.tgz -C "$work"
mv "$work/package" "$work/root/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/root/usr/local/bin/npx"

tar -C "$work/root" -c . | podman import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["node"]' - "$tag" > /dev/null
echo "$tag"
