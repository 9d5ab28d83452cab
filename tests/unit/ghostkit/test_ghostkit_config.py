from __future__ import annotations

import enum
from pathlib import Path
from typing import Literal

import attrs
import pytest
from ghostkit.config import (
    ADMIN_PORTS,
    CommonConfig,
    ConfigError,
    build_parser,
    config_to_dict,
    endpoint_check,
    endpoint_setting,
    load_config,
    parse_duration,
    parse_endpoint,
    port_setting,
    setting,
)


class Mode(enum.Enum):
    FAST = "fast"
    SAFE = "safe"


@attrs.frozen
class Pool:
    max_connections: int = setting(16, help="connections per upstream")
    idle_timeout: float = setting(30.0, help="close idle connections after", duration=True)


@attrs.frozen
class Cfg(CommonConfig):
    listen_port: int = setting(8080, help="QUIC port to listen on")
    name: str = setting("alpha", help="instance name")
    ratio: float = setting(0.5, help="a ratio")
    verbose: bool = setting(False, help="say more")
    peers: list[str] = setting(factory=list, help="peer endpoints")
    cache_dir: Path = setting(Path("cache"), help="cache location")
    color: Literal["red", "blue"] = setting("red", help="a colour")
    mode: Mode = setting(Mode.FAST, help="mode")
    api_token: str = setting("", help="API token", secret=True)
    pool: Pool = setting(factory=Pool, help="pool")


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "cfg.toml"
    p.write_text(text)
    return p


def test_defaults() -> None:
    cfg = load_config(Cfg, "walletd", [], {})
    assert cfg.listen_port == 8080
    assert cfg.admin_host == "127.0.0.1"
    assert cfg.state_dir == Path(".ghostnet")
    assert cfg.shutdown_grace == 10.0
    assert cfg.pool == Pool()


def test_precedence_file_env_flag(tmp_path: Path) -> None:
    f = write(tmp_path, "listen_port = 1\nname = 'file'\nratio = 1\n[pool]\nmax_connections = 3\n")
    env = {
        "GHOST_WALLETD_LISTEN_PORT": "2",
        "GHOST_WALLETD_NAME": "env",
        "GHOST_WALLETD_POOL__MAX_CONNECTIONS": "4",
    }
    only_file = load_config(Cfg, "walletd", ["--config", str(f)], {})
    assert (only_file.listen_port, only_file.name, only_file.ratio) == (1, "file", 1.0)
    assert only_file.pool.max_connections == 3
    with_env = load_config(Cfg, "walletd", ["--config", str(f)], env)
    assert (with_env.listen_port, with_env.name, with_env.pool.max_connections) == (2, "env", 4)
    assert with_env.ratio == 1.0  # file value survives where env says nothing
    argv = ["--config", str(f), "--listen-port", "3", "--pool-max-connections", "5"]
    with_flags = load_config(Cfg, "walletd", argv, env)
    assert (with_flags.listen_port, with_flags.name, with_flags.pool.max_connections) == (
        3,
        "env",
        5,
    )


def test_config_file_from_env(tmp_path: Path) -> None:
    f = write(tmp_path, "name = 'viaenv'\n")
    cfg = load_config(Cfg, "walletd", [], {"GHOST_WALLETD_CONFIG": str(f)})
    assert cfg.name == "viaenv"


def test_types_from_text() -> None:
    argv = [
        "--verbose",
        "--peers",
        "a:1, b:2",
        "--cache-dir",
        "/tmp/x",
        "--color",
        "blue",
        "--mode",
        "safe",
        "--pool-idle-timeout",
        "250ms",
        "--shutdown-grace",
        "2m",
        "--log-format",
        "json",
    ]
    cfg = load_config(Cfg, "walletd", argv, {"GHOST_WALLETD_RATIO": "0.25"})
    assert cfg.verbose is True
    assert cfg.peers == ["a:1", "b:2"]
    assert cfg.cache_dir == Path("/tmp/x")
    assert cfg.color == "blue"
    assert cfg.mode is Mode.SAFE
    assert cfg.pool.idle_timeout == pytest.approx(0.25)
    assert cfg.shutdown_grace == 120.0
    assert cfg.log_format == "json"
    assert cfg.ratio == 0.25
    assert load_config(Cfg, "w", ["--no-verbose"], {"GHOST_W_VERBOSE": "yes"}).verbose is False
    assert load_config(Cfg, "w", [], {"GHOST_W_VERBOSE": "on"}).verbose is True


