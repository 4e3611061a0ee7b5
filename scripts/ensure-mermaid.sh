#!/usr/bin/env bash
# Mermaid's standalone browser bundle for the docs site's ERD page (`make docs`), from the
# npm registry with the machine's npm: `npm pack` fetches the one package tarball (no
# dependencies: dist/mermaid.min.js bundles them), checked against a pinned sha256.
# Idempotent, quiet when present.
set -euo pipefail

VERSION=11.17.2
SHA256=581ed7d74bd9048d0e3a91363927d72ef22942d7722546b27f7cc29e35390eb8
DEST=${1:-.venv/share/cartwheel/mermaid.min.js}

if [ -f "$DEST" ] && echo "$SHA256  $DEST" | sha256sum --check --status; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "error: npm is needed once to fetch mermaid@$VERSION for the docs site's ERD page:" \
    "install Node.js and npm (Debian: apt-get install -y npm)" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "mermaid@$VERSION" >/dev/null)
tar -xzf "$work/mermaid-$VERSION.tgz" -C "$work" package/dist/mermaid.min.js
if ! echo "$SHA256  $work/package/dist/mermaid.min.js" | sha256sum --check --status; then
  echo "error: mermaid@$VERSION's dist/mermaid.min.js does not match its pinned sha256" >&2
  exit 1
fi
mkdir -p "$(dirname "$DEST")"
mv "$work/package/dist/mermaid.min.js" "$DEST"
