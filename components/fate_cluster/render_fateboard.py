"""fateboard's ``application.properties``.

The login password is not in the file: Spring Boot binds the env var ``SERVER_BOARD_LOGIN_PASSWORD`` (from the
credentials Secret) to ``server.board.login.password`` and env vars override the properties file, so the
ConfigMap never holds it.
"""

from __future__ import annotations

from models.fate import FateSpec


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
