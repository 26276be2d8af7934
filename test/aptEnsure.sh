# Sourced by the lanes' install scripts: `apt_ensure LABEL PKG...` installs the Debian packages that are
# missing (one apt-get update, only when needed), says what it did, and fails with the list when not root.
apt_ensure() {
  local label="$1"
  shift
  local missing=() p t0=$SECONDS
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    echo "[$label] Debian packages present ($*)"
    return 0
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "[$label] missing Debian packages: ${missing[*]} (run as root, or apt-get install them)" >&2
    return 1
  fi
  echo "[$label] apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || return 1
  echo "[$label] apt: $((SECONDS - t0)) s"
}
