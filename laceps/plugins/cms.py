"""The web editor at /admin/ (laceps.cms): its page's policy, its config.yml and Decap's files.

The page itself is a direct template (theme/templates/admin.html, ADMIN_SAVE_AS) of the main
site only; this writes beside it the editor's configuration, made from the content checks'
definitions, and the vendored Decap files.
"""

import posixpath
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from pelican import signals

from laceps import cms, warm
from laceps.plugins import is_subsite
from laceps.plugins.templating import merge_policies


def admin_policy(pelican):
    """ADMIN_POLICY: the site's policy, what Decap needs (ADMIN_CSP), and on this computer decap-server's address."""
    settings = pelican.settings
    local = settings["CMS"]["local_backend"]
    extra = [f"connect-src {urlsplit(local).scheme}://{urlsplit(local).netloc}"] if local else []
    settings["ADMIN_POLICY"] = merge_policies(settings["CONTENT_SECURITY_POLICY"], settings["ADMIN_CSP"], *extra)
    settings["CMS_FOLDER"] = posixpath.dirname(settings["ADMIN_SAVE_AS"])


def write_editor(pelican):
    settings = pelican.settings
    if is_subsite(settings):
        return  # one editor, for every language
    folder = Path(pelican.output_path) / settings["CMS_FOLDER"]
    last = warm.in_last_output(pelican.output_path, settings["CMS_FOLDER"])
    warm.copy_tree(cms.STATIC, folder, last)
    # Decap's paths are from the repository's root, where the content folder is.
    config = cms.config(settings, content=Path(settings["PATH"]).name)
    text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
    warm.put(folder / "config.yml", text.encode(), last and last / "config.yml")


def register():
    signals.initialized.connect(admin_policy)
    signals.finalized.connect(write_editor)
