#!/usr/bin/env bash
# Builds the macOS installer, dist/TokenTally-<version>.pkg: the menu-bar
# app (Tauri bundler, release) with the headless CLI inside it, its
# LaunchAgent, and the uninstaller. Runs only on a Mac, with the Xcode
# Command Line Tools, Rust (rustup) and Node 20+.
#
#   installers/macos/build-pkg.sh               # for this Mac's architecture
#   installers/macos/build-pkg.sh --universal   # Apple silicon and Intel
#
# Signing and notarization, each optional, from the environment:
#   APPLE_SIGNING_IDENTITY    "Developer ID Application: ..." : Tauri signs
#                             the app and the CLI with it, hardened runtime on.
#                             Unset: both are signed ad hoc (for testing only).
#   APPLE_INSTALLER_IDENTITY  "Developer ID Installer: ..." : signs the .pkg.
#   NOTARY_PROFILE            a profile saved with `xcrun notarytool
#                             store-credentials`: the signed .pkg is notarized
#                             and the ticket stapled to it.
# CARGO_TARGET_DIR is honoured.
set -euo pipefail

usage() {
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
}

universal=0
while [ $# -gt 0 ]; do
    case "$1" in
        --universal) universal=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "build-pkg.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

if [ "$(uname -s)" != "Darwin" ]; then
    echo "build-pkg.sh builds the macOS installer and needs a Mac (Xcode Command" \
        "Line Tools, Rust, Node 20+); this machine runs $(uname -s)." >&2
    echo "On Linux, build the .deb and .rpm with installers/linux/build.sh." >&2
    exit 1
fi

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"

need() {
    command -v "$1" >/dev/null 2>&1 || { echo "build-pkg.sh: $1 not found: $2" >&2; exit 1; }
}
need cargo "install Rust from https://rustup.rs"
need rustc "install Rust from https://rustup.rs"
need node "install Node 20 or later"
need npm "install Node 20 or later"
need pkgbuild "install the Xcode Command Line Tools: xcode-select --install"
need productbuild "install the Xcode Command Line Tools: xcode-select --install"
need codesign "install the Xcode Command Line Tools: xcode-select --install"
need xcrun "install the Xcode Command Line Tools: xcode-select --install"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
    echo "build-pkg.sh: Node $node_major found; Node 20 or later is needed" >&2
    exit 1
fi
if [ -n "${NOTARY_PROFILE:-}" ] \
    && { [ -z "${APPLE_SIGNING_IDENTITY:-}" ] || [ -z "${APPLE_INSTALLER_IDENTITY:-}" ]; }; then
    echo "build-pkg.sh: NOTARY_PROFILE needs APPLE_SIGNING_IDENTITY and" \
        "APPLE_INSTALLER_IDENTITY too (Apple notarizes only signed software)" >&2
    exit 1
fi

