"""KubeFateServiceConfig and the party-level rules: each validation rule with the message it prints."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from models.errors import Problem, from_validation_error
from models.kubefate_service import KubeFateServiceConfig
from models.party import ExchangeLink

HOST = "kubefate.party-30000.fate.internal"


def messages(data: dict, model=KubeFateServiceConfig) -> list[Problem]:
    with pytest.raises(ValidationError) as exc:
        model.model_validate(data)
    return from_validation_error(exc.value, "kubefate", "test", KubeFateServiceConfig).problems


def test_defaults_follow_upstream_but_generate_credentials():
    cfg = KubeFateServiceConfig.model_validate({"host": HOST, "storageClass": "sc"})
    assert cfg.image == "federatedai/kubefate:v1.4.5"
    assert cfg.admin_username == "admin" and cfg.repo_url == "https://federatedai.github.io/KubeFATE"
    assert cfg.keep_database_on_destroy and cfg.await_ingress and not cfg.istio
    assert cfg.url == f"http://{HOST}"


def test_tls_secret_makes_the_url_https():
    cfg = KubeFateServiceConfig.model_validate({"host": HOST, "tlsSecretName": "kubefate-tls"})
    assert cfg.url == f"https://{HOST}"


def test_upstream_example_host_is_refused():
    assert messages({"host": "example.com"}) == [
        "kubefate.host = 'example.com': upstream's default host: every KubeFATE left at it collides with the "
        "others on a shared ingress, and the CLI would talk to whichever answers. Fix: use a host of your own "
        "per party, e.g. 'kubefate.party-30000.fate.internal'"
    ]


@pytest.mark.parametrize("host", ["https://kubefate.a.b", "kubefate", "KubeFATE.a.b", "a.b:8080", "a.b/path"])
def test_host_must_be_a_dns_name(host):
    found = messages({"host": host})
    assert len(found) == 1 and found[0].startswith(f"kubefate.host = {host!r}: "), found
    assert "DNS name" in found[0] or "without scheme, port or path" in found[0], found
    assert "Fix: " in found[0]


def test_host_is_required_while_enabled():
    assert messages({}) == [
        "kubefate.host = None: the KubeFATE service is reached through an Ingress and needs its own host name. "
        "Fix: set it, e.g. 'kubefate.party-30000.fate.internal', or set kubefate.enabled: false"
    ]


def test_disabled_service_needs_nothing():
    cfg = KubeFateServiceConfig.model_validate({"enabled": False})
    assert cfg.url is None and cfg.sizing_findings() == [] and cfg.missing_storage_class() == []


@pytest.mark.parametrize("image", ["federatedai/kubefate", "federatedai/kubefate:latest", "Fed/kubefate:v1"])
def test_images_need_a_fixed_tag(image):
    found = messages({"host": HOST, "image": image})
    assert len(found) == 1 and found[0].startswith(f"kubefate.image = {image!r}: ")
    assert "Fix: pin a release" in found[0] or "Fix: write e.g. 'federatedai/" in found[0], found


def test_mirrored_images_with_registry_port_and_digest_are_fine():
    digest = "sha256:" + "a" * 64
    cfg = KubeFateServiceConfig.model_validate(
        {
            "host": HOST,
            "image": "harbor.example.org:5000/federatedai/kubefate:v1.4.5",
            "mariadbImage": f"harbor.example.org/library/mariadb@{digest}",
        }
    )
    assert cfg.mariadb_image.endswith(digest)


def test_mariadb_image_is_checked_by_its_own_name():
    assert messages({"host": HOST, "mariadbImage": "mariadb:latest"})[0].startswith(
        "kubefate.mariadbImage = 'mariadb:latest': 'latest' moves"
    )


def test_unknown_key_is_refused():
    assert messages({"host": HOST, "replicas": 2}) == [
        "kubefate.replicas = 2: unknown key. Fix: remove it; the keys here are adminUsername, awaitIngress, "
        "databaseSize, enabled, host, image, imagePullSecrets, ingressAnnotations, ingressClassName, istio, "
        "keepDatabaseOnDestroy, logLevel, mariadbImage, repoUrl, resources, storageClass, tlsSecretName"
    ]


@pytest.mark.parametrize(
    ("key", "value", "start"),
    [
        ("databaseSize", "lots", "kubefate.databaseSize = 'lots': not a Kubernetes size. Fix: write e.g. '10Gi'"),
        ("adminUsername", "1admin", "kubefate.adminUsername = '1admin': not a plain user name"),
        ("repoUrl", "ftp://charts", "kubefate.repoUrl = 'ftp://charts': not an http(s) URL"),
        ("ingressClassName", "Nginx_Class", "kubefate.ingressClassName = 'Nginx_Class': not a DNS subdomain"),
        ("tlsSecretName", "my secret", "kubefate.tlsSecretName = 'my secret': not a DNS subdomain"),
        ("resources", {"requests": {"cpu": "lots"}}, "kubefate.resources.requests.cpu = 'lots': not a Kubernetes"),
        (
            "resources",
            {"minimum": {"cpu": "1"}},
            "kubefate.resources.minimum = 'minimum': Input should be 'requests' or 'limits'",
        ),
        ("logLevel", "trace", "kubefate.logLevel = 'trace': Input should be"),
    ],
)
def test_each_key_is_validated(key, value, start):
    found = messages({"host": HOST, key: value})
    assert len(found) == 1 and found[0].startswith(start), found
    assert "Fix:" in found[0]


def test_small_database_is_a_sizing_finding():
    cfg = KubeFateServiceConfig.model_validate({"host": HOST, "databaseSize": "2Gi"})
    assert cfg.sizing_findings() == [
        "kubefate.databaseSize = '2Gi': volumes below 5 GiB are under the reference architecture. Fix: use at "
        "least 5Gi, or use sizing: trial"
    ]


@pytest.mark.parametrize("stack", ["exchange", "organization/kubefate-tanzu/exchange", "acme/exchange"])
def test_exchange_link_accepts_stack_names(stack):
    assert ExchangeLink.model_validate({"stack": stack}).stack == stack


def test_exchange_link_refuses_garbage():
    with pytest.raises(ValidationError) as exc:
        ExchangeLink.model_validate({"stack": "a/b/c/d"})
    (found,) = from_validation_error(exc.value, "exchange", "t").problems
    assert found.startswith("exchange.stack = 'a/b/c/d': not a Pulumi stack name") and found.fix, found
