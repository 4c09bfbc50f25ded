"""Signing in to Azure with Entra ID in every host, against a resource that refuses keys
(`--disable-local-auth`) and an Entra that issues short-lived tokens: every credential kind end to
end, a wait that outlives three token lifetimes, one refresh and one retry after a 401 and the
line that names the credential when the resource keeps refusing, byte-identical across hosts. The
Node and Python hosts sign in with @azure/identity and azure-identity, which insist on an https
authority: they reach the emulator's Entra through a TLS front (scripts/lib/tls_front.py) whose
test CA they are told to trust; the native host goes the same way. No token, assertion or secret
may show in any output."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from hosts import REPO, Emulator, clean_env

sys.path.insert(0, str(REPO / "scripts" / "lib"))
from tls_front import TlsFront  # noqa: E402

HOSTS = ("native", "node", "python")
TENANT = "00000000-0000-4000-8000-0000000e1a7e"
SECRET = "client-secret-value-0123"
IDENTITY_HEADER = "identity-header-secret-0123"
GITHUB_REQUEST_TOKEN = "github-request-token-0123"
WORKLOAD = ("https://oidc.aks.test/issuer", "system:serviceaccount:training:openai-ft")
GITHUB = ("https://token.actions.githubusercontent.com", "repo:openai-ft/openai-ft:ref:refs/heads/main")
SECRETS = (SECRET, IDENTITY_HEADER, GITHUB_REQUEST_TOKEN)

KINDS = {
    "client-secret": "a client secret (client id app-secret)",
    "workload-identity": "workload identity (client id app-workload)",
    "github-oidc": "GitHub Actions' OIDC token (client id app-github)",
    "app-service": "a managed identity (IDENTITY_ENDPOINT)",
    "imds": "a managed identity (IMDS)",
    "azure-cli": "the Azure CLI's signed-in account",
}


class Resource:
    """An Azure OpenAI resource with key authentication off, its Entra tenant (tokens living
    `lifetime` seconds) and the TLS front before it."""

    def __init__(self, lifetime: int = 3600, step_ms: int = 5):
        flags = ["--disable-local-auth", "--token-lifetime-secs", str(lifetime),
                 "--entra-client", f"app-secret={SECRET}",
                 "--entra-federated", f"app-workload={WORKLOAD[0]},{WORKLOAD[1]}",
                 "--entra-federated", f"app-github={GITHUB[0]},{GITHUB[1]}",
                 "--managed-identity", "mi-client-id", "--identity-header", IDENTITY_HEADER,
                 "--github-request-token", GITHUB_REQUEST_TOKEN]
        self.emulator = Emulator("azure", step_ms, flags)
        self.front = TlsFront(self.emulator.root)
        self.root = self.emulator.root

    def stop(self):
        self.front.stop()
        self.emulator.stop()

    def counts(self):
        return self.emulator.control("GET", "/_emulator/requests")

    def token_requests(self) -> int:
        c = self.counts()
        return sum(v for k, v in c.items() if k.endswith("/oauth2/v2.0/token") or "/msi/token" in k
                   or "/metadata/identity/oauth2/token" in k)

    def env(self, kind: str, scratch: Path):
        """The environment a host signs in with as `kind`: no key at all."""
        env = {"OPENAI_FT_FLAVOR": "azure", "AZURE_OPENAI_ENDPOINT": self.root,
               "AZURE_AUTHORITY_HOST": self.front.url, **self.front.env()}
        app = {"AZURE_TENANT_ID": TENANT}
        if kind == "client-secret":
            env.update(app, AZURE_CLIENT_ID="app-secret", AZURE_CLIENT_SECRET=SECRET)
        elif kind == "workload-identity":
            token = scratch / "federated-token"
            token.write_text(_jwt(*WORKLOAD))
            env.update(app, AZURE_CLIENT_ID="app-workload", AZURE_FEDERATED_TOKEN_FILE=str(token))
        elif kind == "github-oidc":
            env.update(app, AZURE_CLIENT_ID="app-github",
                       ACTIONS_ID_TOKEN_REQUEST_URL=f"{self.root}/_github/idtoken?api-version=2.0",
                       ACTIONS_ID_TOKEN_REQUEST_TOKEN=GITHUB_REQUEST_TOKEN)
        elif kind == "app-service":
            env.update(IDENTITY_ENDPOINT=f"{self.root}/msi/token", IDENTITY_HEADER=IDENTITY_HEADER)
        elif kind == "imds":
            # Found by trying, on loopback here, as the Azure SDKs allow.
            env.update(AZURE_POD_IDENTITY_AUTHORITY_HOST=self.root)
        elif kind == "azure-cli":
            env.update(PATH=f"{_fake_az(scratch, self.root)}:{os.environ['PATH']}",
                       OPENAI_FT_AZURE_CREDENTIAL="azure-cli")
        return env


def _jwt(iss: str, sub: str) -> str:
    """A JWT for Entra's token exchange, as a Kubernetes service account token is."""
    part = lambda v: base64.urlsafe_b64encode(json.dumps(v).encode()).rstrip(b"=").decode()  # noqa: E731
    now = int(time.time())
    claims = {"iss": iss, "sub": sub, "aud": ["api://AzureADTokenExchange"], "iat": now, "exp": now + 3600}
    return f"{part({'alg': 'RS256', 'kid': 'k8s'})}.{part(claims)}.{part('not-a-real-signature-0123')}"


