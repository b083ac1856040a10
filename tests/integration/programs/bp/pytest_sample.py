# A pytest file (run as `python -m pytest pytest_sample.py`): pytest
# rewrites its asserts and compiles the module itself.
import pytest


def test_plain():
    value = 7  # BREAK: plain
    assert value == 7


@pytest.mark.parametrize("n", [1, 2, 3])
def test_param(n):
    doubled = n * 2  # BREAK: param
    assert doubled == n + n


class TestGroup:
    def test_method(self):
        text = "abc"  # BREAK: method
        assert text.upper() == "ABC"
