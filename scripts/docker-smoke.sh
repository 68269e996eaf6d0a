#!/usr/bin/env bash
# Docker image smoke test: builds the image with buildah and runs the connector inside it against
# the loopback fake Pardot. Not part of `npm test` or CI: it needs root, buildah and mmdebstrap
# (apt-get install -y podman buildah mmdebstrap), Debian's package mirror and the npm registry.
#
# The base is made locally (public images cannot be pulled everywhere): a minimal Debian root file
# system (mmdebstrap) with Debian's own nodejs and npm from SUITE (default sid, whose nodejs is 24;
# bookworm has 18, trixie 20), imported as localhost/node-base and passed to the Dockerfile as BASE.
#
# Runs, inside the image: spec, check, discover and read (Airbyte), and --discover and a sync
# (Singer), comparing spec and discover with the local executable's output.
# Exits non-zero on any failure; prints every command it runs. Removes its storage ($WORK) at the
# end, on success or failure, unless SMOKE_KEEP=1 (then a rerun reuses the base image).
#
#   sudo scripts/docker-smoke.sh            # SMOKE_WORK=dir, SMOKE_SUITE=suite, SMOKE_KEEP=1
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
WORK=${SMOKE_WORK:-/tmp/source-pardot-export-smoke}
SUITE=${SMOKE_SUITE:-sid}
BASE_IMAGE=localhost/node-base
IMAGE=localhost/source-pardot-export:dev
BUILDAH=(buildah --storage-driver vfs --root "$WORK/storage" --runroot "$WORK/run")
BIN=/app/bin/source-pardot-export

step() { printf '\n=== %s\n' "$*"; }
run() { printf '+ %s\n' "$*" >&2; "$@"; }
fail() { printf 'SMOKE FAILED: %s\n' "$*" >&2; exit 1; }

for tool in buildah mmdebstrap node npm; do command -v "$tool" >/dev/null || fail "$tool is not installed"; done
[ "$(id -u)" = 0 ] || fail "run as root (mmdebstrap and buildah's vfs storage need it)"
mkdir -p "$WORK/io"

