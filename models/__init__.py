"""Typed stack configuration: validated before any resource is registered."""
