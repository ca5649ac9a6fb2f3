#!/usr/bin/env python3
"""check_rocrate.py GRAPH.json CRATE.json

Check an RO-Crate metadata file rendered by `cairn lineage --format
ro-crate` against the lineage graph it came from and the profiles it
claims: RO-Crate 1.1, Process / Workflow / Provenance Run Crate 0.5.
Exit 0 when all hold, 1 with the failures printed.
"""
import json
import sys

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def types(e):
    t = e.get("@type", [])
    return [t] if isinstance(t, str) else list(t)


def refs(v):
    if v is None:
        return []
    if isinstance(v, dict):
        v = [v]
    return [r["@id"] for r in v]


graph = json.load(open(sys.argv[1]))
crate = json.load(open(sys.argv[2]))

ctx = crate.get("@context")
ctx = [ctx] if isinstance(ctx, str) else ctx
check("https://w3id.org/ro/crate/1.1/context" in ctx, "@context lacks RO-Crate 1.1: %r" % ctx)
ids = [e["@id"] for e in crate["@graph"]]
check(len(ids) == len(set(ids)), "duplicate @id in @graph")
by = {e["@id"]: e for e in crate["@graph"]}

md = by.get("ro-crate-metadata.json", {})
check("CreativeWork" in types(md), "metadata descriptor type")
check(refs(md.get("conformsTo"))[:1] == ["https://w3id.org/ro/crate/1.1"],
      "descriptor conformsTo %r" % md.get("conformsTo"))
check(refs(md.get("about")) == ["./"], "descriptor about")

root = by.get("./", {})
check("Dataset" in types(root), "root is a Dataset")
profiles = set(refs(root.get("conformsTo")))
for p in ("process", "workflow", "provenance"):
    u = "https://w3id.org/ro/wfrun/%s/0.5" % p
    check(u in profiles, "root conformsTo lacks %s" % u)
    check("CreativeWork" in types(by.get(u, {})), "profile entity %s" % u)
check(root.get("name"), "root name")

# --- the workflow ---------------------------------------------------------
wf = by.get((refs(root.get("mainEntity")) or [None])[0], {})
for t in ("SoftwareSourceCode", "ComputationalWorkflow", "HowTo"):
    check(t in types(wf), "mainEntity lacks type %s: %r" % (t, types(wf)))

# --- one CreateAction per step ------------------------------------------
steps = {s["id"]: s for s in graph["steps"]}
file_id = {}  # (path, sha) -> @id, from the File entities' names and hashes
for e in crate["@graph"]:
    if "File" in types(e) and "sha256" in e:
        file_id[(e["name"], e["sha256"])] = e["@id"]
for f in graph["files"]:
    check((f["path"], f["sha256"]) in file_id, "no File entity for %s@%s" % (f["path"], f["sha256"][:8]))
    e = by.get(file_id.get((f["path"], f["sha256"])), {})
    if f["size"] is not None:
        check(str(e.get("contentSize")) == str(f["size"]), "contentSize of %s" % f["path"])
    check(e.get("@id") in refs(root.get("hasPart")) or e.get("@id", "").startswith("#"),
          "root hasPart lacks %s" % f["path"])

mentions = set(refs(root.get("mentions")))
organize = [e for e in crate["@graph"] if "OrganizeAction" in types(e)]
check(len(organize) == 1, "one OrganizeAction, got %d" % len(organize))
org = organize[0] if organize else {}
engine = by.get((refs(org.get("instrument")) or [None])[0], {})
check("SoftwareApplication" in types(engine) and engine.get("name") == "cairn",
      "OrganizeAction instrument is cairn: %r" % engine)
check(engine.get("version") == graph["cairn_version"], "cairn version")
run = by.get((refs(org.get("result")) or [None])[0], {})
check("CreateAction" in types(run), "OrganizeAction result is the workflow run")
check(refs(run.get("instrument")) == [wf.get("@id")], "run instrument is the workflow")
check(run.get("@id") in mentions, "root mentions the run")
target_id = file_id.get((graph["target"], graph["target_sha256"]))
check(target_id in refs(run.get("result")), "run result is the target")

controls = {refs(by[c].get("object"))[0]: by[c] for c in refs(org.get("object")) if c in by}
howtos = set(refs(wf.get("step")))
tools = set(refs(wf.get("hasPart")))
for sid, s in steps.items():
    acts = [e for e in crate["@graph"] if "CreateAction" in types(e) and e.get("identifier") == sid]
    check(len(acts) == 1, "one CreateAction for step %s, got %d" % (sid, len(acts)))
    if not acts:
        continue
    a = acts[0]
    check(a["@id"] in mentions, "root mentions step %s" % sid)
    check(a.get("startTime") == s["started"] and a.get("endTime") == s["finished"], "times of %s" % sid)
    status = refs(a.get("actionStatus"))
    want = "http://schema.org/%sActionStatus" % ("Completed" if s["exit_status"] == 0 else "Failed")
    check(status == [want], "actionStatus of %s: %r" % (sid, status))
    check(refs(a.get("agent")) and "Person" in types(by.get(refs(a.get("agent"))[0], {})),
          "agent of %s" % sid)
    tool = by.get((refs(a.get("instrument")) or [None])[0], {})
    check("SoftwareApplication" in types(tool), "instrument of %s is a SoftwareApplication" % sid)
    check(tool.get("@id") in tools, "workflow hasPart lacks the tool of %s" % sid)
    want_obj = sorted(file_id.get((e["path"], e["sha256"]), "?") for e in graph["edges"]
                      if e["step"] == sid and e["rel"] == "used")
    want_res = sorted(file_id.get((e["path"], e["sha256"]), "?") for e in graph["edges"]
                      if e["step"] == sid and e["rel"] == "generated")
    check(sorted(refs(a.get("object"))) == want_obj, "object of %s: %r vs %r" % (sid, refs(a.get("object")), want_obj))
    check(sorted(refs(a.get("result"))) == want_res, "result of %s" % sid)
    ctl = controls.get(a["@id"])
    check(ctl is not None and "ControlAction" in types(ctl), "a ControlAction for %s" % sid)
    if ctl:
        h = by.get(refs(ctl.get("instrument"))[0], {})
        check("HowToStep" in types(h) and h["@id"] in howtos, "HowToStep of %s in the workflow" % sid)
        check(refs(h.get("workExample")) == [tool.get("@id")], "HowToStep workExample of %s" % sid)

if failures:
    print("check_rocrate: %d failure(s):" % len(failures))
    for f in failures:
        print("  " + f)
    sys.exit(1)
print("check_rocrate: ok (%d entities, %d steps)" % (len(ids), len(steps)))
