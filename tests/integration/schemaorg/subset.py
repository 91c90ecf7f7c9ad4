#!/usr/bin/env python3
"""Writes vocabulary.json, the part of the schema.org vocabulary this site's
structured data uses, from the typings in npm's schema-dts (Google's
schema.org declarations, generated from schema.org's own release files):

    cd /tmp && npm pack schema-dts@1.1.5 && tar xzf schema-dts-1.1.5.tgz
    python3 tests/integration/schemaorg/subset.py /tmp/package/dist/schema.d.ts

The tests read only vocabulary.json (no network at test time); this script
is how it was made and how to extend it: add a type to TYPES (its ancestors
come along) and run it again. The required properties are Google's, typed in
REQUIRED below with the page that says so.
"""
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA_DTS = "schema-dts@1.1.5"

# The types the site writes, and the types their values may take.
TYPES = ["MedicalClinic", "PostalAddress", "OpeningHoursSpecification", "MedicalTherapy",
         "MedicalWebPage", "Person", "BreadcrumbList", "ListItem", "FAQPage", "Question",
         "Answer", "Organization", "Thing"]
DATATYPES = ["Text", "URL", "Integer", "Number", "Time", "Date", "DateTime", "Boolean"]
ENUMERATIONS = ["DayOfWeek"]

GOOGLE = "https://developers.google.com/search/docs/appearance/structured-data/"
# "top": the rule is for the item a block describes (a rich result's item),
# not for a reference to it from another item (a Person's worksFor);
# "everywhere": for every part of that kind (each ListItem of a trail).
REQUIRED = {
    "MedicalClinic": {"properties": ["name", "address"], "applies": "top",
                      "source": GOOGLE + "local-business (LocalBusiness: required)"},
    "OpeningHoursSpecification": {
        "properties": ["dayOfWeek", "opens", "closes"], "applies": "everywhere",
        "source": GOOGLE + "local-business (openingHoursSpecification: each needs them)"},
    "BreadcrumbList": {"properties": ["itemListElement"], "applies": "top", "source": GOOGLE + "breadcrumb"},
    "ListItem": {"properties": ["position", "name", "item"], "applies": "everywhere",
                 "source": GOOGLE + "breadcrumb (item may be left out of the last)"},
    "FAQPage": {"properties": ["mainEntity"], "applies": "top", "source": GOOGLE + "faqpage"},
    "Question": {"properties": ["name", "acceptedAnswer"], "applies": "everywhere",
                 "source": GOOGLE + "faqpage"},
    "Answer": {"properties": ["text"], "applies": "everywhere", "source": GOOGLE + "faqpage"},
    "Person": {"properties": ["name", "jobTitle"], "applies": "top",
               "source": GOOGLE + "profile-page (Person: name); jobTitle: this site's own "
                                  "rule (issue 16: a team page says what the person does)"},
    "MedicalWebPage": {"properties": ["name", "about"], "applies": "top",
                       "source": "no Google feature; this site's own rule: a therapy page "
                                 "names what it is about"},
    "MedicalTherapy": {"properties": ["name"], "applies": "everywhere", "source": "this site's own rule"},
}


def parse(text):
    """{Name: {"parents": [...], "properties": {prop: [range types]}}} from the d.ts."""
    types = {}
    for m in re.finditer(r"^interface (\w+?)(Base|Leaf) extends ([\w, <>]+?) \{\n(.*?)^\}",
                         text, re.M | re.S):
        name, kind, parents, body = m.group(1), m.group(2), m.group(3), m.group(4)
        entry = types.setdefault(name, {"parents": [], "properties": {}})
        bases = [p.strip()[:-4] for p in parents.split(",") if p.strip().endswith("Base")]
        if kind == "Base" or not entry["parents"]:
            entry["parents"] = [b for b in bases if b != name] or entry["parents"]
        for prop in re.finditer(r'^\s+"(\w+)"\?: SchemaValue<(.+?), "\1">;', body, re.M):
            ranges = [r.strip() for r in prop.group(2).split("|")]
            entry["properties"][prop.group(1)] = [r for r in ranges if r != "IdReference"]
    enums = {}
    for name in ENUMERATIONS:
        m = re.search(r"^export type %s = (.*);$" % name, text, re.M)
        enums[name] = sorted({v for v in re.findall(r'"([A-Za-z]+)"', m.group(1))})
    return types, enums


def main():
    with open(sys.argv[1]) as f:
        types, enums = parse(f.read())
    wanted, todo = {}, list(TYPES)
    while todo:
        name = todo.pop()
        if name in wanted or name not in types:
            continue
        wanted[name] = types[name]
        todo.extend(types[name]["parents"])
    # Only the properties each type defines itself; a type has those of its
    # ancestors too.
    out = {
        "source": "schema.org vocabulary as declared by npm %s (schema.org's release "
                  "files), cut to the types the site uses and their ancestors by "
                  "tests/integration/schemaorg/subset.py; required properties from "
                  "Google Search Central's structured data pages, each cited" % SCHEMA_DTS,
        "datatypes": DATATYPES,
        "enumerations": enums,
        "types": {name: wanted[name] for name in sorted(wanted)},
        "required": REQUIRED,
    }
    with open(os.path.join(HERE, "vocabulary.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=False)
        f.write("\n")
    print("%d types, %d properties" % (len(wanted), sum(len(t["properties"])
                                                       for t in wanted.values())))


if __name__ == "__main__":
    main()
