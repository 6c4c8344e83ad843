"""Which files of a built site each file links to: publishing orders its uploads by these links.

A link is an address on the site that a file names: an absolute https://lacfeps.org/...
address anywhere in a text file (pages, feeds, the sitemap, robots.txt, JSON-LD, the
search page's data-pagefind), a relative address in a page's href, src or srcset, in a
stylesheet's url() or @import, or a file name in a script. Pagefind's index links the
way its script reads it: the entry file names each language's metadata and WebAssembly,
the metadata names the language's index chunks and fragments, and each fragment names
the page a result leads to.
"""

import gzip
import html
import json
import re
from pathlib import PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

TEXT_SUFFIXES = (".html", ".htm", ".xml", ".css", ".js", ".mjs", ".json", ".txt", ".svg", ".webmanifest")
PAGE_ADDRESS = re.compile(r"""\s(?:href|src|srcset|poster)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""", re.IGNORECASE)
STYLESHEET_ADDRESS = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)\s]*))\s*\)|@import\s+(?:"([^"]*)"|'([^']*)')""")
SCRIPT_FILE_NAME = re.compile(r"[\w./-]+\.(?:m?js|json|css|pagefind)\b")
PAGEFIND_ENTRY = "pagefind/pagefind-entry.json"
PAGEFIND_METADATA = re.compile(r"^pagefind/pagefind\.(.+)_[0-9a-f]+\.pf_meta$")  # its group: the language
PAGEFIND_CHUNK = re.compile(r"^pagefind/(?:fragment|index|filter)/(.+)_[0-9a-f]+\.pf_[a-z]+$")
PAGEFIND_RESULT_ADDRESS = re.compile(r'"url"\s*:\s*"([^"]+)"')
PAGEFIND_HEADER = b"pagefind_dcd"  # what Pagefind puts before each compressed file's data


def served_path(url, site_url):
    """The file that serves an address on the site, as the CDN's function does: /x/ and /x from x/index.html."""
    address, site = urlsplit(url), urlsplit(site_url)
    if (address.scheme, address.netloc) != (site.scheme, site.netloc):
        return None
    path = unquote(address.path).lstrip("/")
    if path == "" or path.endswith("/"):
        return path + "index.html"
    return path if "." in PurePosixPath(path).name else path + "/index.html"


def matched(match):
    return next(group for group in match.groups() if group is not None)


def addresses(path, data, site_url):
    """Every address the file names, absolute or relative to the file, perhaps not on the site."""
    if path == PAGEFIND_ENTRY:
        languages = json.loads(data)["languages"].values()
        return [f"pagefind.{language['hash']}.pf_meta" for language in languages] + [
            f"wasm.{language['wasm']}.pagefind" for language in languages
        ]
    if path.startswith("pagefind/") and path.endswith(".pf_fragment"):
        text = gzip.decompress(data).removeprefix(PAGEFIND_HEADER).decode("utf-8", "replace")
        return PAGEFIND_RESULT_ADDRESS.findall(text)
    if not path.endswith(TEXT_SUFFIXES):
        return []
    text = data.decode("utf-8", "replace")
    found = re.findall(re.escape(site_url) + r"""(?:/[^\s"'<>(),\\]*)?""", text)
    if path.endswith((".html", ".htm", ".svg")):
        for value in map(html.unescape, map(matched, PAGE_ADDRESS.finditer(text))):
            # A srcset holds several: "a.jpg 480w, b.jpg 960w".
            found += [candidate.split()[0] for candidate in value.split(",") if candidate.strip()]
    elif path.endswith(".css"):
        found += map(matched, STYLESHEET_ADDRESS.finditer(text))
    elif path.endswith((".js", ".mjs")):
        found += SCRIPT_FILE_NAME.findall(text)
    return found


def links(path, data, site_url, paths):
    """The files of the site (`paths`, a set) that the file at `path` with bytes `data` links to, itself excepted."""
    base = f"{site_url}/{path}"
    linked = {served_path(urljoin(base, address.strip()), site_url) for address in addresses(path, data, site_url)}
    metadata = PAGEFIND_METADATA.match(path)
    if metadata:
        # The metadata names every chunk of its language's index (in CBOR): the build has no other.
        linked |= {chunk for chunk in paths if (match := PAGEFIND_CHUNK.match(chunk)) and match[1] == metadata[1]}
    return (linked & paths) - {path}
