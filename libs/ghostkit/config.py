"""Typed daemon configuration: defaults < TOML file < environment < command-line flags.

A daemon declares its settings as a frozen attrs class deriving from `CommonConfig`; nested
attrs classes become TOML tables (`[pool]`), env vars with a double underscore
(`GHOST_WALLETD_POOL__MAX_CONNECTIONS`) and dashed flags (`--pool-max-connections`).
Every value from every source goes through one converter, so errors read the same way and
always name the key, the source and what was expected.
"""

from __future__ import annotations

import argparse
import enum
import os
import re
import sys
import tomllib
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

import attrs

T = TypeVar("T")

ENV_PREFIX = "GHOST_"
NESTED_SEP = "__"
STATE_DIR_ENV = "GHOSTNET_STATE_DIR"
# Default admin ports (docs/operations.md); daemons override `admin_port` with theirs.
ADMIN_PORTS: dict[str, int] = {
    "ghostbridge": 9091,
    "wraith": 8444,
    "walletd": 8180,
    "ghostd": 8181,
    "cns": 8182,
}


class ConfigError(Exception):
    """Bad configuration; the message is meant for the operator, printed without traceback."""


PORT_MIN, PORT_MAX = 0, 65535


def port_range(_inst: Any, attr: attrs.Attribute, value: int | None) -> None:
    """attrs validator: a TCP/UDP port 0-65535 (0 = any free port); None passes."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= PORT_MAX:
        raise ValueError(f"{attr.name}: expected a port number {PORT_MIN}-{PORT_MAX}")


def parse_endpoint(text: str, what: str = "endpoint") -> tuple[str, int]:
    """("host", port) from "host:port" or "[v6]:port"; port 1-65535, else ValueError."""
    host, sep, port = text.strip().rpartition(":")
    host = host.removeprefix("[").removesuffix("]") if host.startswith("[") else host
    if not sep or not host or not (port.isascii() and port.isdigit()):
        raise ValueError(f"{what}: expected HOST:PORT, got {text!r}")
    if not 0 < int(port) <= PORT_MAX:
        raise ValueError(f"{what}: port {int(port)} in {text!r} is not in 1-{PORT_MAX}")
    return host, int(port)


def endpoint_check(_inst: Any, attr: attrs.Attribute, value: str | list[str] | None) -> None:
    """attrs validator: HOST:PORT (port 1-65535); "" or None means unset; lists: each item."""
    for item in value if isinstance(value, list) else [value]:
        if item:
            parse_endpoint(item, attr.name)


def setting(
    default: Any = attrs.NOTHING,
    *,
    help: str = "",
    factory: Any = None,
    duration: bool = False,
    secret: bool = False,
    validator: Any = None,
) -> Any:
    """Declare a config field: `attrs.field` plus help text and parsing hints in metadata.

    `duration=True` lets a float field take "250ms", "10s", "2m", "1h" (value in seconds);
    `secret=True` keeps the value out of logs and out of `--help` defaults.
    `validator` (attrs style, e.g. `port_range`, `endpoint_check`) also runs on each value as
    it is read, so a rejected value is reported with its source (file/env/flag) and key; a
    validator that needs other fields (it reads `inst`) only runs when the config is built.
    """
    metadata = {"help": help, "duration": duration, "secret": secret}
    if factory is not None:
        return attrs.field(factory=factory, metadata=metadata, validator=validator)
    return attrs.field(default=default, metadata=metadata, validator=validator)


def port_setting(default: int | None, *, help: str = "") -> Any:
    """A port setting (0-65535 checked from every source): `setting(..., validator=port_range)`."""
    return setting(default, help=help, validator=port_range)


def endpoint_setting(default: str, *, help: str = "") -> Any:
    """A HOST:PORT setting ("" = unset); a bad host:port or port is a ConfigError naming it."""
    return setting(default, help=help, validator=endpoint_check)


LogLevel = Literal["debug", "info", "warning", "error"]
LogFormat = Literal["console", "json"]


@attrs.frozen
class CommonConfig:
    """Options every daemon has. Subclass it and add (or override) fields."""

    log_level: LogLevel = setting("info", help="minimum log level")
    log_format: LogFormat = setting("console", help="log output: console (human) or json")
    admin_host: str = setting("127.0.0.1", help="address of the admin HTTP server")
    admin_port: int = port_setting(0, help="port of the admin HTTP server (0 = any free port)")
    state_dir: Path = setting(
        Path(".ghostnet"),
        help=f"directory for certificates and state (env fallback {STATE_DIR_ENV})",
    )
    shutdown_grace: float = setting(
        10.0, help="seconds to drain in-flight work after SIGTERM", duration=True
    )


# ---------------------------------------------------------------- field model


@attrs.frozen
class _Leaf:
    path: tuple[str, ...]  # e.g. ("pool", "max_connections")
    field: attrs.Attribute
    type: Any

    @property
    def key(self) -> str:
        return ".".join(self.path)

    @property
    def flag(self) -> str:
        return "--" + "-".join(self.path).replace("_", "-")

    @property
    def dest(self) -> str:
        return "__".join(self.path)

    def env(self, daemon: str) -> str:
        return env_prefix(daemon) + NESTED_SEP.join(self.path).upper()


def env_prefix(daemon: str) -> str:
    return ENV_PREFIX + re.sub(r"[^A-Za-z0-9]", "_", daemon).upper() + "_"


def _is_attrs_class(tp: Any) -> bool:
    return isinstance(tp, type) and attrs.has(tp)


def _leaves(cls: type, prefix: tuple[str, ...] = ()) -> list[_Leaf]:
    attrs.resolve_types(cls)
    out: list[_Leaf] = []
    for f in attrs.fields(cls):
        if _is_attrs_class(f.type):
            out.extend(_leaves(f.type, (*prefix, f.name)))
        else:
            out.append(_Leaf((*prefix, f.name), f, f.type))
    return out


def _sections(cls: type, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], type]:
    attrs.resolve_types(cls)
    out = {prefix: cls}
    for f in attrs.fields(cls):
        if _is_attrs_class(f.type):
            out.update(_sections(f.type, (*prefix, f.name)))
    return out


# ---------------------------------------------------------------- conversion

_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|h)?\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def parse_duration(value: str | int | float) -> float:
    """Seconds from 10, 1.5, "250ms", "10s", "2m", "1h"; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError("a duration")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        m = _DURATION.match(value)
        if not m:
            raise ValueError("a duration")
        seconds = float(m.group(1)) * _DURATION_UNITS[m.group(2)]
    if seconds < 0:
        raise ValueError("a duration")
    return seconds


