"""A copy of the real content in a temporary folder, for tests to change and build."""

import shutil

from PIL import Image

from laceps import site


def copy_content(folder):
    content = folder / "content"
    shutil.copytree(site.CONTENT, content)
    return content


def build(content, folder, production=True):
    """Build `content` into folder/output (production or local settings); return the output."""
    output = folder / ("output" if production else "output-local")
    settings = site.PRODUCTION_SETTINGS if production else site.DEV_SETTINGS
    site.build(settings=settings, output=output, content=content, extra={"CACHE_PATH": str(output) + "-cache"})
    return output


def make_photo(path, size, mode="RGB"):
    """A generated photo (tests never commit images): a gradient, so it compresses like a real one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    gradient = Image.linear_gradient("L").resize(size)
    Image.merge("RGB", (gradient, gradient.transpose(Image.Transpose.ROTATE_90).resize(size), gradient)).convert(mode).save(path)
    return path
