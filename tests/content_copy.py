"""A copy of the real content in a temporary folder, for tests to change and build."""

import shutil

from PIL import Image

from laceps import site


def copy_content(folder):
    content = folder / "content"
    shutil.copytree(site.CONTENT, content)
    return content


def build(content, folder, production=True, extra=None):
    """Build `content` into folder/output (production or local settings); return the output."""
    output = folder / ("output" if production else "output-local")
    settings = site.PRODUCTION_SETTINGS if production else site.DEV_SETTINGS
    extra = {"CACHE_PATH": str(output) + "-cache", **(extra or {})}
    site.build(settings=settings, output=output, content=content, extra=extra)
    return output


def build_variant(folder, change=None, extra=None):
    """Build the real content with one change (a function of the content folder)."""
    content = copy_content(folder)
    if change:
        change(content)
    return build(content, folder, extra=extra)


def replace_in(path, old, new):
    """Replace the first `old` in a file, failing loudly if the file no longer has it."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def make_photo(path, size, mode="RGB"):
    """A generated photo (tests never commit images): a gradient, so it compresses like a real one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    gradient = Image.linear_gradient("L").resize(size)
    Image.merge("RGB", (gradient, gradient.transpose(Image.Transpose.ROTATE_90).resize(size), gradient)).convert(mode).save(path)
    return path