FAKE_PID=
CTRS=()
cleanup() {
  [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null || true
  for c in "${CTRS[@]}"; do "${BUILDAH[@]}" rm "$c" >/dev/null 2>&1 || true; done
  if [ "${SMOKE_KEEP:-}" != 1 ]; then
    "${BUILDAH[@]}" rmi --all --force >/dev/null 2>&1 || true
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

step "1. Local Node base image ($BASE_IMAGE: Debian $SUITE with its nodejs and npm)"
if "${BUILDAH[@]}" inspect --type image "$BASE_IMAGE" >/dev/null 2>&1; then
  echo "already built in $WORK/storage (delete $WORK to rebuild)"
else
  rm -f "$WORK/rootfs.tar"
  # A machine that reaches the npm registry through a TLS-inspecting proxy trusts that proxy's CA
  # (/usr/local/share/ca-certificates); the base gets the same trust store, so that the build
  # stage's `npm ci` works there too. Elsewhere nothing is copied.
  CA_HOOKS=()
  if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    echo "host CA certificates copied into the base: $(ls /usr/local/share/ca-certificates/*.crt | tr '\n' ' ')"
    CA_HOOKS=(
      --customize-hook='mkdir -p "$1/usr/local/share/ca-certificates" "$1/etc"'
      --customize-hook='cp /usr/local/share/ca-certificates/*.crt "$1/usr/local/share/ca-certificates/"'
      --customize-hook='chroot "$1" update-ca-certificates'
      --customize-hook='echo cafile=/etc/ssl/certs/ca-certificates.crt >"$1/etc/npmrc"'
    )
  fi
  # Check-Valid-Until off: a mirror serving a dated snapshot of the archive has Release files whose
  # validity has run out. The last hooks fail the build when node or npm cannot run in the new root.
  run mmdebstrap --variant=minbase --include=ca-certificates,nodejs,npm \
    --aptopt='Acquire::Check-Valid-Until "false"' \
    "${CA_HOOKS[@]}" \
    --customize-hook='chroot "$1" node --version' \
    --customize-hook='chroot "$1" npm --version' \
    --customize-hook='rm -rf "$1/var/cache/apt/archives/"*.deb "$1/var/lib/apt/lists/"*' \
    "$SUITE" "$WORK/rootfs.tar"
  ctr=$(run "${BUILDAH[@]}" from scratch)
  CTRS+=("$ctr")
  run "${BUILDAH[@]}" add "$ctr" "$WORK/rootfs.tar" /
  run "${BUILDAH[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd node "$ctr"
  run "${BUILDAH[@]}" commit --quiet "$ctr" "$BASE_IMAGE"
  rm -f "$WORK/rootfs.tar"
fi
bctr=$("${BUILDAH[@]}" from --quiet "$BASE_IMAGE")
CTRS+=("$bctr")
NODE_IN_BASE=$("${BUILDAH[@]}" run --isolation chroot "$bctr" -- node --version)
echo "node in the base: $NODE_IN_BASE"
[[ "$NODE_IN_BASE" =~ ^v(2[2-9]|[3-9][0-9])\. ]] || fail "the base's node is $NODE_IN_BASE, not 22 or later"

step "2. Build the image with the Dockerfile (BASE=$BASE_IMAGE)"
VERSION=$(node -p 'require("./package.json").version')
run "${BUILDAH[@]}" bud --isolation chroot --layers --build-arg BASE="$BASE_IMAGE" --build-arg VERSION="$VERSION" -t "$IMAGE" .
run "${BUILDAH[@]}" inspect --type image --format \
  'entrypoint={{.OCIv1.Config.Entrypoint}} user={{.OCIv1.Config.User}} labels={{.OCIv1.Config.Labels}} env={{.OCIv1.Config.Env}}' "$IMAGE"
LABELS=$("${BUILDAH[@]}" inspect --type image --format '{{.OCIv1.Config.Labels}}' "$IMAGE")
[[ "$LABELS" == *'io.airbyte.name:source-pardot-export'* && "$LABELS" == *"io.airbyte.version:$VERSION"* ]] || fail "Airbyte labels missing"
ENVS=$("${BUILDAH[@]}" inspect --type image --format '{{.OCIv1.Config.Env}}' "$IMAGE")
[[ "$ENVS" == *'AIRBYTE_ENTRYPOINT=/app/bin/source-pardot-export'* ]] || fail "AIRBYTE_ENTRYPOINT missing"
[ "$("${BUILDAH[@]}" inspect --type image --format '{{.OCIv1.Config.User}}' "$IMAGE")" = 1000:1000 ] || fail "image does not run as 1000:1000"
ctr=$(run "${BUILDAH[@]}" from --quiet "$IMAGE")
CTRS+=("$ctr")
inside() { run "${BUILDAH[@]}" run --isolation chroot "$ctr" -- "$BIN" "$@"; }
NODE_MODULES=$("${BUILDAH[@]}" run --isolation chroot "$ctr" -- sh -c 'ls /app/node_modules | tr "\n" " "')
echo "node_modules in the image: $NODE_MODULES"
"${BUILDAH[@]}" run --isolation chroot "$ctr" -- test -s /app/README.md || fail "README.md is not in the image"
DEV_DEPS=$(node -p 'Object.keys(require("./package.json").devDependencies).join(" ")')
for dev in $DEV_DEPS; do
  [[ " $NODE_MODULES " != *" $dev "* && " $NODE_MODULES " != *" ${dev%%/*} "* ]] || fail "dev dependency $dev (or its scope) is in the image"
done
echo "no dev dependency in the image ($DEV_DEPS)"

step "3. Local build and the fake Pardot on the host's loopback"
run npm run build --silent
node dist/scripts/fake-server.js --years 1 >"$WORK/io/config.json" &
FAKE_PID=$!
for _ in $(seq 50); do [ -s "$WORK/io/config.json" ] && break; sleep 0.2; done
[ -s "$WORK/io/config.json" ] || fail "the fake did not start"
echo "fake config: $(cat "$WORK/io/config.json")"
cp catalog.sample.json "$WORK/io/catalog.json"
./bin/source-pardot-export --config "$WORK/io/config.json" --discover >"$WORK/io/singer-catalog.json"

run "${BUILDAH[@]}" copy --chown 1000:1000 "$ctr" "$WORK/io" /io >/dev/null

step "4. spec, check, discover inside the image (compared with the local executable)"
inside spec >"$WORK/spec.image.jsonl"
./bin/source-pardot-export spec >"$WORK/spec.local.jsonl"
cmp "$WORK/spec.image.jsonl" "$WORK/spec.local.jsonl" || fail "spec differs from the local executable's"
echo "spec: $(head -c 120 "$WORK/spec.image.jsonl")... identical to local"
inside check --config /io/config.json | tee "$WORK/check.jsonl"
grep -q '"status":"SUCCEEDED"' "$WORK/check.jsonl" || fail "check did not succeed"
inside discover --config /io/config.json >"$WORK/discover.image.jsonl"
./bin/source-pardot-export discover --config "$WORK/io/config.json" >"$WORK/discover.local.jsonl"
cmp "$WORK/discover.image.jsonl" "$WORK/discover.local.jsonl" || fail "discover differs from the local executable's"
echo "discover: identical to local ($(wc -c <"$WORK/discover.image.jsonl") bytes)"

step "5. read (Airbyte) inside the image"
inside read --config /io/config.json --catalog /io/catalog.json >"$WORK/read.jsonl" || fail "read exited $?"
node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
const count = (t) => lines.filter((m) => m.type === t).length;
const per = {};
for (const m of lines) if (m.type === "RECORD") per[m.record.stream] = (per[m.record.stream] || 0) + 1;
const err = lines.find((m) => m.type === "TRACE" && m.trace.type === "ERROR");
if (err) { console.error("TRACE ERROR:", err.trace.error.message); process.exit(1); }
const summary = lines.filter((m) => m.type === "LOG" && m.log.message.startsWith("Sync summary")).map((m) => m.log.message);
console.log(`read: ${lines.length} messages, ${count("RECORD")} RECORD, ${count("STATE")} STATE; per stream ${JSON.stringify(per)}`);
console.log(summary.join("\n"));
// Every stream of the catalog has rows in the sample fake (scripts/sample-fake.ts).
const wanted = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8")).streams.map((s) => s.stream.name);
if (wanted.some((n) => !per[n]) || Object.keys(per).length !== wanted.length) process.exit(1);
' "$WORK/read.jsonl" "$WORK/io/catalog.json" || fail "read output is wrong"

step "6. Singer sync inside the image"
inside --config /io/config.json --catalog /io/singer-catalog.json >"$WORK/singer.jsonl" 2>"$WORK/singer.stderr" || { cat "$WORK/singer.stderr"; fail "singer sync failed"; }
tail -n 9 "$WORK/singer.stderr"
node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
const n = (t) => lines.filter((m) => m.type === t).length;
const last = lines.at(-1);
console.log(`singer: ${n("SCHEMA")} SCHEMA, ${n("RECORD")} RECORD, ${n("STATE")} STATE; last line ${last.type} with bookmarks for ${Object.keys(last.value.bookmarks).join(", ")}`);
const streams = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8")).streams.length;
if (last.type !== "STATE" || n("SCHEMA") !== streams || n("RECORD") === 0) process.exit(1);
' "$WORK/singer.jsonl" "$WORK/io/singer-catalog.json" || fail "singer output is wrong"

step "SMOKE OK: $IMAGE (node $NODE_IN_BASE) runs spec, check, discover, read and a Singer sync like the local executable"
