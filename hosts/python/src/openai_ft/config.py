"""Where requests go, which keys they carry and how far the guest may go, read once from the
environment by the host. The guest never sees any of it: the same variables, defaults, rules and
messages as the native host (host/src/endpoint.rs, host/src/main.rs `limits`), per HOST.md."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Mapping, Optional, Tuple, Union

from .protocol import HostError, debug_quote, rust_trim
from .redact import Redactor

DEFAULT_BASE_URL = "https://api.openai.com/v1"

FLAVORS = ("openai", "azure", "azure-classic")

#: A header to attach, or the message naming the variable to set.
Auth = Union[Tuple[str, str], "Missing"]


@dataclass(frozen=True)
class Missing:
    message: str


@dataclass(frozen=True)
class Endpoint:
    flavor: str
    base: str
    project: Auth
    admin: Auth
    organization: Optional[str]
    project_id: Optional[str]
    api_version: Optional[str]
    connect_timeout: float
    timeout: float
    #: Removes the key and token values in use from text.
    redactor: Redactor

    def __repr__(self) -> str:
        # Keys stay out of reprs, tracebacks and logs.
        return f"Endpoint(flavor={self.flavor!r}, base={self.base!r})"


@dataclass(frozen=True)
class Limits:
    memory_mib: int
    cpu_secs: int


def endpoint_from_env(env: Mapping[str, str]) -> Endpoint:
    def non_empty(name: str) -> Optional[str]:
        v = env.get(name)
        if v is None:
            return None
        t = rust_trim(v)
        return t or None

    azure_endpoint = non_empty("AZURE_OPENAI_ENDPOINT")
    named = non_empty("OPENAI_FT_FLAVOR")
    if named is None:
        flavor = "azure" if azure_endpoint is not None else "openai"
    elif named in FLAVORS:
        flavor = named
    else:
        raise HostError(
            f"invalid OPENAI_FT_FLAVOR {debug_quote(named)}: must be openai, azure or azure-classic "
            "(unset, it is azure when AZURE_OPENAI_ENDPOINT is set)"
        )
    api_version = None
    if flavor == "openai":
        base = check_base_url("OPENAI_BASE_URL", non_empty("OPENAI_BASE_URL") or DEFAULT_BASE_URL)
        key = non_empty("OPENAI_API_KEY")
        project_auth = None if key is None else ("authorization", f"Bearer {key}")
        project_secret = key
    else:
        if azure_endpoint is None:
            raise HostError(
                f"AZURE_OPENAI_ENDPOINT is not set: the {flavor} flavour needs the resource endpoint, "
                "for example https://my-resource.openai.azure.com"
            )
        root = check_base_url("AZURE_OPENAI_ENDPOINT", azure_endpoint)
        key = non_empty("AZURE_OPENAI_API_KEY")
        token = non_empty("AZURE_OPENAI_AD_TOKEN")
        if key is not None:
            project_auth = ("api-key", key)
        elif token is not None:
            project_auth = ("authorization", f"Bearer {token}")
        else:
            project_auth = None
        project_secret = key if key is not None else token
        if flavor == "azure":
            base = f"{root}/openai/v1"
        else:
            api_version = non_empty("OPENAI_API_VERSION")
            if api_version is None:
                raise HostError(
                    "OPENAI_API_VERSION is not set: the azure-classic flavour sends it on every "
                    "request; set it, for example to 2025-04-01-preview, or use "
                    "OPENAI_FT_FLAVOR=azure (no version needed)"
                )
            base = f"{root}/openai"
    if project_auth is not None:
        project: Auth = project_auth
    elif flavor == "openai":
        project = Missing(
            "OPENAI_API_KEY is not set: export a project API key for the fine-tuning API in the "
            "environment that runs Terraform"
        )
    else:
        project = Missing(
            "AZURE_OPENAI_API_KEY is not set: export the Azure OpenAI resource key, or an Entra ID "
            "token in AZURE_OPENAI_AD_TOKEN, in the environment that runs Terraform"
        )
    admin_key = non_empty("OPENAI_ADMIN_KEY")
    if flavor != "openai":
        admin: Auth = Missing(
            f"checkpoint permissions do not exist on Azure OpenAI (flavour {flavor}); grant access "
            "with Azure role assignments, or deploy the model into the other resource"
        )
    elif admin_key is not None:
        admin = ("authorization", f"Bearer {admin_key}")
    else:
        admin = Missing(
            "OPENAI_ADMIN_KEY is not set: checkpoint permissions need an organisation admin key "
            "with the api.fine_tuning.checkpoints.read and .write scopes; export it in the "
            "environment, never in Terraform code"
        )
    return Endpoint(
        flavor=flavor,
        base=base,
        project=project,
        admin=admin,
        organization=non_empty("OPENAI_ORG_ID"),
        project_id=non_empty("OPENAI_PROJECT_ID"),
        api_version=api_version,
        connect_timeout=float(whole_number(env, "OPENAI_FT_CONNECT_TIMEOUT", 10, 86_400, "of seconds ")),
        timeout=float(whole_number(env, "OPENAI_FT_TIMEOUT", 120, 86_400, "of seconds ")),
        redactor=Redactor([project_secret, admin_key]),
    )


def limits_from_env(env: Mapping[str, str]) -> Limits:
    return Limits(
        memory_mib=whole_number(env, "OPENAI_FT_MEMORY_LIMIT_MIB", 256, 4096, ""),
        cpu_secs=whole_number(env, "OPENAI_FT_CPU_LIMIT_SECS", 300, 86_400, ""),
    )


def whole_number(env: Mapping[str, str], name: str, default: int, most: int, unit: str) -> int:
    """Rust's `u64::from_str` after `trim()`: an optional `+`, then ASCII digits."""
    v = env.get(name)
    if v is None:
        return default
    t = rust_trim(v)
    if re.fullmatch(r"\+?[0-9]+", t, re.ASCII) and 1 <= int(t) <= most:
        return int(t)
    raise HostError(f"invalid {name} {debug_quote(v)}: must be a whole number {unit}1-{most}")


