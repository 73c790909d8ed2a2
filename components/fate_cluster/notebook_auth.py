"""The notebook's login: a generated password, of which only the salted hash reaches the cluster.

Jupyter executes whatever its user types, so a notebook without a password is code execution for anyone who
reaches its Ingress. The password is generated per party (pulumi-random, kept encrypted in the state and
exported as a secret stack output for the data scientists); the pod gets ``NotebookApp.password`` in
Jupyter's ``sha1:<salt>:<digest>`` form from the credentials Secret. That form is the one every Jupyter
release the FATE client images ship verifies without extra packages; with a 190-bit random password the
hash function's speed does not help an attacker.
"""

from __future__ import annotations

import hashlib

import pulumi
import pulumi_random as random

SALT_LENGTH = 12


def jupyter_password_hash(password: str, salt: str) -> str:
    """Jupyter's ``passwd()`` format for the sha1 algorithm: digest of the password followed by the salt."""
    digest = hashlib.sha1((password + salt).encode("utf-8")).hexdigest()
    return f"sha1:{salt}:{digest}"


def generated_login(name: str, parent: pulumi.Resource) -> tuple[pulumi.Output[str], pulumi.Output[str | None]]:
    """(password, hash), both secret. The salt is a resource too, so the hash is stable across runs."""
    secret = pulumi.ResourceOptions(parent=parent, additional_secret_outputs=["result"])
    password = random.RandomPassword(f"{name}-notebook-password", length=32, special=False, opts=secret)
    salt = random.RandomString(f"{name}-notebook-salt", length=SALT_LENGTH, special=False, upper=False, opts=secret)
    hashed = pulumi.Output.all(password.result, salt.result).apply(
        lambda a: jupyter_password_hash(a[0], a[1]) if a[0] and a[1] else None
    )
    return pulumi.Output.secret(password.result), pulumi.Output.secret(hashed)
