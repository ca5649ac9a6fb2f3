#!/usr/bin/env python3
"""check_prov.py GRAPH.json PROV.json [COUNTS]

Load PROV.json with python3-prov and check it against the lineage graph
(`cairn lineage --format json`) it was rendered from: one entity per file
version, one activity per step, the user and cairn as agents, and every
used / wasGeneratedBy / wasDerivedFrom / wasAssociatedWith /
wasInformedBy relation the graph implies, no more, no fewer.
COUNTS ("used=6,wasGeneratedBy=4,...") pins the numbers for a fixture.
Exit 0 when all hold, 1 with the differences printed.
"""
import json
import sys
from urllib.parse import quote

import prov.model as pm
from prov.constants import PROV_TYPE, PROV_LABEL, PROV_ATTR_STARTTIME

PROV = "http://www.w3.org/ns/prov#"
CAIRN = "urn:cairn:"
FILE = "urn:cairn:file:"
STEP = "urn:cairn:step:"
AGENT = "urn:cairn:agent:"

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def uri(q):
    return q.uri if q is not None else None


def file_uri(path, sha):
    return FILE + quote(path, safe="/-._~") + "@" + (sha or "unhashed")


graph = json.load(open(sys.argv[1]))
doc = pm.ProvDocument.deserialize(content=open(sys.argv[2]).read(), format="json")
counts = dict(kv.split("=") for kv in sys.argv[3].split(",")) if len(sys.argv) > 3 else {}

steps = {s["id"]: s for s in graph["steps"]}
files = graph["files"]
used_edges = [e for e in graph["edges"] if e["rel"] == "used"]
gen_edges = [e for e in graph["edges"] if e["rel"] == "generated"]
producer_of = {(f["path"], f["sha256"]): f["producer"] for f in files}

# --- nodes ---------------------------------------------------------------
entities = {uri(r.identifier): r for r in doc.get_records(pm.ProvEntity)}
activities = {uri(r.identifier): r for r in doc.get_records(pm.ProvActivity)}
agents = {uri(r.identifier): r for r in doc.get_records(pm.ProvAgent)}

expect_entities = {file_uri(f["path"], f["sha256"]): f for f in files}
check(set(entities) == set(expect_entities),
      "entities: got %s, want %s" % (sorted(entities), sorted(expect_entities)))
for u, f in expect_entities.items():
    e = entities.get(u)
    if e is None:
        continue
    attrs = {uri(k): v for k, v in e.attributes}
    check(attrs.get(PROV + "label") == f["path"], "entity %s label" % u)
    check(attrs.get(CAIRN + "sha256") == f["sha256"], "entity %s sha256" % u)
    if f["size"] is not None:
        check(attrs.get(CAIRN + "size") == f["size"], "entity %s size" % u)
    if f.get("format"):
        check(attrs.get(CAIRN + "format") == f["format"], "entity %s format" % u)

check(set(activities) == {STEP + i for i in steps},
      "activities: got %s, want %s" % (sorted(activities), sorted(STEP + i for i in steps)))
for i, s in steps.items():
    a = activities.get(STEP + i)
    if a is None:
        continue
    check(a.get_startTime() is not None and a.get_startTime().isoformat()[:19] == s["started"][:19],
          "activity %s startTime %s vs %s" % (i, a.get_startTime(), s["started"]))
    check(a.get_endTime() is not None and a.get_endTime().isoformat()[:19] == s["finished"][:19],
          "activity %s endTime" % i)
    labels = list(a.get_attribute(PROV_LABEL))
    check(labels == [s["command"]], "activity %s label %r" % (i, labels))

cairn = [a for a in agents.values()
         if any(uri(t) == PROV + "SoftwareAgent" for t in a.get_attribute(PROV_TYPE))]
check(len(cairn) == 1, "one software agent for cairn, got %d" % len(cairn))
if cairn:
    versions = list(cairn[0].get_attribute(CAIRN + "version"))
    check(versions == [graph["cairn_version"]], "cairn agent version %r" % versions)
users = {s["start_state"]["env"].get("USER") or s["start_state"]["env"].get("LOGNAME") or "unknown"
         for s in steps.values()}
persons = [a for a in agents.values()
           if any(uri(t) == PROV + "Person" for t in a.get_attribute(PROV_TYPE))]
check(sorted(str(list(p.get_attribute(PROV_LABEL))[0]) for p in persons) == sorted(users),
      "person agents %r, want %r" % ([list(p.get_attribute(PROV_LABEL)) for p in persons], users))

# --- relations -----------------------------------------------------------
def pairs(cls, a, b):
    out = []
    for r in doc.get_records(cls):
        attrs = dict(r.formal_attributes)
        out.append((uri(attrs[a]), uri(attrs[b])))
    return sorted(out)


want_used = sorted((STEP + e["step"], file_uri(e["path"], e["sha256"])) for e in used_edges)
got_used = pairs(pm.ProvUsage, pm.PROV_ATTR_ACTIVITY, pm.PROV_ATTR_ENTITY)
check(got_used == want_used, "used: got %s\nwant %s" % (got_used, want_used))

want_gen = sorted((file_uri(e["path"], e["sha256"]), STEP + e["step"]) for e in gen_edges)
got_gen = pairs(pm.ProvGeneration, pm.PROV_ATTR_ENTITY, pm.PROV_ATTR_ACTIVITY)
check(got_gen == want_gen, "wasGeneratedBy: got %s\nwant %s" % (got_gen, want_gen))

want_der = sorted((file_uri(g["path"], g["sha256"]), file_uri(u["path"], u["sha256"]))
                  for g in gen_edges for u in used_edges if u["step"] == g["step"])
got_der = pairs(pm.ProvDerivation, pm.PROV_ATTR_GENERATED_ENTITY, pm.PROV_ATTR_USED_ENTITY)
check(got_der == want_der, "wasDerivedFrom: got %s\nwant %s" % (got_der, want_der))

want_inf = sorted({(STEP + e["step"], STEP + producer_of[(e["path"], e["sha256"])])
                   for e in used_edges
                   if producer_of.get((e["path"], e["sha256"])) in steps
                   and producer_of[(e["path"], e["sha256"])] != e["step"]})
got_inf = pairs(pm.ProvCommunication, pm.PROV_ATTR_INFORMED, pm.PROV_ATTR_INFORMANT)
check(got_inf == want_inf, "wasInformedBy: got %s\nwant %s" % (got_inf, want_inf))

assoc = pairs(pm.ProvAssociation, pm.PROV_ATTR_ACTIVITY, pm.PROV_ATTR_AGENT)
for i in steps:
    with_agents = [a for s, a in assoc if s == STEP + i]
    check(len(with_agents) == 2 and cairn and uri(cairn[0].identifier) in with_agents,
          "wasAssociatedWith for %s: %s" % (i, with_agents))

got_counts = {"used": len(got_used), "wasGeneratedBy": len(got_gen), "wasDerivedFrom": len(got_der),
              "wasInformedBy": len(got_inf), "wasAssociatedWith": len(assoc),
              "entity": len(entities), "activity": len(activities), "agent": len(agents)}
for k, v in counts.items():
    check(got_counts.get(k) == int(v), "count of %s: got %s, want %s" % (k, got_counts.get(k), v))

if failures:
    print("check_prov: %d failure(s):" % len(failures))
    for f in failures:
        print("  " + f)
    sys.exit(1)
print("check_prov: ok (%s)" % ", ".join("%s=%d" % kv for kv in sorted(got_counts.items())))