def _fake_az(folder: Path, root: str) -> Path:
    """A fake `az` that signs in as the client-secret application, the way a service principal's
    `az login` would, and prints what the real one prints (both the libraries' and the native
    host's `az account get-access-token --output json --resource ...`)."""
    folder = folder / "az-bin"
    folder.mkdir(exist_ok=True)
    script = f"""#!{sys.executable}
import json, sys, time, urllib.parse, urllib.request
args = sys.argv[1:]
if args[:2] != ["account", "get-access-token"]:
    sys.exit("ERROR: unexpected arguments " + " ".join(args))
resource = args[args.index("--resource") + 1] if "--resource" in args else args[args.index("--scope") + 1][:-len("/.default")]
form = urllib.parse.urlencode({{"grant_type": "client_credentials", "client_id": "app-secret",
    "client_secret": "{SECRET}", "scope": resource + "/.default"}}).encode()
answer = json.load(urllib.request.urlopen("{root}/{TENANT}/oauth2/v2.0/token", form, timeout=30))
expires = int(time.time()) + answer["expires_in"]
print(json.dumps({{"accessToken": answer["access_token"], "expiresOn":
    time.strftime("%Y-%m-%d %H:%M:%S.000000", time.localtime(expires)), "expires_on": expires,
    "subscription": "00000000-0000-0000-0000-000000000001", "tenant": "{TENANT}",
    "tokenType": "Bearer"}}, indent=2))
"""
    az = folder / "az"
    az.write_text(script)
    az.chmod(az.stat().st_mode | stat.S_IEXEC)
    return folder


def _clean(text: str):
    """No token, assertion or secret of the sign-in (JWTs start `eyJ`, base64 of `{"`)."""
    for secret in ("eyJ", *SECRETS):
        assert secret not in text, f"{secret} shows in: {text}"


@pytest.fixture
def resource():
    r = Resource()
    yield r
    r.stop()


def _run(host_table, host, args, env, stdin=b"{}", timeout=120):
    out = host_table[host].run(args, stdin, env, timeout=timeout)
    _clean(out.stdout)
    _clean(out.stderr)
    return out


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("host", HOSTS)
def test_every_credential_kind_signs_in_where_keys_are_refused(host_table, resource, tmp_path, host, kind):
    out = _run(host_table, host, ["job", "list"], resource.env(kind, tmp_path))
    assert out.code == 0, out.stderr
    assert json.loads(out.stdout)["count"] == "0"
    assert [line for line in out.lines if "signed in" in line] == \
        [f"openai-ft: signed in to Azure with {KINDS[kind]}"], out.stderr
    assert resource.token_requests() >= 1


@pytest.mark.parametrize("host", HOSTS)
def test_the_key_is_refused_by_this_resource(host_table, resource, host):
    env = {"OPENAI_FT_FLAVOR": "azure", "AZURE_OPENAI_ENDPOINT": resource.root,
           "AZURE_OPENAI_API_KEY": "azure-CONFORMANCE-key-01"}
    out = _run(host_table, host, ["job", "list"], env)
    assert out.code == 1 and "Key based authentication is disabled" in out.stderr, out.stderr


