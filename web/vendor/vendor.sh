#!/usr/bin/env bash
# Brings the dashboard's third-party files from the npm registry into web/vendor/ and records their
# versions and checksums in manifest.json (tests/web/test_static_files.py checks the files against it).
# The app has no build step, so these files are committed; run this only to change a version.
set -euo pipefail
cd "$(dirname "$0")"

PREACT=11.2.0
HTM=3.1.1
CHARTJS=4.6.1
QRCODE=2.0.4

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "preact@$PREACT" "htm@$HTM" "chart.js@$CHARTJS" "qrcode-generator@$QRCODE" >/dev/null)
for package in preact-$PREACT htm-$HTM chart.js-$CHARTJS qrcode-generator-$QRCODE; do
    mkdir -p "$work/$package" && tar -xzf "$work/$package.tgz" -C "$work/$package"
done

# Saved as .js: every server and uploader (aws s3 sync guesses from the name) types .js as JavaScript.
cp "$work/preact-$PREACT/package/dist/preact.mjs" preact.js
# hooks.mjs imports the bare specifier "preact"; without a build step or an (inline, CSP-unfriendly)
# import map the browser cannot resolve it, so it is pointed at the file beside it. No other change.
sed 's|from"preact"|from"./preact.js"|' "$work/preact-$PREACT/package/hooks/dist/hooks.mjs" > hooks.js
grep -q 'from"./preact.js"' hooks.js
cp "$work/htm-$HTM/package/dist/htm.mjs" htm.js
cp "$work/chart.js-$CHARTJS/package/dist/chart.umd.min.js" chart.umd.min.js
# The ES module build and its optional UTF-8 encoder (which imports nothing).
cp "$work/qrcode-generator-$QRCODE/package/dist/qrcode.mjs" qrcode.js
cp "$work/qrcode-generator-$QRCODE/package/dist/qrcode_UTF8.mjs" qrcode-utf8.js
{
    printf '%s\n\n' "Licences of the files in web/vendor/ (copied from their npm packages)."
    for package in preact-$PREACT htm-$HTM chart.js-$CHARTJS; do
        printf '== %s ==\n' "$package"
        cat "$work/$package/package/LICENSE"*
        printf '\n'
    done
    # qrcode-generator ships no LICENSE file: its licence is the notice at the top of its source.
    printf '== qrcode-generator-%s ==\nMIT: the package has no LICENSE file; its notice, from dist/qrcode.mjs:\n\n' "$QRCODE"
    sed -n '1,16p' "$work/qrcode-generator-$QRCODE/package/dist/qrcode.mjs"
    printf '\nThe MIT licence that notice names, with its copyright line:\n\n'
    cat <<'MIT'
Copyright (c) 2009 Kazuhiko Arase

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction, including
without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is furnished to do so, subject to the
following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial
portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT
LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO
EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER
IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR
THE USE OR OTHER DEALINGS IN THE SOFTWARE.
MIT
} > LICENSES.txt

python3 - "$PREACT" "$HTM" "$CHARTJS" "$QRCODE" <<'PY'
import hashlib, json, sys
from pathlib import Path
preact, htm, chartjs, qrcode = sys.argv[1:]
files = {
    "preact.js": ("preact", preact, "dist/preact.mjs"),
    "hooks.js": ("preact", preact, "hooks/dist/hooks.mjs (bare import made relative)"),
    "htm.js": ("htm", htm, "dist/htm.mjs"),
    "chart.umd.min.js": ("chart.js", chartjs, "dist/chart.umd.min.js"),
    "qrcode.js": ("qrcode-generator", qrcode, "dist/qrcode.mjs"),
    "qrcode-utf8.js": ("qrcode-generator", qrcode, "dist/qrcode_UTF8.mjs"),
}
manifest = {
    name: {"package": package, "version": version, "from": source,
           "sha256": hashlib.sha256(Path(name).read_bytes()).hexdigest()}
    for name, (package, version, source) in files.items()
}
Path("manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
PY
echo "vendored: preact $PREACT, htm $HTM, chart.js $CHARTJS, qrcode-generator $QRCODE"
