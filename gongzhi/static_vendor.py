"""Single files of npm packages served as static files.

A package's dist folder holds many builds (ECharts ships a dozen, with source maps, some 30 MB);
collectstatic would copy and compress them all. This finder offers only the files named in
settings.STATIC_VENDOR_FILES ({static path: file under node_modules}), next to STATICFILES_DIRS.
"""
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import Error
from django.core.files.storage import FileSystemStorage


class VendorFileFinder(BaseFinder):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.files = {name: Path(path) for name, path in getattr(settings, "STATIC_VENDOR_FILES", {}).items()}

    def check(self, **kwargs):
        return [Error(f"{path} is missing: run `npm ci`", obj=name, id="gongzhi.E901")
                for name, path in self.files.items() if not path.is_file()]

    def find(self, path, find_all=False, **kwargs):
        found = self.files.get(path)
        if found is None or not found.is_file():
            return []
        return [str(found)] if find_all else str(found)

    def list(self, ignore_patterns):
        for name, path in self.files.items():
            if path.is_file():
                # A storage rooted where the file is, so collectstatic copies it under its static name.
                storage = FileSystemStorage(location=str(path.parent))
                storage.prefix = str(Path(name).parent)
                yield path.name, storage
