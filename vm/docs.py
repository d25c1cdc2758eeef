#!/usr/bin/env python3
"""Puts a guest's measured fidelity table into docs/fidelity.md, or checks it is there.

usage: vm/docs.py BACKEND GUEST_LOG DOC [--write]
The table comes from the VM-FIDELITY lines the guest printed (KernelFidelityTest)."""
import re
import sys

backend, log, doc = sys.argv[1:4]
write = "--write" in sys.argv[4:]
kernel, rows = "", []
for line in open(log, errors="replace"):
    m = re.search(r"VM-FIDELITY-KERNEL (.*)", line)
    if m:
        kernel = m.group(1).strip()
    m = re.search(r"VM-FIDELITY (\|.*)", line)
    if m:
        rows.append(m.group(1).rstrip())
if not rows:
    sys.exit(f"vm/docs.py: no VM-FIDELITY lines in {log}")
begin = f"<!-- BEGIN GENERATED: {backend} fidelity table (bin/vm-test --write-docs) -->"
end = "<!-- END GENERATED -->"
text = open(doc).read()
table = "\n".join(rows) + "\n"
measured = f"Measured by `KernelFidelityTest` in the qemu guest on {kernel}.\n\n"
if begin not in text:
    text = text.rstrip("\n") + f"\n\n## {backend} backend\n\n{begin}\n{end}\n"
b = text.index(begin)
e = text.index(end, b)
published = text[b + len(begin):e]
if write:
    text = text[:b + len(begin)] + "\n" + measured + table + text[e:]
    open(doc, "w").write(text)
    print(f"vm/docs.py: wrote the {backend} table ({kernel}) to {doc}")
elif table not in published:
    sys.exit(f"vm/docs.py: {doc} lacks this run's {backend} table: run bin/vm-test --write-docs and commit")
else:
    print(f"vm/docs.py: {doc} has this run's {backend} table")
