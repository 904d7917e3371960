# SPDX-License-Identifier: Apache-2.0
"""Shared by the tests: puts conformance/ on sys.path so `import cnbconf` works however
unittest was started (`python3 -m unittest discover -s conformance/tests`)."""

import os
import sys

CONFORMANCE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if CONFORMANCE not in sys.path:
    sys.path.insert(0, CONFORMANCE)
