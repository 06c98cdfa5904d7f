#!/usr/bin/env bash
# `npm run setup`: everything Cohort needs on this machine, idempotent, and quick when nothing is missing.
# Steps: npm deps -> Debian packages -> Python kernel environment -> kernelspec -> verify -> client build.
# Runs unattended (CI=true, no stdin) as root on a fresh Debian 12; elsewhere it uses whatever
# python3 already has ipykernel + ipywidgets 8.
set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source-path=SCRIPTDIR source=setup/lib.sh
source "$ROOT/scripts/setup/lib.sh"
# shellcheck source-path=SCRIPTDIR source=setup/trixie.sh
source "$ROOT/scripts/setup/trixie.sh"
# shellcheck source-path=SCRIPTDIR source=setup/widgetFrontends.sh
source "$ROOT/scripts/setup/widgetFrontends.sh"
trap 'on_error $? $LINENO "$BASH_COMMAND"' ERR

export DEBIAN_FRONTEND=noninteractive
STARTED_NS=$(date +%s%N)

# nginx-light and openssl: the tests run the browser suite behind a real nginx with a self-signed
# certificate; systemd: its systemd-analyze checks the shipped unit (deploy/systemd); bubblewrap:
# every kernel runs in a sandbox of its own.
DEBIAN_DEBS=(python3-ipykernel python3-nbformat python3-nbclient python3-nbconvert python3-jupyter-server chromium nginx-light openssl systemd bubblewrap)
# The scientific stack a lesson's first cell usually imports. Debian's builds live in /usr, which a
# sandboxed kernel can still read. `npm run setup -- --slim` (or COHORT_SLIM=1) leaves them out.
SCIENCE_DEBS=(python3-numpy python3-pandas python3-scipy python3-matplotlib)
SLIM="${COHORT_SLIM:-0}"
for arg in "$@"; do
  case "$arg" in
    --slim) SLIM=1 ;;
    *) die "unknown option $arg (setup takes only --slim)" ;;
  esac
done
case "$SLIM" in
  1 | true | yes) SLIM=1 ;;
  *) SLIM=0 ;;
esac
PYTHON_DIR="$ROOT/.python"
KERNEL_DIR="$ROOT/.jupyter/kernels/python3"
OS_ID="$(os_field ID)"
OS_CODENAME="$(os_field VERSION_CODENAME)"

# The interpreter and PYTHONPATH the kernelspec will name; set by choose_python.
KERNEL_PYTHON=""
KERNEL_PYTHONPATH=""
# Set when the Python environment or the kernelspec changed, so the kernel is started once to prove it.
ENV_CHANGED=0

can_use_apt() { command -v apt-get >/dev/null && command -v dpkg-query >/dev/null && is_root; }