def test_types_from_toml(tmp_path: Path) -> None:
    f = write(
        tmp_path,
        "verbose = true\npeers = ['x', 'y']\nshutdown_grace = '1.5s'\nmode = 'safe'\n"
        "[pool]\nidle_timeout = 2\n",
    )
    cfg = load_config(Cfg, "walletd", ["--config", str(f)], {})
    assert cfg.verbose is True and cfg.peers == ["x", "y"] and cfg.mode is Mode.SAFE
    assert cfg.shutdown_grace == 1.5 and cfg.pool.idle_timeout == 2.0


def test_state_dir_env_fallback() -> None:
    assert load_config(Cfg, "w", [], {"GHOSTNET_STATE_DIR": "/s"}).state_dir == Path("/s")
    env = {"GHOSTNET_STATE_DIR": "/s", "GHOST_W_STATE_DIR": "/own"}
    assert load_config(Cfg, "w", [], env).state_dir == Path("/own")
    assert load_config(Cfg, "w", ["--state-dir", "/flag"], env).state_dir == Path("/flag")


def test_unknown_key_in_file_names_key_and_file(tmp_path: Path) -> None:
    f = write(tmp_path, "listen_prot = 1\n")
    with pytest.raises(ConfigError) as e:
        load_config(Cfg, "walletd", ["--config", str(f)], {})
    assert "listen_prot" in str(e.value) and str(f) in str(e.value)
    f = write(tmp_path, "[pool]\nmax_conns = 1\n")
    with pytest.raises(ConfigError, match=r"pool\.max_conns"):
        load_config(Cfg, "walletd", ["--config", str(f)], {})
    f = write(tmp_path, "[nope]\nx = 1\n")
    with pytest.raises(ConfigError, match="nope"):
        load_config(Cfg, "walletd", ["--config", str(f)], {})


def test_unknown_env_key_names_variable() -> None:
    with pytest.raises(ConfigError, match="GHOST_WALLETD_LISTEN_PROT"):
        load_config(Cfg, "walletd", [], {"GHOST_WALLETD_LISTEN_PROT": "1"})
    # Other daemons' variables are not ours to judge.
    assert load_config(Cfg, "walletd", [], {"GHOST_CNS_WHATEVER": "1"}).listen_port == 8080


def test_unknown_flag() -> None:
    with pytest.raises(ConfigError, match="--listen-prot"):
        load_config(Cfg, "walletd", ["--listen-prot", "1"], {})


@pytest.mark.parametrize(
    ("argv", "env", "toml", "needles"),
    [
        (["--listen-port", "abc"], {}, None, ["--listen-port", "'abc'", "integer"]),
        ([], {"GHOST_W_RATIO": "x"}, None, ["GHOST_W_RATIO", "number"]),
        (["--verbose=maybe"], {}, None, ["verbose"]),
        ([], {"GHOST_W_VERBOSE": "maybe"}, None, ["GHOST_W_VERBOSE", "boolean"]),
        (["--color", "green"], {}, None, ["--color", "'red', 'blue'"]),
        (["--mode", "slow"], {}, None, ["--mode", "'fast', 'safe'"]),
        (["--log-level", "loud"], {}, None, ["--log-level", "'debug'"]),
        (["--shutdown-grace", "10 parsecs"], {}, None, ["--shutdown-grace", "duration"]),
        ([], {}, "listen_port = 'eighty'", ["cfg.toml", "listen_port", "integer"]),
        ([], {}, "listen_port = true", ["cfg.toml", "listen_port", "integer"]),
        ([], {}, "peers = 'a'", ["cfg.toml", "peers", "list"]),
        ([], {}, "pool = 3", ["cfg.toml", "pool", "table"]),
        ([], {}, "listen_port = [", ["cfg.toml", "invalid TOML"]),
    ],
)
def test_bad_values_name_source_and_expectation(
    tmp_path: Path, argv: list[str], env: dict[str, str], toml: str | None, needles: list[str]
) -> None:
    if toml is not None:
        argv = [*argv, "--config", str(write(tmp_path, toml))]
    with pytest.raises(ConfigError) as e:
        load_config(Cfg, "w", argv, env)
    for needle in needles:
        assert needle in str(e.value)


