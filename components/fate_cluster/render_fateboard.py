"""fateboard's ``application.properties``.

FATE-Board 2.0.0 reads ``server.board.login.password`` from ``conf/application.properties`` with
``java.util.Properties`` (its UserService), not through Spring's environment, so an env var is never seen
(issue 10). The ConfigMap still holds no password: an init container copies the rendered file into an
in-memory emptyDir and appends the password line from ``SERVER_BOARD_LOGIN_PASSWORD`` (credentials Secret);
fateboard mounts that copy, by subPath, where it reads the file. The generated password is alphanumeric, so
the line needs no escaping for ``java.util.Properties``.
"""

from __future__ import annotations

import shlex

from models.fate import FateSpec

PASSWORD_KEY = "server.board.login.password"
PASSWORD_ENV = "SERVER_BOARD_LOGIN_PASSWORD"
PROPERTIES = "application.properties"
TEMPLATE_DIR = "/conf-tmp"  # the ConfigMap, in the init container
CONF_DIR = "/conf"  # the emptyDir, in the init container


def conf_command(template_dir: str = TEMPLATE_DIR, conf_dir: str = CONF_DIR) -> list[str]:
    """The init container's command (POSIX sh: the image is Alpine): the rendered file plus the password line,
    readable by its owner (root, fateboard's user) only."""
    src, dst = shlex.quote(f"{template_dir}/{PROPERTIES}"), shlex.quote(f"{conf_dir}/{PROPERTIES}")
    script = (
        "set -eu; umask 077; "
        f'[ -n "${{{PASSWORD_ENV}:-}}" ] || {{ echo "{PASSWORD_ENV} is empty" >&2; exit 1; }}; '
        f"cp {src} {dst}.tmp; "
        f'printf "%s=%s\\n" {PASSWORD_KEY} "${PASSWORD_ENV}" >> {dst}.tmp; '
        f"mv {dst}.tmp {dst}"
    )
    return ["sh", "-c", script]


def render_application_properties(spec: FateSpec) -> str:
    replicas = (spec.python.replicas if spec.python else None) or 1
    url_list = ";".join(f"http://python-{i}.fateflow:9380" for i in range(replicas))
    props = [
        ("server.port", "8080"),
        ("fateflow.url", "http://fateflow:9380"),
        ("fateflow.url-list", url_list),
        ("fateflow.http_app_key", ""),
        ("fateflow.http_secret_key", ""),
        ("server.board.login.username", (spec.fateboard.username if spec.fateboard else None) or "admin"),
        ("server.servlet.encoding.charset", "UTF-8"),
        ("server.servlet.encoding.enabled", "true"),
        ("server.tomcat.uri-encoding", "UTF-8"),
        ("server.servlet.session.timeout", "4h"),
        ("server.servlet.session.cookie.max-age", "4h"),
        ("fateboard.front_end.cors", "false"),
        ("fateboard.front_end.url", "http://localhost:8028"),
        ("server.compression.enabled", "true"),
        ("server.compression.mime-types", "application/json,application/xml,text/html,text/xml,text/plain"),
        ("server.board.encrypt.private_key", ""),
        ("server.board.encrypt.enable", "false"),
        ("feign.client.config.default.connectTimeout", "10000"),
        ("feign.client.config.default.readTimeout", "10000"),
        ("server.tomcat.max-threads", "1000"),
        ("server.tomcat.max-connections", "20000"),
        ("spring.servlet.multipart.max-file-size", "10MB"),
        ("spring.servlet.multipart.max-request-size", "100MB"),
        ("management.endpoints.web.exposure.exclude", "*"),
    ]
    return "".join(f"{k}={v}\n" for k, v in props)