version="$(node -p 'require("./src-tauri/tauri.conf.json").version')"
target_dir="${CARGO_TARGET_DIR:-$repo/target}"
case "$target_dir" in
    /*) ;;
    *) target_dir="$repo/$target_dir" ;;
esac
# The CLI is built for the same oldest macOS as the app (tauri.macos.json).
export MACOSX_DEPLOYMENT_TARGET=11.0

# What this script adds to the tree is removed on the way out, as is its
# scratch folder.
work="$(mktemp -d "${TMPDIR:-/tmp}/tokentally-pkg.XXXXXX")"
created_sidecars=""
cleanup() {
    local f
    for f in $created_sidecars; do
        rm -f "$f"
    done
    rmdir src-tauri/binaries 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== the UI the app embeds (ui/dist)"
(cd ui && npm ci --no-audit --no-fund && npm run build)

echo "== the headless CLI (Contents/MacOS/tokentally in the app)"
mkdir -p src-tauri/binaries
sidecar() { # copy $1 to src-tauri/binaries/tokentally-$2, remembered for cleanup
    cp "$1" "src-tauri/binaries/tokentally-$2"
    chmod 755 "src-tauri/binaries/tokentally-$2"
    created_sidecars="$created_sidecars src-tauri/binaries/tokentally-$2"
}
if [ "$universal" -eq 1 ]; then
    need lipo "install the Xcode Command Line Tools: xcode-select --install"
    need rustup "install Rust from https://rustup.rs"
    for triple in aarch64-apple-darwin x86_64-apple-darwin; do
        if ! rustup target list --installed 2>/dev/null | grep -qx "$triple"; then
            echo "build-pkg.sh: the Rust target $triple is missing: rustup target add $triple" >&2
            exit 1
        fi
        cargo build --release --locked -p tokentally-cli --target "$triple"
        # tauri-build checks each architecture's sidecar while compiling it.
        sidecar "$target_dir/$triple/release/tokentally" "$triple"
    done
    lipo -create -output "$work/tokentally-universal" \
        "$target_dir/aarch64-apple-darwin/release/tokentally" \
        "$target_dir/x86_64-apple-darwin/release/tokentally"
    # The bundler takes the universal one.
    sidecar "$work/tokentally-universal" universal-apple-darwin
    tauri_target=(--target universal-apple-darwin)
    bundle_dir="$target_dir/universal-apple-darwin/release/bundle/macos"
    host_archs="arm64,x86_64"
else
    host="$(rustc -vV | sed -n 's/^host: //p')"
    cargo build --release --locked -p tokentally-cli
    sidecar "$target_dir/release/tokentally" "$host"
    tauri_target=()
    bundle_dir="$target_dir/release/bundle/macos"
    case "$host" in
        aarch64-*) host_archs="arm64" ;;
        *) host_archs="x86_64,arm64" ;; # an Intel build also runs under Rosetta
    esac
fi

echo "== the app (TokenTally.app)"
if [ -n "${APPLE_SIGNING_IDENTITY:-}" ]; then
    echo "   signed by Tauri as: $APPLE_SIGNING_IDENTITY (hardened runtime)"
else
    echo "   APPLE_SIGNING_IDENTITY is not set: the app is signed ad hoc below;" \
        "such a package is for testing, not for distribution"
fi
# Run from src-tauri/, where the Tauri CLI finds tauri.conf.json; the
# overlay's paths are relative to src-tauri/ like the base config's.
# --no-binary-patching: the executable is not rewritten after linking (that
# only serves the updater, which TokenTally does not use), so no signature
# is broken.
rm -rf "$bundle_dir/TokenTally.app"
(cd src-tauri && ../ui/node_modules/.bin/tauri build --ci --bundles app \
    --no-binary-patching \
    --config ../installers/macos/tauri.macos.json \
    ${tauri_target[@]+"${tauri_target[@]}"})

app="$bundle_dir/TokenTally.app"
[ -d "$app" ] || { echo "build-pkg.sh: $app was not built" >&2; exit 1; }
[ -x "$app/Contents/MacOS/tokentally-app" ] \
    || { echo "build-pkg.sh: $app has no Contents/MacOS/tokentally-app" >&2; exit 1; }
[ -x "$app/Contents/MacOS/tokentally" ] \
    || { echo "build-pkg.sh: $app has no Contents/MacOS/tokentally (the sidecar)" >&2; exit 1; }
if [ "$(/usr/libexec/PlistBuddy -c 'Print :LSUIElement' "$app/Contents/Info.plist" 2>/dev/null)" != "true" ]; then
    echo "build-pkg.sh: LSUIElement is missing from $app/Contents/Info.plist:" \
        "bundle > macOS > infoPlist in installers/macos/tauri.macos.json was not" \
        "merged (the app would show a Dock icon)" >&2
    exit 1
fi

echo "== the payload"
payload="$work/root"
mkdir -p "$payload/Applications" "$payload/Library/LaunchAgents" \
    "$payload/Library/Application Support/TokenTally"
ditto "$app" "$payload/Applications/TokenTally.app"
if [ -z "${APPLE_SIGNING_IDENTITY:-}" ]; then
    # Ad hoc: the CLI first, then the bundle (which seals it).
    codesign --force --sign - "$payload/Applications/TokenTally.app/Contents/MacOS/tokentally"
    codesign --force --sign - "$payload/Applications/TokenTally.app"
fi
codesign --verify --strict --deep "$payload/Applications/TokenTally.app"
signature="$(codesign -dv "$payload/Applications/TokenTally.app" 2>&1)"
if [ -n "${APPLE_SIGNING_IDENTITY:-}" ] && ! printf '%s\n' "$signature" | grep -q 'flags=.*runtime'; then
    echo "build-pkg.sh: the app is signed without the hardened runtime;" \
        "notarization would refuse it" >&2
    exit 1
fi
install -m 644 "$here/com.tokentally.agent.launcher.plist" "$payload/Library/LaunchAgents/"
install -m 755 "$here/uninstall.sh" "$payload/Library/Application Support/TokenTally/"
# Not loaded: there for administrators who switch a Mac to headless mode.
install -m 644 "$here/com.tokentally.agent.headless.plist" \
    "$payload/Library/Application Support/TokenTally/"
chmod 755 "$here/scripts/preinstall" "$here/scripts/postinstall"

# Installer moves a "relocatable" bundle wherever a copy with the same
# identifier was found (a build folder, say); TokenTally belongs in
# /Applications.
pkgbuild --analyze --root "$payload" "$work/component.plist"
i=0
while /usr/libexec/PlistBuddy -c "Print :$i" "$work/component.plist" >/dev/null 2>&1; do
    /usr/libexec/PlistBuddy -c "Set :$i:BundleIsRelocatable false" "$work/component.plist"
    i=$((i + 1))
done

mkdir -p "$work/packages"
pkgbuild --root "$payload" \
    --component-plist "$work/component.plist" \
    --identifier com.tokentally.agent.pkg \
    --version "$version" \
    --scripts "$here/scripts" \
    --install-location / \
    "$work/packages/TokenTally-component.pkg"

echo "== the product archive"
sed -e "s/@VERSION@/$version/g" -e "s/@HOST_ARCHITECTURES@/$host_archs/g" \
    "$here/distribution.xml" >"$work/distribution.xml"
mkdir -p dist
out="$repo/dist/TokenTally-$version.pkg"
rm -f "$out"
sign_args=()
if [ -n "${APPLE_INSTALLER_IDENTITY:-}" ]; then
    echo "   signed as: $APPLE_INSTALLER_IDENTITY"
    sign_args=(--sign "$APPLE_INSTALLER_IDENTITY" --timestamp)
else
    echo "   APPLE_INSTALLER_IDENTITY is not set: the package is unsigned"
fi
productbuild --distribution "$work/distribution.xml" \
    --package-path "$work/packages" \
    ${sign_args[@]+"${sign_args[@]}"} \
    "$out"
if [ -n "${APPLE_INSTALLER_IDENTITY:-}" ]; then
    pkgutil --check-signature "$out"
fi

if [ -n "${NOTARY_PROFILE:-}" ]; then
    echo "== notarization (profile $NOTARY_PROFILE)"
    result="$work/notary.json"
    xcrun notarytool submit "$out" --keychain-profile "$NOTARY_PROFILE" \
        --wait --output-format json | tee "$result"
    echo
    status="$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).status' "$result")"
    if [ "$status" != "Accepted" ]; then
        id="$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).id' "$result")"
        echo "build-pkg.sh: notarization ended as \"$status\"; the reasons:" \
            "xcrun notarytool log $id --keychain-profile \"$NOTARY_PROFILE\"" >&2
        exit 1
    fi
    xcrun stapler staple "$out"
    xcrun stapler validate "$out"
fi

echo "== done"
shasum -a 256 "$out"
