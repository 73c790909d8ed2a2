"""One party's FATE cluster as a Pulumi component (see component.py)."""

from components.fate_cluster.component import FateCluster, FateClusterArgs

__all__ = ["FateCluster", "FateClusterArgs"]