def _describe(tp: Any, duration: bool) -> str:
    if duration:
        return "a duration (seconds, or a number with ms/s/m/h)"
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return "one of " + ", ".join(repr(m.value) for m in tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        return _describe(inner[0], duration) + ' or "" for none'
    if origin is list:
        return "a list of " + _describe(typing.get_args(tp)[0], False).removeprefix("a ")
    names = {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "a boolean (true/false)",
        Path: "a path",
    }
    return names.get(tp, getattr(tp, "__name__", str(tp)))


def _convert(value: Any, tp: Any, *, duration: bool, from_text: bool) -> Any:
    """Convert one value to `tp`; raise ValueError on mismatch (caller words the error)."""
    if duration:
        return parse_duration(value)
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        inner = [a for a in args if a is not type(None)]
        if len(inner) != 1:
            raise TypeError(f"unsupported union config type {tp!r}")
        if type(None) in args and (value is None or (from_text and value == "")):
            return None
        return _convert(value, inner[0], duration=False, from_text=from_text)
    if origin is Literal:
        choices = typing.get_args(tp)
        for choice in choices:
            if value == choice or (from_text and isinstance(value, str) and str(choice) == value):
                return choice
        raise ValueError
    if origin is list:
        (item,) = typing.get_args(tp)
        if from_text and isinstance(value, str):
            parts = [p.strip() for p in value.split(",")] if value.strip() else []
        elif isinstance(value, list):
            parts = value
        else:
            raise ValueError
        return [_convert(p, item, duration=False, from_text=from_text) for p in parts]
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        for member in tp:
            if value == member.value or (from_text and str(member.value) == str(value)):
                return member
        raise ValueError
    if tp is bool:
        if isinstance(value, bool):
            return value
        if from_text and isinstance(value, str) and value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        raise ValueError
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if from_text and isinstance(value, str):
            return int(value.strip())
        raise ValueError
    if tp is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if from_text and isinstance(value, str):
            return float(value.strip())
        raise ValueError
    if tp is str:
        if isinstance(value, str):
            return value
        raise ValueError
    if tp is Path:
        if isinstance(value, str) and value:
            return Path(value).expanduser()
        if isinstance(value, Path):
            return value
        raise ValueError
    raise TypeError(f"unsupported config type {tp!r}")


def _is_port_name(name: str) -> bool:
    return name == "port" or name.endswith("_port")


def _convert_leaf(leaf: _Leaf, value: Any, source: str, *, from_text: bool) -> Any:
    duration = bool(leaf.field.metadata.get("duration"))
    shown = "<hidden>" if leaf.field.metadata.get("secret") else repr(value)
    try:
        converted = _convert(value, leaf.type, duration=duration, from_text=from_text)
    except (ValueError, TypeError) as exc:
        if isinstance(exc, TypeError) and "unsupported" in str(exc):
            raise
        expected = _describe(leaf.type, duration)
        message = f"{source}: bad value {shown} for {leaf.key!r}: expected {expected}"
        raise ConfigError(message) from None
    try:
        if _is_port_name(leaf.path[-1]) and isinstance(converted, int):
            # Every `port` / `*_port` setting is a port, validator or not (a socket would
            # silently take 99999 modulo 65536).
            port_range(None, leaf.field, converted)
        if leaf.field.validator is not None:
            leaf.field.validator(None, leaf.field, converted)
    except ValueError as exc:
        reason = str(exc).removeprefix(f"{leaf.field.name}: ")
        raise ConfigError(f"{source}: bad value {shown} for {leaf.key!r}: {reason}") from None
    except (AttributeError, TypeError):
        pass  # a validator that needs the other fields: it runs when the config is built
    return converted


# ---------------------------------------------------------------- sources


def _set(tree: dict, path: tuple[str, ...], value: Any) -> None:
    for part in path[:-1]:
        tree = tree.setdefault(part, {})
    tree[path[-1]] = value


def _from_toml(cls: type, path: Path, tree: dict) -> None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {path}: not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path}: invalid TOML: {exc}") from None
    leaves = {leaf.path: leaf for leaf in _leaves(cls)}
    sections = _sections(cls)

    def walk(table: dict, prefix: tuple[str, ...]) -> None:
        for key, value in table.items():
            p = (*prefix, key)
            if p in sections and p != ():
                if not isinstance(value, dict):
                    raise ConfigError(
                        f"config file {path}: {'.'.join(p)!r} must be a table [{'.'.join(p)}]"
                    )
                walk(value, p)
            elif p in leaves:
                value = _convert_leaf(leaves[p], value, f"config file {path}", from_text=False)
                _set(tree, p, value)
            else:
                raise ConfigError(
                    f"config file {path}: unknown key {'.'.join(p)!r}"
                    f" (known: {', '.join(sorted(leaf.key for leaf in leaves.values()))})"
                )

    walk(data, ())


