"""The install's class-data sharing archive (`cartwheel.jvm`, made by `make setup`): a Spark
JVM maps it, a damaged one is never used, and the embedded target and the server pass it."""

from __future__ import annotations

from pathlib import Path

from cartwheel import jvm


def test_setup_made_an_archive_a_spark_jvm_maps(tmp_path: Path) -> None:
    path = jvm.archive_path()
    assert path is not None and path.is_file(), "make setup runs `python -m cartwheel.jvm`"
    assert jvm.java_options() == f"-XX:SharedArchiveFile={path} {jvm.QUIET}"
    assert jvm.usable(path)  # -Xshare:on: the JVM starts only if it maps the archive
    truncated = tmp_path / "truncated.jsa"
    truncated.write_bytes(path.read_bytes()[: 1 << 20])
    assert not jvm.usable(truncated)


def test_the_embedded_session_and_the_server_use_it() -> None:
    from dbt.adapters.cartwheel.connections import with_class_archive

    from cartwheel.server import ServerConfig, build_command

    parameters = {"spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1"}
    with_class_archive(parameters)
    with_class_archive(parameters)  # once, however often the connection opens
    assert parameters["spark.driver.extraJavaOptions"] == (
        f"-XX:TieredStopAtLevel=1 {jvm.java_options()}"
    )
    command = build_command(ServerConfig())
    options = next(a for a in command if a.startswith("spark.driver.extraJavaOptions="))
    assert options.endswith(jvm.java_options())
