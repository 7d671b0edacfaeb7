"""The REQUIRE_FRAMEWORKS switch of tests/conftest.py turns a framework skip into a failure."""

import subprocess
import sys
import textwrap


def _run(tmp_path, env_value):
    test = tmp_path / "test_needs_missing.py"
    test.write_text(
        textwrap.dedent(
            """
            import pytest

            def test_needs_a_framework():
                pytest.importorskip("torch_that_does_not_exist_here")
                pytest.skip("could not import 'torch': No module named 'torch'")

            def test_other_skip():
                pytest.skip("not about a framework")
            """
        )
    )
    conftest = (__import__("pathlib").Path(__file__).parent / "conftest.py").read_text()
    (tmp_path / "conftest.py").write_text(conftest)
    env = {"REQUIRE_FRAMEWORKS": env_value, "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )


def test_without_the_switch_a_missing_framework_skips(tmp_path):
    out = _run(tmp_path, "0")
    assert out.returncode == 0, out.stdout
    assert "2 skipped" in out.stdout


def test_with_the_switch_a_missing_framework_fails(tmp_path):
    out = _run(tmp_path, "1")
    assert out.returncode == 1, out.stdout
    assert "1 failed" in out.stdout and "1 skipped" in out.stdout
