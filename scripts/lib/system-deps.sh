# Sourced by scripts/testnet and scripts/test: makes sure the system packages a command needs are
# present BEFORE anything compiles, installing them when it can (as root, or with passwordless
# sudo) and otherwise stopping with one line that names the exact install command.
#
#   quarry_require PACKAGE[:CHECK] ...
#
# PACKAGE is a Debian/Ubuntu package name; CHECK (optional) is a shell test that is true when
# what the package provides is already there by other means (a nodejs from nvm, a pyenv python):
# then the package is not installed. Without CHECK the package must be installed per dpkg.

quarry_require() {
    local missing=() spec package check
    for spec in "$@"; do
        package=${spec%%:*}
        check=
        [ "$spec" != "$package" ] && check=${spec#*:}
        if [ -n "$check" ] && eval "$check" >/dev/null 2>&1; then
            continue
        fi
        if command -v dpkg >/dev/null 2>&1 && dpkg -s "$package" >/dev/null 2>&1 \
            && [ -z "$check" ]; then
            continue
        fi
        missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "quarry: missing system packages (Debian names): ${missing[*]}; install their equivalents with your package manager and run again" >&2
        exit 1
    fi
    local sudo=
    if [ "$(id -u)" -ne 0 ]; then
        if sudo -n true >/dev/null 2>&1; then
            sudo="sudo"
        else
            echo "quarry: missing system packages: ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}" >&2
            exit 1
        fi
    fi
    echo "quarry: installing system packages: ${missing[*]}"
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# What building the node needs: a C/C++ compiler for RocksDB and libclang for its bindings
# (bindgen).
quarry_require_build_deps() {
    quarry_require build-essential:"command -v c++" libclang-dev
}
