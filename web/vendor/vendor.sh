#!/usr/bin/env bash
# Brings the dashboard's third-party files from the npm registry into web/vendor/ and records their
# versions and checksums in manifest.json (tests/web/test_static_files.py checks the files against it).
# The app has no build step, so these files are committed; run this only to change a version.
set -euo pipefail
cd "$(dirname "$0")"

PREACT=11.2.0
HTM=3.1.1
CHARTJS=4.6.1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "preact@$PREACT" "htm@$HTM" "chart.js@$CHARTJS" >/dev/null)
for package in preact-$PREACT htm-$HTM chart.js-$CHARTJS; do
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
{
    printf '%s\n\n' "Licences of the files in web/vendor/ (copied from their npm packages)."
    for package in preact-$PREACT htm-$HTM chart.js-$CHARTJS; do
        printf '== %s ==\n' "$package"
        cat "$work/$package/package/LICENSE"* 
        printf '\n'
    done
} > LICENSES.txt

python3 - "$PREACT" "$HTM" "$CHARTJS" <<'PY'
import hashlib, json, sys
from pathlib import Path
preact, htm, chartjs = sys.argv[1:]
files = {
    "preact.js": ("preact", preact, "dist/preact.mjs"),
    "hooks.js": ("preact", preact, "hooks/dist/hooks.mjs (bare import made relative)"),
    "htm.js": ("htm", htm, "dist/htm.mjs"),
    "chart.umd.min.js": ("chart.js", chartjs, "dist/chart.umd.min.js"),
}
manifest = {
    name: {"package": package, "version": version, "from": source,
           "sha256": hashlib.sha256(Path(name).read_bytes()).hexdigest()}
    for name, (package, version, source) in files.items()
}
Path("manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
PY
echo "vendored: preact $PREACT, htm $HTM, chart.js $CHARTJS"
