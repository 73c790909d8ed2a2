"""Pulsar 2.10 ``standalone.conf``: the settings FATE relies on or that differ from Pulsar's defaults.

Keys not written here keep Pulsar's built-in defaults. With TLS both listeners are served: plain 6650/8080 for
the party's own fateflow inside the cluster, TLS 6651/8081 for the exchange's SNI proxy.
"""

from __future__ import annotations

from models.fate import FateSpec

CERT_DIR = "/opt/pulsar/certs"


def render_standalone_conf(spec: FateSpec, tls: bool) -> str:
    confs = spec.pulsar.confs if spec.pulsar and spec.pulsar.confs else None
    settings: list[tuple[str, object]] = [
        ("clusterName", "standalone"),
        ("bindAddress", "0.0.0.0"),
        ("brokerServicePort", 6650),
        ("webServicePort", 8080),
        ("maxMessageSize", 134217728),
        ("nettyMaxFrameSizeBytes", 134217728),
        ("managedLedgerDefaultEnsembleSize", 1),
        ("managedLedgerDefaultWriteQuorum", 1),
        ("managedLedgerDefaultAckQuorum", 1),
        ("backlogQuotaDefaultLimitGB", (confs.backlog_quota_default_limit_gb if confs else None) or 10),
        ("brokerDeleteInactiveTopicsEnabled", "true"),
        (
            "brokerDeleteInactiveTopicsFrequencySeconds",
            (confs.broker_delete_inactive_topics_frequency_seconds if confs else None) or 60,
        ),
        ("ttlDurationDefaultInSeconds", 0),
        ("allowAutoTopicCreation", "true"),
        ("allowAutoTopicCreationType", "non-partitioned"),
        ("webSocketServiceEnabled", "true"),
        ("authenticationEnabled", "false"),
        ("authorizationEnabled", "false"),
        ("tlsEnabled", "true" if tls else "false"),
    ]
    if tls:
        settings += [
            ("brokerServicePortTls", 6651),
            ("webServicePortTls", 8081),
            ("brokerClientTlsEnabled", "true"),
            ("tlsAllowInsecureConnection", "true"),
            ("tlsCertificateFilePath", f"{CERT_DIR}/broker.cert.pem"),
            ("tlsKeyFilePath", f"{CERT_DIR}/broker.key-pk8.pem"),
            ("tlsTrustCertsFilePath", f"{CERT_DIR}/ca.cert.pem"),
            ("bookkeeperTLSTrustCertsFilePath", f"{CERT_DIR}/ca.cert.pem"),
            ("tlsCertRefreshCheckDurationSec", 300),
        ]
    return "".join(f"{k}={v}\n" for k, v in settings)
