#!/usr/bin/env python3
"""Puts the qemu guests' many-fds figures (ManyEmulatedFdsTest) into docs/benchmarks.md.

usage: vm/benchdocs.py GUEST_LOG... DOC [--write]
Reads the MANYFDS-RESULT lines of the logs; with --write replaces the generated section of DOC
(appending it if missing), else prints the table. The figures are timings under qemu's software
emulation, so they are never checked against the published ones; rerun with bin/vm-test --write-docs."""
import re
import shlex
import sys

from docsection import write_section

args = [a for a in sys.argv[1:] if a != "--write"]
write = "--write" in sys.argv[1:]
logs, doc = args[:-1], args[-1]
rows = []
for log in logs:
    diag = {}
    for line in open(log, errors="replace"):
        m = re.search(r"MANYFDS-DIAG /proc/net/sockstat: TCP: .*\bmem (\d+)", line)
        if m:
            diag["tcp_pages"] = int(m.group(1))
        m = re.search(r"MANYFDS-DIAG /proc/sys/net/ipv4/tcp_mem: (\d+)\s+(\d+)\s+(\d+)", line)
        if m:
            diag["tcp_mem"] = [int(x) for x in m.groups()]
        m = re.search(r"MANYFDS-DIAG /proc/net/sockstat: TCP: inuse (\d+)", line)
        if m:
            diag["tcp_inuse"] = int(m.group(1))
        at = line.find("MANYFDS-RESULT ")
        if at < 0:
            continue
        fields = {}
        for tok in shlex.split(line[at + len("MANYFDS-RESULT "):].strip()):
            k, _, v = tok.partition("=")
            fields[k] = v
        if fields.get("stopped", "no") != "no" and "tcp_pages" in diag and "tcp_mem" in diag:
            low, pressure, high = diag["tcp_mem"]
            pages = diag["tcp_pages"]
            state = ("above the pressure threshold: TCP memory pressure" if pages > pressure
                     else "below the pressure threshold")
            fields["stopped"] += (f"; kernel then: {diag.get('tcp_inuse', '?')} TCP sockets holding {pages:,} pages of "
                                  f"TCP memory ({pages * 4 // max(1, int(fields['created'])):,} KiB per fd), tcp_mem "
                                  f"{low} {pressure} {high}: {state}")
        diag = {}
        rows.append(fields)
if not rows:
    sys.exit(f"vm/benchdocs.py: no MANYFDS-RESULT lines in {' '.join(logs)}")


def num(v, fmt):
    try:
        return format(float(v), fmt)
    except ValueError:
        return v


table = ["| kernel | fds asked | created and registered | create + register (µs per fd) | fan-out (events/s) "
         "| close (µs per fd) | stopped by |", "|---|---:|---:|---:|---:|---:|---|"]
for r in rows:
    stopped = r.get("stopped", "no")
    table.append(f"| Linux {r.get('kernel', '?')} ({r.get('cpus', '?')} vCPUs) | {int(r['fds']):,} | {int(r['created']):,} "
                 f"| {num(r['create_us'], '.1f')} | {num(r['fanout_evps'], ',.0f')} | {num(r['close_us'], '.1f')} "
                 f"| {'— (all created)' if stopped == 'no' else stopped.replace('|', '/')} |")
begin = "<!-- BEGIN GENERATED: many emulated fds (bin/vm-test --write-docs) -->"
body = ("Measured by `ManyEmulatedFdsTest` in the qemu guest of `vm/eventfd-guest.sh` (software emulation, "
        "`-XX:TieredStopAtLevel=1`, open-file limit 400,000): emulated vpoll fds created with "
        "`Backend.EMULATION` and registered edge-triggered with one `EpollSet`; the fan-out raises IN on "
        "every fd, collects every one with epoll_wait, and clears IN on every fd (events per second over the "
        "whole round); then every fd is closed. Times under tcg are many times the native ones: compare "
        "rows, not absolute values. Regenerate with `bin/vm-test --write-docs`.\n\n" + "\n".join(table) + "\n")
print(body)
if not write:
    sys.exit(0)
write_section(doc, "Many emulated fds in one process (qemu guest)", begin, body)
print(f"vm/benchdocs.py: wrote the many-fds figures to {doc}")
