"""Root conftest: tag every test (nbval notebook cells included) with its chapter marker, so
``pytest -m ch01`` runs Chapter 1's unit tests, checks and notebook alone."""

import os
import re

import pytest

# No progress bars in tests, nor in the notebooks nbval runs (their kernels inherit this):
# genolearn.deep.train_model would otherwise draw one once training takes two seconds.
os.environ["GENOLEARN_PROGRESS"] = "0"

_CHAPTER_DIR = re.compile(r"chapters/(\d\d)_")


def pytest_collection_modifyitems(items):
    for item in items:
        match = _CHAPTER_DIR.search(str(item.path).replace("\\", "/"))
        if match:
            item.add_marker(getattr(pytest.mark, f"ch{match.group(1)}"))
