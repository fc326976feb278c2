import pytest

# tests/privacy_scan.py is a plugin (see conftest.py) that helpers import before pytest loads it.
pytest.register_assert_rewrite("tests.privacy_scan")
