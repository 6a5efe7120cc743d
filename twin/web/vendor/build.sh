#!/usr/bin/env bash
# Rebuild three.bundle.min.js: three.js with the orbit controls and the glTF loader, as one classic
# script defining the global THREE (browsers refuse ES module imports from file://, where the
# published site is opened). Needs npm; writes nothing but the bundle beside this script.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here/three-entry.js" "$work/"
cd "$work"
npm init -y >/dev/null
npm install --no-audit --no-fund --silent three@0.187.0 esbuild@0.28.2
./node_modules/.bin/esbuild three-entry.js --bundle --format=iife --global-name=THREE --minify \
    --legal-comments=none \
    --banner:js="/* three.js 0.187.0 with OrbitControls and GLTFLoader (MIT licence: LICENSE-three.txt), bundled by esbuild */" \
    --outfile="$here/three.bundle.min.js"
cp node_modules/three/LICENSE "$here/LICENSE-three.txt"
