"""Reusable ComponentResources: TanzuWorkloadCluster, KubeFateService, FateCluster, Exchange."""
