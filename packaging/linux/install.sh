#!/bin/sh
# Install OCR Desk for the current user (no root, no system Python needed):
#   ~/.local/share/ocr-desk/app/     the program folder (replaced on upgrade)
#   ~/.local/bin/ocr-desk            symlink, and ocr-desk-server when bundled
#   ~/.local/share/applications/ocr-desk.desktop   the launcher entry
#   ~/.local/share/icons/hicolor/*/apps/ocr-desk.*  its icon
# ~/.local/share/ocr-desk/ itself is also the app's default data folder (database,
# images, settings, the local server's data): the program goes in its app/
# subfolder so that installing, upgrading and uninstalling never touch your data.
# Honours XDG_DATA_HOME; set PREFIX_BIN to put the symlinks somewhere else.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
data_home=${XDG_DATA_HOME:-$HOME/.local/share}
bin_dir=${PREFIX_BIN:-$HOME/.local/bin}
home_dir=$data_home/ocr-desk
target=$home_dir/app
apps=$data_home/applications
icons=$data_home/icons/hicolor

if [ ! -x "$here/app/ocr-desk" ]; then
    echo "error: $here/app/ocr-desk is missing; unpack the whole tarball and run install.sh from it" >&2
    exit 1
fi

mkdir -p "$home_dir" "$bin_dir" "$apps"
# Copy next to the target first, then swap: a failed copy leaves the old install working.
staging=$(mktemp -d "$home_dir/.install.XXXXXX")
trap 'rm -rf "$staging"' EXIT
cp -R "$here/app" "$staging/app"
cp "$here/uninstall.sh" "$staging/app/uninstall.sh"
if [ -e "$target" ]; then
    mv "$target" "$staging/old"
fi
mv "$staging/app" "$target"

for program in ocr-desk ocr-desk-server; do
    if [ -x "$target/$program" ]; then
        ln -sfn "$target/$program" "$bin_dir/$program"
    fi
done

for png in "$here"/icons/ocr-desk-*.png; do
    size=$(basename "$png" .png)
    size=${size#ocr-desk-}
    mkdir -p "$icons/${size}x${size}/apps"
    cp "$png" "$icons/${size}x${size}/apps/ocr-desk.png"
done
mkdir -p "$icons/scalable/apps"
cp "$here/icons/ocr-desk.svg" "$icons/scalable/apps/ocr-desk.svg"

# Exec with the absolute path: ~/.local/bin is not on every desktop session's PATH.
sed -e "s|^Exec=.*|Exec=\"$target/ocr-desk\"|" -e "s|^TryExec=.*|TryExec=$target/ocr-desk|" \
    "$here/ocr-desk.desktop" > "$apps/ocr-desk.desktop"
chmod 644 "$apps/ocr-desk.desktop"

command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$apps" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$icons" || true

echo "OCR Desk $("$target/ocr-desk" --version | sed 's/^ocr-desk //') installed in $target"
case ":$PATH:" in
    *":$bin_dir:"*) echo "Run it from the applications menu or with: ocr-desk" ;;
    *) echo "Run it from the applications menu, or add $bin_dir to PATH to type: ocr-desk" ;;
esac
echo "Uninstall with: $target/uninstall.sh"
