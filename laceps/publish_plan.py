"""What a publish changes, and in which order, so that no stopping point shows a broken page.

The bucket is compared with the build by content: S3 gives an object sent in one part
an ETag that is the MD5 of its bytes. A file goes up only once every new file it links
to is up (laceps.publish_links), so whatever a live file links to exists. New files that
link to each other (a new page and its new translation, each named by the search index)
go up one after the other before anything live links to them: until then no visitor
reaches them. The home page, the error page and robots.txt are reached without a link,
so they go last among such files (on a first publish the whole site is one such group).

Files no longer in the build are deleted after the uploads, when the new pages no longer
link to them. But a page may be cached for PAGE_MAX_AGE, in the CDN and in browsers, and
an old cached page still asks for its stylesheet and search-index files. Those have
fingerprinted names, so they are kept until RETIRED_KEPT_FOR has passed since a complete
publish stopped using them, and deleted by a later publish.

The manifest records the last complete publish: each file's MD5, and since when each
unused fingerprinted file is kept. A publish invalidates every file whose cached copy may
differ from the build: the version in the manifest, or the one in the bucket, which a
stopped publish may have replaced. So a repair run refreshes what the stopped one changed.
"""

import heapq
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from laceps.publish_links import links

PAGE_MAX_AGE = 300  # seconds a page, feed or index file may be cached (its Cache-Control)
RETIRED_KEPT_FOR = PAGE_MAX_AGE + 15 * 60  # plus a margin for clocks and long publishes
PUBLISHING_FOLDER = ".laceps/"  # under the prefix, beside the site's files: never one of them
MANIFEST = PUBLISHING_FOLDER + "manifest.json"
ENTRY_POINTS = ("index.html", "404.html", "robots.txt")  # reached without following a link

# Stages break ties between files free to go up: media, code, pages, then the files that list pages.
MEDIA, CODE, PAGE, INDEX = range(4)
# Pagefind's WebAssembly is code too: it must match the pagefind.js that loads it. So is the web
# editor's config.yml: a day-old copy would offer fields the checks no longer accept.
CODE_SUFFIXES = (".css", ".js", ".mjs", ".json", ".webmanifest", ".pagefind", ".yml")
INDEX_NAMES = ("sitemap.xml", "robots.txt")
# theme/site.80037072ea.css; Pagefind's chunks, named by a hash of their content: pagefind/fragment/en_2bcc133.pf_fragment
FINGERPRINTED = re.compile(r"\.[0-9a-f]{8,}\.[A-Za-z0-9]+$|^pagefind/.+_[0-9a-f]{7,}\.pf_[a-z]+$")


def stage(path):
    name = PurePosixPath(path).name
    if name.endswith(".html"):
        return PAGE
    if name in INDEX_NAMES or name.endswith((".atom.xml", ".rss.xml")):
        return INDEX
    return CODE if name.endswith(CODE_SUFFIXES) else MEDIA


def is_fingerprinted(path):
    return bool(FINGERPRINTED.search(path))


@dataclass(frozen=True)
class SiteFile:
    path: str  # relative to the site root: "news/index.html"
    source: Path
    md5: str


@dataclass(frozen=True)
class Manifest:
    files: dict  # path -> MD5, as the last complete publish left the bucket
    retired: dict  # unused fingerprinted path -> when a complete publish stopped using it (Unix time)

    @classmethod
    def parse(cls, data):
        record = json.loads(data)
        return cls(dict(record["files"]), {path: float(since) for path, since in record["retired"].items()})

    def dumps(self):
        return json.dumps({"files": self.files, "retired": self.retired}, sort_keys=True, indent=1).encode()


NO_MANIFEST = Manifest(files={}, retired={})