def test_secret_value_not_echoed() -> None:
    @attrs.frozen
    class S(CommonConfig):
        port_secret: int = setting(1, secret=True)

    with pytest.raises(ConfigError) as e:
        load_config(S, "w", ["--port-secret", "hunter2"], {})
    assert "hunter2" not in str(e.value)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(Cfg, "w", ["--config", str(tmp_path / "absent.toml")], {})


def test_validator_failure_is_config_error() -> None:
    @attrs.frozen
    class V(CommonConfig):
        workers: int = setting(1, validator=attrs.validators.ge(1))

    with pytest.raises(ConfigError, match="workers"):
        load_config(V, "w", ["--workers", "0"], {})


def test_help_lists_every_option_with_help_text(capsys: pytest.CaptureFixture[str]) -> None:
    text = build_parser(Cfg, "walletd").format_help()
    for needle in [
        "--listen-port",
        "QUIC port to listen on",
        "--pool-max-connections",
        "connections per upstream",
        "--verbose, --no-verbose",
        "--log-format",
        "--admin-port",
        "--shutdown-grace",
        "GHOST_WALLETD_POOL__MAX_CONNECTIONS",
        "(default: 8080)",
    ]:
        assert needle in text, needle
    with pytest.raises(SystemExit) as e:
        load_config(Cfg, "walletd", ["--help"], {})
    assert e.value.code == 0
    assert "--listen-port" in capsys.readouterr().out


def test_config_to_dict_hides_secrets() -> None:
    cfg = load_config(Cfg, "w", ["--api-token", "s3cr3t"], {})
    d = config_to_dict(cfg)
    assert d["api_token"] == "***" and d["pool"]["max_connections"] == 16
    assert d["state_dir"] == ".ghostnet" and d["mode"] == "fast"
    assert "s3cr3t" not in build_parser(Cfg, "w").format_help()


def test_parse_duration() -> None:
    assert parse_duration("1h") == 3600 and parse_duration(".5s") == 0.5 and parse_duration(3) == 3
    for bad in ("", "-1", "1d", "s", True):
        with pytest.raises(ValueError):
            parse_duration(bad)  # type: ignore[arg-type]


def test_subclass_overrides_common_default() -> None:
    @attrs.frozen
    class Walletd(CommonConfig):
        admin_port: int = setting(ADMIN_PORTS["walletd"], help="admin HTTP port")

    assert load_config(Walletd, "walletd", [], {}).admin_port == 8180
    assert load_config(Walletd, "walletd", ["--admin-port", "9"], {}).admin_port == 9
    assert build_parser(Walletd, "walletd").format_help().count("--admin-port") == 2  # usage+opt


@attrs.frozen
class Ports(CommonConfig):
    listen_port: int = port_setting(8080, help="QUIC port")
    metrics_port: int | None = port_setting(None, help="optional port")
    upstream: str = endpoint_setting("127.0.0.1:8081", help="HOST:PORT")
    bridge: str = endpoint_setting("", help="optional HOST:PORT")
    port: int = setting(1)  # no validator: the name alone makes it a port
    seeds: list[str] = setting(factory=list, validator=endpoint_check)