def check_base_url(name: str, url: str) -> str:
    """Accepts `https://host[:port][/path]`, or `http://` to a loopback address; returns it without
    a trailing slash."""
    fix = "set it to the API base, for example https://api.openai.com/v1"
    quoted = debug_quote(shown(url))
    if "://" not in url:
        raise HostError(f"invalid {name} {quoted}: not an absolute URL; {fix}")
    scheme, rest = url.split("://", 1)
    scheme = scheme.lower()
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if authority == "" or "@" in authority or "?" in rest or "#" in rest:
        raise HostError(
            f"invalid {name} {quoted}: needs a host and no user, query or fragment; {fix}"
        )
    if scheme == "http" and not is_loopback(authority):
        raise HostError(
            f"invalid {name} {quoted}: must use https (plain http is allowed only for "
            "loopback addresses such as http://127.0.0.1:8080/v1)"
        )
    if scheme not in ("https", "http"):
        raise HostError(f"invalid {name} {quoted}: the scheme must be https; {fix}")
    return url.rstrip("/")


def shown(url: str) -> str:
    """`url` as error lines show it: a password in its userinfo (`scheme://user:password@host`)
    replaced by `[redacted]`, as the native host does."""
    start = url.index("://") + 3 if "://" in url else 0
    authority = re.split(r"[/?#]", url[start:], maxsplit=1)[0]
    user_end = authority.rfind("@")
    colon = authority.find(":")
    if user_end < 0 or colon < 0 or colon > user_end or colon + 1 == user_end:
        return url
    return f"{url[:start + colon + 1]}[redacted]{url[start + user_end:]}"


def is_loopback(authority: str) -> bool:
    """Is the host part of `authority` (`host[:port]`) a loopback address?"""
    if authority.startswith("["):
        host = authority[1:].split("]", 1)[0]
    else:
        host = authority.rsplit(":", 1)[0] if ":" in authority else authority
    if host.lower() == "localhost":
        return True
    # Rust's parsers take no zone ids and no IPv4-mapped loopback; ipaddress is as strict on
    # leading zeros.
    if "%" in host:
        return False
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        return int(ip) == 1
    return ip.is_loopback
