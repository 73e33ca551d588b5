"""One small demo for the demo tests, written once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from analytics.demo import write_demo
from tests.demo.files import END


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The output folder and manifest of ``write_demo`` at small scale, seed 7."""
    out = tmp_path_factory.mktemp("demo")
    return out, write_demo(out, seed=7, scale="small", end=END)