def _from_env(cls: type, daemon: str, env: Mapping[str, str], tree: dict) -> None:
    prefix = env_prefix(daemon)
    leaves = {leaf.env(daemon): leaf for leaf in _leaves(cls)}
    reserved = {prefix + "CONFIG"}
    state_leaf = next((lf for lf in leaves.values() if lf.path == ("state_dir",)), None)
    # The shared fallback applies first so the daemon-specific variable wins over it.
    if state_leaf is not None and env.get(STATE_DIR_ENV) and state_leaf.env(daemon) not in env:
        source = f"env {STATE_DIR_ENV}"
        value = _convert_leaf(state_leaf, env[STATE_DIR_ENV], source, from_text=True)
        _set(tree, state_leaf.path, value)
    for name in sorted(env):
        if not name.startswith(prefix) or name in reserved:
            continue
        leaf = leaves.get(name)
        if leaf is None:
            raise ConfigError(
                f"env {name}: unknown key for {daemon} (known: {', '.join(sorted(leaves))})"
            )
        _set(tree, leaf.path, _convert_leaf(leaf, env[name], f"env {name}", from_text=True))


class _Parser(argparse.ArgumentParser):
    """argparse that raises ConfigError instead of printing usage and exiting."""

    def error(self, message: str) -> typing.NoReturn:
        raise ConfigError(f"command line: {message} (see --help)")


def _help(leaf: _Leaf) -> str:
    text = leaf.field.metadata.get("help") or ""
    duration = bool(leaf.field.metadata.get("duration"))
    parts = [text] if text else []
    parts.append(f"[{_describe(leaf.type, duration)}]")
    if not leaf.field.metadata.get("secret"):
        default = leaf.field.default
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            default = default.factory()
        if isinstance(default, enum.Enum):
            default = default.value
        if isinstance(default, list):
            default = ",".join(map(str, default))
        parts.append(f"(default: {default})")
    return " ".join(parts).replace("%", "%%")


