# shellcheck shell=bash
# Front ends of third-party widget libraries, installed where the library's own Python package
# would put them: `<prefix>/share/jupyter/nbextensions/<module>/index.js`, the classic notebook's
# AMD bundle. Sourced by setup.sh.
#
# Why from npm: Debian's python3-bqplot ships the Python side only (Debian drops prebuilt
# JavaScript), and the wheel that would carry the bundle comes from PyPI, which is not reachable
# here. The library publishes the same bundle on npm (`dist/index.js`: webpack, AMD, externals
# `@jupyter-widgets/base` — what html-manager pages load for it); its version must satisfy the
# Python side's `_model_module_version` (bqplot 0.12.32: `^0.5.33`).

# npm spec, the tarball's integrity as npm records it, the module name (its nbextension folder).
WIDGET_FRONTENDS=(
  "bqplot@0.5.46 sha512-qMyo11dhkEeVgIXXGfhXVQxNk89tplePMRt9WGvJOI/HzBO6Vr3c7JJj3KMQBbc8LF+E7o4OGcLY6Ez+Y2Y1hg== bqplot"
)

# Installs every front end of WIDGET_FRONTENDS into <data dir>/nbextensions, unless the stamp in its
# folder says it is there already. The tarball is checked against the pinned integrity.
install_widget_frontends() {
  local data_dir=$1 entry spec integrity module
  for entry in "${WIDGET_FRONTENDS[@]}"; do
    read -r spec integrity module <<<"$entry"
    local dest="$data_dir/nbextensions/$module"
    if [ -f "$dest/index.js" ] && [ "$(cat "$dest/.cohort-stamp" 2>/dev/null)" = "$spec $integrity" ]; then
      continue
    fi
    local tmp tarball actual
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "$spec" >pack.log 2>&1) || die "npm pack $spec failed: $(tail -n 5 "$tmp/pack.log")"
    tarball="$(find "$tmp" -maxdepth 1 -name '*.tgz' -print -quit)"
    actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
    [ "$actual" = "$integrity" ] || die "$spec: the tarball's integrity is $actual, not the pinned $integrity"
    tar -xzf "$tarball" -C "$tmp" package/dist/index.js package/dist/index.js.LICENSE.txt package/package.json ||
      die "$spec has no dist/index.js bundle"
    rm -rf "$dest.tmp"
    mkdir -p "$dest.tmp"
    cp "$tmp/package/dist/index.js" "$tmp/package/dist/index.js.LICENSE.txt" "$tmp/package/package.json" "$dest.tmp/"
    printf '%s\n' "$spec $integrity" >"$dest.tmp/.cohort-stamp"
    rm -rf "$dest" "$tmp"
    mv "$dest.tmp" "$dest"
    note "installed the $spec front end into ${dest#"$ROOT/"}"
  done
}
