"""Issue 11 (1): the notebook is behind a generated password whose hash alone reaches the cluster."""

from __future__ import annotations

import hashlib
import json

from components.fate_cluster.notebook_auth import jupyter_password_hash
from tests.test_fate_cluster import KNOWN_PASSWORD, SECRET, SEEDS, STS, SVC, deploy, main_container, names
from tests.test_tanzu_support import unwrap

SALT = "abcdef123456"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"


def jupyter_accepts(hashed: str, passphrase: str) -> bool:
    """Jupyter's check of a stored ``algorithm:salt:digest`` login, written from its documented format."""
    algorithm, salt, digest = hashed.split(":", 2)
    h = hashlib.new(algorithm)
    h.update(passphrase.encode("utf-8") + salt.encode("ascii"))
    return h.hexdigest() == digest


def test_the_hash_is_jupyters_salted_format():
    hashed = jupyter_password_hash("correct horse", SALT)
    assert hashed.startswith(f"sha1:{SALT}:") and len(hashed.split(":")[2]) == 40
    assert jupyter_accepts(hashed, "correct horse")
    assert not jupyter_accepts(hashed, "correct horse ")
    assert jupyter_password_hash("correct horse", "other-salt1") != hashed


def with_salt(harness):
    harness.mocks.on_new["random:index/randomString:RandomString"] = lambda a: {"result": SALT}


def credentials(harness) -> dict[str, str]:
    (secret,) = [r for r in harness.mocks.of_type(SECRET) if r.k8s_name == "fate-credentials"]
    return unwrap(secret.inputs["stringData"])


def test_the_notebook_gets_a_generated_password_by_default(harness):
    with_salt(harness)
    fc = deploy(harness)
    hashed = credentials(harness)["notebook-hashed-password"]
    assert jupyter_accepts(hashed, KNOWN_PASSWORD)
    client = main_container(harness, STS, "client")
    env = {e["name"]: e for e in client["env"]}
    assert env["NOTEBOOK_HASHED_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "fate-credentials",
        "key": "notebook-hashed-password",
    }
    assert "--NotebookApp.password=${NOTEBOOK_HASHED_PASSWORD}" in client["command"][-1]
    # The plain password is a secret output of the component; the cluster only ever gets its hash.
    assert harness.is_secret(fc.notebook_password) and harness.value(fc.notebook_password) == KNOWN_PASSWORD
    assert KNOWN_PASSWORD not in json.dumps(credentials(harness)["notebook-hashed-password"])
    for r in harness.mocks.registered:
        if not r.typ.startswith("random:") and r.typ != SECRET:
            assert KNOWN_PASSWORD not in json.dumps(r.inputs, default=str), r.name


def test_a_configured_hash_wins_and_nothing_is_generated_for_it(harness):
    given = jupyter_password_hash("site-chosen", "0123456789ab")
    fc = deploy(harness, {**SEEDS, "client": {"notebook_hashed_password": given}})
    assert credentials(harness)["notebook-hashed-password"] == given
    assert not [r for r in harness.mocks.registered if "notebook" in r.name and r.typ.startswith("random:")]
    assert harness.value(fc.notebook_password) is None


def test_tls_on_the_notebook_ingress_is_configurable(harness):
    with_salt(harness)
    tls = [{"secretName": "notebook-tls", "hosts": ["notebook.bank-a.com"]}]
    fc = deploy(harness, {**SEEDS, "ingress": {"client": {"hosts": [{"name": "notebook.bank-a.com"}], "tls": tls}}})
    ingress = harness.mocks.one(INGRESS, "client").inputs["spec"]
    assert ingress["tls"] == [{"secretName": "notebook-tls", "hosts": ["notebook.bank-a.com"]}]
    assert harness.value(fc.notebook_url) == "https://notebook.bank-a.com/"


def test_the_notebook_can_be_left_out(harness):
    modules = ["mysql", "python", "fateboard", "spark", "hdfs", "nginx", "pulsar"]
    fc = deploy(harness, {**SEEDS, "modules": modules})
    assert "client" not in names(harness, STS) and "notebook" not in names(harness, SVC)
    assert "client" not in names(harness, INGRESS)
    assert "notebook-hashed-password" not in credentials(harness)
    assert harness.value(fc.notebook_url) is None
