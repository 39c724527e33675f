#!/usr/bin/env python3
"""One JSON-lines record of a sweep script: the example's JSON line with the command that made it,
the commit, the machine and the date added (the fields every record in results/ carries).

Usage: scripts/record.py LINE COMMAND COMMIT   (prints the record on one line)
"""
import datetime
import json
import platform
import sys

line, command, commit = sys.argv[1:]
rec = json.loads(line)
rec["command"] = command
rec["commit"] = commit
rec["machine"] = platform.node()
rec["date"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
print(json.dumps(rec))
