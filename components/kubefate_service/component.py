"""KubeFateService: namespace, RBAC, metadata database and the KubeFATE REST service behind an Ingress."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.kubefate_service import manifests as m
from components.kubefate_service.network_policies import kubefate_policies
from components.kubefate_service.rbac import cluster_role_rules
from components.network_policy import register
from components.provider_input import rendered
from models.kubefate_service import NAMESPACE, KubeFateServiceConfig


@dataclass
class KubeFateServiceArgs:
    config: KubeFateServiceConfig
    provider: k8s.Provider


class KubeFateService(pulumi.ComponentResource):
    """One party's KubeFATE service.

    The metadata database is on a PersistentVolumeClaim that outlives ``pulumi destroy`` (with its namespace)
    when ``keepDatabaseOnDestroy`` is on, because it holds KubeFATE's cluster and job records (upstream's
    emptyDir loses them, facts §12.16). Credentials are generated once and delivered in one Secret whose
    generated name changes with its content, so a rotation rolls the pods that read it.
    """

    url: pulumi.Output[str]
    credentials: pulumi.Output[dict[str, str]]
    namespace: pulumi.Output[str]

    def __init__(self, name: str, args: KubeFateServiceArgs, opts: pulumi.ResourceOptions | None = None):
        cfg = args.config
        if not cfg.enabled or cfg.host is None or cfg.storage_class is None:
            raise ValueError(
                "KubeFateService needs an enabled, validated config (host and storageClass "
                "set); the stack skips it when kubefate.enabled is false"
            )
        super().__init__("kubefate:index:KubeFateService", name, None, opts)
        self._cfg, self._provider = cfg, args.provider
        keep = cfg.keep_database_on_destroy
        ns = k8s.core.v1.Namespace(
            f"{name}-ns",
            metadata={"name": NAMESPACE, "labels": m.namespace_labels()},
            opts=self._opts(retain_on_delete=keep),
        )
        self.namespace = ns.metadata.apply(lambda md: md["name"] if isinstance(md, dict) else md.name)
        meta = {"namespace": self.namespace}
        register(name, kubefate_policies(), self._opts(depends_on=[ns]))
        self._rbac(name, meta)
        secret, admin_password = self._credentials(name, meta)
        db = self._database(name, meta, secret, keep)
        self._service(name, meta, secret, db)
        self.url = pulumi.Output.from_input(cfg.url or "")
        user = cfg.admin_username
        self.credentials = pulumi.Output.secret(admin_password.apply(lambda p: {"username": user, "password": p}))
        self.register_outputs({"url": self.url, "credentials": self.credentials, "namespace": self.namespace})

    def _opts(self, **kwargs) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, provider=self._provider, **kwargs)

    def _rbac(self, name: str, meta: dict) -> None:
        sa = k8s.core.v1.ServiceAccount(
            f"{name}-sa",
            metadata=rendered({**meta, "name": m.SERVICE_ACCOUNT, "labels": m.labels(m.KUBEFATE)}),
            opts=self._opts(),
        )
        role = k8s.rbac.v1.ClusterRole(
            f"{name}-role",
            metadata={"name": m.CLUSTER_ROLE, "labels": m.labels(m.KUBEFATE)},
            rules=rendered(cluster_role_rules(self._cfg.istio)),
            opts=self._opts(),
        )
        k8s.rbac.v1.ClusterRoleBinding(
            f"{name}-binding",
            metadata={"name": m.CLUSTER_ROLE_BINDING, "labels": m.labels(m.KUBEFATE)},
            role_ref=rendered(
                {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role.metadata.name}
            ),
            subjects=[{"kind": "ServiceAccount", "name": sa.metadata.name, "namespace": self.namespace}],
            opts=self._opts(),
        )

    def _credentials(self, name: str, meta: dict) -> tuple[k8s.core.v1.Secret, pulumi.Output[str]]:
        def password(suffix: str) -> pulumi.Output[str]:
            # No special characters: the values pass through env vars, JDBC-style DSNs and the CLI's YAML.
            return random.RandomPassword(
                f"{name}-{suffix}",
                length=32,
                special=False,
                min_lower=2,
                min_upper=2,
                min_numeric=2,
                opts=pulumi.ResourceOptions(parent=self),
            ).result

        admin, db, root = password("admin-password"), password("db-password"), password("db-root-password")
        secret = k8s.core.v1.Secret(
            f"{name}-credentials",
            metadata=rendered({**meta, "labels": m.labels(m.KUBEFATE)}),
            type="Opaque",
            string_data={
                m.ADMIN_USERNAME_KEY: self._cfg.admin_username,
                m.ADMIN_PASSWORD_KEY: pulumi.Output.secret(admin),
                m.DB_USERNAME_KEY: m.DB_USER,
                m.DB_PASSWORD_KEY: pulumi.Output.secret(db),
                m.DB_ROOT_PASSWORD_KEY: pulumi.Output.secret(root),
            },
            opts=self._opts(additional_secret_outputs=["stringData", "data"]),
        )
        return secret, admin

    def _database(self, name: str, meta: dict, secret: k8s.core.v1.Secret, keep: bool) -> list[pulumi.Resource]:
        cfg = self._cfg
        claim = k8s.core.v1.PersistentVolumeClaim(
            f"{name}-db-data",
            metadata=rendered({**meta, "name": m.DB_CLAIM, "labels": m.labels(m.MARIADB)}),
            spec=rendered(
                {
                    "accessModes": ["ReadWriteOnce"],
                    "storageClassName": cfg.storage_class,
                    "resources": {"requests": {"storage": cfg.database_size}},
                }
            ),
            opts=self._opts(retain_on_delete=keep),
        )
        container = m.mariadb_container(cfg, secret.metadata.name)
        deployment = k8s.apps.v1.Deployment(
            f"{name}-db",
            metadata=rendered({**meta, "name": m.MARIADB, "labels": m.labels(m.MARIADB)}),
            spec=rendered(
                {
                    "replicas": 1,
                    "strategy": {"type": "Recreate"},
                    "selector": {"matchLabels": m.selector(m.MARIADB)},
                    "template": {
                        "metadata": {"labels": m.labels(m.MARIADB)},
                        "spec": m.pod_spec([container], cfg, **m.db_pod_extra()),
                    },
                }
            ),
            opts=self._opts(depends_on=[claim]),
        )
        service = k8s.core.v1.Service(
            f"{name}-db-svc",
            metadata=rendered({**meta, "name": m.MARIADB, "labels": m.labels(m.MARIADB)}),
            spec=rendered(
                {
                    "type": "ClusterIP",
                    "selector": m.selector(m.MARIADB),
                    "ports": [{"name": "mysql", "port": m.DB_PORT, "targetPort": m.DB_PORT}],
                }
            ),
            opts=self._opts(),
        )
        return [deployment, service]

    def _service(self, name: str, meta: dict, secret: k8s.core.v1.Secret, db: list[pulumi.Resource]) -> None:
        cfg = self._cfg
        container = m.kubefate_container(cfg, secret.metadata.name)
        deployment = k8s.apps.v1.Deployment(
            f"{name}-deploy",
            metadata=rendered({**meta, "name": m.KUBEFATE, "labels": m.labels(m.KUBEFATE)}),
            spec=rendered(
                {
                    "replicas": 1,
                    "strategy": {"type": "Recreate"},
                    "selector": {"matchLabels": m.selector(m.KUBEFATE)},
                    "template": {
                        "metadata": {"labels": m.labels(m.KUBEFATE)},
                        "spec": m.pod_spec([container], cfg, serviceAccountName=m.SERVICE_ACCOUNT),
                    },
                }
            ),
            opts=self._opts(depends_on=db),
        )
        service = k8s.core.v1.Service(
            f"{name}-svc",
            metadata=rendered({**meta, "name": m.KUBEFATE, "labels": m.labels(m.KUBEFATE)}),
            spec=rendered(
                {
                    "type": "ClusterIP",
                    "selector": m.selector(m.KUBEFATE),
                    "ports": [{"name": "http", "port": m.PORT, "targetPort": m.PORT}],
                }
            ),
            opts=self._opts(),
        )
        k8s.networking.v1.Ingress(
            f"{name}-ingress",
            metadata=rendered(
                {
                    **meta,
                    "name": m.KUBEFATE,
                    "labels": m.labels(m.KUBEFATE),
                    "annotations": m.ingress_annotations(cfg),
                }
            ),
            spec=m.ingress_spec(cfg),
            opts=self._opts(depends_on=[deployment, service]),
        )
