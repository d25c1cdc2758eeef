"""Writes one generated section of a Markdown page (shared by vm/benchdocs.py and vm/batchdocs.py).

The section lives between BEGIN (a "<!-- BEGIN GENERATED: ... -->" line) and the next
"<!-- END GENERATED -->"; a page without it gets it under TITLE, before "## Reading the verdicts"
(or at the end)."""

END = "<!-- END GENERATED -->"


def write_section(doc, title, begin, body):
    text = open(doc).read()
    if begin not in text:
        section = f"\n## {title}\n\n{begin}\n{END}\n"
        marker = "\n## Reading the verdicts"
        text = text.replace(marker, section + marker, 1) if marker in text else text.rstrip("\n") + "\n" + section
    b = text.index(begin)
    e = text.index(END, b)
    open(doc, "w").write(text[:b + len(begin)] + "\n" + body + text[e:])
