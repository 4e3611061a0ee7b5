"""`make demo`'s choice of build settings from the raw data's size (no Spark needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cartwheel import demo


def write(path: Path, size: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        handle.truncate(size)  # a sparse file: its size without writing its bytes


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.delenv("CARTWHEEL_THREADS", raising=False)
    monkeypatch.delenv("CARTWHEEL_JAVA_OPTIONS", raising=False)
    return monkeypatch


def test_small_raw_data_gets_two_threads_and_c1(tmp_path: Path, clean_env) -> None:
    write(tmp_path / "rees46" / "2023-01.csv.gz", 4 * 2**20)
    write(tmp_path / "amazon_reviews" / "part.jsonl.gz", 2**20)
    settings = demo.small_data_settings(tmp_path)
    assert settings["CARTWHEEL_THREADS"] == "2"
    assert "-XX:TieredStopAtLevel=1" in settings["CARTWHEEL_JAVA_OPTIONS"].split()


def test_large_raw_data_keeps_the_profile_defaults(tmp_path: Path, clean_env) -> None:
    # 6 + 5 MiB across two sources: over 10 MiB in all, though each file is under it
    write(tmp_path / "rees46" / "2023-01.csv.gz", 6 * 2**20)
    write(tmp_path / "interactions" / "drop.csv", 5 * 2**20)
    assert demo.small_data_settings(tmp_path) == {}


def test_the_users_own_settings_win(tmp_path: Path, clean_env) -> None:
    write(tmp_path / "rees46" / "2023-01.csv.gz", 2**20)
    clean_env.setenv("CARTWHEEL_THREADS", "1")
    settings = demo.small_data_settings(tmp_path)
    assert "CARTWHEEL_THREADS" not in settings
    assert "CARTWHEEL_JAVA_OPTIONS" in settings
