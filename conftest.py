"""Doctests of the ``finmodel`` package run from the repository root, so their examples name shipped files the
way a user in a checkout would (``finmodel.load("scenarios/bolivia_santa_cruz.yaml")``)."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def _doctests_in_repository_root(request, monkeypatch):
    if isinstance(request.node, pytest.DoctestItem):
        monkeypatch.chdir(ROOT)
