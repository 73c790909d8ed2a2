"""The KubeFATE service (REST API behind ``kubefate`` CLI) with its metadata database, in ``kube-fate``."""

from components.kubefate_service.component import KubeFateService, KubeFateServiceArgs

__all__ = ["KubeFateService", "KubeFateServiceArgs"]
