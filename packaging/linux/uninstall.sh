#!/bin/sh
# Remove what install.sh put in place: the program (~/.local/share/ocr-desk/app),
# its symlinks, launcher entry and icons. Receipts, settings and the local server's
# data (the rest of ~/.local/share/ocr-desk, or --data-dir) are kept: delete that
# folder yourself if you want them gone too.
set -eu

data_home=${XDG_DATA_HOME:-$HOME/.local/share}
bin_dir=${PREFIX_BIN:-$HOME/.local/bin}
target=$data_home/ocr-desk/app

for program in ocr-desk ocr-desk-server; do
    link=$bin_dir/$program
    # Only our own symlinks: never a program of the same name installed otherwise.
    if [ -L "$link" ] && [ "$(readlink "$link")" = "$target/$program" ]; then
        rm -f "$link"
    fi
done
rm -f "$data_home/applications/ocr-desk.desktop"
for icon in "$data_home"/icons/hicolor/*/apps/ocr-desk.png "$data_home"/icons/hicolor/scalable/apps/ocr-desk.svg; do
    [ -e "$icon" ] && rm -f "$icon"
done
if [ -d "$target" ] && [ -x "$target/ocr-desk" ]; then
    rm -rf "$target"
fi
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$data_home/applications" || true
echo "OCR Desk removed. Your receipts and settings were kept in $data_home/ocr-desk."
