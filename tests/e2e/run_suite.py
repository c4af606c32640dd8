"""Runs one browser test module (python3 run_suite.py test_ui) for ctest: exit 77 (ctest's
SKIP_RETURN_CODE) when Chromium is not installed or every test skipped itself (the reason is
printed), else unittest's verdict."""
import importlib
import os
import sys
import unittest

from e2e_harness import ARTIFACTS, HERE, missing_browser

if __name__ == "__main__":
    why = missing_browser()
    if why:
        print(f"SKIP: {why}")
        sys.exit(77)
    print(f"e2e artifacts (screenshots, downloads): {ARTIFACTS}", file=sys.stderr)
    module = importlib.import_module(sys.argv[1])
    assert os.path.dirname(os.path.abspath(module.__file__)) == HERE, module.__file__
    program = unittest.main(module=module, argv=[sys.argv[0], "-v"], exit=False)
    result = program.result
    if not result.wasSuccessful():
        sys.exit(1)
    sys.exit(77 if result.testsRun == len(result.skipped) else 0)