@pytest.mark.parametrize(
    ("argv", "env", "toml", "needles"),
    [
        (["--admin-port", "99999"], {}, None, ["flag --admin-port", "'99999'", "0-65535"]),
        (["--admin-port", "-1"], {}, None, ["flag --admin-port", "0-65535"]),
        ([], {"GHOST_W_LISTEN_PORT": "70000"}, None, ["GHOST_W_LISTEN_PORT", "listen_port"]),
        ([], {}, "listen_port = 65536", ["cfg.toml", "'listen_port'", "0-65535"]),
        (["--metrics-port", "65536"], {}, None, ["--metrics-port", "0-65535"]),
        (["--port", "100000"], {}, None, ["--port", "'port'", "0-65535"]),
        (["--upstream", "h:99999"], {}, None, ["--upstream", "'upstream'", "1-65535"]),
        (["--upstream", "h:0"], {}, None, ["'upstream'", "1-65535"]),
        (["--upstream", "nohost"], {}, None, ["'upstream'", "HOST:PORT"]),
        ([], {"GHOST_W_BRIDGE": ":80"}, None, ["GHOST_W_BRIDGE", "'bridge'", "HOST:PORT"]),
        ([], {}, "upstream = 'h:x'", ["cfg.toml", "'upstream'", "HOST:PORT"]),
        (["--seeds", "a:1,b:70000"], {}, None, ["--seeds", "'seeds'", "70000"]),
    ],
)
def test_ports_and_endpoints_out_of_range_name_source_and_key(
    tmp_path: Path, argv: list[str], env: dict[str, str], toml: str | None, needles: list[str]
) -> None:
    if toml is not None:
        argv = [*argv, "--config", str(write(tmp_path, toml))]
    with pytest.raises(ConfigError) as e:
        load_config(Ports, "w", argv, env)
    for needle in needles:
        assert needle in str(e.value)


def test_ports_and_endpoints_in_range_pass() -> None:
    argv = ["--admin-port", "65535", "--listen-port", "0", "--metrics-port", ""]
    argv += ["--upstream", "[::1]:65535", "--bridge", "", "--port", "0", "--seeds", "a:1"]
    cfg = load_config(Ports, "w", argv, {})
    assert (cfg.admin_port, cfg.listen_port, cfg.metrics_port, cfg.port) == (65535, 0, None, 0)
    assert cfg.upstream == "[::1]:65535" and parse_endpoint(cfg.upstream) == ("::1", 65535)
    # Constructed directly (tests, tools), the same validators apply.
    with pytest.raises(ValueError, match="0-65535"):
        Ports(admin_port=99999)


def test_subclass_redeclaring_admin_port_without_validator_is_still_checked() -> None:
    @attrs.frozen
    class Loose(CommonConfig):
        admin_port: int = setting(8180, help="admin HTTP port")

    with pytest.raises(ConfigError, match="'admin_port': expected a port number 0-65535"):
        load_config(Loose, "w", ["--admin-port", "99999"], {})


def test_validator_reading_other_fields_runs_when_built() -> None:
    @attrs.frozen
    class Pair(CommonConfig):
        low: int = setting(1)
        high: int = setting(2)

        @high.validator
        def _above_low(self, attr: attrs.Attribute, value: int) -> None:
            if value <= self.low:
                raise ValueError("high must be above low")

    assert load_config(Pair, "w", ["--high", "5"], {}).high == 5
    with pytest.raises(ConfigError, match="high must be above low"):
        load_config(Pair, "w", ["--high", "1"], {})


def test_help_shows_prog_description_and_an_env_example_of_the_daemons_own_keys() -> None:
    @attrs.frozen
    class Flat(CommonConfig):
        listen_port: int = port_setting(8080, help="QUIC port")

    text = build_parser(
        Flat, "walletd", prog="walletd-stub", description="walletd-stub: a wallet.\n\nSecond."
    ).format_help()
    assert text.startswith("usage: walletd-stub ")
    assert "walletd-stub: a wallet.\n\nSecond." in text  # paragraphs kept
    assert "e.g. GHOST_WALLETD_LISTEN_PORT=" in text
    assert "POOL__" not in text and "'__'" not in text  # no nested example it does not have
    # With nested sections, the example is a nested key of this config.
    nested = build_parser(Cfg, "cns", prog="cns").format_help()
    assert "e.g. GHOST_CNS_POOL__MAX_CONNECTIONS=" in nested and "joined by '__'" in nested


def test_default_prog(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    from ghostkit.config import default_prog

    monkeypatch.setattr(sys, "argv", ["/venv/bin/walletd-stub", "--help"])
    assert default_prog() == "walletd-stub"
    fake_main = types.ModuleType("__main__")
    fake_main.__spec__ = types.SimpleNamespace(name="walletd_stub.__main__")  # type: ignore[assignment]
    monkeypatch.setitem(sys.modules, "__main__", fake_main)
    monkeypatch.setattr(sys, "argv", ["/src/services/walletd_stub/__main__.py"])
    assert default_prog() == "python -m walletd_stub"