npm_deps() {
  step "npm deps"
  if [ -f package-lock.json ]; then
    if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] ||
      [ package-lock.json -nt node_modules/.package-lock.json ]; then
      note "running npm ci"
      npm ci --no-audit --no-fund || die "npm ci failed"
    fi
  elif [ ! -d node_modules ]; then
    note "no package-lock.json; running npm install"
    npm install --no-audit --no-fund || die "npm install failed"
  fi
  # npm 11 does not run install scripts it was not told to allow, and only warns about it; the
  # native modules must then load from their shipped prebuilds. Load them to be sure (esbuild is
  # what tsx runs every .ts file through, so it is exercised with a real transform).
  local failures
  # shellcheck disable=SC2016 # the ${...} belong to the JavaScript template literal
  failures="$(node --input-type=module -e '
    const failed = [];
    for (const name of ["zeromq", "classic-level", "esbuild"]) {
      try {
        const mod = await import(name);
        if (name === "esbuild") mod.transformSync("let a: number = 1", { loader: "ts" });
      } catch (error) {
        failed.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    console.log(failed.join("\n"));
  ')" || die "node could not run the native module check"
  [ -z "$failures" ] ||
    die "native modules do not load (try 'rm -rf node_modules && npm run setup'):
$failures"
  ok "npm deps (zeromq, classic-level and esbuild load)"
}

debian_packages() {
  step "debian packages"
  if ! command -v dpkg-query >/dev/null; then
    ok "debian packages: not a Debian system, skipped"
    return
  fi
  local wanted=("${DEBIAN_DEBS[@]}")
  if [ "$SLIM" = 1 ]; then
    note "slim install: ${SCIENCE_DEBS[*]} left out"
  else
    wanted+=("${SCIENCE_DEBS[@]}")
  fi
  # Debian 13+ ships ipywidgets 8 itself; only Debian 12 needs the trixie packages in .python.
  if [ "$OS_ID" = "debian" ] && [ "$OS_CODENAME" != "bookworm" ]; then
    wanted+=(python3-comm python3-ipywidgets)
  fi
  local missing
  mapfile -t missing < <(missing_debs "${wanted[@]}")
  if [ ${#missing[@]} -eq 0 ]; then
    ok "debian packages (${wanted[*]})"
    return
  fi
  if ! can_use_apt; then
    warn "missing Debian packages: ${missing[*]} (run setup as root to install them)"
    return
  fi
  note "installing ${missing[*]}"
  apt-get -q -o DPkg::Lock::Timeout=600 update || die "apt-get update failed"
  apt-get -q -y -o DPkg::Lock::Timeout=600 install "${missing[@]}" ||
    die "apt-get install ${missing[*]} failed"
  ok "debian packages (installed ${missing[*]})"
}

# Prints the absolute path of the first python on PATH that imports ipykernel and ipywidgets >= 8.
find_python_with_widgets() {
  local candidate
  for candidate in python3 python /usr/bin/python3 /usr/local/bin/python3; do
    command -v "$candidate" >/dev/null || continue
    if "$candidate" -c 'import sys, ipykernel, ipywidgets
sys.exit(0 if int(ipywidgets.__version__.split(".")[0]) >= 8 else 1)' >/dev/null 2>&1; then
      "$candidate" -c 'import sys; print(sys.executable)'
      return 0
    fi
  done
  return 1
}

choose_python() {
  step "python kernel environment"
  if [ "$OS_ID" = "debian" ] && [ "$OS_CODENAME" = "bookworm" ] &&
    { can_use_apt || trixie_python_is_current "$PYTHON_DIR"; }; then
    if ! trixie_python_is_current "$PYTHON_DIR"; then
      note "fetching ${TRIXIE_DEBS[*]} from $TRIXIE_SUITE into .python"
      build_trixie_python "$PYTHON_DIR" "$OS_CODENAME"
      ENV_CHANGED=1
    fi
    KERNEL_PYTHON=/usr/bin/python3
    KERNEL_PYTHONPATH="$PYTHON_DIR/dist-packages"
    ok "ipykernel $(trixie_version_of "$PYTHON_DIR" python3-ipykernel)," \
      "ipywidgets $(trixie_version_of "$PYTHON_DIR" python3-ipywidgets)," \
      "comm $(trixie_version_of "$PYTHON_DIR" python3-comm) ($TRIXIE_SUITE) in .python/dist-packages"
    return
  fi
  if [ "$OS_ID" = "debian" ] && can_use_apt; then
    KERNEL_PYTHON=/usr/bin/python3
    ok "python: Debian's own ipykernel and ipywidgets"
    return
  fi
  KERNEL_PYTHON="$(find_python_with_widgets)" ||
    die "no python3 here imports ipykernel and ipywidgets 8; please \`pip install ipykernel ipywidgets\` and run setup again"
  ok "python: $KERNEL_PYTHON has ipykernel and ipywidgets 8"
}

write_kernelspec() {
  step "kernelspec"
  mkdir -p "$KERNEL_DIR"
  # node writes the JSON so that any path is escaped correctly; the file is rewritten only when it
  # changes, so its mtime (and the "verified" stamp) stay put on a fast run.
  local result
  result="$(node -e '
    const fs = require("node:fs");
    const [file, python, pythonPath] = process.argv.slice(1);
    const spec = {
      argv: [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
      display_name: "Python 3 (ipykernel)",
      language: "python",
      interrupt_mode: "signal",
      env: pythonPath ? { PYTHONPATH: pythonPath } : {},
      metadata: { debugger: false },
    };
    const text = JSON.stringify(spec, null, 1) + "\n";
    const old = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
    if (old !== text) fs.writeFileSync(file, text);
    console.log(old === text ? "same" : "written");
  ' -- "$KERNEL_DIR/kernel.json" "$KERNEL_PYTHON" "$KERNEL_PYTHONPATH")"
  if [ "$result" = "written" ]; then ENV_CHANGED=1; fi
  ok "kernelspec .jupyter/kernels/python3 ($KERNEL_PYTHON${KERNEL_PYTHONPATH:+, PYTHONPATH=$KERNEL_PYTHONPATH})"
}

verify_python() {
  step "verify kernel environment"
  local versions
  versions="$(PYTHONPATH="$KERNEL_PYTHONPATH" "$KERNEL_PYTHON" -c '
import ipykernel, ipywidgets, comm
print(f"ipykernel {ipykernel.__version__}, ipywidgets {ipywidgets.__version__}, comm {comm.__version__}")
')" || die "$KERNEL_PYTHON cannot import ipykernel, ipywidgets and comm with PYTHONPATH='$KERNEL_PYTHONPATH'${KERNEL_PYTHONPATH:+ (delete .python and run setup again to rebuild it)}"
  case "$versions" in
    *"ipywidgets 8."*) ;;
    *) die "the kernel environment has $versions; Cohort needs ipywidgets 8" ;;
  esac

  # Starting a kernel takes a few seconds, so it is done only when something changed since the
  # last successful check (the stamp is the hash of what was checked).
  local stamp="$ROOT/.jupyter/.verified" digest
  digest="$({ cat "$KERNEL_DIR/kernel.json"; [ ! -f "$PYTHON_DIR/stamp" ] || cat "$PYTHON_DIR/stamp"; } | sha256sum | cut -d' ' -f1)"
  if [ "$ENV_CHANGED" = 1 ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
    rm -f "$stamp"
    # The kernel check runs in the kernelspec's interpreter, whose jupyter_client is what the
    # kernel itself depends on; the spec's own env supplies PYTHONPATH to the kernel.
    local report
    report="$(JUPYTER_PATH="$ROOT/.jupyter" "$KERNEL_PYTHON" "$ROOT/scripts/setup/check_kernel.py" "$KERNEL_DIR")" ||
      die "a python3 kernel from .jupyter/kernels/python3 did not run an ipywidgets cell (see above)"
    printf '%s\n' "$digest" >"$stamp"
    ok "kernel started and ran a widget cell: $report"
  else
    ok "kernel environment: $versions"
  fi
}

# bqplot's Python side imports pandas and numpy: the scientific stack below (not with --slim).
widget_frontends() {
  step "widget front ends"
  if [ ! -d "$PYTHON_DIR/dist-packages/bqplot" ]; then
    ok "widget front ends: no widget library in .python, none installed"
    return
  fi
  install_widget_frontends "$PYTHON_DIR/share/jupyter"
  ok "widget front ends in .python/share/jupyter/nbextensions: ${WIDGET_FRONTENDS[*]%% *}"
}

check_science() {
  step "scientific stack"
  if [ "$SLIM" = 1 ]; then
    ok "scientific stack: slim install, not checked"
    return
  fi
  local versions
  if versions="$(PYTHONPATH="$KERNEL_PYTHONPATH" "$KERNEL_PYTHON" -c '
import numpy, pandas, scipy, matplotlib
print(f"numpy {numpy.__version__}, pandas {pandas.__version__}, scipy {scipy.__version__}, matplotlib {matplotlib.__version__}")
' 2>/dev/null)"; then
    ok "scientific stack: $versions"
  else
    # Not fatal: Cohort runs without them, only lessons that import them fail.
    warn "the kernel's python ($KERNEL_PYTHON) cannot import numpy, pandas, scipy and matplotlib;" \
      "on Debian run setup as root, elsewhere \`pip install numpy pandas scipy matplotlib\` (or COHORT_SLIM=1 to skip this)"
  fi
}

build_client() {
  step "client build"
  # vite.config.ts builds from client/ (its root), so both must be there; until the client is
  # committed there is nothing to build, and failing every CI run for that would help no one.
  if [ ! -f vite.config.ts ] || [ ! -f client/index.html ]; then
    ok "client build: no vite.config.ts or client/index.html yet, skipped"
    return
  fi
  local inputs=(client shared server vite.config.ts package.json package-lock.json) existing=() path oldest=""
  for path in "${inputs[@]}" index.html; do [ -e "$path" ] && existing+=("$path"); done
  if [ -d dist/client ] && [ -f dist/server/main.mjs ]; then
    # Vite and esbuild rewrite every output file on each build, so the oldest output marks the last build.
    # (sed reads all of sort's output: `head` would close the pipe early and pipefail would fail on SIGPIPE)
    oldest="$(find dist/client dist/server -type f -printf '%T@ %p\n' | sort -n | sed -n '1s/^[^ ]* //p')"
  fi
  if [ -n "$oldest" ] && [ -z "$(find "${existing[@]}" -newer "$oldest" -print -quit)" ]; then
    ok "build: dist/client and dist/server are up to date"
    return
  fi
  npm run build || die "npm run build failed"
  ok "build: dist/client (the page) and dist/server/main.mjs (the server, bundled for a fast start)"
}

npm_deps
debian_packages
choose_python
widget_frontends
write_kernelspec
verify_python
check_science
build_client

step "done"
elapsed_ms=$((($(date +%s%N) - STARTED_NS) / 1000000))
ok "setup complete in $((elapsed_ms / 1000)).$(printf '%03d' $((elapsed_ms % 1000)))s"
