#!/usr/bin/env bash
# Regenerates kubectl-list.json with the real kubectl client (no cluster needed: every
# command is client-side) and prints it on stdout. The test `import cluster reads what the
# real kubectl client prints` runs this script live when kubectl is installed; the committed
# kubectl-list.json is its output. kubectl prints several objects as a stream; the List
# envelope around them is the one `kubectl get ... -o json` prints.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
k() { kubectl "$@"; }
k create deployment payment-api -n prod --image=ghcr.io/acme/payment-api:1.4 --replicas=3 \
  --dry-run=client -o json >"$tmp/1.json"
k set resources --local -f "$tmp/1.json" --limits=memory=512Mi -o json >"$tmp/2.json"
k annotate --local -f "$tmp/2.json" selfheal.io/depends-on=payments-db,session-cache -o json \
  >"$tmp/payment-api.json"
k create deployment session-cache -n prod --image=redis:7.2 --replicas=2 --dry-run=client \
  -o json >"$tmp/1.json"
k set resources --local -f "$tmp/1.json" --limits=memory=1Gi -o json >"$tmp/session-cache.json"
k create deployment email-worker -n prod --image=ghcr.io/acme/mailer:2 --dry-run=client \
  -o json >"$tmp/email-worker.json"
k create service clusterip payment-api -n prod --tcp=80:8080 --dry-run=client -o json \
  >"$tmp/svc.json"
k annotate --local -f "$here/kubectl-objects.yaml" selfheal.io/fixture=true -o json \
  >"$tmp/objects.json"
python3 - "$tmp" <<'PY'
import json, sys, pathlib
tmp = pathlib.Path(sys.argv[1])
items = []
for name in ["payment-api", "session-cache", "email-worker", "svc"]:
    items.append(json.loads((tmp / f"{name}.json").read_text()))
dec = json.JSONDecoder()
text = (tmp / "objects.json").read_text()
i = 0
while i < len(text):
    while i < len(text) and text[i].isspace():
        i += 1
    if i >= len(text):
        break
    obj, i = dec.raw_decode(text, i)
    items.append(obj)
print(json.dumps({"apiVersion": "v1", "items": items, "kind": "List",
                  "metadata": {"resourceVersion": ""}}, indent=4))
PY