def default_prog() -> str:
    """How the user started this process, for usage lines: the console script's name
    (`walletd-stub`), `python -m <module>` for `python -m`, else the script's file name."""
    argv0 = sys.argv[0] if sys.argv and sys.argv[0] else ""
    base = os.path.basename(argv0)
    if base == "__main__.py" or argv0 == "-m":
        spec = getattr(sys.modules.get("__main__"), "__spec__", None)
        module = spec.name.removesuffix(".__main__") if spec is not None else ""
        if module:
            return f"python -m {module}"
    return base or "daemon"


def _env_example(cls: type, daemon: str) -> str:
    """An env variable of this daemon's own settings: a nested one if it has any."""
    leaves = _leaves(cls)
    common = {f.name for f in attrs.fields(CommonConfig)}
    nested = [lf for lf in leaves if len(lf.path) > 1]
    own = [lf for lf in leaves if lf.path[0] not in common]
    leaf = (nested or own or leaves)[0]
    return leaf.env(daemon)


def build_parser(
    cls: type, daemon: str, *, prog: str | None = None, description: str | None = None
) -> argparse.ArgumentParser:
    """The daemon's argparse parser; `prog` defaults to `default_prog()`, `description` to
    "The <daemon> daemon." (kept as written: paragraphs and line breaks survive)."""
    prefix = env_prefix(daemon)
    example = _env_example(cls, daemon)
    nesting = " (nested sections joined by '__')" if NESTED_SEP in example[len(prefix) :] else ""
    parser = _Parser(
        prog=prog or default_prog(),
        allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(description or f"The {daemon} daemon.").strip(),
        epilog=(
            f"Settings, highest precedence first: flags; environment {prefix}<KEY>{nesting},\n"
            f"e.g. {example}=...;\nthe TOML file of --config (or env {prefix}CONFIG); defaults."
        ),
    )
    parser.add_argument(
        "--config", metavar="FILE", help=f"TOML config file (env {prefix}CONFIG)", default=None
    )
    for leaf in _leaves(cls):
        if leaf.type is bool:
            parser.add_argument(
                leaf.flag,
                dest=leaf.dest,
                action=argparse.BooleanOptionalAction,
                default=None,
                help=_help(leaf),
            )
        else:
            parser.add_argument(
                leaf.flag,
                dest=leaf.dest,
                metavar=leaf.path[-1].upper(),
                default=None,
                help=_help(leaf),
            )
    return parser


def _build(cls: type[T], tree: Mapping[str, Any]) -> T:
    kwargs: dict[str, Any] = {}
    for f in attrs.fields(cls):
        if f.name not in tree:
            continue
        value = tree[f.name]
        kwargs[f.name] = _build(f.type, value) if _is_attrs_class(f.type) else value
    return cls(**kwargs)


def load_config(
    cls: type[T],
    daemon: str,
    argv: Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
    *,
    prog: str | None = None,
    description: str | None = None,
) -> T:
    """Parse configuration for `daemon` into `cls` (argv None: sys.argv[1:], env None:
    os.environ). Raises ConfigError; `--help` prints and raises SystemExit(0).
    `prog` and `description` are for `--help` (see `build_parser`)."""
    env = os.environ if env is None else env
    argv = list(argv) if argv is not None else sys.argv[1:]
    parser = build_parser(cls, daemon, prog=prog, description=description)
    args = parser.parse_args(argv)

    tree: dict[str, Any] = {}
    config_file = args.config or env.get(env_prefix(daemon) + "CONFIG")
    if config_file:
        _from_toml(cls, Path(config_file), tree)
    _from_env(cls, daemon, env, tree)
    for leaf in _leaves(cls):
        raw = getattr(args, leaf.dest)
        if raw is not None:
            _set(tree, leaf.path, _convert_leaf(leaf, raw, f"flag {leaf.flag}", from_text=True))
    try:
        return _build(cls, tree)
    except (ValueError, TypeError) as exc:
        # attrs validators reject combinations no single-value check can see.
        raise ConfigError(f"invalid configuration: {exc}") from None


def config_to_dict(config: Any, *, redact_secrets: bool = True) -> dict[str, Any]:
    """Plain dict of a config for logging; secret fields become '***'."""
    out: dict[str, Any] = {}
    for f in attrs.fields(type(config)):
        value = getattr(config, f.name)
        if attrs.has(type(value)):
            out[f.name] = config_to_dict(value, redact_secrets=redact_secrets)
        elif redact_secrets and f.metadata.get("secret"):
            out[f.name] = "***"
        elif isinstance(value, Path):
            out[f.name] = str(value)
        elif isinstance(value, enum.Enum):
            out[f.name] = value.value
        else:
            out[f.name] = value
    return out
