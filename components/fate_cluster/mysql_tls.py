"""TLS between fateflow and the party's MySQL (issue 10).

Why: MySQL 8.0 creates the ``fate`` user with ``caching_sha2_password``. A client logging in over plain TCP on a
cold server cache must either encrypt the password with the server's RSA key (PyMySQL needs the ``cryptography``
package for that, which FATE-Flow 2.0.0's image does not have; upstream ran ``pip install cryptography`` at every
start) or send it over TLS, which needs no extra package. So the party gets its own small PKI here
(pulumi-tls): a CA and a server certificate for the names fateflow connects to; mysqld is started with them and
fateflow connects with TLS and verifies the server against the CA (``database.mysql.ssl.ca`` in
``service_conf.yaml``, PyMySQL's ``ssl`` option). The authentication plugin stays MySQL's default, which is
also the only one MySQL 9 still has (``mysql_native_password`` is gone there).

The keys never leave the Pulumi state and Secret ``mysql-tls``; mysqld reads them as user ``mysql`` (uid/gid
999 in the official image) through ``fsGroup``, with the Secret's files 0440.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pulumi
import pulumi_tls as tls

from components.fate_cluster import objects as o
from components.provider_input import ProviderInput
from models.fate import FateSpec

MYSQL_TLS_SECRET = "mysql-tls"
CA_KEY, CERT_KEY, KEY_KEY = "ca.pem", "server-cert.pem", "server-key.pem"
SERVER_TLS_DIR = "/etc/mysql/tls"  # in the mysql container
CLIENT_CA_DIR = f"{o.FATE_HOME}/conf-mysql-tls"  # in the fateflow container (the CA only)
CLIENT_CA_PATH = f"{CLIENT_CA_DIR}/{CA_KEY}"
MYSQL_GID = 999  # group `mysql` of the official mysql image
SECRET_MODE = 0o440
VALIDITY_HOURS = 10 * 365 * 24
EARLY_RENEWAL_HOURS = 30 * 24


def server_args() -> list[str]:
    """mysqld options (the image's entrypoint passes args starting with ``-`` to mysqld, for the initialising
    and the final server alike)."""
    return [
        f"--ssl-ca={SERVER_TLS_DIR}/{CA_KEY}",
        f"--ssl-cert={SERVER_TLS_DIR}/{CERT_KEY}",
        f"--ssl-key={SERVER_TLS_DIR}/{KEY_KEY}",
    ]


def server_names(spec: FateSpec, host: str) -> tuple[list[str], list[str]]:
    """(DNS names, IP addresses) of the server certificate: the Service's names in the namespace, and the host
    fateflow is configured to connect to (``mysql.ip``) when it is another name or an address."""
    ns = spec.namespace
    dns = ["mysql", f"mysql.{ns}", f"mysql.{ns}.svc", f"mysql.{ns}.svc.cluster.local"]
    ips: list[str] = []
    try:
        ips.append(str(ipaddress.ip_address(host)))
    except ValueError:
        if host not in dns:
            dns.append(host)
    return dns, ips


@dataclass
class MysqlTls:
    ca_pem: pulumi.Output[str]
    cert_pem: pulumi.Output[str]
    key_pem: pulumi.Output[str]  # secret


def _subject(cn: str) -> ProviderInput:
    return {"common_name": cn, "organization": "FATE party MySQL"}


def issue(name: str, spec: FateSpec, host: str, parent: pulumi.Resource) -> MysqlTls:
    """The party's MySQL CA and server certificate; RSA 2048, as the certificates mysqld makes for itself."""
    opts = pulumi.ResourceOptions(parent=parent)
    ca_key = tls.PrivateKey(f"{name}-mysql-ca-key", algorithm="RSA", rsa_bits=2048, opts=opts)
    ca = tls.SelfSignedCert(
        f"{name}-mysql-ca",
        private_key_pem=ca_key.private_key_pem,
        is_ca_certificate=True,
        subject=_subject(f"fate-{spec.party_id} MySQL CA"),
        allowed_uses=["cert_signing", "crl_signing", "digital_signature"],
        validity_period_hours=VALIDITY_HOURS,
        early_renewal_hours=EARLY_RENEWAL_HOURS,
        opts=opts,
    )
    key = tls.PrivateKey(f"{name}-mysql-server-key", algorithm="RSA", rsa_bits=2048, opts=opts)
    dns, ips = server_names(spec, host)
    csr = tls.CertRequest(
        f"{name}-mysql-server-csr",
        private_key_pem=key.private_key_pem,
        subject=_subject("mysql"),
        dns_names=dns,
        ip_addresses=ips or None,
        opts=opts,
    )
    cert = tls.LocallySignedCert(
        f"{name}-mysql-server",
        cert_request_pem=csr.cert_request_pem,
        ca_private_key_pem=ca_key.private_key_pem,
        ca_cert_pem=ca.cert_pem,
        allowed_uses=["digital_signature", "key_encipherment", "server_auth"],
        validity_period_hours=VALIDITY_HOURS,
        early_renewal_hours=EARLY_RENEWAL_HOURS,
        opts=opts,
    )
    return MysqlTls(ca_pem=ca.cert_pem, cert_pem=cert.cert_pem, key_pem=pulumi.Output.secret(key.private_key_pem))


def server_volume() -> dict:
    return {"name": MYSQL_TLS_SECRET, "secret": {"secretName": MYSQL_TLS_SECRET, "defaultMode": SECRET_MODE}}


def client_volume() -> dict:
    """The CA only: fateflow never sees the server's key."""
    return {
        "name": MYSQL_TLS_SECRET,
        "secret": {"secretName": MYSQL_TLS_SECRET, "items": [{"key": CA_KEY, "path": CA_KEY}]},
    }
