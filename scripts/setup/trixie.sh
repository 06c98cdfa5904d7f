# shellcheck shell=bash
# Pure-Python Jupyter packages from Debian 13 (trixie) for a Debian 12 machine. Sourced by setup.sh.
#
# Why: Debian 12 ships ipywidgets 6 and ipykernel 6.17, but the client renders widgets with the
# @jupyter-widgets 8 packages (widget protocol 2.1), which need ipywidgets 8 / comm in the kernel.
# These packages are architecture "all", so trixie's .debs run on bookworm's Python 3.11 as they
# are; we unpack them into .python/ instead of installing them, so the system stays pure Debian 12.

TRIXIE_SUITE="trixie"
# Changing this list (or the suffix) makes every machine rebuild .python on its next setup run.
# bqplot (with traittypes, its one dependency not in bookworm) is the third-party widget library the
# tests render: Debian's is 0.12.32 in both releases, and its Python side runs on ipywidgets 8.
TRIXIE_DEBS=(python3-ipykernel python3-comm python3-ipywidgets python3-widgetsnbextension python3-jupyterlab-widgets python3-bqplot python3-traittypes)
TRIXIE_RECIPE="v2 ${TRIXIE_SUITE}: ${TRIXIE_DEBS[*]}"

# Prints the archive URIs of the machine's apt sources that serve the given release codename, one per
# line. Read at run time so no mirror host is ever written into the repository.
debian_archive_uris() {
  local codename=$1 files=()
  shopt -s nullglob
  files=(/etc/apt/sources.list.d/*.sources)
  local lists=(/etc/apt/sources.list /etc/apt/sources.list.d/*.list)
  shopt -u nullglob
  {
    if [ ${#files[@]} -gt 0 ]; then
      # deb822 stanzas: keep URIs of enabled "deb" stanzas whose Suites name the release itself
      # (not -security / -updates, which live on other paths or have no trixie twin).
      awk -v want="$codename" '
        function flush(  n, i, u) {
          if ((" " types " ") ~ / deb / && enabled != "no" && (" " suites " ") ~ (" " want " ")) {
            n = split(uris, u, /[ \t]+/)
            for (i = 1; i <= n; i++) if (u[i] != "") print u[i]
          }
          types = ""; uris = ""; suites = ""; enabled = ""
        }
        /^[ \t]*#/ { next }
        /^[ \t]*$/ { flush(); next }
        {
          key = tolower($1); val = $0; sub(/^[^:]*:[ \t]*/, "", val)
          if (key == "types:") types = val
          else if (key == "uris:") uris = val
          else if (key == "suites:") suites = val
          else if (key == "enabled:") enabled = tolower(val)
        }
        END { flush() }
      ' "${files[@]}"
    fi
    local f
    for f in "${lists[@]}"; do
      [ -r "$f" ] || continue
      # One-line format: deb [options] URI suite components...
      sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | awk -v want="$codename" '$1 == "deb" && $3 == want { print $2 }'
    done
  } | awk '!seen[$0]++'
}

# True when .python holds a complete build of the current recipe.
trixie_python_is_current() {
  local py=$1
  [ -f "$py/stamp" ] && [ -d "$py/dist-packages/ipywidgets" ] &&
    [ "$(head -n 1 "$py/stamp")" = "recipe: $TRIXIE_RECIPE" ]
}

# Downloads TRIXIE_DEBS with a private apt configuration and unpacks their Python modules into
# <py>/dist-packages. The system's apt sources, lists and cache are only read, never changed.
build_trixie_python() {
  local py=$1 codename=$2
  local apt="$py/apt" uris keyring="" line
  mapfile -t uris < <(debian_archive_uris "$codename")
  [ ${#uris[@]} -gt 0 ] ||
    die "no apt source for Debian '$codename' found in /etc/apt/sources.list{,.d/} to derive a $TRIXIE_SUITE source from"

  rm -rf "$apt/debs" "$py/build.tmp"
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/debs" "$py/build.tmp"
  if [ -r /usr/share/keyrings/debian-archive-keyring.gpg ]; then
    keyring="[signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
  fi
  : >"$apt/sources.list"
  for line in "${uris[@]}"; do
    printf 'deb %s%s %s main\n' "$keyring" "$line" "$TRIXIE_SUITE" >>"$apt/sources.list"
  done

  local opts=(
    -o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
    # The system's pins are about bookworm; they must not steer which trixie version we get.
    -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null
    # .python is not readable by the _apt sandbox user in every checkout; fetch as the caller.
    -o APT::Sandbox::User="$(id -un)"
  )
  apt-get -q "${opts[@]}" update >"$apt/update.log" 2>&1 ||
    die "apt-get update for $TRIXIE_SUITE failed (sources: ${uris[*]}); log: $apt/update.log
$(tail -n 5 "$apt/update.log")"
  (cd "$apt/debs" && apt-get -q "${opts[@]}" download "${TRIXIE_DEBS[@]}") >"$apt/download.log" 2>&1 ||
    die "apt-get download of ${TRIXIE_DEBS[*]} from $TRIXIE_SUITE failed; log: $apt/download.log
$(tail -n 5 "$apt/download.log")"

  local deb versions=()
  for deb in "$apt/debs"/*.deb; do
    dpkg-deb -x "$deb" "$py/build.tmp"
    versions+=("$(dpkg-deb -f "$deb" Package)=$(dpkg-deb -f "$deb" Version)")
  done
  [ -d "$py/build.tmp/usr/lib/python3/dist-packages/ipywidgets" ] ||
    die "the $TRIXIE_SUITE packages unpacked without usr/lib/python3/dist-packages/ipywidgets"

  # Swap in the new tree only once it is complete, and stamp last, so an interrupted run rebuilds.
  # The packages' Jupyter data files (nbextensions, labextensions) go to .python/share/jupyter, where
  # a prefix keeps them: the server finds widget front ends there (server/widgets/dataDirs.ts).
  rm -rf "$py/dist-packages" "$py/share" "$py/stamp"
  mv "$py/build.tmp/usr/lib/python3/dist-packages" "$py/dist-packages"
  mkdir -p "$py/share/jupyter"
  local kind
  for kind in nbextensions labextensions; do
    if [ -d "$py/build.tmp/usr/share/jupyter/$kind" ]; then mv "$py/build.tmp/usr/share/jupyter/$kind" "$py/share/jupyter/$kind"; fi
  done
  rm -rf "$py/build.tmp"
  { printf 'recipe: %s\n' "$TRIXIE_RECIPE"; printf '%s\n' "${versions[@]}"; } >"$py/stamp"
}

# "python3-ipywidgets=8.1.5-6" -> "8.1.5-6", read from the stamp.
trixie_version_of() {
  sed -n "s/^$2=//p" "$1/stamp"
}
