#!/usr/bin/env python3
"""Prints deb-src entries (deb822) for every `deb` archive this machine's apt is configured
with, so setup never names an archive host of its own. Reads /etc/apt/sources.list and
/etc/apt/sources.list.d/*.{list,sources}; skips disabled files."""
import glob
import sys

entries = []  # (uri, suites, components, signed_by)


def deb822(path):
    text = open(path).read()
    for stanza in text.split("\n\n"):
        fields = {}
        key = None
        for line in stanza.splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if line[0].isspace() and key:
                fields[key] += " " + line.strip()
                continue
            key, _, value = line.partition(":")
            key = key.strip().lower()
            fields[key] = value.strip()
        if "deb" not in fields.get("types", "").split():
            continue
        if fields.get("enabled", "yes").lower() == "no":
            continue
        for uri in fields.get("uris", "").split():
            entries.append((uri, fields.get("suites", ""), fields.get("components", ""),
                            fields.get("signed-by", "")))


def one_line(path):
    for line in open(path):
        words = line.split("#", 1)[0].split()
        if not words or words[0] != "deb":
            continue
        words = words[1:]
        signed_by = ""
        if words and words[0].startswith("["):
            options = []
            while words:
                word = words.pop(0)
                options.append(word)
                if word.endswith("]"):
                    break
            for option in " ".join(options).strip("[]").split():
                if option.startswith("signed-by="):
                    signed_by = option.split("=", 1)[1]
        if len(words) >= 2:
            entries.append((words[0], words[1], " ".join(words[2:]), signed_by))


for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
    try:
        one_line(path)
    except FileNotFoundError:
        pass
for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    if path.endswith("muslbuild-src.sources"):
        continue
    deb822(path)

if not entries:
    sys.exit("deb-src-entries: no `deb` entry in this machine's apt sources")
for uri, suites, components, signed_by in entries:
    print("Types: deb-src")
    print(f"URIs: {uri}")
    print(f"Suites: {suites}")
    print(f"Components: {components}")
    if signed_by:
        print(f"Signed-By: {signed_by}")
    print()
