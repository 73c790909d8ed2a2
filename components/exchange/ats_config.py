"""Apache Traffic Server configuration for the exchange: SNI tunnels to each party's Pulsar TLS port.

ATS only tunnels to destination ports listed in ``connect_ports``; upstream hard-codes
``6650-6700 30000-33000``, which silently breaks any party whose TLS port lies elsewhere (a load balancer on
443, say). The list is computed from the endpoints actually routed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from components.contracts import PartyKey, PulsarEndpoint
from components.exchange.routes import dump_yaml

# Where the image expects things (upstream chart layout; the image is built with prefix /opt/trafficserver).
CERT_DIR = "/opt/proxy"
CONFIG_DIR = "/opt/trafficserver/etc/trafficserver"
SNI_DIR = f"{CONFIG_DIR}/sni"
CERT_FILE = "proxy.cert.pem"
KEY_FILE = "proxy.key.pem"
CA_FILE = "ca.cert.pem"
CONTAINER_TLS_PORT = 443
CONTAINER_HTTP_PORT = 8080
# traffic_manager starts as root and traffic_server drops to the user compiled into the image: the image is built
# without --with-user, so that is `nobody`, group `nogroup` (65534). The certificate Secret must be readable by
# that group (fsGroup + group-readable mode), not only by root.
SERVER_GID = 65534


def tunnel_target(endpoint: PulsarEndpoint) -> str:
    host = endpoint["host"]
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # IPv6 literal
    return f"{host}:{endpoint['sslPort']}"


def sni_entries(domain: str, parties: Mapping[PartyKey, PulsarEndpoint | None]) -> list[dict[str, str]]:
    return [
        {"fqdn": f"{party_id}.{domain}", "tunnel_route": tunnel_target(endpoint)}
        for party_id, endpoint in sorted(parties.items(), key=lambda item: int(item[0]))
        if endpoint is not None
    ]


def sni_yaml(domain: str, parties: Mapping[PartyKey, PulsarEndpoint | None]) -> str:
    return dump_yaml({"sni": sni_entries(domain, parties)})


def port_ranges(ports: Iterable[int]) -> str:
    """``443 6651 30099-30100``: sorted, de-duplicated, adjacent ports merged into ranges."""
    ordered = sorted(set(ports))
    parts: list[str] = []
    start = prev = None
    for port in ordered:
        if start is None or prev is None:
            start = prev = port
        elif port == prev + 1:
            prev = port
        else:
            parts.append(str(start) if start == prev else f"{start}-{prev}")
            start = prev = port
    if start is not None:
        parts.append(str(start) if start == prev else f"{start}-{prev}")
    return " ".join(parts)


def connect_ports(parties: Mapping[PartyKey, PulsarEndpoint | None]) -> str:
    """The TLS listener itself plus every routed party's Pulsar TLS port."""
    ports = [CONTAINER_TLS_PORT] + [e["sslPort"] for e in parties.values() if e is not None]
    return port_ranges(ports)


def records_config(parties: Mapping[PartyKey, PulsarEndpoint | None]) -> str:
    settings = [
        ("proxy.config.http.cache.http", "INT", "0"),
        ("proxy.config.reverse_proxy.enabled", "INT", "0"),
        ("proxy.config.url_remap.remap_required", "INT", "0"),
        ("proxy.config.url_remap.pristine_host_hdr", "INT", "0"),
        ("proxy.config.http.response_server_enabled", "INT", "0"),
        (
            "proxy.config.http.server_ports",
            "STRING",
            f"{CONTAINER_HTTP_PORT} {CONTAINER_HTTP_PORT}:ipv6 {CONTAINER_TLS_PORT}:ssl",
        ),
        ("proxy.config.http.connect_ports", "STRING", connect_ports(parties)),
        ("proxy.config.ssl.CA.cert.filename", "STRING", CA_FILE),
        ("proxy.config.ssl.CA.cert.path", "STRING", CERT_DIR),
        ("proxy.config.ssl.server.cert.path", "STRING", CERT_DIR),
        # ssl_multicert's ssl_key_name is resolved against this path, which defaults to the configuration
        # directory: the key is in the Secret directory beside the certificate.
        ("proxy.config.ssl.server.private_key.path", "STRING", CERT_DIR),
        ("proxy.config.ssl.servername.filename", "STRING", "sni/sni.yaml"),
    ]
    return "".join(f"CONFIG {key} {kind} {value}\n" for key, kind, value in settings)


def ssl_multicert_config() -> str:
    return f"dest_ip=* ssl_cert_name={CERT_FILE} ssl_key_name={KEY_FILE}\n"