@pytest.mark.parametrize("host", HOSTS)
def test_a_wait_through_three_token_lifetimes_finishes_with_one_job(host_table, tmp_path, host):
    resource = Resource(lifetime=2, step_ms=150)
    try:
        env = resource.env("client-secret", tmp_path)
        upload = _run(host_table, host, ["file", "upload"], env,
                      json.dumps({"path": str(REPO / "tests" / "data" / "supervised.jsonl")}).encode())
        file = json.loads(upload.stdout)["id"]
        before = resource.token_requests()
        started = time.monotonic()
        spec = {"model": "gpt-4o-mini", "training_file": file, "suffix": "signin", "poll_interval": "0.2",
                "wait": "true", "hyperparameters": '{"n_epochs":"50"}'}
        out = _run(host_table, host, ["job", "ensure"], env, json.dumps(spec).encode(), timeout=300)
        elapsed = time.monotonic() - started
        assert out.code == 0, out.stderr
        assert json.loads(out.stdout)["status"] == "succeeded"
        assert elapsed >= 6, f"the wait outlives three 2 s tokens ({elapsed:.1f} s)"
        assert resource.token_requests() - before >= 3
        assert resource.counts().get("POST /openai/v1/fine_tuning/jobs") == 1
    finally:
        resource.stop()


@pytest.mark.parametrize("host", HOSTS)
def test_a_refused_token_is_refreshed_once_then_the_line_names_the_credential(host_table, resource, tmp_path,
                                                                               host):
    env = resource.env("client-secret", tmp_path)
    resource.emulator.fault([{"method": "GET", "path": "/fine_tuning/jobs", "fault": 401, "times": 1}])
    out = _run(host_table, host, ["job", "list"], env)
    assert out.code == 0, out.stderr
    assert resource.token_requests() == 2, "one token, then one refresh"
    assert resource.counts()["GET /openai/v1/fine_tuning/jobs"] == 2

    resource.emulator.fault([{"method": "GET", "path": "/fine_tuning/jobs", "fault": 401, "times": 2}])
    out = _run(host_table, host, ["job", "list"], env)
    assert out.code == 1
    assert resource.counts()["GET /openai/v1/fine_tuning/jobs"] == 4, "no third try"
    assert ("openai-ft: Azure refused the token of a client secret (client id app-secret) for "
            "https://cognitiveservices.azure.com: give the identity Cognitive Services OpenAI Contributor on the "
            "Azure OpenAI resource (a new role takes a few minutes), and check that the endpoint is the resource "
            "you meant") in out.lines, out.stderr


@pytest.mark.parametrize("host", HOSTS)
def test_a_credential_that_does_not_sign_in_says_which_and_how_to_fix_it(host_table, resource, tmp_path, host):
    env = {**resource.env("client-secret", tmp_path), "AZURE_CLIENT_SECRET": "wrong-secret-value-0123"}
    out = _run(host_table, host, ["job", "list"], env)
    assert out.code == 1
    [line] = out.lines
    assert line.startswith("openai-ft: signing in to Azure with a client secret (client id app-secret) failed: "), line
    assert "AADSTS7000215" in line, line
    assert line.endswith("; check AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET"), line
    assert "wrong-secret-value-0123" not in out.stderr


def test_the_github_action_signs_in_with_the_jobs_oidc_token(host_table, resource, tmp_path):
    """The Action (hosts/node/src/action.js, as GitHub runs it) in a job with `permissions:
    id-token: write`: GitHub's OIDC token request (emulated) for the federated application."""
    output = tmp_path / "output"
    env = {**resource.env("github-oidc", tmp_path), "GITHUB_OUTPUT": str(output), "INPUT_COMMAND": "job list"}
    node = host_table["node"].argv[0]
    proc = subprocess.run([node, str(REPO / "hosts" / "node" / "src" / "action.js")], capture_output=True,
                          env=clean_env(env), timeout=120, stdin=subprocess.DEVNULL)
    out, err = proc.stdout.decode(), proc.stderr.decode()
    _clean(out)
    _clean(err)
    assert proc.returncode == 0, out + err
    assert "openai-ft: signed in to Azure with GitHub Actions' OIDC token (client id app-github)" in out, out
    assert "count<<" in output.read_text()
    assert resource.counts().get("GET /_github/idtoken") == 1