@dataclass(frozen=True)
class Plan:
    uploads: list  # SiteFiles, in the order they go up
    replaced: frozenset  # paths of the uploads that overwrite an object
    deletions: list  # paths to delete once the uploads are done
    kept: dict  # unused fingerprinted path -> since when it is unused (None: from this publish on)
    stale: list  # paths whose cached copies may differ from the build
    files: dict  # path -> MD5 of every file of the build
    unchanged: int
    previous: Manifest  # the record of the last complete publish

    def manifest(self, now):
        """The record of this publish once it is complete, at Unix time `now`."""
        retired = {path: now if since is None else since for path, since in self.kept.items()}
        return Manifest(files=self.files, retired=retired)

    def lines(self, target):
        yield (
            f"Publish to {target}: {len(self.uploads) - len(self.replaced)} to upload, {len(self.replaced)} to replace, "
            f"{len(self.deletions)} to delete, {len(self.kept)} kept for cached pages, {self.unchanged} unchanged."
        )
        for file in self.uploads:
            yield f"  {'replace' if file.path in self.replaced else 'upload':<8} {file.path}"
        for path in self.deletions:
            yield f"  {'delete':<8} {path}"
        for path in self.kept:
            yield f"  {'keep':<8} {path} (unused; deleted once the pages cached with it expire)"


def make_plan(files, live, manifest, site_url, now):
    """The plan that makes the bucket (`live`: path -> ETag) hold the build (`files`: path -> SiteFile)."""
    uploads = [file for path, file in files.items() if live.get(path) != file.md5]
    gone = sorted(set(live) - set(files))
    unused = [path for path in gone if is_fingerprinted(path)]
    expired = [path for path in unused if now - manifest.retired.get(path, now) >= RETIRED_KEPT_FOR]
    return Plan(
        uploads=upload_order(uploads, set(live), site_url, set(files)),
        replaced=frozenset(file.path for file in uploads if file.path in live),
        deletions=[path for path in gone if not is_fingerprinted(path)] + expired,
        kept={path: manifest.retired.get(path) for path in unused if path not in expired},
        stale=stale_paths(files, live, manifest),
        files={path: file.md5 for path, file in files.items()},
        unchanged=len(files) - len(uploads),
        previous=manifest,
    )


def stale_paths(files, live, manifest):
    """Paths whose cached copy may differ from the build: the manifest's version or the bucket's."""
    stale = []
    for path in sorted(set(manifest.files) | set(live)):
        if is_fingerprinted(path):
            continue  # a fingerprinted name never changes its content
        built = files[path].md5 if path in files else None
        if {manifest.files.get(path), live.get(path)} - {None} != {built}:
            stale.append(path)
    return stale


def upload_order(uploads, live, site_url, paths):
    """The uploads, each after every new file it links to; files that link to each other, together."""
    new = {file.path for file in uploads} - live
    needs = {file.path: links(file.path, file.source.read_bytes(), site_url, paths) & new for file in uploads}

    def priority(path):  # among the files free to go up: by stage, new before replaced
        return (stage(path), path in live, path)

    groups = strongly_connected(needs)
    group_of = {path: number for number, group in enumerate(groups) for path in group}
    waiting_for = [
        {group_of[need] for path in group for need in needs[path]} - {number} for number, group in enumerate(groups)
    ]
    waited_by = defaultdict(list)
    for number, awaited in enumerate(waiting_for):
        for other in awaited:
            waited_by[other].append(number)
    ready = [(min(map(priority, group)), number) for number, group in enumerate(groups) if not waiting_for[number]]
    heapq.heapify(ready)
    order = []
    while ready:
        _, number = heapq.heappop(ready)
        order += sorted(groups[number], key=lambda path: (path in ENTRY_POINTS, priority(path)))
        for waiting in waited_by[number]:
            waiting_for[waiting].discard(number)
            if not waiting_for[waiting]:
                heapq.heappush(ready, (min(map(priority, groups[waiting])), waiting))
    by_path = {file.path: file for file in uploads}
    return [by_path[path] for path in order]


def strongly_connected(graph):
    """The strongly connected components of {node: set of nodes} (Tarjan's algorithm, without recursion)."""
    index, lowest, stack, on_stack, components = {}, {}, [], set(), []

    def visit(node):
        index[node] = lowest[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        return node, iter(sorted(graph[node]))

    for root in sorted(graph):
        if root in index:
            continue
        path = [visit(root)]
        while path:
            node, successors = path[-1]
            for successor in successors:
                if successor not in index:
                    path.append(visit(successor))
                    break
                if successor in on_stack:
                    lowest[node] = min(lowest[node], index[successor])
            else:
                path.pop()
                if path:
                    parent = path[-1][0]
                    lowest[parent] = min(lowest[parent], lowest[node])
                if lowest[node] == index[node]:
                    component = []
                    while not component or component[-1] != node:
                        component.append(stack.pop())
                        on_stack.discard(component[-1])
                    components.append(component)
    return components
