#!/usr/bin/env python3
"""One-line summary of a ctest run, from its JUnit file (ctest --output-junit).

usage: summary.py JUNIT.xml SECONDS

Prints `cairn tests: N passed, N failed, N not run in MmSs`, then one line
per failed test, and one line per test that skipped a part or checked a
weaker guarantee because the machine lacks a feature (it printed a line
containing "skipping", "checking only" or "checked only"), with that line.
"""
import re
import sys
import xml.etree.ElementTree as ET

NOTE = re.compile(r"\b(skipping|skipped|checking only|checked only)\b")


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        root = ET.parse(sys.argv[1]).getroot()
    except (OSError, ET.ParseError) as e:
        print(f"cairn tests: no results to summarise ({e})")
        return 1
    secs = int(float(sys.argv[2]))
    passed, failed, notrun, notes = 0, [], [], []
    for tc in root.iter("testcase"):
        name, status = tc.get("name"), tc.get("status", "run")
        out = (tc.findtext("system-out") or "")
        if tc.find("failure") is not None or status == "fail":
            failed.append(name)
        elif status in ("notrun", "disabled") or tc.find("skipped") is not None:
            notrun.append(name)
        else:
            passed += 1
        seen = set()
        for line in out.splitlines():
            line = line.strip()
            if NOTE.search(line) and line not in seen:
                seen.add(line)
                notes.append((name, line))
    print(f"cairn tests: {passed} passed, {len(failed)} failed, "
          f"{len(notrun)} not run, in {secs // 60}m{secs % 60:02d}s"
          + (f"; {len(notes)} part(s) skipped or checked a weaker guarantee"
             if notes else ""))
    for name in failed:
        print(f"  failed:  {name}")
    for name in notrun:
        print(f"  not run: {name}")
    for name, line in notes:
        print(f"  note:    {name}: {line[:200]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
